"""The command line as a user meets it: formats, inputs, exit codes and one-line errors."""

import bz2
import gzip
import json
import lzma
import pathlib
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from retain.cli import cli

SMALL = pathlib.Path(__file__).parent / "data" / "small.csv"
SMALL_TEXT = SMALL.read_text()

RETENTION_CSV = """\
cohort,customers,0,1,2
2024-01,2,1.000000,0.500000,0.500000
2024-02,1,1.000000,0.000000,
2024-03,1,1.000000,,
"""


def test_csv_contract(run):
    result = run("cohort", SMALL, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == RETENTION_CSV
    assert result.stderr == ""


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--counts"], "2024-01,2,2,1,1\n2024-02,1,1,0,\n2024-03,1,1,,\n"),
        (["--metric", "churn"], "2024-01,2,0.000000,0.500000,0.500000\n2024-02,1,0.000000,1.000000,\n2024-03,1,0.000000,,\n"),
        (["--metric", "revenue"], "2024-01,2,15.00,20.00,1.00\n2024-02,1,0.00,0.00,\n2024-03,1,100.00,,\n"),
        (["--metric", "revenue-retention"], "2024-01,2,1.000000,1.333333,0.066667\n2024-02,1,,,\n2024-03,1,1.000000,,\n"),
    ],
)  # fmt: skip
def test_csv_metrics(run, args, expected):
    result = run("cohort", SMALL, "--format", "csv", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "cohort,customers,0,1,2\n" + expected


def test_table(run):
    result = run("cohort", SMALL)
    assert result.exit_code == 0
    assert result.stdout == (
        "cohort          customers       0      1      2\n"
        "------------  -----------  ------  -----  -----\n"
        "2024-01                 2  100.0%  50.0%  50.0%\n"
        "2024-02                 1  100.0%   0.0%\n"
        "2024-03                 1  100.0%\n"
        "weighted avg            4  100.0%  33.3%  50.0%\n"
        "\n"
        "retention by month, as of 2024-03-31\n"
        "weighted avg: over the complete cells of each column\n"
        "1 customer with only refunds: no cohort\n"
        "columns: customer = 'customer', date = 'date', amount = 'amount'\n"
    )


def test_table_marks_partial_cells(run):
    result = run("cohort", SMALL, "--as-of", "2024-03-15", "--counts")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[2].split() == ["2024-01", "2", "2", "1", "1*"]
    assert lines[4].split() == ["2024-03", "1", "1*"]
    assert "* partial period: it ends after the as-of date" in lines
    assert result.stderr == "retain: skipped 1 of 9 rows: 1 with a date after --as-of\n"


def test_markdown(run):
    result = run("cohort", SMALL, "--metric", "revenue", "--format", "markdown")
    assert result.stdout.splitlines()[:5] == [
        "| cohort   |   customers |      0 |     1 |    2 |",
        "|:---------|------------:|-------:|------:|-----:|",
        "| 2024-01  |           2 |  15.00 | 20.00 | 1.00 |",
        "| 2024-02  |           1 |   0.00 |  0.00 |      |",
        "| 2024-03  |           1 | 100.00 |       |      |",
    ]


def test_json(run):
    result = run("cohort", SMALL, "--format", "json", "--as-of", "2024-03-15")
    document = json.loads(result.stdout)
    assert document["metric"] == "retention"
    assert document["as_of"] == "2024-03-15"
    assert document["files"][0]["columns"] == {
        "customer": "customer",
        "date": "date",
        "amount": "amount",
    }
    assert document["rows"] == {"read": 9, "used": 8, "skipped": {"after_as_of": 1}}
    assert document["refund_only_customers"] == 1
    assert document["offsets"] == [0, 1, 2]
    assert document["cohorts"] == [
        {
            "cohort": "2024-01",
            "customers": 2,
            "values": [1.0, 0.5, 0.5],
            "partial_offset": 2,
            "partial_offsets": [2],
        },
        {
            "cohort": "2024-02",
            "customers": 1,
            "values": [1.0, 0.0, None],
            "partial_offset": 1,
            "partial_offsets": [1],
        },
        {
            "cohort": "2024-03",
            "customers": 1,
            "values": [1.0, None, None],
            "partial_offset": 0,
            "partial_offsets": [0],
        },
    ]
    assert document["weighted_average"] == [1.0, 0.5, None]


def test_output_file_format_from_extension_and_atomic(run, tmp_path):
    out = tmp_path / "retention.csv"
    out.write_text("old")
    result = run("cohort", SMALL, "-o", out)
    assert result.exit_code == 0 and result.stdout == ""
    assert out.read_text() == RETENTION_CSV
    assert [p.name for p in tmp_path.iterdir()] == ["retention.csv"]  # no temp file left
    assert json.loads(run("cohort", SMALL, "-o", tmp_path / "r.json").exit_code == 0 and
                      (tmp_path / "r.json").read_text())["metric"] == "retention"  # fmt: skip


def test_stdin(run):
    result = run("cohort", "-", "--format", "csv", input=SMALL_TEXT)
    assert result.stdout == RETENTION_CSV


@pytest.mark.parametrize(
    "name, pack",
    [
        ("o.csv.gz", gzip.compress),
        ("o.csv.bz2", bz2.compress),
        ("o.csv.xz", lzma.compress),
        ("o.tsv", lambda b: b.replace(b",", b"\t")),
        ("o.txt", lambda b: b.replace(b",", b"|")),
        ("semicolon.csv", lambda b: b.replace(b",", b";")),
        ("bom.csv", lambda b: b"\xef\xbb\xbf" + b),
        ("crlf.csv", lambda b: b.replace(b"\n", b"\r\n")),
        ("latin1.csv", lambda b: b.replace(b"customer", "cliënt_id".encode("latin-1"))),
    ],
)
def test_input_variants(run, write, name, pack):
    path = write(name, pack(SMALL.read_bytes()))
    extra = ["--encoding", "latin-1", "--customer", "cliënt_id"] if name == "latin1.csv" else []
    result = run("cohort", path, "--format", "csv", *extra)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == RETENTION_CSV


def test_zip(run, tmp_path):
    path = tmp_path / "orders.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("orders.csv", SMALL_TEXT)
    assert run("cohort", path, "--format", "csv").stdout == RETENTION_CSV


def test_parquet_with_integer_yyyymmdd_dates(run, tmp_path):
    path = tmp_path / "orders.parquet"
    table = pa.table({
        "customer_id": pa.array([1, 1, 2], pa.int64()),
        "order_date": pa.array([20240105, 20240210, 20240301], pa.int64()),
        "revenue": pa.array([10.0, 5.5, 3.0]),
    })  # fmt: skip
    pq.write_table(table, path)
    result = run("cohort", path, "--format", "csv", "--metric", "revenue")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "cohort,customers,0,1,2\n2024-01,1,10.00,5.50,0.00\n2024-03,1,3.00,,\n"


def test_integer_yyyymmdd_dates_and_string_ids(run, write):
    path = write(
        "cdnow.csv",
        """
        customer_id,date,dollar_value
        00012,19970101,11.77
        12,19970105,3.00
        00012,19970212,20.00
        """,
    )
    result = run("cohort", path, "--format", "csv", "--counts")
    assert result.exit_code == 0, result.stderr
    # 00012 and 12 are two customers
    assert result.stdout == "cohort,customers,0,1\n1997-01,2,2,1\n"


@pytest.mark.parametrize(
    "dates, flags, first",
    [
        (["03/04/2024", "03/05/2024"], [], "2024-03"),
        (["03/04/2024", "03/05/2024"], ["--dayfirst"], "2024-04"),
        # times as written: each on its own clock (METRICS.md, Timezone)
        (["2024-03-04T23:30:00-05:00", "2024-03-05T01:00:00+01:00"], [], "2024-03-04"),
        (["2024-03-05T01:00:00+01:00", "2024-03-05T02:00:00+01:00"], ["--tz", "UTC"], "2024-03-05"),
        (["2024-03-05T00:30:00+01:00"], ["--tz", "UTC"], "2024-03-04"),
        (["2024-03-04T23:30:00-05:00", "2024-03-05T01:00:00+01:00"], ["--tz", "America/New_York"], "2024-03-04"),
        (["04.03.2024", "05.03.2024"], ["--date-format", "%d.%m.%Y"], "2024-03"),
    ],
)  # fmt: skip
def test_date_formats(run, write, dates, flags, first):
    rows = "".join(f"c{i},{d}\n" for i, d in enumerate(dates))
    path = write("d.csv", "customer,date\n" + rows)
    period = ["--period", "day"] if len(first) == 10 else []
    result = run("cohort", path, "--format", "csv", *period, *flags)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1].startswith(first + ",")


