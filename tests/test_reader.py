"""Reading what shops write, and hostile input: encodings, whitespace files, spreadsheet rows,
physical line numbers, unclosed quotes, long headers, pipes, broken archives, big sums and ids."""

import bz2
import gzip
import json
import lzma
import os
import subprocess
import sys
import threading
import zipfile

import pytest

GOOD = "customer,date,amount\na,2024-01-05,10\nb,2024-01-20,5\na,2024-02-10,20\n"
BASE = "cohort,customers,0,1\n2024-01,2,15.00,20.00\n"
REVENUE = ["--metric", "revenue", "--format", "csv"]


def test_cp1252_is_detected_and_named(run, write):
    path = write(
        "w.csv", "customer,date,amount\nMüller,2024-01-05,10\nRenée,2024-01-06,5\n".encode("cp1252")
    )
    result = run("cohort", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["files"][0]["read_as"]["encoding"] == "cp1252"
    assert document["cohorts"][0]["customers"] == 2
    table = run("cohort", path)
    assert f"read as cp1252: {path}" in table.stdout


def test_gb18030_is_detected(run, write):
    path = write(
        "g.csv",
        "客户编号,下单日期,金额\n张三,2024-01-05,10\n李四,2024-01-20,5\n张三,2024-02-10,20\n".encode(
            "gb18030"
        ),
    )
    result = run("cohort", path, *REVENUE)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == BASE


def test_non_utf8_after_the_sniffed_lines(run, write):
    rows = "".join(f"c{i:05d},2024-01-05,1\n" for i in range(8000))
    path = write(
        "late.csv", ("customer,date,amount\n" + rows + "Müller,2024-02-05,1\n").encode("cp1252")
    )
    result = run("cohort", path, "--counts", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["files"][0]["read_as"]["encoding"] == "cp1252"


CDNOW = (
    "00001 19970101  1  11.77\r\n"
    "00002 19970112  1  12.00\r\n"
    "00002 19970112  5  77.00\r\n"
    "00003 19970102  2  20.76\r\n"
    "00003 19970330  2  20.76\r\n"
)


def test_whitespace_file_without_header(run, write):
    path = write("CDNOW_master.txt", CDNOW)
    names = ["--names", "customer,date,quantity,amount"]
    result = run("cohort", path, *names, "--metric", "revenue", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "cohort,customers,0,1,2\n1997-01,3,121.53,0.00,20.76\n"
    explicit = run(
        "cohort",
        path,
        *names,
        "--delimiter",
        "whitespace",
        "--metric",
        "revenue",
        "--format",
        "csv",
    )
    assert explicit.stdout == result.stdout


def test_header_that_is_data(run, write):
    result = run("cohort", write("CDNOW_master.txt", CDNOW))
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "looks like data, not a header; pass --names with a name for each column (for example "
        "--names customer,date,amount)\n"
    )


def test_header_of_one_column_says_the_delimiter_looks_wrong(run, write):
    path = write("x.csv", "customer date amount\na 2024-01-05 10\nb 2024-01-06\n")
    result = run("cohort", path, "--delimiter", ",")
    assert result.exit_code == 1
    assert "the delimiter looks wrong; pass --delimiter" in result.stderr


def test_literal_tab_delimiter(run, write):
    path = write("t.tsv", GOOD.replace(",", "\t"))
    assert run("cohort", path, "--delimiter", "\t", *REVENUE).stdout == BASE


def test_blank_and_empty_rows_and_summary_row(run, write):
    path = write(
        "x.csv",
        b"\xef\xbb\xbfcustomer,date,amount\r\na,1/5/2024,10\r\n\r\n,,\r\nb,1/20/2024,5\r\n"
        b",,\r\na,2/10/2024,20\r\n\r\nTotal,,35\r\n",
    )
    result = run("cohort", path, "--metric", "revenue", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["rows"] == {"read": 4, "used": 3, "skipped": {"summary_row": 1}}
    assert [c["values"] for c in document["cohorts"]] == [[15.0, 20.0]]


def test_physical_line_numbers(run, write):
    path = write(
        "x.csv",
        'customer,date,note\n\na,2024-01-05,"two\nlines"\n\nb,2024-13-01,x\n',
    )
    result = run("cohort", path)
    assert result.exit_code == 1
    assert (
        f"{path}: 1 row has a missing or unparseable date in column 'date' (line 6: '2024-13-01')"
        in result.stderr
    )


def test_unclosed_quote_is_refused(run, write):
    path = write(
        "q.csv",
        'customer,date,amount,note\na,2024-01-05,10,"oops\nb,2024-01-06,5,ok\nc,2024-01-07,1,ok\n',
    )
    result = run("cohort", path)
    assert result.exit_code == 1
    assert result.stderr == (
        f"retain: error: {path}: line 2 opens a quoted field that never closes, so lines 2 to 4 "
        'would read as one value; fix the quoting (a quote inside a quoted field is written twice: "")\n'
    )


def test_literal_quote_inside_a_field_is_fine(run, write):
    path = write(
        "q.csv",
        'customer,date,amount,note\na,2024-01-05,10,5" tall\nb,2024-01-20,5,ok\na,2024-02-10,20,x\n',
    )
    assert run("cohort", path, *REVENUE).stdout == BASE


def test_columns_past_the_sniffing_sample(run, write):
    filler = ",".join(f"column_{i:05d}" for i in range(7000))  # ~90 KiB of header
    values = ",".join("" for _ in range(7000))
    text = f"{filler},customer,date,amount\n"
    for row in GOOD.splitlines()[1:]:
        text += f"{values},{row}\n"
    assert run("cohort", write("wide.csv", text), *REVENUE).stdout == BASE


def test_utf8_character_split_at_the_sample_edge(run, write):
    head = "customer,date,amount\n"
    pad = "x" * (65536 - len(head) - 1)
    text = head + f"{pad}é,2024-01-05,10\n" + "b,2024-01-20,5\n"
    result = run("cohort", write("edge.csv", text), "--counts", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "cohort,customers,0\n2024-01,2,2\n"


@pytest.mark.parametrize("encoding", ["utf-16-be", "utf-16-le"])
def test_utf16_over_64k(run, write, encoding):
    rows = "".join(f"c{i:05d},2024-01-05,1\n" for i in range(5000))
    bom = "\ufeff"
    path = write("u16.csv", (bom + "customer,date,amount\n" + rows).encode(encoding))
    result = run("cohort", path, "--counts", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "cohort,customers,0\n2024-01,5000,5000\n"


def test_sums_never_wrap(run, write):
    path = write(
        "big.csv",
        "customer,date,amount\na,2024-01-05,500000000000000\nb,2024-01-06,500000000000000\n",
    )
    result = run("cohort", path, "--metric", "revenue", "--format", "csv")
    assert result.exit_code == 1
    assert "beyond what retain adds exactly" in result.stderr


def test_numeric_ids_over_decades_by_day(run, write):
    path = write(
        "ids.csv",
        "customer,date\n123456789012345,1990-01-01\n100000000000001,2020-01-01\n123456789012345,2024-05-05\n",
    )
    result = run("cohort", path, "--period", "day", "--counts", "--format", "json")
    assert result.exit_code == 0, result.stderr
    cohorts = {c["cohort"]: c["customers"] for c in json.loads(result.stdout)["cohorts"]}
    assert cohorts == {"1990-01-01": 1, "2020-01-01": 1}


def test_bad_row_on_stdin_is_reported_as_that_row(run):
    result = run("cohort", "-", input="customer,date,amount\na,2024-01-05,10\nb,2099-01-01,5\n")
    assert result.exit_code == 1
    assert (
        "<stdin>: 1 row has a date after today in column 'date' (line 3: '2099-01-01')"
        in result.stderr
    )


def _retain(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "retain", *args], capture_output=True, text=True,
                          timeout=120, **kwargs)  # fmt: skip


def test_pipes_are_read_once(tmp_path):
    fifo = tmp_path / "orders.fifo"
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "w") as out:
            out.write(GOOD)

    writer = threading.Thread(target=feed)
    writer.start()
    result = _retain("cohort", str(fifo), *REVENUE)
    writer.join()
    assert result.returncode == 0, result.stderr
    assert result.stdout == BASE
    stdin = _retain("cohort", "/dev/stdin", *REVENUE, input=GOOD)
    assert stdin.returncode == 0, stdin.stderr
    assert stdin.stdout == BASE


def test_process_substitution(tmp_path):
    source = tmp_path / "o.csv"
    source.write_text(GOOD)
    script = f"{sys.executable} -m retain cohort <(cat {source}) --metric revenue --format csv"
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == BASE


@pytest.mark.parametrize(
    "suffix, compress, kind",
    [(".gz", gzip.compress, "gzip"), (".bz2", bz2.compress, "bzip2"), (".xz", lzma.compress, "xz")],
)
def test_truncated_archives(run, write, suffix, compress, kind):
    data = compress((GOOD * 200).encode())
    path = write("o.csv" + suffix, data[: len(data) // 2])
    result = run("cohort", path)
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith(
        f"retain: error: {path}: is not a complete {kind} file (truncated or corrupt: "
    )
    assert line.endswith("); copy or export it again")


def test_corrupt_zip(run, write, tmp_path):
    archive = tmp_path / "o.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("o.csv", GOOD * 50)
    data = archive.read_bytes()
    path = write("broken.zip", data[: len(data) - 30])
    result = run("cohort", path)
    assert result.exit_code == 1
    assert "is not a complete zip file (truncated or corrupt: " in result.stderr


def test_dedupe_compares_columns_with_empty_names(run, write):
    path = write(
        "d.csv",
        "customer,date,amount,\na,2024-01-05,10,x\na,2024-01-05,10,y\na,2024-01-05,10,x\n",
    )
    result = run("cohort", path, "--dedupe", "--metric", "revenue", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "cohort,customers,0\n2024-01,1,20.00\n"
