"""Time `retain cohort FILE --format csv` against DuckDB computing the same matrix in SQL.

    python benchmarks/run.py --rows 1000000 10000000 [--runs 5]

For each size: generate the file once (benchmarks/data/, seeded), check that both tools print
the same CSV, then run them alternately, each a fresh process as a user runs it, after one
warm-up. Reports medians of wall time, the median of the pairwise ratios retain/DuckDB (robust
to a machine whose speed drifts), and each tool's peak RSS. Also times `retain --help`.
Needs `pip install duckdb` (a benchmark-only dependency).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import time

HERE = pathlib.Path(__file__).parent
DATA = HERE / "data"


def run(command: list[str]) -> tuple[float, float, bytes]:
    """Wall seconds, peak RSS in MiB and stdout of one run, reaping the child ourselves so that
    its own peak RSS is known."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}")
    return wall, usage.ru_maxrss / 1024, out


def ensure(rows: int) -> pathlib.Path:
    path = DATA / f"{rows}.csv"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        subprocess.run(
            [sys.executable, str(HERE / "generate.py"), str(rows), str(path)], check=True
        )
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    retain = [sys.executable, "-m", "retain"]
    helps = [run([*retain, "--help"])[0] for _ in range(args.runs + 1)][1:]
    print(f"retain --help: median {statistics.median(helps):.3f} s over {args.runs} runs")
    print("| rows | CSV MB | retain s | DuckDB s | retain/DuckDB | retain MiB | DuckDB MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for rows in args.rows:
        path = ensure(rows)
        ours = [*retain, "cohort", str(path), "--format", "csv"]
        theirs = [sys.executable, str(HERE / "duckdb_cohort.py"), str(path)]
        _, _, ours_out = run(ours)  # warm-up, and the outputs must agree
        _, _, theirs_out = run(theirs)
        if ours_out != theirs_out:
            raise SystemExit(f"{path}: retain and DuckDB printed different matrices")
        a, b = [], []
        for _ in range(args.runs):
            a.append(run(ours)[:2])
            b.append(run(theirs)[:2])
        ratio = statistics.median(x[0] / y[0] for x, y in zip(a, b, strict=True))
        ours_s, theirs_s = statistics.median(x[0] for x in a), statistics.median(y[0] for y in b)
        print(
            f"| {rows:,} | {path.stat().st_size / 1e6:,.0f} | {ours_s:.2f} | {theirs_s:.2f} "
            f"| {ratio:.2f} | {max(x[1] for x in a):,.0f} | {max(y[1] for y in b):,.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
