"""--signup COL: cohorts by signup date (METRICS.md, Cohorts): the cohort is the period of a
customer's earliest signup value; the signup itself is not activity, so offset 0 counts those
active in the signup period, and the cohort size counts everyone who signed up in it."""

import io

import numpy as np
import pandas as pd

import retain

# a: signed up in January, buys in January and March; b: signed up in January, buys only in
# February (offset 0 is not 100%); c: no signup value: cohort of first activity (February);
# d: signed up in February but bought in January as a guest (activity before signup, not
# counted) and never after: still in February's cohort size; e: signup given on two rows,
# the earliest (2024-01) wins.
ROWS = [
    ("a", "2024-01-03", 10, "2024-01-02"), ("a", "2024-03-04", 5, "2024-01-02"),
    ("b", "2024-02-10", 7, "2024-01-20"),
    ("c", "2024-02-11", 3, ""), ("c", "2024-03-01", 3, ""),
    ("d", "2024-01-15", 9, "2024-02"),
    ("e", "2024-02-01", 4, "2024-02-01"), ("e", "2024-03-01", 4, "2024-01"),
]  # fmt: skip
FRAME = pd.DataFrame(ROWS, columns=["customer", "date", "amount", "signed_up"])


def test_signup_cohorts_by_hand(run, write):
    path = write("o.csv", FRAME.to_csv(index=False))
    result = run("cohort", path, "--signup", "signed_up", "--counts", "--as-of", "2024-03-31",
                 "--format", "csv")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    # January: a, b, e (3); active in January: a; February: b, e; March: a, e
    # February: c, d (2); active in February: c; March: c
    assert result.stdout == "cohort,customers,0,1,2\n2024-01,3,1,2,2\n2024-02,2,1,1,\n"
    table = run("cohort", path, "--signup", "signed_up", "--as-of", "2024-03-31")
    assert "1 active period of customers before their signup or start: not counted" in table.stdout


def test_bad_signup_values_are_bad_rows(run, write):
    path = write("o.csv", "customer,date,signup\na,2024-01-05,soon\nb,2024-01-06,2024-01\n")
    result = run("cohort", path, "--signup", "signup")
    assert result.exit_code == 1
    assert "'signup'" in result.stderr and "soon" in result.stderr


def test_signup_cohorts_match_pandas():
    rng = np.random.default_rng(3)
    n = 300
    customers = rng.integers(0, 50, n)
    signup_of = {c: f"2024-{rng.integers(1, 5):02d}-{rng.integers(1, 28):02d}" for c in range(50)}
    frame = pd.DataFrame({
        "customer": [f"u{c}" for c in customers],
        "date": (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 150, n), "D")),
        "signup": [signup_of[c] if c % 7 else "" for c in customers],  # some without
    })  # fmt: skip
    got = retain.cohort_matrix(frame, signup="signup", counts=True, as_of="2024-05-31")
    # independently: cohort = signup month, else first activity month
    frame["month"] = frame["date"].dt.to_period("M")
    signup = pd.to_datetime(frame["signup"].replace("", None)).dt.to_period("M")
    first = frame.groupby("customer")["month"].min()
    cohort = signup.groupby(frame["customer"]).min().fillna(first)
    frame["cohort"] = frame["customer"].map(cohort)
    frame["offset"] = [(m - c).n for m, c in zip(frame["month"], frame["cohort"], strict=True)]
    active = frame[frame["offset"] >= 0].groupby(["cohort", "offset"])["customer"].nunique()
    sizes = cohort.value_counts()
    for label, row in got.iterrows():
        period = pd.Period(label, "M")
        assert row["customers"] == sizes[period]
        for k in range(5 - (period.month - 1)):
            assert row[k] == active.get((period, k), 0), (label, k)


def test_signup_with_batches_and_spill(run, write):
    path = write("o.csv", FRAME.to_csv(index=False))
    args = ["--signup", "signed_up", "--format", "json", "--as-of", "2024-03-31"]
    whole = run("cohort", path, *args)
    for size in ("1", "3"):
        again = run("cohort", path, *args, "--chunksize", size, "--memory-limit", "0")
        assert again.stdout == whole.stdout
    assert io.StringIO(whole.stdout).read().count('"cohort"') == 2


def test_an_unreadable_signup_value_never_drops_the_purchase(run, write):
    path = write("o.csv", "customer,date,signup\na,2024-01-05,2024-01\na,2024-02-05,oops\n"
                          "b,2024-01-07,\n")  # fmt: skip
    result = run("cohort", path, "--signup", "signup", "--on-bad-rows", "skip", "--counts",
                 "--format", "csv")  # fmt: skip
    assert result.stdout == "cohort,customers,0,1\n2024-01,2,2,1\n"  # a's February order counts
    assert result.stderr == (
        f"retain: warning: {path}: ignored 1 value of 'signup' (line 3: 'oops'): not ISO dates "
        "or months\n"
    )
