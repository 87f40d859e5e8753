"""The cohort views of METRICS.md beyond classic retention, on a fixture small enough to count
by hand: rolling retention and churn, LTV, orders, repeat purchase, relative to the previous
offset, simple and weighted means, max offset and minimum cohort size."""

import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from test_properties import PERIODS, tables

import retain

# Cohort 2024-01: a, b, c (S = 3). Cohort 2024-02: d, e (S = 2). As of 2024-04-30 (April is
# complete; May, offset 3 of February, is unobserved).
ROWS = [
    ("a", "2024-01-05", 10.0), ("a", "2024-03-02", 5.0), ("a", "2024-03-20", 5.0),
    ("b", "2024-01-10", 20.0), ("b", "2024-02-11", 10.0), ("b", "2024-02-15", -5.0),
    ("c", "2024-01-12", 1.0), ("c", "2024-01-13", 1.0),
    ("d", "2024-02-01", 30.0), ("d", "2024-04-09", 10.0),
    ("e", "2024-02-20", 8.0),
]  # fmt: skip
FRAME = pd.DataFrame(ROWS, columns=["customer", "date", "amount"])
NAN = np.nan


def matrix(metric="retention", **view):
    table = retain.cohort_matrix(FRAME, metric=metric, as_of="2024-04-30", **view)
    return table.drop(columns="customers")


def expect(table, rows):
    expected = pd.DataFrame(rows, index=pd.Index(["2024-01", "2024-02"], name="cohort"),
                            columns=list(range(len(rows[0]))), dtype=float)  # fmt: skip
    pd.testing.assert_frame_equal(
        table.astype(float), expected, check_names=False, check_column_type=False
    )


def test_classic_retention():
    expect(matrix(), [[1, 1 / 3, 1 / 3, 0], [1, 0, 0.5, NAN]])


def test_rolling_retention_counts_active_then_or_later():
    # a last active at offset 2, b at 1, c at 0; d at 2, e at 0
    expect(matrix(rolling=True), [[1, 2 / 3, 1 / 3, 0], [1, 0.5, 0.5, NAN]])
    expect(matrix("churn", rolling=True), [[0, 1 / 3, 2 / 3, 1], [0, 0.5, 0.5, NAN]])
    counts = matrix(rolling=True, counts=True)
    assert counts.loc["2024-01"].tolist() == [3, 2, 1, 0]


def test_ltv_is_cumulative_revenue_per_customer():
    # January: 32, then 10 - 5, then 10; February: 38, 0, 10
    expect(matrix("ltv"), [[32 / 3, 37 / 3, 47 / 3, 47 / 3], [19, 19, 24, NAN]])
    table = retain.cohort_matrix(FRAME, metric="ltv", as_of="2024-04-30")
    assert table.attrs["average"] == pytest.approx([70 / 5, 75 / 5, 95 / 5, 47 / 3])


def test_orders_count_rows_with_amount_not_below_zero():
    expect(matrix("orders"), [[4, 1, 2, 0], [2, 0, 1, NAN]])


def test_repeat_purchase_rate():
    # c has 2 orders in January, b reaches 2 in February, a in March; d reaches 2 in April
    expect(matrix("repeat"), [[1 / 3, 2 / 3, 1, 1], [0, 0, 0.5, NAN]])
    counts = matrix("repeat", counts=True)
    assert counts.loc["2024-01"].tolist() == [1, 2, 3, 3]
    assert counts.loc["2024-02"].tolist()[:3] == [0, 0, 1]


def test_relative_to_the_previous_offset():
    # January: 3 of 3, 1 of 3, 1 of 1, 0 of 1; February: 2 of 2, 0 of 2, 1 of 0 (undefined)
    expect(matrix(relative="previous"), [[1, 1 / 3, 1, 0], [1, 0, NAN, NAN]])
    revenue = matrix("revenue-retention", relative="previous")
    expect(revenue, [[1, 5 / 32, 10 / 5, 0], [1, 0, NAN, NAN]])


def test_means_use_complete_observed_cells():
    table = retain.cohort_matrix(FRAME, as_of="2024-04-30")
    assert table.attrs["average"] == pytest.approx([1, 1 / 5, 2 / 5, 0])
    simple = retain.cohort_matrix(FRAME, as_of="2024-04-30", mean="simple")
    assert simple.attrs["average"] == pytest.approx([1, 1 / 6, 5 / 12, 0])
    assert simple.attrs["weighted_average"] is None
    assert retain.cohort_matrix(FRAME, as_of="2024-04-30", mean="none").attrs["average"] is None


def test_max_offset_and_min_cohort_size():
    table = retain.cohort_matrix(FRAME, as_of="2024-04-30", max_offset=1, min_cohort_size=3)
    assert list(table.columns) == ["customers", 0, 1]
    assert table.index.tolist() == ["2024-01"]
    assert table.attrs["hidden_cohorts"] == 1
    assert table.attrs["average"] == pytest.approx([1, 1 / 3])  # over the shown cohorts


