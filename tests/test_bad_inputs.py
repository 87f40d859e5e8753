"""The bad-input corpus (tests/data/bad, made by its make.py): each file gives a correct result
with the skipped rows counted, or one clear line on stderr and exit 1. Never a traceback.

Most files are the same three orders in some disguise: a 10 on 2024-01-05, b 5 on 2024-01-20,
a 20 on 2024-02-10, so revenue by month is 2024-01: 2 customers, 15.00 then 20.00.
"""

import pathlib

import pytest

BAD = pathlib.Path(__file__).parent / "data" / "bad"
HEAD = "cohort,customers,0,1\n"
BASE = HEAD + "2024-01,2,15.00,20.00\n"
REVENUE = ["--metric", "revenue"]
SKIP = ["--on-bad-rows", "skip"]
RESULTS = [
    # file, arguments, stdout (CSV), stderr
    ("crlf.csv", REVENUE, BASE, ""),
    ("mixed_line_endings.csv", REVENUE, BASE, ""),
    ("utf16_bom.csv", REVENUE, BASE, ""),
    ("utf8_bom.csv", REVENUE, BASE, ""),
    ("very_wide.csv", REVENUE, BASE, ""),
    ("trailing_blank_lines.csv", REVENUE, BASE, ""),
    ("quoted_newlines.csv", REVENUE, BASE, ""),
    ("duplicate_unused_columns.csv", REVENUE, BASE, ""),
    ("header_variants.csv", REVENUE, BASE, ""),  # Customer ID, Order Date, Total
    ("parquet_named.csv", REVENUE, BASE, ""),  # Parquet bytes behind a .csv name
    # $1,234.56 + 12 EUR + ¥12 in January; (12.00) and -$3.50 in February: one currency at a time
    # (b's only purchase is in EUR, so b's -$3.50 refund has no cohort)
    ("currency_amounts.csv", [*REVENUE, "--currency", "usd"], HEAD + "2024-01,1,1234.56,-12.00\n",
     "retain: skipped 2 of 5 rows: 2 with another currency than --currency\n"),
    ("decimal_comma.csv", [*REVENUE, "--decimal", ","], HEAD + "2024-01,2,1240.06,20.00\n", ""),
    ("gbk.csv", [*REVENUE, "--encoding", "gb18030", "--customer", "客户编号", "--date", "下单日期", "--amount", "金额"], BASE, ""),
    ("gbk.csv", REVENUE, BASE, ""),  # detected: GB18030, Chinese headers
    ("cp1252.csv", [*REVENUE, "--encoding", "cp1252"], "cohort,customers,0\n2024-01,1,10.00\n", ""),
    ("cp1252.csv", REVENUE, "cohort,customers,0\n2024-01,1,10.00\n", ""),
    ("single_row.csv", REVENUE, "cohort,customers,0\n2024-01,1,10.00\n", ""),
    ("single_customer.csv", REVENUE, "cohort,customers,0,1,2\n2024-01,1,10.00,0.00,11.00\n", ""),
    ("one_cohort.csv", [], HEAD + "2024-01,3,1.000000,0.333333\n", ""),
    # 00012, 12 and 0012 are three customers
    ("leading_zero_ids.csv", ["--counts"], HEAD + "2024-01,2,2,0\n2024-02,1,1,\n", ""),
    ("whitespace_ids.csv", ["--counts"], HEAD + "2024-01,1,1,1\n", ""),  # ' a ' is 'a'
    # in UTC: a 03-02 04:30, b 03-01 23:00, c 03-01 12:00
    ("mixed_tz_offsets.csv", ["--counts", "--period", "day"], HEAD + "2024-03-01,2,2,0\n2024-03-02,1,1,\n", ""),
    ("mixed_tz_offsets.csv", ["--counts", "--period", "day", "--tz", "America/New_York"], "cohort,customers,0\n2024-03-01,3,3\n", ""),
    ("us_dates_with_time.csv", [], HEAD + "2024-01,2,1.000000,0.500000\n", ""),
    ("dayfirst_needed.csv", ["--dayfirst"], "cohort,customers,0\n2024-03,2,1.000000\n", ""),
    ("dayfirst_needed.csv", [], "cohort,customers,0\n2024-03,2,1.000000\n", ""),  # 25/03 says day-first
    ("exact_duplicates.csv", REVENUE, HEAD + "2024-01,1,30.00,0.00\n2024-02,1,5.00,\n", ""),
    ("exact_duplicates.csv", [*REVENUE, "--dedupe"], HEAD + "2024-01,1,20.00,0.00\n2024-02,1,5.00,\n",
     "retain: skipped 1 of 4 rows: 1 with an exact duplicate of an earlier row (--dedupe)\n"),
    ("ragged_rows.csv", [*REVENUE, *SKIP], BASE,
     "retain: skipped 2 of 5 rows: 2 with a wrong number of fields\n"),
    ("mixed_date_formats.csv", [*REVENUE, *SKIP], BASE + "2024-02,1,1.00,\n",
     "retain: skipped 2 of 6 rows: 2 with a missing or unparseable date\n"),
    ("dates_1900_9999.csv", [*REVENUE, *SKIP], BASE,
     "retain: skipped 2 of 5 rows: 2 with a placeholder date (1900-01-01, 1970-01-01, 9999-12-31, ...)\n"),
    ("future_dates.csv", [*REVENUE, "--as-of", "2024-02-29"], BASE,
     "retain: skipped 1 of 4 rows: 1 with a date after --as-of\n"),
    ("nan_inf_empty_amounts.csv", [*REVENUE, *SKIP], BASE,
     "retain: skipped 3 of 6 rows: 3 with a missing, unparseable or out-of-range amount\n"),
    ("huge_amounts.csv", [*REVENUE, *SKIP], BASE + "2024-02,1,123456789012.34,\n",
     "retain: skipped 1 of 5 rows: 1 with a missing, unparseable or out-of-range amount\n"),
    ("empty_customer_ids.csv", [*REVENUE, *SKIP], BASE,
     "retain: skipped 2 of 5 rows: 2 with an empty customer id\n"),
]  # fmt: skip

