"""retain summary: the calendar-period figures of METRICS.md, by hand on a small fixture with new,
retained, reactivated and churned customers, an expansion, a contraction and a refund in an
inactive period; the revenue identity on every period of random data."""

import io

import numpy as np
import pandas as pd
from hypothesis import given, settings
from test_properties import PERIODS, tables
from test_views import ROWS

HEADER = (
    "period,active,new,retained,reactivated,churned,retention_rate,churn_rate,revenue,"
    "inactive_refunds,new_revenue,expansion,contraction,churned_revenue,reactivation_revenue,"
    "grr,nrr,arpc,ltv,aov"
)
# f: 10 in January, 30 in February (an expansion of 20), then only a refund of 4 in March (an
# inactive period: inactive_refunds, and f churns)
EXTRA = [("f", "2024-01-02", 10.0), ("f", "2024-02-03", 30.0), ("f", "2024-03-05", -4.0)]


def test_summary_by_hand(run, write):
    rows = "".join(f"{c},{d},{a}\n" for c, d, a in ROWS + EXTRA)
    path = write("o.csv", "customer,date,amount\n" + rows)
    result = run("summary", path, "--as-of", "2024-04-30", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == HEADER + "\n" + (
        # January: a 10, b 20, c 1 + 1, f 10; 5 orders worth 42
        "2024-01,4,4,,,,,,42.00,0.00,42.00,,,,,,,10.50,,8.40\n"  # no January movements
        # February: b (20 -> 5: contraction 15) and f (10 -> 30: expansion 20) stay, d and e
        # are new, a and c churn (12); GRR (42 - 15 - 12) / 42, NRR (42 + 20 - 27) / 42
        "2024-02,4,2,2,0,2,0.500000,0.500000,73.00,0.00,38.00,20.00,15.00,12.00,0.00,"
        "0.357143,0.833333,18.25,36.50,19.50\n"
        # March: a comes back (reactivated), b, d, e, f churn (73); f's refund is inactive
        "2024-03,1,0,0,1,4,0.000000,1.000000,10.00,-4.00,0.00,0.00,0.00,73.00,10.00,"
        "0.000000,0.000000,10.00,10.00,5.00\n"
        "2024-04,1,0,0,1,1,0.000000,1.000000,10.00,0.00,0.00,0.00,0.00,10.00,10.00,"
        "0.000000,0.000000,10.00,10.00,10.00\n"
    )
    table = run("summary", path, "--as-of", "2024-04-15").stdout
    assert table.startswith("2024-03 (the last complete period)\n  customers")  # April partial
    assert "2024-04*" in table and "projected LTV" in table
    import json

    document = json.loads(run("summary", path, "--format", "json", "--as-of", "2024-04-15").stdout)
    assert document["partial_period"] == "2024-04"
    assert [p["partial"] for p in document["periods"]] == [False, False, False, True]


def identity_holds(frame: pd.DataFrame) -> None:
    figures = frame.fillna(0)
    for before, now in zip(figures.iloc[:-1].itertuples(), figures.iloc[1:].itertuples(),
                           strict=True):  # fmt: skip
        moved = (before.revenue + now.new_revenue + now.expansion - now.contraction
                 - now.churned_revenue + now.reactivation_revenue)  # fmt: skip
        assert abs(moved - now.revenue) < 1e-6, now.period
        assert now.active == now.new + now.retained + now.reactivated
        assert before.active == now.retained + now.churned


@settings(max_examples=60, deadline=None)
@given(tables, PERIODS)
def test_revenue_identity_on_random_data(table, period):
    """METRICS.md: Rev_t = Rev_{t-1} + new + expansion - contraction - churned + reactivation,
    exactly, on every period; and the customer movements add up the same way."""
    from retain.pipeline import Settings, frame_activity, summary_of

    options = Settings(period=period, gross=True)
    figures = summary_of(frame_activity(table, options), options).figures[None]
    identity_holds(figures)
    assert (figures["grr"].dropna() <= 1 + 1e-12).all()  # GRR is never above 1


def test_identity_on_every_fixture(run):
    from test_exports import CASES, EXPORTS

    for name, (as_of, extra, _) in sorted(CASES.items()):
        result = run("summary", EXPORTS / name, "--as-of", as_of, *extra, "--format", "csv")
        assert result.exit_code == 0, (name, result.stderr)
        identity_holds(pd.read_csv(io.StringIO(result.stdout)))


def test_summary_segments_and_api(run, write):
    rows = "".join(f"{c},{d},{a},{'web' if c in 'abc' else 'app'}\n" for c, d, a in ROWS)
    path = write("o.csv", "customer,date,amount,channel\n" + rows)
    result = run("summary", path, "--segment", "channel", "--format", "csv", "--as-of",
                 "2024-04-30")  # fmt: skip
    lines = result.stdout.splitlines()
    assert lines[0] == "segment," + HEADER
    assert [line.split(",")[:2] for line in lines[1:]][:2] == [["app", "2024-02"],
                                                              ["app", "2024-03"]]  # fmt: skip
    assert np.all([line.count(",") == HEADER.count(",") + 1 for line in lines])


def test_api_gives_the_command_numbers(run, write):
    import retain

    rows = "".join(f"{c},{d},{a}\n" for c, d, a in ROWS + EXTRA)
    path = write("o.csv", "customer,date,amount\n" + rows)
    cli = pd.read_csv(io.StringIO(run("summary", path, "--as-of", "2024-04-30",
                                      "--format", "csv").stdout))  # fmt: skip
    frame = pd.DataFrame(ROWS + EXTRA, columns=["customer", "date", "amount"])
    api = retain.summary(frame, as_of="2024-04-30")
    assert list(api.columns) == list(cli.columns)
    pd.testing.assert_frame_equal(api.drop(columns="period"), cli.drop(columns="period"),
                                  check_dtype=False, atol=0.005)  # fmt: skip
    assert api.attrs["partial_period"] is None


def test_summary_without_amounts_and_drill_down_errors(run, write):
    rows = "".join(f"{c},{d}\n" for c, d, _ in ROWS)
    path = write("o.csv", "customer,date\n" + rows)
    result = run("summary", path, "--as-of", "2024-04-30", "--format", "csv")
    second = result.stdout.splitlines()[2].split(",")
    assert second[:8] == ["2024-02", "3", "2", "1", "0", "2", "0.333333", "0.666667"]
    assert set(second[8:]) == {""}  # no amounts: the revenue figures are unavailable, not 0
    table = run("summary", path, "--as-of", "2024-04-30").stdout
    assert "no amount column: the revenue figures are unavailable (empty)" in table
    wrong = run("customers", path, "--cohort", "2024Q1", "--offset", "0")
    assert wrong.exit_code == 1
    assert "no cohort '2024Q1': the cohorts run from 2024-01 to 2024-02 (by month)" in wrong.stderr
    late = run("customers", path, "--as-of", "2024-04-30", "--cohort", "2024-02", "--offset", "5")
    assert late.exit_code == 1 and "begins after the as-of date" in late.stderr
