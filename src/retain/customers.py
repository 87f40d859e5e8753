"""Customers as a table: one row per customer with a cohort, from the cohorted activity of one
partition (``cohorts.assign_cohorts``): cohort, segment, first and last active period, active
periods, orders and revenue. The summary and customers commands build on it; the rows of
partitions put one after the other are the table of all customers (a customer lives in one).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from retain.activity import decode_keys, period_label
from retain.cohorts import customer_codes


def customer_rows(
    cohorted: pd.DataFrame, period: str = "month", week_start: str = "monday"
) -> pd.DataFrame:
    """One row per customer of ``cohorted``: ``customer`` (the id), ``cohort`` (label),
    ``segment`` (when segmented), ``first`` and ``last`` (labels of the first and last active
    periods), ``active_periods``, ``orders`` and ``revenue`` (1/AMOUNT_SCALE units, when there
    are amounts; refunds net, from the cohort's period on), sorted by customer id."""
    codes, count = customer_codes(cohorted["customer"])
    period_of = cohorted["period"].to_numpy(np.int64)
    active = cohorted["orders"].to_numpy() > 0
    seen = np.bincount(codes, minlength=count) > 0
    cohort = np.zeros(count, np.int64)
    cohort[codes] = cohorted["cohort"].to_numpy(np.int64)
    last = np.full(count, np.iinfo(np.int64).min)
    np.maximum.at(last, codes[active], period_of[active])
    first = np.full(count, np.iinfo(np.int64).max)
    np.minimum.at(first, codes[active], period_of[active])
    columns = {"customer": _ids(cohorted["customer"])[seen]}
    label = np.vectorize(lambda p: period_label(int(p), period, week_start), otypes=[object])
    columns["cohort"] = label(cohort[seen])
    if "segment" in cohorted:
        segment = np.empty(count, object)
        segment[codes] = cohorted["segment"].to_numpy(object)
        columns["segment"] = segment[seen]
    anything = first[seen] != np.iinfo(np.int64).max  # signup cohorts may have no activity
    columns["first"] = np.where(anything, label(np.where(anything, first[seen], 0)), None)
    columns["last"] = np.where(anything, label(np.where(anything, last[seen], 0)), None)
    columns["active_periods"] = np.bincount(codes[active], minlength=count)[seen]
    columns["orders"] = np.bincount(codes, cohorted["orders"], minlength=count)[seen].astype(
        np.int64
    )
    if "revenue" in cohorted:
        revenue = np.zeros(count, np.int64)
        np.add.at(revenue, codes, cohorted["revenue"].to_numpy(np.int64))
        columns["revenue"] = revenue[seen]
    return pd.DataFrame(columns).sort_values("customer", ignore_index=True)


def _ids(customer: pd.Series) -> np.ndarray:
    """The id of each customer code: short-id keys decoded, longer ids as they are."""
    if isinstance(customer.dtype, pd.CategoricalDtype):
        categories = customer.cat.categories
        if categories.dtype == np.int64:
            return decode_keys(np.asarray(categories))
        return np.asarray(categories, dtype=object)
    return np.asarray(pd.factorize(customer)[1], dtype=object)