ERRORS = [
    ("empty.csv", [], "{path}: the file is empty; export the transactions with a header row"),
    ("blank_lines_only.csv", [], "{path}: the file is empty; export the transactions with a header row"),
    ("header_only.csv", [], "{path}: has a header but no data rows"),
    ("nul_bytes.csv", [], "{path}: holds binary data (NUL bytes), not delimited text; export it as CSV, or pass --encoding utf-16 if it is UTF-16 text"),
    ("random_binary.csv", [], "{path}: holds binary data (NUL bytes), not delimited text; export it as CSV, or pass --encoding utf-16 if it is UTF-16 text"),
    ("excel_named.csv", [], "{path}: is an Excel workbook or zip archive, not text; save it as CSV"),
    ("old_excel_named.csv", [], "{path}: is an old Excel (.xls) workbook, not text; save it as CSV"),
    ("mixed_delimiter.csv", [], "{path}: 2 rows without the header's 3 fields ('a;2024-01-05;10'; 'b;2024-01-20;5'); check the delimiter (',') and quoting, or pass --on-bad-rows skip to skip and count them"),
    ("ragged_rows.csv", [], "{path}: 2 rows without the header's 3 fields ('c,2024-02-11,7,extra'; 'd,2024-02-12'); check the delimiter (',') and quoting, or pass --on-bad-rows skip to skip and count them"),
    ("duplicate_columns.csv", [], "{path}: the header names 'date' twice; rename one of them"),
    ("no_customer_column.csv", [], "{path}: cannot tell which column holds the customer; its columns are 'who', 'date', 'amount'; pass --customer COLUMN"),
    ("no_date_column.csv", [], "{path}: cannot tell which column holds the date; its columns are 'customer', 'when', 'amount'; pass --date COLUMN"),
    ("single_column.csv", [], "{path}: cannot tell which column holds the date; its columns are 'customer'; pass --date COLUMN"),
    ("all_dates_bad.csv", [], "{path}: cannot recognise the dates in column 'date' (line 2: 'soon'); no one date shape fits most of the 3 values (3 of no known shape, such as 'later'); pass --date-format, for example %d.%m.%Y"),
    ("mixed_date_formats.csv", [], "{path}: 2 rows have a missing or unparseable date in column 'date' (line 5: '02/11/2024'; line 7: 'Feb 13 2024'); fix them, or pass --on-bad-rows skip to skip and count them"),
    ("dates_1900_9999.csv", [], "{path}: 2 rows have a placeholder date (1900-01-01, 1970-01-01, 9999-12-31, ...) in column 'date' (line 5: '1900-01-01'; line 6: '9999-12-31'); fix them, or pass --on-bad-rows skip to skip and count them"),
    ("currency_amounts.csv", [], "the amounts are in 3 currencies: $ (2 rows), EUR (1 row), ¥ (1 row); amounts in different currencies cannot be added: pass --currency CODE to keep one (the others are skipped and counted), or --amount with a column converted to one currency"),
    ("future_dates.csv", [], "{path}: 1 row has a date after today in column 'date' (line 5: '2099-01-01'); pass --as-of or --until to cut the data there, or --on-bad-rows skip"),
    ("nan_inf_empty_amounts.csv", [], "{path}: 3 rows have a missing, unparseable or out-of-range amount in column 'amount' (line 5: 'NaN'; line 6: 'inf'; line 7: ''); fix them, or pass --on-bad-rows skip to skip and count them"),
    ("huge_amounts.csv", [], "{path}: 1 row has a missing, unparseable or out-of-range amount in column 'amount' (line 5: '1e300'); fix them, or pass --on-bad-rows skip to skip and count them"),
    ("decimal_comma.csv", [], "{path}: 3 rows have a missing, unparseable or out-of-range amount in column 'amount' (line 2: '1.234,56'; line 3: '5,50'; line 4: '20,00'); they look like decimal commas: pass --decimal ,"),
    ("empty_customer_ids.csv", [], "{path}: 2 rows have an empty customer id in column 'customer' (line 5: ''; line 6: '  '); fix them, or pass --on-bad-rows skip to skip and count them"),
    ("only_refunds.csv", [], "no customer has an order (a row with an amount of 0 or more) by the as-of date, so there is no cohort to show"),
    ("one_cohort.csv", ["--metric", "revenue"], "--metric revenue needs an amount column; pass --amount COLUMN (none of the file's columns looks like one)"),
]  # fmt: skip


