"""Hand-computed cohort matrices (METRICS.md, Cohort matrices) on tests/data/small.csv.

The fixture, month by month (refunds are negative):
    a: Jan 10, Feb 20, Mar -4 (refund only: not active in March)
    b: Jan 5, Mar 5
    c: Feb 7 and -7 (active in Feb, net revenue 0)
    d: Feb -3 only (no cohort: refund-only customer)
    e: Mar 100
Cohorts: Jan {a, b}, Feb {c}, Mar {e}. The latest date is 2024-03-31, the last day of March,
so by default no cell is partial.
"""

import datetime as dt
import pathlib

import numpy as np
import pandas as pd
import pytest

from retain import cohort_matrix
from retain.pipeline import Settings, cohorts_of, read_activity

SMALL = str(pathlib.Path(__file__).parent / "data" / "small.csv")
NAN = np.nan


def matrix(rows, customers, labels=("2024-01", "2024-02", "2024-03"), dtype="float64"):
    table = pd.DataFrame(rows, columns=list(range(len(rows[0]))), dtype=dtype)
    table.insert(0, "customers", np.array(customers, dtype=np.int64))
    table.index = pd.Index(list(labels), name="cohort")
    return table


def compute(metric="retention", counts=False, **settings):
    settings = Settings(**settings)
    return cohorts_of(read_activity([SMALL], settings), settings, metric, counts)


def test_retention():
    result, stats = compute()
    expected = matrix([[1, 0.5, 0.5], [1, 0, NAN], [1, NAN, NAN]], [2, 1, 1])
    pd.testing.assert_frame_equal(result.table, expected)
    assert result.partial == {}
    assert result.average.tolist() == [1.0, 1 / 3, 0.5]
    assert stats.refund_only_customers == 1


def test_active_counts():
    result, _ = compute(counts=True)
    expected = matrix([[2, 1, 1], [1, 0, None], [1, None, None]], [2, 1, 1], dtype="Int64")
    pd.testing.assert_frame_equal(result.table, expected)
    assert result.average is None


def test_churn_rates_and_counts():
    result, _ = compute("churn")
    expected = matrix([[0, 0.5, 0.5], [0, 1, NAN], [0, NAN, NAN]], [2, 1, 1])
    pd.testing.assert_frame_equal(result.table, expected)
    assert result.average.tolist() == pytest.approx([0.0, 2 / 3, 0.5])
    gone, _ = compute("churn", counts=True)
    expected = matrix([[0, 1, 1], [0, 1, None], [0, None, None]], [2, 1, 1], dtype="Int64")
    pd.testing.assert_frame_equal(gone.table, expected)


def test_revenue_nets_refunds_including_inactive_periods():
    result, _ = compute("revenue")
    # Jan cohort in March: b's 5 plus a's refund of -4 (a is not active, the refund still counts)
    expected = matrix([[15, 20, 1], [0, 0, NAN], [100, NAN, NAN]], [2, 1, 1])
    pd.testing.assert_frame_equal(result.table, expected)


def test_revenue_retention_undefined_on_zero_first_period():
    result, _ = compute("revenue-retention")
    expected = matrix([[1, 20 / 15, 1 / 15], [NAN, NAN, NAN], [1, NAN, NAN]], [2, 1, 1])
    pd.testing.assert_frame_equal(result.table, expected)
    # Feb (Rev_0 = 0) is left out of the average: k1 = 20/15 from Jan alone
    assert result.average.tolist() == pytest.approx([1.0, 20 / 15, 1 / 15])


def test_as_of_marks_partial_cells_and_skips_later_rows():
    settings = Settings(as_of=dt.date(2024, 3, 15))
    activity = read_activity([SMALL], settings)
    assert activity.counts.skipped == {"after_as_of": 1}  # a's refund on 2024-03-31
    result, _ = cohorts_of(activity, settings, "revenue")
    expected = matrix([[15, 20, 5], [0, 0, NAN], [100, NAN, NAN]], [2, 1, 1])
    pd.testing.assert_frame_equal(result.table, expected)
    assert result.partial == {"2024-01": 2, "2024-02": 1, "2024-03": 0}
    retention, _ = cohorts_of(activity, settings, "retention")
    # k1: Feb's cell is March, partial: only Jan counts; k2: no complete cell at all
    assert retention.average.tolist()[:2] == [1.0, 0.5]
    assert np.isnan(retention.average.tolist()[2])


def test_as_of_after_data_leaves_unobserved_cells_empty_not_zero():
    result, _ = compute(as_of=dt.date(2024, 4, 10))
    assert list(result.table.columns) == ["customers", 0, 1, 2, 3]
    assert result.table.loc["2024-01", 3] == 0  # April observed (partial): nobody came back
    assert np.isnan(result.table.loc["2024-02", 3])  # May: not observed
    assert result.partial == {"2024-01": 3, "2024-02": 2, "2024-03": 1}


def test_api_gives_the_cli_numbers():
    table = cohort_matrix(pd.read_csv(SMALL, dtype=str), metric="revenue")
    result, _ = compute("revenue")
    pd.testing.assert_frame_equal(table, result.table)
    assert table.attrs["as_of"] == "2024-03-31"
    assert table.attrs["partial"] == {}
