"""Batch boundaries change nothing: every fixture, messy ones included, gives the same bytes on
stdout and stderr (or the same error) at every batch size, down to one row per batch."""

import pathlib

import pytest
from test_bad_inputs import BAD, ERRORS, RESULTS
from test_exports import CASES, EXPORTS

SIZES = ["1", "2", "7"]
RUNS = [(BAD / name, ["--format", "csv", *args]) for name, args, *_ in RESULTS + ERRORS]
RUNS += [(EXPORTS / name, ["--as-of", as_of, *extra, "--metric", "revenue", "--format", "json"])
         for name, (as_of, extra, _) in sorted(CASES.items())]  # fmt: skip
RUNS += [
    (
        pathlib.Path(__file__).parent / "data" / "small.csv",
        ["--format", "json", "--period", "week"],
    ),
    (pathlib.Path(__file__).parent.parent / "examples" / "orders.csv", ["--format", "csv"]),
]


@pytest.mark.parametrize("path, args", RUNS, ids=[f"{p.name}-{i}" for i, (p, _) in enumerate(RUNS)])
def test_batch_size_changes_nothing(run, path, args):
    whole = run("cohort", path, *args)
    for size in SIZES if path.stat().st_size < 100_000 else ["97", "1000"]:
        batched = run("cohort", path, *args, "--chunksize", size)
        assert (batched.exit_code, batched.stdout, batched.stderr) == (
            whole.exit_code, whole.stdout, whole.stderr,
        ), size  # fmt: skip


def test_inspect_at_every_batch_size(run):
    path = EXPORTS / "excel_orders.csv"
    whole = run("inspect", path, "--format", "json")
    assert run("inspect", path, "--format", "json", "--chunksize", "1").stdout == whole.stdout