@pytest.mark.parametrize("name, args, stdout, stderr", RESULTS)
def test_results(run, name, args, stdout, stderr):
    result = run("cohort", BAD / name, "--format", "csv", *args)
    assert (result.exit_code, result.stderr) == (0, stderr)
    assert result.stdout == stdout


@pytest.mark.parametrize("name, args, message", ERRORS)
def test_errors(run, name, args, message):
    path = BAD / name
    result = run("cohort", path, *args)
    assert result.exit_code == 1
    assert result.stderr == f"retain: error: {message.format(path=path)}\n"
    assert result.stdout == ""


def test_placeholder_dates_never_open_a_cohort(run):
    # 1900-01-01 and 9999-12-31 are placeholders: one stray row must not open a cohort in 1900
    result = run("cohort", BAD / "dates_1900_9999.csv", "--on-bad-rows", "skip", "--format", "csv",
                 "--counts")  # fmt: skip
    assert result.stdout == "cohort,customers,0,1\n2024-01,2,2,1\n"


def test_corpus_is_large_and_every_file_is_covered():
    files = {p.name for p in BAD.glob("*.csv")}
    covered = {case[0] for case in RESULTS + ERRORS}
    assert len(files) >= 30
    assert files <= covered | {"utf8_bom.csv"}, files - covered


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.glob("*.csv")))
def test_inspect_never_fails_on_a_readable_file(run, name):
    result = run("inspect", BAD / name)
    assert result.exit_code in (0, 1)
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    if result.exit_code == 1:
        assert len(result.stderr.splitlines()) == 1
