"""The monthly retention matrix of a transaction CSV in DuckDB SQL: the benchmark's reference.

    python benchmarks/duckdb_cohort.py FILE.csv

Follows the same definitions as `retain cohort` (METRICS.md): a customer is active in a month
with a row of amount >= 0; their cohort is the first such month; cells run to the month of the
latest date; prints retain's CSV layout (`cohort,customers,0,1,...`, fractions, 6 decimals).
"""

import sys

QUERY = """
WITH rows AS (
    SELECT customer_id, order_date, amount FROM read_csv(?, header = true,
        columns = {'customer_id': 'VARCHAR', 'order_date': 'DATE', 'amount': 'DOUBLE'})
), active AS (
    SELECT DISTINCT customer_id, date_trunc('month', order_date) AS month
    FROM rows WHERE amount >= 0
), cohort AS (
    SELECT customer_id, min(month) AS cohort FROM active GROUP BY customer_id
), last AS (
    SELECT date_trunc('month', max(order_date)) AS month FROM rows
)
SELECT strftime(cohort, '%Y-%m') AS cohort, date_diff('month', cohort, active.month) AS k,
       count(*) AS customers,
       date_diff('month', (SELECT min(cohort) FROM cohort), (SELECT month FROM last)) AS width
FROM active JOIN cohort USING (customer_id)
GROUP BY ALL ORDER BY ALL
"""


def month_index(label: str) -> int:
    year, month = label.split("-")
    return int(year) * 12 + int(month) - 1


def main(path: str) -> None:
    import duckdb

    print_matrix(duckdb.execute(QUERY, [path]).fetchall())


def print_matrix(rows: list[tuple]) -> None:
    """Rows of (cohort label, offset k, customers, width - 1) as retain's CSV."""
    width = rows[0][3] + 1  # offsets from the first cohort to the last month
    counts: dict[str, dict[int, int]] = {}
    for cohort, k, customers, _ in rows:
        counts.setdefault(cohort, {})[k] = customers
    first = month_index(min(counts))
    print("cohort,customers," + ",".join(map(str, range(width))))
    for label in sorted(counts):
        size = counts[label][0]
        observed = width - (month_index(label) - first)
        cells = [
            f"{counts[label].get(k, 0) / size:.6f}" if k < observed else "" for k in range(width)
        ]
        print(f"{label},{size}," + ",".join(cells))


if __name__ == "__main__":
    main(sys.argv[1])
