"""Time `retain cohort FILE --format csv` against DuckDB computing the same matrix in SQL, and
Polars' lazy streaming engine as a second reference when it is installed.

    python benchmarks/run.py --rows 1000000 10000000 [--runs 5] [--ids numbered|emails]

For each size: generate the file once (benchmarks/data/, seeded), check that both tools print
the same CSV, then run them alternately, each a fresh process as a user runs it, after one
warm-up. Reports medians of wall time, the median of the pairwise ratios retain/DuckDB (robust
to a machine whose speed drifts), and each tool's peak RSS. Also times `retain --help`.
Needs `pip install duckdb` (and `polars` for its column): benchmark-only dependencies.
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


def ensure(rows: int, ids: str) -> pathlib.Path:
    path = DATA / (f"{rows}.csv" if ids == "numbered" else f"{rows}-{ids}.csv")
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        command = [sys.executable, str(HERE / "generate.py"), str(rows), str(path), "--ids", ids]
        subprocess.run(command, check=True)
    return path


def median_ratio(a: list, b: list) -> float:
    return statistics.median(x[0] / y[0] for x, y in zip(a, b, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--ids", choices=("numbered", "emails"), default="numbered")
    args = parser.parse_args()
    retain = [sys.executable, "-m", "retain"]
    helps = [run([*retain, "--help"])[0] for _ in range(args.runs + 1)][1:]
    print(f"retain --help: median {statistics.median(helps):.3f} s over {args.runs} runs")
    try:
        import polars  # noqa: F401

        others = {"DuckDB": "duckdb_cohort.py", "Polars": "polars_cohort.py"}
    except ImportError:
        others = {"DuckDB": "duckdb_cohort.py"}
    names = list(others)
    print(f"| rows ({args.ids} ids) | CSV MB | retain s | "
          + " | ".join(f"{n} s | retain/{n}" for n in names)
          + " | retain MiB | " + " | ".join(f"{n} MiB" for n in names) + " |")  # fmt: skip
    print("|---:" * (4 + 3 * len(names)) + "|")
    for rows in args.rows:
        path = ensure(rows, args.ids)
        commands = {"retain": [*retain, "cohort", str(path), "--format", "csv"]}
        commands |= {
            n: [sys.executable, str(HERE / script), str(path)] for n, script in others.items()
        }
        outputs = {n: run(c)[2] for n, c in commands.items()}  # warm-up; outputs must agree
        for name in names:
            if outputs[name] != outputs["retain"]:
                raise SystemExit(f"{path}: retain and {name} printed different matrices")
        times = {n: [] for n in commands}
        for _ in range(args.runs):  # alternate, so that a drifting machine hits all alike
            for name, command in commands.items():
                times[name].append(run(command)[:2])
        cells = [f"{statistics.median(x[0] for x in times['retain']):.2f}"]
        for name in names:
            cells += [
                f"{statistics.median(x[0] for x in times[name]):.2f}",
                f"{median_ratio(times['retain'], times[name]):.2f}",
            ]
        memory = [f"{max(x[1] for x in times[n]):,.0f}" for n in ["retain", *names]]
        size = f"{path.stat().st_size / 1e6:,.0f}"
        print(f"| {rows:,} | {size} | " + " | ".join(cells + memory) + " |", flush=True)


if __name__ == "__main__":
    main()
