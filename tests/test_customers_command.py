"""retain customers: one row per customer with status by the last active period, and the
drill-down behind each cell of the cohort matrix."""

import datetime as dt

import pandas as pd
import pytest
from test_views import FRAME, ROWS

import retain
from retain.pipeline import Settings, cohorts_of, customers_list, frame_activity


def test_statuses_and_figures_by_hand():
    """As of 2024-04-30 (April): a last active in March after a gap in February: reactivated;
    b last active in February: lapsed (2 months); c in January: churned (3); d in April after
    a gap in March: reactivated; e in February: lapsed."""
    table = retain.customers(FRAME, as_of="2024-04-30")
    assert table["customer"].tolist() == ["a", "b", "c", "d", "e"]
    assert table["status"].tolist() == ["reactivated", "lapsed", "churned", "reactivated", "lapsed"]
    assert table["days_since_last"].tolist() == [41, 79, 108, 21, 70]  # b: Feb 11, its refund no
    assert table["revenue"].tolist() == [20.0, 25.0, 2.0, 40.0, 8.0]
    assert table["refunds"].tolist() == [0.0, -5.0, 0.0, 0.0, 0.0]
    assert table["orders"].tolist() == [3, 2, 2, 2, 1]
    four = retain.customers(FRAME, as_of="2024-04-30", churn_after=4)
    assert four.loc[2, "status"] == "lapsed"  # c: 3 months, under 4
    top = retain.customers(FRAME, as_of="2024-04-30", sort="revenue", top=2)
    assert top["customer"].tolist() == ["d", "b"]
    lapsed = retain.customers(FRAME, as_of="2024-04-30", status="lapsed")
    assert lapsed["customer"].tolist() == ["b", "e"]


@pytest.mark.parametrize("rolling", [False, True])
def test_drill_down_counts_equal_every_cell(rolling):
    """The customers behind each cell of the matrix are exactly as many as the cell counts."""
    frame = pd.read_csv("examples/orders.csv", dtype=str)
    options = Settings(as_of=dt.date(2024, 6, 30), gross=True, times=True)
    activity = frame_activity(frame, options)
    matrix = cohorts_of(activity, options, counts=True, rolling=rolling)[0].table
    for label, row in matrix.iterrows():
        for k in [c for c in matrix.columns if c != "customers"]:
            if pd.isna(row[k]):
                continue
            behind = customers_list(activity, options, cohort=label, offset=k, rolling=rolling)
            assert len(behind) == row[k], (label, k)


def test_customers_command_formats_and_safety(run, write):
    rows = "".join(f"{c},{d},{a}\n" for c, d, a in ROWS) + "=cmd(),2024-01-03,5\n"
    path = write("o.csv", "customer,date,amount\n" + rows)
    csv = run("customers", path, "--as-of", "2024-04-30", "--format", "csv")
    assert csv.exit_code == 0, csv.stderr
    assert "'=cmd()," in csv.stdout  # a formula is made inert
    cell = run("customers", path, "--as-of", "2024-04-30", "--cohort", "2024-01", "--offset",
               "1", "--format", "csv")  # fmt: skip
    assert [line.split(",")[0] for line in cell.stdout.splitlines()[1:]] == ["b"]
    usage = run("customers", path, "--offset", "1")
    assert usage.exit_code == 2 and "--offset and --rolling go with --cohort" in usage.stderr


def test_api_refuses_what_the_command_refuses():
    with pytest.raises(retain.RetainError, match="an offset"):
        retain.customers(FRAME, offset=3)
    with pytest.raises(retain.RetainError, match="unknown status 'foo'"):
        retain.customers(FRAME, status="foo")