def test_cli_shows_the_views(run, write):
    path = write("o.csv", "customer,date,amount\n" + "".join(f"{c},{d},{a}\n" for c, d, a in ROWS))
    result = run("cohort", path, "--as-of", "2024-04-30", "--metric", "repeat", "--counts",
                 "--format", "csv")  # fmt: skip
    assert result.stdout == "cohort,customers,0,1,2,3\n2024-01,3,1,2,3,3\n2024-02,2,0,0,1,\n"
    table = run("cohort", path, "--as-of", "2024-04-30", "--min-cohort-size", "3",
                "--mean", "simple")  # fmt: skip
    assert "simple avg" in table.stdout
    assert "1 cohort (2 customers) under the minimum cohort size: not shown" in table.stdout


def test_brackets_retain_a_customer_active_in_any_offset_of_one():
    table = retain.cohort_matrix(FRAME, as_of="2024-04-30", brackets="0,1-2,3-5")
    assert list(table.columns) == ["customers", "0", "1-2", "3-5"]
    # January 1-2: b (February) and a (March); February 1-2: d (April); 3-5 of January is
    # observed (April) but not complete (May, June): partial; February's is unobserved
    expect(table.drop(columns="customers").set_axis(range(3), axis=1),
           [[1, 2 / 3, 0], [1, 0.5, NAN]])  # fmt: skip
    assert table.attrs["partial"] == {"2024-01": 2}
    assert table.attrs["average"][:2] == pytest.approx([1, 3 / 5])
    assert np.isnan(table.attrs["average"][2])
    counts = retain.cohort_matrix(FRAME, as_of="2024-04-30", brackets=[(0, 0), (1, 3)],
                                  counts=True)  # fmt: skip
    assert counts.loc["2024-01"].tolist() == [3, 3, 2]  # customers, then a and b in 1-3


@pytest.mark.parametrize("spec", ["1-0", "0,0-3", "x", "2,1", ""])
def test_bad_brackets_are_refused(spec):
    with pytest.raises(retain.RetainError):
        retain.cohort_matrix(FRAME, brackets=spec)


def non_decreasing(values: np.ndarray) -> bool:
    """Along each row, over the observed (not NaN) cells, which lead each row."""
    steps = np.diff(values, axis=1)
    return bool((steps[~np.isnan(steps)] >= -1e-9).all())


@settings(max_examples=40, deadline=None)
@given(tables, PERIODS)
def test_view_invariants(table, period):
    """Rolling >= classic, and never rising; repeat within [0, 1] and non-decreasing; LTV
    non-decreasing where no amount is negative."""
    view = {"period": period}
    classic = retain.cohort_matrix(table, **view).drop(columns="customers").to_numpy(float)
    rolling = retain.cohort_matrix(table, rolling=True, **view)
    rolling = rolling.drop(columns="customers").to_numpy(float)
    seen = ~np.isnan(classic)
    assert (rolling[seen] >= classic[seen] - 1e-12).all()
    assert non_decreasing(-rolling)
    repeat = retain.cohort_matrix(table, metric="repeat", **view).drop(columns="customers")
    values = repeat.to_numpy(float)
    assert ((values[seen] >= 0) & (values[seen] <= 1)).all()
    assert non_decreasing(values)
    brackets = retain.cohort_matrix(table, brackets="0,1-2,3-6", counts=True, **view)
    counts = retain.cohort_matrix(table, counts=True, **view).drop(columns="customers")
    for label, (low, high) in {"1-2": (1, 2), "3-6": (3, 6)}.items():
        single = counts.loc[:, [k for k in counts.columns if low <= k <= high]].astype(float)
        best = single.max(axis=1, skipna=True)
        shown = brackets[label].astype(float)
        assert (shown[best.notna()] >= best[best.notna()]).all()  # >= the best single offset
    positive = table.assign(amount=table["amount"].abs())
    ltv = retain.cohort_matrix(positive, metric="ltv", **view).drop(columns="customers")
    assert non_decreasing(ltv.to_numpy(float))


RELATIVE = """customer,date
a,2024-01-01 18:00:00
a,2024-01-02 10:00:00
a,2024-01-03 19:00:00
b,2024-01-01 09:00:00
b,2024-01-08 08:00:00
b,2024-01-08 10:00:00
c,2024-01-02 12:00:00
"""


