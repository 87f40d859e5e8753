"""Batch boundaries change nothing: every fixture, messy ones included, gives the same bytes on
stdout and stderr (or the same error) at every batch size, down to one row per batch."""

import json
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


@pytest.mark.parametrize("path, args", RUNS[::3], ids=[p.name for p, _ in RUNS[::3]])
def test_spilling_to_disk_changes_nothing(run, path, args):
    """With no memory for the batches' cells, every batch spills to disk and the partitions are
    merged from the files: the same bytes."""
    whole = run("cohort", path, *args)
    spilled = run("cohort", path, *args, "--chunksize", "2", "--memory-limit", "0")
    assert (spilled.exit_code, spilled.stdout, spilled.stderr) == (
        whole.exit_code, whole.stdout, whole.stderr,
    )  # fmt: skip


def test_spilled_short_ids_are_rekeyed_when_long_ids_come(tmp_path):
    """Short ids are keyed by their bytes and longer ids by a hash; when a later batch brings a
    longer id, the batches already spilled are keyed again by hashes, so a customer met in both
    kinds of batches is one customer."""
    from retain.engines.store import CellStore
    from retain.pipeline import Settings, read_activity

    rows = ["c1,2024-01-05,10", "c2,2024-01-06,5", "c1,2024-02-01,7",
            "someone@example.com,2024-02-03,1", "c2,2024-03-01,2"]  # fmt: skip
    path = tmp_path / "o.csv"
    path.write_text("customer,date,amount\n" + "\n".join(rows) + "\n")
    store = CellStore(limit=0)
    from retain.engines.batches import read_pieces

    read_pieces([str(path)], Settings(chunksize=1), store=store)
    assert store.hashed and store.spills >= 3 and store.spilled
    table = read_activity([str(path)], Settings(chunksize=1, memory_limit=0)).table
    whole = read_activity([str(path)], Settings(chunksize=None)).table
    as_rows = lambda t: sorted(  # noqa: E731
        zip(t["customer"].astype(str), t["period"], t["orders"], t["revenue"], strict=True)
    )
    assert as_rows(table) == as_rows(whole)
    assert len(table) == 5 and table["customer"].nunique() == 3


def test_inspect_at_every_batch_size(run):
    path = EXPORTS / "excel_orders.csv"
    whole = run("inspect", path, "--format", "json")
    assert run("inspect", path, "--format", "json", "--chunksize", "1").stdout == whole.stdout
    # the same reasons as `retain cohort`: the closing Total row is a summary row
    assert json.loads(whole.stdout)["skipped"] == {"summary_row": 1}


def test_progress_hears_of_every_batch(tmp_path):
    from retain.pipeline import Settings, read_activity

    path = tmp_path / "o.csv"
    path.write_text(
        "customer,date,amount\n"
        + "".join(f"c{i % 7},2024-01-{i % 28 + 1:02d},1\n" for i in range(100))
    )
    calls = []
    read_activity([str(path)], Settings(chunksize=10), lambda *a: calls.append(a))
    assert len(calls) >= 10
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)  # bytes done only grow
    assert calls[-1][0] == calls[-1][1] - len("customer,date,amount\n")  # every byte of the body
    assert calls[-1][2] == 100  # every row


def test_no_progress_bar_when_stderr_is_not_a_terminal(run):
    result = run(
        "cohort", EXPORTS / "excel_orders.csv", "--as-of", "2024-03-31", "--chunksize", "5"
    )
    assert (
        result.stderr
        == "retain: skipped 1 of 60 rows: 1 with a spreadsheet summary row (Total, ...)\n"
    )


def test_ids_with_one_hash_are_never_one_customer(run, write, monkeypatch):
    """Longer ids are keyed by a 64-bit hash; should two ids ever share one, within a batch or
    across batches, the run stops: two customers are never counted as one."""
    import numpy as np

    import retain.activity

    monkeypatch.setattr(retain.activity, "hash_ids", lambda ids: np.zeros(len(ids), np.int64))
    path = write("e.csv", "email,date\nann@example.com,2024-01-05\nbob@example.com,2024-01-06\n")
    for size in ("1", "500000"):  # across batches, within one batch
        result = run("cohort", path, "--counts", "--format", "csv", "--chunksize", size)
        assert result.exit_code == 1
        assert result.stderr == (
            "retain: error: customer ids 'ann@example.com' and 'bob@example.com' have the same "
            "64-bit hash, so one pass cannot tell them apart; please report it\n"
        )


def test_a_typed_batch_read_again_takes_its_inputs_reading(run, write):
    """A batch of ISO dates (one in the future) in a file of slash dates: its dates are of the
    minority shape, so bad dates, at every batch size, however the reader first typed them."""
    rows = [f"c{i},03/0{i + 1}/2024" for i in range(5)] + ["x,2024-03-05", "y,2099-01-01"]
    path = write("mixed.csv", "customer,date\n" + "\n".join(rows) + "\n")
    args = ["--on-bad-rows", "skip", "--format", "json"]
    whole = run("cohort", path, *args)
    assert json.loads(whole.stdout)["rows"]["skipped"] == {"bad_date": 2}
    for size in ("1", "2", "3"):
        assert run("cohort", path, *args, "--chunksize", size).stdout == whole.stdout


