"""Where `retain cohort FILE` spends its time, stage by stage, on one thread.

    python benchmarks/profile.py FILE.csv [--chunksize ROWS]

Times the library's own steps in the order a batch goes through them, summed over the batches:
imports, opening the input (mapping, sniffing, the quote check, cutting batches), parsing the
CSV (pyarrow), selecting and normalizing (ids, dates, amounts), the activity reduction, then
partition by partition the merge of the batches' cells and their cohort sums, the grids and the
matrix, and rendering. One thread, so that the stages add up
to the CPU time; the command itself runs the batches on every core. Run it twice and read the
second.
"""

import argparse
import time

START = time.perf_counter()
import pandas as pd  # noqa: E402

import retain.cli  # noqa: E402, F401
from retain.activity import activity_table, build_cells, key_ranges  # noqa: E402
from retain.cohorts import assign_cohorts  # noqa: E402
from retain.engines.batches import open_input  # noqa: E402
from retain.engines.store import CellStore  # noqa: E402
from retain.metrics import cohort_sums, cohort_table, grids_of  # noqa: E402
from retain.normalize import normalize, select_rows  # noqa: E402
from retain.normalize.dates import date_evidence, decide_dates  # noqa: E402
from retain.render import render  # noqa: E402
from retain.settings import CHUNKSIZE, Settings  # noqa: E402
from retain.sources.files import read_batch  # noqa: E402


def main(path: str, chunksize: int) -> None:
    totals = {"start-up (imports)": time.perf_counter() - START}

    def timed(stage: str, work, *args, **kwargs):
        start = time.perf_counter()
        result = work(*args, **kwargs)
        totals[stage] = totals.get(stage, 0.0) + time.perf_counter() - start
        return result

    settings = Settings(chunksize=chunksize)
    item = timed("open input, cut batches", open_input, path, settings, chunksize)
    store, rows, latest = CellStore(), 0, []
    for batch in item.batches:
        raw = timed("parse CSV (pyarrow, one thread)", read_batch, item.source, batch,
                    item.wanted, threads=False, summary=item.summary)  # fmt: skip
        rows += len(raw.frame)
        frame, *_ = timed("select rows", select_rows, raw.frame, item.plan, raw_counts())
        reading = timed("date evidence and reading", lambda f: decide_dates(
            date_evidence(f[item.plan.columns.date]), settings.dates), frame)  # fmt: skip
        transactions, _, _ = timed("normalize (ids, dates, amounts)", normalize, path, frame,
                                   item.plan, reading, today=settings.future_after())  # fmt: skip
        latest.append(transactions["timestamp"].max())
        cells = timed("cells per batch (keys, reduction)", build_cells, transactions)
        store.add(len(latest), cells)
    sums, cells = [], 0

    def count(part):
        nonlocal cells
        cells += len(part.keys)
        table = timed("partition table", activity_table, [part])
        cohorted, _ = timed("cohorts per partition", assign_cohorts, table)
        sums.append(timed("cohort sums per partition", cohort_sums, cohorted))

    for low, high in key_ranges():
        count(timed("merge per partition", store.part, low, high))
    grids = timed("grids", grids_of, pd.concat(sums), pd.Timestamp(max(latest)).date())
    result = timed("matrix", cohort_table, grids)
    timed("render CSV", render, result, "csv")
    total = sum(totals.values())
    for stage, seconds in totals.items():
        print(f"{stage:<45} {seconds:7.3f} s {seconds / total:6.1%}")
    print(f"{'total':<45} {total:7.3f} s  ({rows:,} rows in {len(item.batches)} batches, "
          f"{cells:,} activity rows)")  # fmt: skip


def raw_counts():
    from retain.ledger import RowCounts

    return RowCounts()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--chunksize", type=int, default=CHUNKSIZE)
    options = parser.parse_args()
    main(options.path, options.chunksize)
