"""The customers table (``retain.customers_of``): one row per customer with a cohort, the seam
the summary and customers commands build on."""

import pandas as pd
from hypothesis import given, settings
from test_properties import PERIODS, tables
from test_views import FRAME

import retain
from retain.normalize import AMOUNT_SCALE
from retain.pipeline import Settings, cohorts_of, customers_of, frame_activity


def test_customers_table_by_hand():
    options = Settings(as_of=pd.Timestamp("2024-04-30").date())
    table = customers_of(frame_activity(FRAME, options), options)
    expected = pd.DataFrame({
        "customer": ["a", "b", "c", "d", "e"],
        "cohort": ["2024-01", "2024-01", "2024-01", "2024-02", "2024-02"],
        "first": ["2024-01", "2024-01", "2024-01", "2024-02", "2024-02"],
        "last": ["2024-03", "2024-02", "2024-01", "2024-04", "2024-02"],
        "active_periods": [2, 2, 1, 2, 1],
        "orders": [3, 2, 2, 2, 1],  # b's refund is no order
        "revenue": [2000, 2500, 200, 4000, 800],  # cents: b 20 + 10 - 5
    })  # fmt: skip
    table["revenue"] = table["revenue"] * 100 // AMOUNT_SCALE
    pd.testing.assert_frame_equal(table, expected, check_dtype=False)


@settings(max_examples=40, deadline=None)
@given(tables, PERIODS)
def test_customers_add_up_to_the_matrix(table, period):
    """Customers per cohort are the cohort sizes; their revenue is the cohort's revenue row."""
    options = Settings(period=period)
    activity = frame_activity(table, options)
    customers = customers_of(activity, options)
    result, _ = cohorts_of(activity, options, "revenue")
    sizes = customers.groupby("cohort")["customer"].count()
    assert sizes.to_dict() == result.table["customers"].to_dict()
    revenue = customers.groupby("cohort")["revenue"].sum() / AMOUNT_SCALE
    matrix = result.table.drop(columns="customers").sum(axis=1)
    assert (abs(revenue - matrix) < 1e-6).all()
    assert retain.customers_of is customers_of