def test_parquet_row_groups_and_hive_datasets(run, tmp_path):
    """Parquet files are read in row groups of the needed columns, folders as datasets with
    hive partitions as columns; the numbers equal the CSV's at every batch size."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = (EXPORTS / "woocommerce_orders.csv").read_text()
    csv = tmp_path / "orders.csv"
    csv.write_text(text)
    table = pa.csv.read_csv(csv, convert_options=pa.csv.ConvertOptions(
        column_types={c: pa.string() for c in text.splitlines()[0].split(",")}))  # fmt: skip
    single = tmp_path / "orders.parquet"
    pq.write_table(table, single, row_group_size=9)
    folder = tmp_path / "dataset"
    pq.write_to_dataset(table.append_column("channel", pa.array(["web", "shop"] * 35)), folder,
                        partition_cols=["channel"], row_group_size=9)  # fmt: skip
    args = ["--as-of", "2024-08-31", "--metric", "revenue", "--format", "json"]
    expected = json.loads(run("cohort", csv, *args).stdout)["cohorts"]
    for path in (single, folder):
        for size in ("5", "500000"):
            result = run("cohort", path, *args, "--chunksize", size)
            assert result.exit_code == 0, result.stderr
            assert json.loads(result.stdout)["cohorts"] == expected
    web = run("cohort", folder, *args, "--where", "channel=web")
    statuses = table.column("status").to_pylist()[::2]  # the web rows
    unpaid = sum(s in ("pending", "on-hold", "failed", "cancelled") for s in statuses)
    assert json.loads(web.stdout)["rows"]["skipped"]["filtered"] == 35 + unpaid  # shop rows too


def test_duplicates_are_found_across_batches_and_files(run, write):
    head = "customer,date,amount\n"
    a = write("a.csv", head + "a,2024-01-05,10\nb,2024-01-06,5\na,2024-01-05,10\n")
    b = write("b.csv", head + "b,2024-01-06,5\nc,2024-02-01,1\n")
    for size in ("1", "2", "500000"):
        deduped = run("cohort", a, b, "--dedupe", "--metric", "revenue", "--format", "json",
                      "--chunksize", size)  # fmt: skip
        document = json.loads(deduped.stdout)
        assert document["rows"] == {"read": 5, "used": 3, "skipped": {"duplicate": 2}}
        assert [c["values"] for c in document["cohorts"]] == [[15.0, 0.0], [1.0, None]]
        report = json.loads(run("inspect", a, b, "--format", "json", "--chunksize", size).stdout)
        assert (report["exact_duplicates"], report["rows_used"], report["skipped"]) == (2, 5, {})


def test_dedupe_with_non_utf8_text_after_the_sniffed_lines(run, write):
    """The encoding is decided on the whole file when it is opened, so every pass (duplicates,
    batches) reads the same text."""
    rows = "".join(f"c{i:05d},2024-01-05,1\n" for i in range(8000))
    text = "customer,date,amount\n" + rows + "Müller,2024-02-05,1\nMüller,2024-02-05,1\n"
    path = write("late.csv", text.encode("cp1252"))
    for size in ("1000", "500000"):
        result = run(
            "cohort", path, "--dedupe", "--counts", "--format", "json", "--chunksize", size
        )
        assert result.exit_code == 0, result.stderr
        document = json.loads(result.stdout)
        assert document["files"][0]["read_as"]["encoding"] == "cp1252"
        assert document["rows"]["skipped"] == {"duplicate": 1}


def test_urls_are_read_through_fsspec(run):
    """Paths with a scheme (s3://, gs://, https://, memory://) are read through fsspec: globs,
    CSV files, Parquet datasets; a missing object is one line."""
    import io

    import fsspec
    import pandas as pd

    fs = fsspec.filesystem("memory")
    text = (pathlib.Path(__file__).parent / "data" / "small.csv").read_bytes()
    fs.pipe("memory://exports/jan.csv", text)
    buffer = io.BytesIO()
    pd.read_csv(io.BytesIO(text)).to_parquet(buffer)
    fs.pipe("memory://lake/orders/part-0.parquet", buffer.getvalue())
    expected = run("cohort", "-", "--format", "csv", input=text.decode()).stdout
    for url in ("memory://exports/jan.csv", "memory://exports/*.csv", "memory://lake/orders"):
        result = run("cohort", url, "--format", "csv", "--chunksize", "3")
        assert (result.exit_code, result.stdout) == (0, expected), url
    missing = run("cohort", "memory://exports/feb.csv")
    assert (missing.exit_code, missing.stderr) == (
        1, "retain: error: memory://exports/feb.csv: no such file\n",
    )  # fmt: skip
