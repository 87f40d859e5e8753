"""The monthly retention matrix of a transaction CSV with Polars' lazy streaming engine: a
second reference for the benchmark (the same definitions and output as duckdb_cohort.py).

    python benchmarks/polars_cohort.py FILE.csv
"""

import sys

import polars as pl
from duckdb_cohort import print_matrix


def main(path: str) -> None:
    rows = pl.scan_csv(
        path, schema={"customer_id": pl.String, "order_date": pl.Date, "amount": pl.Float64}
    )
    last = rows.select(pl.col("order_date").max().dt.truncate("1mo").alias("last"))
    active = (
        rows.filter(pl.col("amount") >= 0)
        .select("customer_id", pl.col("order_date").dt.truncate("1mo").alias("month"))
        .unique()
    )
    cohort = active.group_by("customer_id").agg(pl.col("month").min().alias("cohort"))
    months = pl.col("month").dt.year() * 12 + pl.col("month").dt.month()
    start = pl.col("cohort").dt.year() * 12 + pl.col("cohort").dt.month()
    cells = (
        active.join(cohort, on="customer_id")
        .group_by("cohort", (months - start).alias("k"))
        .agg(pl.len().alias("customers"))
        .collect(engine="streaming")
    )
    first = cells["cohort"].min()
    end = last.collect()["last"][0]
    width = (end.year * 12 + end.month) - (first.year * 12 + first.month)
    print_matrix(sorted(
        (c.strftime("%Y-%m"), k, n, width) for c, k, n in cells.iter_rows()
    ))  # fmt: skip


if __name__ == "__main__":
    main(sys.argv[1])
