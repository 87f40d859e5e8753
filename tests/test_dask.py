"""The Dask engine gives the local engine's bytes: a LocalCluster of two worker processes runs
the same per-batch work on fixtures of every kind (exports, messy files, Parquet, stdin)."""

import pathlib

import pytest
from test_bad_inputs import BAD
from test_exports import CASES, EXPORTS

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


RUNS = [(EXPORTS / name, ["--as-of", as_of, *extra, "--metric", "revenue", "--format", "json"])
        for name, (as_of, extra, _) in sorted(CASES.items())]  # fmt: skip
RUNS += [
    (BAD / "mixed_date_formats.csv", ["--on-bad-rows", "skip", "--format", "csv"]),
    (BAD / "dayfirst_needed.csv", ["--format", "csv"]),
    (BAD / "mixed_date_formats.csv", []),  # an error: the same one line
    (pathlib.Path(__file__).parent / "data" / "small.csv", ["--format", "json"]),
]


@pytest.mark.parametrize("path, args", RUNS, ids=[f"{p.name}-{i}" for i, (p, _) in enumerate(RUNS)])
def test_dask_engine_gives_the_local_bytes(run, scheduler, path, args):
    local = run("cohort", path, *args, "--chunksize", "7")
    on_dask = run("cohort", path, *args, "--chunksize", "7", "--engine", "dask",
                  "--scheduler", scheduler)  # fmt: skip
    assert (on_dask.exit_code, on_dask.stdout, on_dask.stderr) == (
        local.exit_code, local.stdout, local.stderr,
    )  # fmt: skip


def test_dask_reads_parquet_datasets_and_stdin(run, scheduler, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = (pathlib.Path(__file__).parent / "data" / "small.csv").read_text()
    table = pa.csv.read_csv(pa.py_buffer(text.encode()))
    pq.write_to_dataset(table, tmp_path / "set", row_group_size=2)
    dask = ["--engine", "dask", "--scheduler", scheduler, "--chunksize", "2", "--format", "csv"]
    expected = run("cohort", "-", "--format", "csv", input=text).stdout
    assert run("cohort", tmp_path / "set", *dask).stdout == expected
    assert run("cohort", "-", *dask, input=text).stdout == expected


def test_an_unreachable_scheduler_is_one_line(run, monkeypatch):
    import retain.engines.dask

    monkeypatch.setattr(retain.engines.dask, "CONNECT_SECONDS", 1)
    path = EXPORTS / "excel_orders.csv"
    result = run("cohort", path, "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "retain: error: cannot reach the Dask scheduler tcp://127.0.0.1:9"
    )


def test_dask_workers_read_their_byte_ranges_of_a_url(run, scheduler):
    """A URL (here file://, any fsspec scheme alike) is read whole once by the client to decide
    how to read it; each worker then reads only its batches' byte ranges from the URL."""
    path = EXPORTS / "shopify_orders.csv"
    args = ["--as-of", "2024-09-30", "--metric", "revenue", "--format", "csv", "--chunksize", "7"]
    expected = run("cohort", path, *args)
    on_dask = run("cohort", path.as_uri(), *args, "--engine", "dask", "--scheduler", scheduler)
    assert on_dask.exit_code == 0, on_dask.stderr
    assert on_dask.stdout == expected.stdout
