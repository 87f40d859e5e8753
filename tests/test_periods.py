"""Period bucketing and labels (METRICS.md, Input: Periods) with hand-computed matrices."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from retain import cohort_matrix
from retain.activity import period_label, period_ordinals, period_starts

from .conftest import frame


def label_of(day: str, period: str, week_start: str = "monday") -> str:
    ordinal = period_ordinals(np.array([np.datetime64(day)]), period, week_start)[0]
    return period_label(int(ordinal), period, week_start)


@pytest.mark.parametrize(
    "day, period, week_start, label",
    [
        ("2024-03-05", "day", "monday", "2024-03-05"),
        ("2018-12-31", "week", "monday", "2019-W01"),  # ISO: the Monday of 2019's first week
        ("2019-01-06", "week", "monday", "2019-W01"),
        ("2018-12-30", "week", "monday", "2018-W52"),
        ("2021-01-03", "week", "monday", "2020-W53"),
        ("2024-03-05", "week", "monday", "2024-W10"),
        ("2024-03-03", "week", "sunday", "2024-03-03"),  # a Sunday starts its own week
        ("2024-03-09", "week", "sunday", "2024-03-03"),  # the Saturday after
        ("2024-03-10", "week", "sunday", "2024-03-10"),
        ("1969-12-31", "week", "sunday", "1969-12-28"),  # before the epoch
        ("2024-03-31", "month", "monday", "2024-03"),
        ("2024-03-31", "quarter", "monday", "2024Q1"),
        ("2024-04-01", "quarter", "monday", "2024Q2"),
        ("2024-12-31", "year", "monday", "2024"),
    ],
)
def test_labels(day, period, week_start, label):
    assert label_of(day, period, week_start) == label


@pytest.mark.parametrize("period", ["day", "week", "month", "quarter", "year"])
@pytest.mark.parametrize("week_start", ["monday", "sunday"])
def test_period_start_is_first_day_and_ordinals_are_consecutive(period, week_start):
    days = np.arange(np.datetime64("2019-12-20"), np.datetime64("2021-01-10"))
    ordinals = period_ordinals(days, period, week_start)
    starts = period_starts(ordinals, period, week_start)
    assert (starts <= days).all()
    assert (period_starts(ordinals + 1, period, week_start) > days).all()
    assert set(np.diff(np.unique(ordinals))) == {1}


ORDERS = """
    customer,date
    a,2018-12-30
    a,2018-12-31
    b,2019-01-06
    a,2019-01-07
    c,2019-01-09
    b,2019-01-14
"""


def test_iso_weeks_across_the_year_boundary():
    # Sun 2018-12-30 is in 2018-W52; Mon 2018-12-31 and Sun 2019-01-06 in 2019-W01.
    # a: W52, W01, W02 -> cohort W52; b: W01, W03 -> cohort W01; c: W02.
    # As of 2019-01-14, a Monday: 2019-W03 is partial.
    table = cohort_matrix(frame(ORDERS), period="week", counts=True)
    assert list(table.index) == ["2018-W52", "2019-W01", "2019-W02"]
    assert table["customers"].tolist() == [1, 1, 1]
    assert table[[0, 1, 2, 3]].astype("float").fillna(-1).values.tolist() == [
        [1, 1, 1, 0],
        [1, 0, 1, -1],
        [1, 0, -1, -1],
    ]
    assert table.attrs["partial"] == {"2018-W52": 3, "2019-W01": 2, "2019-W02": 1}


def test_sunday_weeks():
    # Sunday weeks: 12-30..01-05, 01-06..01-12, 01-13..01-19.
    # a: 12-30, 12-31 (same week), 01-07 -> cohort 2018-12-30 at 0 and 1;
    # b: 01-06, 01-14 -> cohort 2019-01-06 at 0 and 1; c: 01-09 -> cohort 2019-01-06.
    table = cohort_matrix(frame(ORDERS), period="week", week_start="sunday", counts=True)
    assert list(table.index) == ["2018-12-30", "2019-01-06"]
    assert table["customers"].tolist() == [1, 2]
    assert table[[0, 1, 2]].astype("float").fillna(-1).values.tolist() == [
        [1, 1, 0],
        [2, 1, -1],
    ]


def test_days_quarters_years():
    orders = frame(
        """
        customer,date
        a,2023-12-31
        a,2024-01-01
        a,2024-06-30
        b,2024-02-10
        """
    )
    quarters = cohort_matrix(orders, period="quarter")
    assert list(quarters.index) == ["2023Q4", "2024Q1"]
    assert quarters[[0, 1, 2]].fillna(-1).values.tolist() == [[1, 1, 1], [1, 0, -1]]
    assert quarters.attrs["partial"] == {}  # 2024-06-30 is the last day of Q2
    years = cohort_matrix(orders, period="year")
    assert years[[0, 1]].fillna(-1).values.tolist() == [[1, 1], [1, -1]]
    assert years.attrs["partial"] == {"2023": 1, "2024": 0}
    days = cohort_matrix(orders, period="day", as_of=dt.date(2024, 1, 2))
    assert list(days.index) == ["2023-12-31"]  # b's first order is after the as-of date
    assert days.loc["2023-12-31", [0, 1, 2]].tolist() == [1, 1, 0]
    assert days.attrs["partial"] == {}  # a day is never partial on its own as-of date


def test_weighted_average_excludes_partial_cells():
    orders = frame(
        """
        customer,date
        a,2024-01-10
        a,2024-02-10
        b,2024-02-01
        b,2024-03-05
        """
    )
    table = cohort_matrix(orders)
    # k1: Jan (1/1) complete, Feb's k1 is March (partial, as of 03-05): only Jan counts
    assert table.attrs["weighted_average"][:2] == [1.0, 1.0]
    assert table.loc["2024-02", 1] == 1.0
    assert pd.isna(table.attrs["weighted_average"][2])