def test_files_and_globs_combine(run, write, tmp_path):
    lines = SMALL_TEXT.splitlines(keepends=True)
    write("part1.csv", "".join(lines[:5]))
    write("part2.csv", lines[0] + "".join(lines[5:]))
    assert run("cohort", tmp_path / "part*.csv", "--format", "csv").stdout == RETENTION_CSV


def errors(result):
    return result.stderr.splitlines()


@pytest.mark.parametrize(
    "content, args, message",
    [
        (None, [], "{path}: no such file"),
        (b"", [], "{path}: the file is empty; export the transactions with a header row"),
        (b"customer,date\n", [], "{path}: has a header but no data rows"),
        (b"customer,date\nx,2024-01-01\n", ["--customer", "user"],
         "{path}: no column 'user' for --customer; its columns are 'customer', 'date'"),
        (b"who,when\nx,2024-01-01\n", [],
         "{path}: cannot tell which column holds the customer; its columns are 'who', 'when'; pass --customer COLUMN"),
        (b"customer_id,Customer ID,date\nx,y,2024-01-01\n", [],
         "{path}: columns 'customer_id', 'Customer ID' could each be the customer; pass --customer COLUMN to choose"),
        (b"customer,date\nx,soon\ny,later\n", [],
         "{path}: cannot recognise the dates in column 'date' (line 2: 'soon'); no one date shape fits most of the 2 values (2 of no known shape, such as 'later'); pass --date-format, for example %d.%m.%Y"),
        (b"customer,date\nx,03/25/2024\n", ["--dayfirst"],
         "{path}: 1 row has a missing or unparseable date in column 'date' (line 2: '03/25/2024'); they read as MM/DD/YYYY: drop --dayfirst; or fix them, or pass --on-bad-rows skip to skip and count them"),
        (b"customer,date\nx,2024-01-01\ny,2024-02-30\nz,2024-03-01\nw,\n", [],
         "{path}: 2 rows have a missing or unparseable date in column 'date' (line 3: '2024-02-30'; line 5: ''); fix them, or pass --on-bad-rows skip to skip and count them"),
        (b"customer,date,amount\nx,2024-01-01,ten\n", [],
         "{path}: 1 row has a missing, unparseable or out-of-range amount in column 'amount' (line 2: 'ten'); fix them, or pass --on-bad-rows skip to skip and count them"),
        (b"customer,date\nx,2024-01-01\n", ["--metric", "revenue"],
         "--metric revenue needs an amount column; pass --amount COLUMN (none of the file's columns looks like one)"),
        (b"customer,date\x00\x01\x02", [],
         "{path}: holds binary data (NUL bytes), not delimited text; export it as CSV, or pass --encoding utf-16 if it is UTF-16 text"),
        (b"customer,date\nx\x81,2024-01-01\n", [],
         "{path}: line 2 (byte 15) is neither UTF-8, GB18030 nor cp1252 text; pass --encoding with the file's encoding"),
    ],
)  # fmt: skip
def test_data_errors_are_one_line_exit_1(run, tmp_path, content, args, message):
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_bytes(content)
    result = run("cohort", path, *args)
    assert result.exit_code == 1
    assert errors(result) == ["retain: error: " + message.format(path=path)]
    assert result.stdout == ""


