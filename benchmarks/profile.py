"""Where `retain cohort FILE` spends its time, stage by stage, in one process.

    python benchmarks/profile.py FILE.csv

Times the library's own steps in the order the command runs them: imports, reading the CSV,
normalizing (ids, date and amount parsing), the activity reduction, cohorts and the matrix, and
rendering. Stages are timed with time.perf_counter; run it twice and read the second.
"""

import sys
import time

START = time.perf_counter()
import pandas as pd  # noqa: E402

import retain.cli  # noqa: E402, F401
from retain.activity import build_activity  # noqa: E402
from retain.cohorts import assign_cohorts  # noqa: E402
from retain.metrics import cohort_grids, cohort_table  # noqa: E402
from retain.normalize import normalize  # noqa: E402
from retain.pipeline import Settings, column_picker  # noqa: E402
from retain.render import render  # noqa: E402
from retain.sources.files import read_table  # noqa: E402


def main(path: str) -> None:
    marks = [("start-up (imports)", time.perf_counter() - START)]

    def mark(stage: str, since: float) -> float:
        now = time.perf_counter()
        marks.append((stage, now - since))
        return now

    t = time.perf_counter()
    settings = Settings()
    raw = read_table(path, pick=column_picker(settings, path))
    t = mark("read CSV (pyarrow)", t)
    columns = settings.columns(path, raw.header)
    transactions, _, parsed = normalize(path, raw.frame, columns, today=settings.future_after())
    t = mark(f"normalize (ids, dates: {parsed.dates}, amounts)", t)
    activity = build_activity(transactions)
    t = mark("activity reduction (ids -> codes, group by)", t)
    cohorted, _ = assign_cohorts(activity)
    as_of = pd.Timestamp(transactions["timestamp"].max()).date()
    grids = cohort_grids(cohorted, as_of)
    result = cohort_table(grids)
    t = mark("cohorts and matrix", t)
    render(result, "csv")
    mark("render CSV", t)
    total = sum(seconds for _, seconds in marks)
    for stage, seconds in marks:
        print(f"{stage:<55} {seconds:7.3f} s {seconds / total:6.1%}")
    print(
        f"{'total':<55} {total:7.3f} s  ({len(raw.frame):,} rows, {len(activity):,} activity rows)"
    )


if __name__ == "__main__":
    main(sys.argv[1])
