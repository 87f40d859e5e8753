"""Outputs a cron job can rely on: byte-identical, atomic, safe in spreadsheets; quiet under a
closed pipe, exit 130 on Ctrl-C; the reader survives random bytes."""

import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retain.cli import cli
from retain.render import spreadsheet_safe

EXAMPLE = pathlib.Path(__file__).parents[1] / "examples" / "orders.csv"
FORMATS = ["csv", "json", "table", "markdown"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_shuffled_rows_and_split_files_give_byte_identical_output(run, tmp_path, fmt):
    header, *rows = EXAMPLE.read_text().splitlines(keepends=True)
    expected = run("cohort", EXAMPLE, "--format", fmt, "--metric", "revenue").stdout
    shuffled = rows[::-1][1::2] + rows[::-1][0::2]
    (tmp_path / "a.csv").write_text(header + "".join(shuffled[:4000]))
    (tmp_path / "b.csv").write_text(header + "".join(shuffled[4000:]))
    (tmp_path / "all.csv").write_text(header + "".join(shuffled))
    again = run("cohort", EXAMPLE, "--format", fmt, "--metric", "revenue").stdout
    whole = run("cohort", tmp_path / "all.csv", "--format", fmt, "--metric", "revenue").stdout
    split = run(
        "cohort", tmp_path / "a.csv", tmp_path / "b.csv", "--format", "csv", "--metric", "revenue"
    )
    assert again == expected
    if fmt in ("csv", "markdown"):  # table and json name the file they read
        assert whole == expected
    if fmt == "csv":
        assert split.stdout == expected


def test_failed_run_leaves_the_existing_output_untouched(run, write, tmp_path):
    out = tmp_path / "retention.csv"
    out.write_text("last week's numbers\n")
    bad = write("bad.csv", "customer,date\nx,not a date\n")
    result = run("cohort", bad, "-o", out)
    assert result.exit_code == 1
    assert out.read_text() == "last week's numbers\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv", "retention.csv"]


def test_written_file_keeps_ordinary_permissions(run, tmp_path):
    out = tmp_path / "r.csv"
    assert run("cohort", EXAMPLE, "-o", out).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    "text, safe",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.50", "-12.50"),
        ("+3", "+3"),
        ("2024-03", "2024-03"),
        ("plain", "plain"),
    ],
)
def test_spreadsheet_formulas_are_neutralised_numbers_are_not(text, safe):
    assert spreadsheet_safe(text) == safe


def _retain(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "retain", *map(str, args)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs,
    )  # fmt: skip


def test_closed_pipe_ends_quietly(tmp_path):
    big = tmp_path / "big.csv"
    header, *rows = EXAMPLE.read_text().splitlines(keepends=True)
    big.write_text(header + "".join(rows))
    process = _retain("cohort", big, "--period", "day", "--format", "csv")
    process.stdout.readline()
    process.stdout.close()  # like `| head -1`
    stderr = process.stderr.read().decode()
    process.wait(timeout=60)
    assert stderr == ""
    assert process.returncode in (0, -signal.SIGPIPE)


def test_ctrl_c_exits_130_without_a_traceback():
    process = _retain("cohort", "-", stdin=subprocess.PIPE)  # waits on stdin
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert stderr.decode().strip() == "retain: interrupted"  # click adds a newline after ^C


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.one_of(
        st.binary(max_size=400),
        st.lists(
            st.lists(st.sampled_from(["customer", "date", "amount", "a", "2024-01-05", "20240105",
                                      "1,5", "-3", "", '"', "x\ny", "$4", "(2)", "NaN", "9" * 30,
                                      "01/02/2024", "2024-13-45", "\ufeff", "é", ";", "\t"]),
                     min_size=1, max_size=5),
            min_size=1, max_size=8,
        ).map(lambda rows: "\n".join(",".join(r) for r in rows).encode()),
    ),
    st.sampled_from([[], ["--on-bad-rows", "skip"], ["--metric", "revenue", "--on-bad-rows", "skip"]]),
)  # fmt: skip
def test_reader_fuzz_gives_a_result_or_one_clean_error(tmp_path, data, args):
    from click.testing import CliRunner

    path = tmp_path / "fuzz.csv"
    path.write_bytes(data)
    for command in ("cohort", "inspect"):
        options = (
            [a for a in args if a not in ("--metric", "revenue")] if command == "inspect" else args
        )
        result = CliRunner().invoke(cli, [command, str(path), *options])
        assert result.exit_code in (0, 1), (result.exit_code, result.stderr, result.exception)
        assert "unexpected" not in result.stderr, result.stderr
        if result.exit_code == 1:
            assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith(
                "retain: error: "
            )