def test_skip_bad_rows_counts_them(run, write):
    path = write("b.csv", "customer,date\nx,2024-01-01\n,2024-01-02\ny,2024-13-01\n")
    result = run("cohort", path, "--on-bad-rows", "skip", "--format", "json")
    assert result.exit_code == 0
    assert errors(result) == [
        "retain: skipped 2 of 3 rows: 1 with an empty customer id; 1 with a missing or unparseable date"
    ]
    assert json.loads(result.stdout)["rows"] == {
        "read": 3, "used": 1, "skipped": {"bad_date": 1, "missing_customer": 1}
    }  # fmt: skip


def test_all_rows_skipped_is_an_error(run, write):
    path = write("b.csv", "customer,date\n,2024-01-01\n")
    result = run("cohort", path, "--on-bad-rows", "skip")
    assert result.exit_code == 1
    assert errors(result) == [
        "retain: error: no usable rows among 1 read (skipped: 1 with an empty customer id)"
    ]


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--period", "fortnight"], "Invalid value for '--period'"),
        (["--as-of", "31/12/2024"], "'31/12/2024' is not a date; write it as YYYY-MM-DD"),
        (["--tz", "Mars/Base"], "unknown time zone 'Mars/Base'"),
        (
            ["--metric", "revenue", "--counts"],
            "--counts goes with --metric retention, churn or repeat",
        ),
        (["--metric", "ltv", "--rolling"], "--rolling goes with --metric retention or churn"),
        (
            ["--relative", "previous", "--counts"],
            "--relative previous goes with --metric retention or revenue-retention, without --counts",
        ),
        (["--mean", "median"], "Invalid value for '--mean'"),
        (["-o", "out.ods"], "cannot tell the format from 'out.ods'; pass --format"),
        (["--format", "yaml"], "Invalid value for '--format'"),
        (["--table-style", "gird"], "Invalid value for '--table-style'"),
    ],
)
def test_usage_errors_exit_2(run, args, fragment):
    result = run("cohort", SMALL, *args)
    assert result.exit_code == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_refuses_to_overwrite_an_input(run, write):
    path = write("orders.csv", SMALL_TEXT)
    result = run("cohort", path, "-o", path, "--format", "csv")
    assert result.exit_code == 1
    assert errors(result) == [
        f"retain: error: {path}: is one of the input files; choose another -o path"
    ]
    assert pathlib.Path(path).read_text() == SMALL_TEXT


