"""Where the output goes and how it reads: SIGTERM, symlinks and special files under -o, the
--date-format check, money to the cent, notes and JSON that do not depend on file order, and
inspect without an amount column."""

import contextlib
import json
import os
import pathlib
import signal
import socket
import stat
import subprocess
import sys
import threading

import pytest

import retain.output
from retain.pipeline import Settings, cohorts_of, inspect_files, read_activity
from retain.render import render, render_inspect
from tests.test_cli import RETENTION_CSV, SMALL

OLD = "last week's numbers\n"


def _leftovers(folder: pathlib.Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".retain-*.tmp"))


def _opened(pid: int, path: pathlib.Path) -> bool:
    """Whether process ``pid`` has ``path`` open (Linux /proc)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                return True
        except OSError:
            pass  # closed meanwhile
    return False


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux /proc")
def test_sigterm_mid_run_exits_143_and_leaves_no_temporary_file(tmp_path):
    big = tmp_path / "big.csv"
    block = "".join(
        f"c{i},2024-{1 + i % 12:02d}-{1 + i % 28:02d},{i % 97}.25\n" for i in range(10_000)
    )
    big.write_text("customer,date,amount\n" + block * 200)  # 2 million rows, about a second
    out = tmp_path / "out.csv"
    out.write_text(OLD)
    process = subprocess.Popen(
        [sys.executable, "-m", "retain", "cohort", str(big), "-o", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    # Signal once the input is open: main() has installed its handler and the run is under way
    # (it then takes a second more to read and count 2 million rows).
    while process.poll() is None and not _opened(process.pid, big):
        pass
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=120)
    assert (process.returncode, stderr.decode()) == (143, "retain: terminated\n")
    assert stdout == b""
    assert out.read_text() == OLD
    assert _leftovers(tmp_path) == []


def test_sigterm_during_the_write_removes_the_temporary_file(tmp_path):
    out = tmp_path / "out.csv"
    out.write_text(OLD)
    # SIGTERM arrives when the temporary file is written, just before the rename
    script = (
        "import os, signal, sys\n"
        "real = os.replace\n"
        "def replace(src, dst):\n"
        "    assert os.path.basename(src).startswith('.retain-')\n"
        "    signal.raise_signal(signal.SIGTERM)\n"
        "    real(src, dst)\n"
        "os.replace = replace\n"
        "sys.argv = ['retain', *sys.argv[1:]]\n"
        "from retain.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "cohort", str(SMALL), "-o", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (143, "retain: terminated\n")
    assert out.read_text() == OLD
    assert _leftovers(tmp_path) == []


def test_output_through_a_symlink_replaces_the_target_and_keeps_the_link(run, tmp_path):
    (tmp_path / "reports").mkdir()
    target = tmp_path / "reports" / "retention.csv"
    target.write_text(OLD)
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    result = run("cohort", SMALL, "-o", link)
    assert result.exit_code == 0, result.stderr
    assert link.is_symlink() and link.readlink() == target
    assert target.read_text() == RETENTION_CSV
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.csv", "reports"]
    assert [p.name for p in target.parent.iterdir()] == ["retention.csv"]


def test_output_through_a_dangling_symlink_creates_its_target(run, tmp_path):
    target = tmp_path / "retention.csv"
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    assert run("cohort", SMALL, "-o", link).exit_code == 0
    assert link.is_symlink() and target.read_text() == RETENTION_CSV


@pytest.fixture
def no_temporary_file(monkeypatch):
    """Fail (rather than replace a device or pipe) if -o goes through a temporary file."""

    def refuse(*args, **kwargs):
        raise AssertionError("a special file must be written in place")

    monkeypatch.setattr(retain.output.tempfile, "mkstemp", refuse)


def test_output_to_a_fifo_writes_into_it(run, tmp_path, no_temporary_file):
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    result = run("cohort", SMALL, "-o", fifo)
    with contextlib.suppress(OSError):  # ENXIO: no reader left, as it should be
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # else give the reader its EOF
    reader.join()
    assert result.exit_code == 0, result.stderr
    assert received == [RETENTION_CSV]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_output_to_a_character_device_writes_into_it(run, no_temporary_file):
    result = run("cohort", SMALL, "--format", "csv", "-o", os.devnull)
    assert result.exit_code == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(os.devnull).st_mode)


def test_output_to_a_unix_socket_writes_into_it(run, tmp_path, no_temporary_file):
    path = tmp_path / "out.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        result = run("cohort", SMALL, "--format", "csv", "-o", path)
        assert result.exit_code == 0, result.stderr
        server.setblocking(False)  # the connection is waiting already, or the test fails here
        connection, _ = server.accept()
        connection.setblocking(True)
        with connection, connection.makefile("rb") as stream:
            assert stream.read().decode() == RETENTION_CSV
    assert stat.S_ISSOCK(os.lstat(path).st_mode)


@pytest.mark.parametrize(
    "pattern, message",
    [
        ("%Q", "'Q' is a bad directive in format '%Q'"),
        ("%d.%m.%Y%", "stray % in format '%d.%m.%Y%'"),
        ("%", "stray % in format '%'"),
    ],
)
@pytest.mark.parametrize("command", ["cohort", "inspect"])
def test_bad_date_format_is_a_usage_error(run, command, pattern, message):
    result = run(command, SMALL, "--date-format", pattern)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: Invalid value for '--date-format': {message}"


@pytest.mark.parametrize(
    "pattern, dates",
    [
        ("%d.%m.%Y", ["05.01.2024", "10.02.2024"]),
        ("%Y-%m-%d %H:%M:%S", ["2024-01-05 23:59:59", "2024-02-10 00:00:00"]),
    ],
)
def test_good_date_formats_still_work(run, write, pattern, dates):
    path = write("d.csv", "customer,date\n" + "".join(f"a,{d}\n" for d in dates))
    result = run("cohort", path, "--date-format", pattern, "--format", "csv", "--counts")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "cohort,customers,0,1\n2024-01,1,1,1\n"


HALF_CENTS = """
customer,date,amount
a,2024-01-05,1.005
a,2024-01-06,0.01
b,2024-02-07,0
b,2024-02-08,-1.015
"""  # January's cohort: 1.015 (as floats, 1.005 + 0.01 = 1.0149999...); February's: -1.015


def test_money_rounds_half_away_from_zero_from_the_exact_sum(run, write):
    path = write("half.csv", HALF_CENTS)

    def shown(fmt):
        result = run(
            "cohort", path, "--metric", "revenue", "--as-of", "2024-02-29", "--format", fmt
        )
        assert result.exit_code == 0, result.stderr
        return result.stdout

    assert shown("csv") == "cohort,customers,0,1\n2024-01,1,1.02,0.00\n2024-02,1,-1.02,\n"
    cohorts = json.loads(shown("json"))["cohorts"]
    assert [c["values"] for c in cohorts] == [[1.02, 0.0], [-1.02, None]]
    assert shown("table").splitlines()[2:4] == [
        "2024-01             1   1.02  0.00",
        "2024-02             1  -1.02",
    ]
    assert shown("markdown").splitlines()[2:4] == [
        "| 2024-01  |           1 |  1.02 | 0.00 |",
        "| 2024-02  |           1 | -1.02 |      |",
    ]
    inspected = run("inspect", path)
    assert "refunds                1 row, -1.02 in all" in inspected.stdout.splitlines()
    assert json.loads(run("inspect", path, "--format", "json").stdout)["refund_total"] == -1.02


def test_notes_and_json_do_not_depend_on_the_order_of_the_files(run, write):
    first = write("a.csv", "customer,date,amount\nx,2024-01-05,10\nx,2024-02-05,5\n")
    second = write("b.csv", "client_id,order_date,revenue\ny,2024-01-09,7\nz,2024-02-01,3\n")
    shown = {}
    for fmt in ("table", "markdown", "json"):
        forward = run("cohort", first, second, "--format", fmt)
        backward = run("cohort", second, first, "--format", fmt)
        assert forward.exit_code == 0, forward.stderr
        assert forward.stdout == backward.stdout
        shown[fmt] = forward.stdout
    assert shown["table"].splitlines()[-2:] == [
        "columns: customer = 'client_id', date = 'order_date', amount = 'revenue'",
        "columns: customer = 'customer', date = 'date', amount = 'amount'",
    ]
    assert shown["markdown"].splitlines()[-1] == (
        "- columns: customer = 'customer', date = 'date', amount = 'amount'"
    )
    assert [f["name"] for f in json.loads(shown["json"])["files"]] == [first, second]


def test_files_that_agree_show_their_columns_once(run, write):
    paths = [write(n, "customer,date\nx,2024-01-05\n") for n in ("a.csv", "b.csv")]
    notes = run("cohort", *paths).stdout.splitlines()
    assert [n for n in notes if n.startswith("columns:")] == [
        "columns: customer = 'customer', date = 'date'"
    ]


def test_inspect_without_an_amount_column_has_no_refund_figures(run, write):
    path = write("no_amount.csv", "customer,date\nx,2024-01-05\ny,2024-02-05\n")
    table = run("inspect", path)
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert "refunds                not applicable (no amount column)" in lines
    assert "zero amounts           not applicable (no amount column)" in lines
    report = json.loads(run("inspect", path, "--format", "json").stdout)
    assert (report["refund_rows"], report["refund_total"], report["zero_amount_rows"]) == (
        None, None, None,
    )  # fmt: skip


def test_exact_duplicates_not_looked_for_are_null(run):
    settings = Settings()
    result, _ = cohorts_of(read_activity([str(SMALL)], settings), settings)
    meta = {"rows": {"read": 9}, "exact_duplicates": None}
    assert json.loads(render(result, "json", meta))["exact_duplicates"] is None
    assert render(result, "table", meta).startswith("cohort")
    report = {**inspect_files([str(SMALL)], settings), "exact_duplicates": None}
    assert json.loads(render_inspect(report, "json"))["exact_duplicates"] is None
    assert "exact duplicates       not looked for" in render_inspect(report).splitlines()
