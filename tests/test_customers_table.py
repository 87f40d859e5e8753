"""--customers FILE: a customers table (id, signup date, attributes) joined on the customer id
(METRICS.md, Cohorts): its customers alone, those without transactions counted in their
cohort's size; transactions of customers missing from it counted and reported."""

import retain

CUSTOMERS = """customer_id,signed_up,plan
a,2024-01-03,pro
b,2024-01-20,free
c,2024-02-02,pro
e,,free
"""
ORDERS = """customer_id,date,amount
a,2024-01-05,10
a,2024-03-01,5
b,2024-02-10,7
d,2024-01-09,9
d,2024-02-09,9
e,2024-02-15,4
e,2024-03-15,4
"""


def test_customers_table_by_hand(run, write):
    """a and b signed up in January (a active in January and March, b in February); c signed
    up in February and never ordered (still in February's size); e has no signup: the cohort
    of its first order (February); d is not in the table: left out and reported."""
    table, orders = write("customers.csv", CUSTOMERS), write("orders.csv", ORDERS)
    args = ["--customers", table, "--signup", "signed_up", "--counts", "--as-of", "2024-03-31",
            "--format", "csv"]  # fmt: skip
    result = run("cohort", orders, *args)
    assert result.stdout == "cohort,customers,0,1,2\n2024-01,2,1,1,1\n2024-02,2,1,1,\n"
    assert result.stderr == (
        "retain: warning: the newest row is from 2024-03-15, 16 days before the as-of date "
        "2024-03-31: the periods after it count as observed with no activity; pass an earlier "
        "--as-of, or check that the export is complete\n"
        "retain: left out 1 customer with transactions (2 active periods) not in the customers "
        f"table {table}\n"
    )
    by_plan = run("cohort", orders, *args, "--segment", "plan")
    assert by_plan.stdout == (
        "segment,cohort,customers,0,1,2\n"
        "free,2024-01,1,0,1,0\n"  # b
        "free,2024-02,1,1,1,\n"  # e
        "pro,2024-01,1,1,0,1\n"  # a
        "pro,2024-02,1,0,0,\n"  # c, who never ordered
    )
    for size in ("1", "3"):  # batches and spilling change nothing
        again = run("cohort", orders, *args, "--segment", "plan", "--chunksize", size,
                    "--memory-limit", "0")  # fmt: skip
        assert again.stdout == by_plan.stdout


def test_customers_table_through_the_api(write):
    import pandas as pd

    table = write("customers.csv", CUSTOMERS)
    frame = pd.read_csv(write("orders.csv", ORDERS), dtype=str)
    matrix = retain.cohort_matrix(frame, customers=str(table), signup="signed_up", counts=True,
                                  as_of="2024-03-31")  # fmt: skip
    assert matrix["customers"].tolist() == [2, 2]


def test_a_segment_must_be_an_attribute_of_the_table(run, write):
    table, orders = write("customers.csv", CUSTOMERS), write("orders.csv", ORDERS)
    result = run("cohort", orders, "--customers", table, "--segment", "amount")
    assert result.exit_code == 1
    assert "with --customers, a segment is an attribute of the customers table" in result.stderr


def test_customers_table_errors_and_counts(run, write):
    table, orders = write("customers.csv", CUSTOMERS), write("orders.csv", ORDERS)
    missing = run("cohort", orders, "--customers", table, "--signup", "signup_date")
    assert missing.exit_code == 1
    assert "no column 'signup_date' for --signup, in the customers table or the transactions" in (
        missing.stderr
    )
    relative = run("cohort", orders, "--customers", table, "--offsets", "relative")
    assert relative.exit_code == 2
    # c never ordered and has no cohort without --signup: a listed customer, not refund-only
    notes = run("cohort", orders, "--customers", table, "--as-of", "2024-03-31").stdout
    assert "1 listed customer with neither a signup date nor activity: no cohort" in notes
    assert "only refunds" not in notes


def test_a_customer_listed_twice_takes_the_first_row(run, write):
    table = write("customers.csv", "customer_id,signed_up,plan\na,2024-01-03,pro\n"
                                   "a,2024-02-01,free\n")  # fmt: skip
    orders = write("orders.csv", "customer_id,date,amount\na,2024-02-05,3\n")
    result = run("cohort", orders, "--customers", table, "--signup", "signed_up", "--segment",
                 "plan", "--counts", "--as-of", "2024-02-29", "--format", "csv")  # fmt: skip
    assert result.stdout == "segment,cohort,customers,0,1\npro,2024-01,1,0,1\n"


def test_inspect_reads_the_transactions_alone(run, write):
    table, orders = write("customers.csv", CUSTOMERS), write("orders.csv", ORDERS)
    result = run("inspect", orders, "--customers", table, "--segment", "plan")
    assert result.exit_code == 0, result.stderr