def test_relative_offsets_are_windows_from_the_first_activity(run, write):
    """a starts Jan 1 18:00: Jan 2 10:00 is 16 hours on (window 0), Jan 3 19:00 is 49 hours
    (window 2); b starts Jan 1 09:00: Jan 8 08:00 is 6 days 23 hours (window 6 of 24-hour
    windows, window 0 of 7-day ones), Jan 8 10:00 is 7 days 1 hour (window 7; week 1)."""
    path = write("e.csv", RELATIVE)
    args = ["--offsets", "relative", "--counts", "--format", "csv"]
    days = run("cohort", path, "--period", "day", "--as-of", "2024-01-09", *args)
    assert days.stdout == (
        "cohort,customers,0,1,2,3,4,5,6,7,8\n"  # window 9 would begin after Jan 9: no column
        "2024-01-01,2,2,0,1,0,0,0,1,1,0\n"
        "2024-01-02,1,1,0,0,0,0,0,0,0,\n"  # its window 8 begins on Jan 10
    )
    weeks = run("cohort", path, "--period", "week", "--as-of", "2024-01-20", *args)
    assert weeks.stdout == "cohort,customers,0,1,2\n2024-W01,3,3,1,0\n"
    calendar = run("cohort", path, "--period", "week", "--as-of", "2024-01-20", "--counts",
                   "--format", "csv")  # fmt: skip
    assert calendar.stdout == "cohort,customers,0,1,2\n2024-W01,3,3,1,0\n"  # here alike
    for size in ("1", "3"):  # batches and spilling change nothing
        again = run("cohort", path, "--period", "day", "--as-of", "2024-01-09", *args,
                    "--chunksize", size, "--memory-limit", "0")  # fmt: skip
        assert again.stdout == days.stdout
    import json

    document = json.loads(run("cohort", path, "--period", "week", "--offsets", "relative",
                              "--format", "json").stdout)  # fmt: skip
    assert document["cohort_definition"]["offsets"] == "relative"
    assert document["cohorts"][0]["partial_offsets"] == [0, 1]  # two windows still running
    wrong = run("cohort", path, "--offsets", "relative", "--metric", "ltv")
    assert wrong.exit_code == 2 and "--offsets relative goes with" in wrong.stderr


def test_every_cohort_option_is_an_api_keyword():
    import inspect

    from retain.cli import cohort
    from retain.settings import DATE_OPTIONS, OPTIONS

    keywords = set(inspect.signature(retain.cohort_matrix).parameters) | OPTIONS | set(DATE_OPTIONS)
    # how text is shown, and where the command line takes its defaults from
    # (--plot: the API draws with retain.heatmap(matrix))
    cli_only = {"files", "fmt", "output", "debug", "table_style", "color", "config", "plot_path"}
    missing = {p.name for p in cohort.params} - cli_only - keywords
    assert not missing


@pytest.mark.parametrize(
    "flags, keywords",
    [
        (["--rolling", "--mean", "simple"], {"rolling": True, "mean": "simple"}),
        (["--metric", "repeat", "--max-offset", "2"], {"metric": "repeat", "max_offset": 2}),
        (["--brackets", "0,1-2,3-5"], {"brackets": "0,1-2,3-5"}),
        (["--relative", "previous", "--min-cohort-size", "3"],
         {"relative": "previous", "min_cohort_size": 3}),
        (["--period", "week", "--offsets", "relative"], {"period": "week", "offsets": "relative"}),
        (["--metric", "ltv", "--where", "customer!=e"], {"metric": "ltv", "where": ["customer!=e"]}),
    ],
)  # fmt: skip
def test_api_keywords_give_the_cli_numbers(run, write, flags, keywords):
    path = write("o.csv", FRAME.to_csv(index=False))
    cli = run("cohort", path, "--as-of", "2024-04-30", "--format", "csv", *flags)
    assert cli.exit_code == 0, cli.stderr
    api = retain.cohort_matrix(FRAME, as_of="2024-04-30", **keywords)
    got = pd.read_csv(io.StringIO(cli.stdout), index_col="cohort")
    got.columns = [c if c == "customers" else api.columns[i] for i, c in enumerate(got.columns)]
    pd.testing.assert_frame_equal(got.astype(float), api.astype(float), check_names=False,
                                  check_index_type=False, atol=0.005)  # fmt: skip


def test_simple_mean_of_money_and_max_offset_with_brackets():
    ltv = retain.cohort_matrix(FRAME, metric="ltv", as_of="2024-04-30", mean="simple")
    # offset 0: the mean of 32/3 and 38/2; offset 3: January alone (February's is unobserved)
    assert ltv.attrs["average"] == pytest.approx([(32 / 3 + 19) / 2, (37 / 3 + 19) / 2,
                                                  (47 / 3 + 24) / 2, 47 / 3])  # fmt: skip
    brackets = retain.cohort_matrix(FRAME, as_of="2024-04-30", brackets="0,1-2,3-5", max_offset=1)
    assert list(brackets.columns) == ["customers", "0", "1-2"]  # brackets begun by offset 1
    table = retain.cohort_matrix(FRAME, as_of="2024-04-30", rolling=True)
    assert (table.attrs["rolling"], table.attrs["relative"], table.attrs["offsets"]) == (
        True, "first", "calendar",
    )  # fmt: skip