def test_every_command_has_help_with_an_example_and_is_in_the_readme():
    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text()
    import click

    def leaves(group, path):
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                yield from leaves(command, f"{path} {name}")
            else:
                yield f"{path} {name}", command

    names = [name for name, _ in leaves(cli, "retain")]
    assert {"retain plot curves", "retain report", "retain check"} <= set(names)
    for name, command in leaves(cli, "retain"):
        assert "Example:" in command.help
        assert name in readme


def test_integer_epochs_are_never_dates(run, tmp_path):
    path = tmp_path / "epochs.parquet"
    pq.write_table(pa.table({"customer": ["a", "b"], "date": [1704067200, 1706745600]}), path)
    result = run("cohort", path)
    assert result.exit_code == 1
    assert errors(result) == [
        f"retain: error: {path}: cannot recognise the dates in column 'date' (line 2: '1704067200'); no one date shape fits most of the 2 values (2 of no known shape, such as '1704067200'); pass --date-format, for example %d.%m.%Y"
    ]


def test_python_dash_m(tmp_path):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "retain", "cohort", str(SMALL), "--format", "csv"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and done.stdout == RETENTION_CSV


def test_cli_choices_match_the_library():
    # cli.py repeats these lists so that `retain --help` need not import pandas; keep them equal
    from retain import activity, metrics, render
    from retain import cli as cli_module

    assert cli_module.PERIODS == activity.PERIODS
    assert cli_module.METRICS == metrics.METRICS
    assert cli_module.FORMATS == render.FORMATS
    import tabulate

    assert tuple(sorted(tabulate.tabulate_formats)) == cli_module.TABLE_STYLES


def test_the_metric_definitions_shipped_with_the_repo_are_the_shared_ones():
    """docs/METRICS.md is the copy a clone links to; it follows ../shared/METRICS.md."""
    import pathlib

    root = pathlib.Path(__file__).parent.parent
    shared = root.parent / "shared" / "METRICS.md"
    if not shared.exists():
        pytest.skip("no ../shared beside the repository")
    assert (root / "docs" / "METRICS.md").read_text() == shared.read_text()


def test_scheduler_and_local_engine_conflict(run):
    result = run("cohort", SMALL, "--engine", "local", "--scheduler", "tcp://127.0.0.1:1")
    assert result.exit_code == 2
    assert "--scheduler runs on a Dask cluster: drop --engine local" in result.stderr


def test_table_style(run):
    result = run("cohort", SMALL, "--table-style", "grid")
    assert result.exit_code == 0 and result.stdout.startswith("+---")
    summary = run("summary", SMALL, "--table-style", "psql")
    assert summary.exit_code == 0 and "+---" in summary.stdout
