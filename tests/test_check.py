"""retain check: thresholds for CI and cron; exit 0 when all hold, 3 when any fails."""

import io

import pandas as pd
import pytest

EXAMPLE = "examples/orders.csv"


def test_retention_is_the_weighted_average_of_complete_cells(run):
    counts = pd.read_csv(io.StringIO(run("cohort", EXAMPLE, "--counts", "--format", "csv").stdout),
                         index_col="cohort")  # fmt: skip
    complete = counts[counts["2"].notna()]  # offset 1 complete: offset 2 begun by the as-of
    last3 = complete.iloc[-3:]
    expected = last3["1"].sum() / last3["customers"].sum()
    result = run("check", EXAMPLE, "--min-retention", f"{expected - 0.0001:.6f}", "--at", "1",
                 "--cohorts", "last:3")  # fmt: skip
    assert result.exit_code == 0, result.stdout
    assert f"{expected:.1%}" in result.stdout and result.stdout.startswith("ok ")
    failing = run("check", EXAMPLE, "--min-retention", f"{expected + 0.0001:.6f}", "--at", "1",
                  "--cohorts", "last:3")  # fmt: skip
    assert failing.exit_code == 3 and failing.stdout.startswith("FAIL ")


def test_nrr_and_churn_of_the_last_complete_period(run):
    csv = run("summary", EXAMPLE, "--format", "csv").stdout
    last = pd.read_csv(io.StringIO(csv)).iloc[-2]  # March 2025 is partial
    ok = run("check", EXAMPLE, "--min-nrr", str(last["nrr"] - 0.001), "--max-churn",
             str(last["churn_rate"] + 0.001))  # fmt: skip
    assert ok.exit_code == 0, ok.stdout
    assert f"({last['period']}, the last complete period)" in ok.stdout
    bad = run("check", EXAMPLE, "--max-churn", "10%")
    assert bad.exit_code == 3


@pytest.mark.parametrize(
    "args, fragment",
    [([], "give at least one of"), (["--min-nrr", "lots"], "is not a rate"),
     (["--min-retention", "0.3", "--cohorts", "first:2"], "write last:N")],
)  # fmt: skip
def test_usage_errors(run, args, fragment):
    result = run("check", EXAMPLE, *args)
    assert result.exit_code == 2 and fragment in result.stderr


def test_an_undefined_value_fails(run, write):
    path = write("o.csv", "customer,date\na,2024-01-05\n")
    result = run("check", path, "--min-retention", "0.1", "--at", "3")
    assert result.exit_code == 3 and "undefined" in result.stdout


@pytest.mark.parametrize(
    "args, fragment",
    [
        (
            ["--min-retention", "30"],
            "'30' is 3000%, outside 0% to 100%; write a fraction (0.3) or a percentage (30%)",
        ),
        (["--max-churn", "130%"], "'130%' is 130%, outside 0% to 100%"),
        (["--min-nrr", "30"], "'30' is 3000%, outside 0% to 1000%"),
    ],
)
def test_rates_out_of_range_are_usage_errors(run, args, fragment):
    result = run("check", EXAMPLE, *args)
    assert result.exit_code == 2 and fragment in result.stderr


def test_nrr_above_100_percent_is_a_rate(run):
    result = run("check", EXAMPLE, "--min-nrr", "110%")
    assert result.exit_code == 3 and "(must be >= 110.0%)" in result.stdout


def test_a_stale_export_fails_and_warns(run):
    # the example's newest row is 2025-03-15: an as-of date 107 days later would count the
    # months in between as observed with nobody active
    result = run("check", EXAMPLE, "--min-retention", "25%", "--as-of", "2025-06-30")
    assert result.exit_code == 3
    assert result.stdout.splitlines()[-1] == (
        "FAIL data freshness: days from the newest row (2025-03-15) to the as-of date: "
        "107 days (must be <= 6 days)"
    )
    assert (
        "retain: warning: the newest row is from 2025-03-15, 107 days before the as-of date 2025-06-30"
        in result.stderr
    )
    fresh = run("check", EXAMPLE, "--min-retention", "25%", "--as-of", "2025-03-20")
    assert fresh.exit_code == 0 and "freshness" not in fresh.stdout  # 5 days: fine
    cohort = run("cohort", EXAMPLE, "--as-of", "2025-06-30")
    assert cohort.exit_code == 0 and "107 days before the as-of date" in cohort.stderr
