"""--start-where / --return-where: PostHog's first-time retention ("performed A for the first
time, came back to perform B"). The event sequences and expected matrices are those of PostHog's
own tests (posthog/hogql_queries/insights/test/test_retention_query_runner.py:
test_first_time_retention and test_retention_first_time_ever_basic); PostHog's alias1 is
person1 here, and its empty cohorts (rows of zeros) are simply absent."""

import datetime as dt

import pandas as pd

import retain


def day(d: int, hour: int = 0) -> str:
    return (dt.datetime(2020, 6, 10, hour) + dt.timedelta(days=d)).isoformat(sep=" ")


def events(signups, pageviews) -> pd.DataFrame:
    rows = [(p, day(*d) if isinstance(d, tuple) else day(d), "$user_signed_up") for p, d in signups]
    rows += [(p, day(*d) if isinstance(d, tuple) else day(d), "$pageview") for p, d in pageviews]
    return pd.DataFrame(rows, columns=["person", "timestamp", "event"])


START = {"start_where": ["event=$user_signed_up"], "return_where": ["event=$pageview"]}


def counts(frame, **options):
    table = retain.cohort_matrix(frame, customer="person", date="timestamp", period="day",
                                 counts=True, **START, **options)  # fmt: skip
    return {label: [int(v) for v in row.dropna()] for label, row in table.iterrows()}


def test_posthog_first_time_retention():
    frame = events(
        [("shouldnt_include", -5), ("shouldnt_include", -1), ("person1", -1), ("person1", 1),
         ("person1", 2), ("person1", 3), ("person1", 4), ("person2", -1), ("person3", 0),
         ("person4", 2)],
        [("person1", 0), ("person1", 1), ("person1", 2), ("person1", 5), ("person1", (5, 9)),
         ("person1", 6), ("person2", 1), ("person2", 2), ("person2", 3), ("person2", 6),
         ("person3", 1), ("person3", 3), ("person3", 4), ("person3", 5), ("person4", 3),
         ("person4", 5)],
    )  # fmt: skip
    # PostHog: date_to day 5, 7 intervals (from day -1); the first signup decides the cohort
    got = counts(frame, since="2020-06-09", as_of="2020-06-15", on_bad_rows="skip")
    assert got == {
        "2020-06-09": [2, 2, 1, 2, 2, 1, 0, 1],  # customers, then PostHog's [2, 1, 2, 2, 1, 0, 1]
        "2020-06-10": [1, 1, 1, 0, 1, 1, 1],  # [1, 1, 0, 1, 1, 1]
        "2020-06-12": [1, 1, 1, 0, 1],  # [1, 1, 0, 1]
    }


def test_posthog_first_time_ever_basic():
    frame = events(
        [("person1", 1), ("person2", 1), ("person3", 3), ("person4", 2), ("person5", 3)],
        [("person1", 0), ("person1", 1), ("person1", 3), ("person1", 5), ("person2", 2),
         ("person2", 4), ("person3", 2), ("person3", 4), ("person3", 6), ("person4", -1),
         ("person4", 3), ("person5", 4), ("person5", 5)],
    )  # fmt: skip
    got = counts(frame, as_of="2020-06-17")
    # PostHog: Day 1 [2, 1, 1, 1, 1, 0, 0], Day 2 [1, 1, 0, 0, 0, 0, 0], Day 3 [2, 2, 1, 1, 0, 0,
    # 0]; its cells after date_to are zeros, ours are unobserved (absent)
    assert got["2020-06-11"] == [2, 2, 1, 1, 1, 1, 0, 0]
    assert got["2020-06-12"] == [1, 1, 1, 0, 0, 0, 0]
    assert got["2020-06-13"] == [2, 2, 2, 1, 1, 0]
    assert set(got) == {"2020-06-11", "2020-06-12", "2020-06-13"}


def test_start_rows_before_returns_and_the_notes(run, write):
    frame = events([("a", 1), ("b", 2)], [("a", 0), ("a", 2), ("c", 1)])
    path = write("e.csv", frame.to_csv(index=False))
    result = run("cohort", path, "--customer", "person", "--period", "day", "--counts",
                 "--as-of", "2020-06-13",
                 "--start-where", "event=$user_signed_up", "--return-where", "event=$pageview")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "1 customer without a start row: no cohort" in result.stdout  # c
    assert "1 active period of customers before their signup or start: not counted" in result.stdout
    usage = run("cohort", path, "--return-where", "event=$pageview")
    assert usage.exit_code == 2 and "--return-where goes with --start-where" in usage.stderr


def test_batches_and_spilling_change_nothing(run, write):
    frame = events(
        [("p1", 1), ("p2", 1), ("p3", 3), ("p4", 2), ("p5", 3), ("p1", 4)],
        [("p1", 0), ("p1", 1), ("p1", 3), ("p2", 2), ("p3", 4), ("p4", -1), ("p5", 5)],
    )
    path = write("e.csv", frame.sample(frac=1, random_state=1).to_csv(index=False))
    args = ["--customer", "person", "--period", "day", "--format", "csv",
            "--start-where", "event=$user_signed_up", "--return-where", "event=$pageview"]  # fmt: skip
    whole = run("cohort", path, *args)
    assert whole.exit_code == 0, whole.stderr
    for size in ("1", "2", "5"):
        again = run("cohort", path, *args, "--chunksize", size, "--memory-limit", "0")
        assert (again.stdout, again.stderr) == (whole.stdout, whole.stderr)


def test_start_events_count_customers_and_amounts_can_be_off(run, write):
    path = write("e.csv", "user,ts,event,amount\nu1,2024-01-01,signup,\nu1,2024-01-05,purchase,10\n"
                          "u2,2024-01-02,signup,\n")  # fmt: skip
    args = ["--customer", "user", "--date", "ts", "--period", "day", "--start-where",
            "event=signup", "--return-where", "event=purchase"]  # fmt: skip
    revenue = run("cohort", path, *args, "--metric", "revenue")
    assert revenue.exit_code == 2 and "--start-where counts customers" in revenue.stderr
    counts = run("cohort", path, *args, "--amount", "none", "--counts", "--format", "csv")
    assert (
        counts.stdout
        == "cohort,customers,0,1,2,3,4\n2024-01-01,1,1,0,0,0,1\n2024-01-02,1,1,0,0,0,\n"
    )
