"""Row selection and net amounts (METRICS.md, Input): --where, --refunded, status columns,
currencies, email ids, placeholder dates, --since/--until, overlapping inputs."""

import json

import pytest

HEAD = "cohort,customers,0,1\n"
PAYMENTS = """\
    customer,date,amount,status,channel
    a,2024-01-05,10,Paid,web
    b,2024-01-20,5,Failed,web
    b,2024-02-03,7,Paid,shop
    a,2024-02-10,20,Paid,shop
    c,2024-02-11,3,  Pending ,web
"""


@pytest.mark.parametrize(
    "where, revenue, filtered",
    [
        # b's failed January payment is no purchase: b's cohort is February
        (["Status=Paid"], HEAD + "2024-01,1,10.00,20.00\n2024-02,1,7.00,\n", 2),
        # repeated = on one column: any of the values; values are trimmed
        (["status=Paid", "status=Pending"], HEAD + "2024-01,1,10.00,20.00\n2024-02,2,10.00,\n", 1),
        # repeated != : none of them
        (["status!=Failed", "status!=Pending"], HEAD + "2024-01,1,10.00,20.00\n2024-02,1,7.00,\n", 2),
        # different columns combine with AND; any column of the file may be named
        (["status=Paid", "channel=shop"], "cohort,customers,0\n2024-02,2,27.00\n", 3),
        (["channel~^sh"], "cohort,customers,0\n2024-02,2,27.00\n", 3),
    ],
)  # fmt: skip
def test_where(run, write, where, revenue, filtered):
    path = write("payments.csv", PAYMENTS)
    args = [a for w in where for a in ("--where", w)]
    result = run("cohort", path, "--metric", "revenue", "--format", "csv", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == revenue
    assert result.stderr == (
        f"retain: skipped {filtered} of 5 rows: {filtered} with a status or value left out by "
        "--where, --start-where/--return-where or the export layout\n"
    )


def test_where_is_a_usage_error_when_malformed(run, write):
    result = run("cohort", write("p.csv", PAYMENTS), "--where", "status")
    assert result.exit_code == 2
    assert "'status' is not COL=VALUE, COL!=VALUE or COL~REGEX" in result.stderr


def test_where_unknown_column(run, write):
    result = run("cohort", write("p.csv", PAYMENTS), "--where", "state=Paid")
    assert result.exit_code == 1
    assert result.stderr.startswith("retain: error: ")
    assert "no column 'state' for --where" in result.stderr


def test_status_column_warning(run, write):
    result = run("cohort", write("p.csv", PAYMENTS), "--format", "csv")
    assert result.exit_code == 0
    assert result.stderr == (
        "retain: warning: column 'status' holds Paid (3), Failed (1), Pending (1): rows of every "
        "status count as orders; to keep completed orders pass --where 'status=Paid'\n"
    )
    quiet = run("cohort", write("p.csv", PAYMENTS), "--where", "status!=Failed", "--format", "csv")
    assert "warning" not in quiet.stderr


@pytest.mark.parametrize(
    "statuses, advice",
    [
        # no value looks completed: exclude those that look failed
        ("ok,ok,failed,cancelled", "to keep completed orders pass --where 'state!=cancelled' --where 'state!=failed'"),
        # refunded orders are orders: kept beside the completed ones, and named apart
        ("completed,refunded,failed", "to keep completed orders pass --where 'state=completed' --where 'state=refunded'; refunded orders still count as activity: net their amounts with --refunded COLUMN"),
        ("completed,refunded", "refunded orders still count as activity: net their amounts with --refunded COLUMN"),
    ],
)  # fmt: skip
def test_status_warning_advice(run, write, statuses, advice):
    rows = "".join(f"c{i},2024-01-0{i + 1},{s}\n" for i, s in enumerate(statuses.split(",")))
    result = run("cohort", write("s.csv", "customer,date,state\n" + rows), "--format", "csv")
    assert result.exit_code == 0
    assert result.stderr.startswith("retain: warning: column 'state' holds ")
    assert result.stderr.rstrip("\n").endswith(advice)


def test_refunded_nets_and_full_refund_is_still_activity(run, write):
    path = write(
        "r.csv",
        """\
        customer,date,amount,refunded
        a,2024-01-05,10,0
        b,2024-01-20,5,
        a,2024-02-10,20,20
        b,2024-02-11,8,3.5
        """,
    )
    revenue = run(
        "cohort", path, "--refunded", "refunded", "--metric", "revenue", "--format", "csv"
    )
    assert revenue.stdout == HEAD + "2024-01,2,15.00,4.50\n"
    counts = run("cohort", path, "--refunded", "refunded", "--counts", "--format", "csv")
    assert counts.stdout == HEAD + "2024-01,2,2,2\n"  # a's refunded order still counts


CURRENCIES = """\
    customer,date,amount
    a,2024-01-05,$10.00
    b,2024-01-20,12 EUR
    c,2024-01-21,€3
    a,2024-02-10,$20
    b,2024-02-11,8.00
"""


def test_currency_marks_refused(run, write):
    result = run("cohort", write("c.csv", CURRENCIES))
    assert result.exit_code == 1
    assert result.stderr == (
        "retain: error: the amounts are in 2 currencies: $ (2 rows), EUR (2 rows); amounts in "
        "different currencies cannot be added: pass --currency CODE to keep one (the others are "
        "skipped and counted), or --amount with a column converted to one currency\n"
    )


@pytest.mark.parametrize("code", ["eur", "EUR", "€"])
def test_currency_keeps_one(run, write, code):
    result = run("cohort", write("c.csv", CURRENCIES), "--currency", code, "--metric", "revenue",
                 "--format", "json")  # fmt: skip
    document = json.loads(result.stdout)
    assert document["currency"] == "EUR"
    assert document["rows"]["skipped"] == {"other_currency": 2}
    # unmarked rows are kept; b: 12 in January, 8 in February; c: 3
    assert [c["values"] for c in document["cohorts"]] == [[15.0, 8.0]]


def test_dollar_keeps_usd(run, write):
    result = run("cohort", write("c.csv", CURRENCIES), "--currency", "usd", "--format", "json")
    assert json.loads(result.stdout)["currency"] == "USD"


def test_currency_column_pairs_with_amount(run, write):
    path = write(
        "p.csv",
        """\
        customer,date,Amount,Currency,Converted Amount,Converted Currency
        a,2024-01-05,10,eur,11.00,usd
        b,2024-01-20,5,gbp,6.50,usd
        """,
    )
    refused = run("cohort", path)
    assert refused.exit_code == 1 and "2 currencies: EUR (1 row), GBP (1 row)" in refused.stderr
    ok = run("cohort", path, "--amount", "Converted Amount", "--format", "json")
    assert ok.exit_code == 0, ok.stderr
    assert json.loads(ok.stdout)["currency"] == "USD"
    named = run("cohort", path, "--currency-column", "Converted Currency", "--format", "json")
    assert named.exit_code == 0 and json.loads(named.stdout)["currency"] == "USD"


def test_email_ids_lower_cased(run, write):
    path = write(
        "e.csv",
        """\
        email,date,amount
        Ann@Example.com,2024-01-05,10
        ann@example.com,2024-02-05,10
        BOB,2024-01-06,1
        bob,2024-02-06,1
        """,
    )
    result = run("cohort", path, "--counts", "--format", "csv")
    # emails compare lower-cased; other ids as written
    assert result.stdout == HEAD + "2024-01,2,2,1\n2024-02,1,1,\n"
    strict = run("cohort", path, "--counts", "--format", "csv", "--case-sensitive-ids")
    assert strict.stdout == HEAD + "2024-01,2,2,0\n2024-02,2,2,\n"


def test_placeholder_dates(run, write):
    path = write(
        "p.csv",
        """\
        customer,date,amount
        a,2024-01-05,10
        b,1900-01-01,5
        c,1970-01-01 00:00:00,5
        a,2024-02-10,20
        """,
    )
    failed = run("cohort", path)
    assert failed.exit_code == 1
    assert failed.stderr.startswith(
        f"retain: error: {path}: 2 rows have a placeholder date (1900-01-01, 1970-01-01, "
        "9999-12-31, ...) in column 'date' (line 3: '1900-01-01'; line 4: '1970-01-01 00:00:00')"
    )
    skipped = run("cohort", path, "--on-bad-rows", "skip", "--counts", "--format", "csv")
    assert skipped.stdout == HEAD + "2024-01,1,1,1\n"


WINDOW = """\
    customer,date
    a,2024-01-05
    a,2024-03-05
    b,2024-02-10
    c,2024-03-01
    b,2024-04-02
"""


def test_since_keeps_returning_customers_out_of_new_cohorts(run, write):
    result = run("cohort", write("w.csv", WINDOW), "--since", "2024-02-01", "--counts",
                 "--format", "json")  # fmt: skip
    document = json.loads(result.stdout)
    # a first bought in January: in March a returns, and is not new
    assert [(c["cohort"], c["customers"], c["values"]) for c in document["cohorts"]] == [
        ("2024-02", 1, [1, 0, 1]),
        ("2024-03", 1, [1, 0, None]),
    ]
    assert document["customers_before_since"] == 1
    assert document["rows"]["skipped"] == {}


def test_since_mid_period_starts_at_the_next_period(run, write):
    result = run(
        "cohort", write("w.csv", WINDOW), "--since", "2024-02-15", "--counts", "--format", "csv"
    )
    assert result.stdout == "cohort,customers,0,1\n2024-03,1,1,0\n"


def test_until_ends_the_data(run, write):
    result = run("cohort", write("w.csv", WINDOW), "--until", "2024-03-01", "--counts",
                 "--format", "json")  # fmt: skip
    document = json.loads(result.stdout)
    assert document["as_of"] == "2024-03-01"
    assert document["rows"]["skipped"] == {"outside_window": 2}


def test_overlapping_inputs_warn(run, write):
    a = write("a.csv", "customer,date,amount\na,2024-01-05,10\nb,2024-01-20,5\n")
    b = write("b.csv", "customer,date,amount\nb,2024-01-20,5\nc,2024-02-01,1\n")
    result = run("cohort", b, a, "--format", "csv")
    assert result.exit_code == 0
    assert result.stderr == (
        f"retain: warning: {a} and {b} share 1 rows (same customer, time and amount); if the "
        "exports overlap, pass --dedupe to count each row once\n"
    )
    twice = run("cohort", a, a, "--format", "csv")
    assert "share 2 rows (same customer, time and amount) (the same file twice)" in twice.stderr
    deduped = run("cohort", a, b, "--dedupe", "--format", "csv")
    assert "warning" not in deduped.stderr


def test_chinese_headers_and_fullwidth_yen(run, write):
    path = write(
        "cn.csv",
        """\
        用户ID,下单时间,实付金额
        u1,2024-01-05 10:00:00,￥10.00
        u2,2024-01-06 11:00:00,￥5.50
        u1,2024-02-01 09:00:00,￥1.00
        """,
    )
    result = run("cohort", path, "--metric", "revenue", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["files"][0]["columns"] == {
        "customer": "用户ID",
        "date": "下单时间",
        "amount": "实付金额",
    }
    assert document["cohorts"][0]["values"] == [15.5, 1.0]
    assert document["currency"] == "¥"


def test_cohort_json_says_duplicates_were_not_looked_for(run, write):
    path = write("o.csv", "customer,date\na,2024-01-05\na,2024-01-05\n")
    plain = json.loads(run("cohort", path, "--format", "json").stdout)
    assert plain["files"][0]["read_as"]["exact_duplicates"] is None
    deduped = json.loads(run("cohort", path, "--dedupe", "--format", "json").stdout)
    assert deduped["files"][0]["read_as"]["exact_duplicates"] == 1


def test_python_api_takes_every_selection_option(run, write):
    import pandas as pd

    import retain

    text = "customer,date,amount,refunded,status\na,2024-01-05,10,0,Paid\nb,2024-01-20,5,5,Paid\nb,2024-02-03,7,0,Failed\na,2024-02-10,$20,0,Paid\n"
    path = write("api.csv", text)
    options = ["--where", "status!=Failed", "--refunded", "refunded", "--currency", "USD"]
    cli = run("cohort", path, *options, "--metric", "revenue", "--format", "json")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    matrix = retain.cohort_matrix(
        frame, metric="revenue", where=["status!=Failed"], refunded="refunded", currency="USD"
    )
    document = json.loads(cli.stdout)
    assert [c["values"] for c in document["cohorts"]] == matrix.drop(
        columns="customers"
    ).values.tolist()
    assert matrix.attrs["currency"] == "USD"
    with pytest.raises(TypeError, match="unknown option 'wher'"):
        retain.cohort_matrix(frame, wher=["x=1"])


def test_where_on_a_column_read_as_numbers(run):
    # amounts are read as numbers: the condition compares their text (0.0 reads "0")
    result = run("cohort", "examples/orders.csv", "--where", "amount!=0", "--max-offset", "1",
                 "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("cohort,customers,0,1\n2024-01,150,")


@pytest.mark.parametrize("chunksize", [1, 2, 100])
def test_conditions_compare_the_date_and_amount_as_written(run, write, chunksize):
    # the reader types plain dates and amounts, but not the columns a condition reads: 12.50
    # stays "12.50" (a float would read "12.5") in every batch, whatever its other rows
    path = write(
        "w.csv",
        """\
        customer,date,amount
        a,2024-01-05,12.50
        a,2024-02-05,7.00
        b,2024-01-06,12.50
        b,2024-03-06,3
        c,2024-02-01,12.50
        """,
    )
    result = run("cohort", path, "--where", "amount=12.50", "--where", "date!=2024-02-01",
                 "--format", "csv", "--chunksize", chunksize)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "cohort,customers,0\n2024-01,2,1.000000\n"  # a and b in January
    assert result.stderr == (
        "retain: skipped 3 of 5 rows: 3 with a status or value left out by --where, "
        "--start-where/--return-where or the export layout\n"
    )
