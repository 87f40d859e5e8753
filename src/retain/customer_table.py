"""Customers as a table: one row per customer with a cohort, from the cohorted activity of one
partition (``cohorts.assign_cohorts``): cohort, segment, first and last active period, active
periods, orders and revenue. The summary and customers commands build on it; the rows of
partitions put one after the other are the table of all customers (a customer lives in one).
"""

from __future__ import annotations

import datetime as dt

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
    columns = {"customer": customer_ids(cohorted["customer"])[seen]}
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


def customer_ids(customer: pd.Series) -> np.ndarray:
    """The id of each customer code: short-id keys decoded, longer ids as they are."""
    if isinstance(customer.dtype, pd.CategoricalDtype):
        categories = customer.cat.categories
        if categories.dtype == np.int64:
            return decode_keys(np.asarray(categories))
        return np.asarray(categories, dtype=object)
    return np.asarray(pd.factorize(customer)[1], dtype=object)


STATUSES = ("active", "lapsed", "churned", "reactivated")


def customer_status(
    cohorted: pd.DataFrame, as_of: dt.date, period: str, week_start: str = "monday",
    churn_after: int = 3,
) -> pd.DataFrame:  # fmt: skip
    """One row per customer of ``cohorted`` (with its ``tmin``, ``tmax`` and ``gross``
    columns): ``customer``, ``cohort``, ``segment``, ``first_activity`` and ``last_activity``
    (times), ``orders``, ``active_periods``, ``revenue`` and ``refunds`` (currency units; refunds
    as a negative sum), ``days_since_last`` (to the as-of date) and ``status`` by the last
    active period L against the as-of period P: active when P - L <= 1 (the as-of period, which
    may be partial, or the last complete one), reactivated when active after a gap of a period
    or more before L, lapsed when 2 <= P - L < ``churn_after``, churned when P - L >=
    ``churn_after``."""
    from retain.activity import period_ordinals
    from retain.normalize import AMOUNT_SCALE

    rows = customer_rows(cohorted, period, week_start)
    codes, count = customer_codes(cohorted["customer"])
    order = np.lexsort((cohorted["period"].to_numpy(np.int64), codes))
    codes = codes[order]
    period_of = cohorted["period"].to_numpy(np.int64)[order]
    active = cohorted["orders"].to_numpy()[order] > 0
    who, when = codes[active], period_of[active]
    last = np.full(count, np.iinfo(np.int64).min)
    before = np.full(count, np.iinfo(np.int64).min)
    ends = np.flatnonzero(np.append(who[1:] != who[:-1], True)) if len(who) else who
    last[who[ends]] = when[ends]
    has_before = (ends > 0) & (who[np.maximum(ends - 1, 0)] == who[ends])  # an earlier one
    before[who[ends[has_before]]] = when[ends[has_before] - 1]
    tmin = np.full(count, np.iinfo(np.int64).max)
    tmax = np.full(count, np.iinfo(np.int64).min)
    np.minimum.at(tmin, codes, cohorted["tmin"].to_numpy(np.int64)[order])
    np.maximum.at(tmax, codes, cohorted["tmax"].to_numpy(np.int64)[order])
    gross, revenue = np.zeros(count, np.int64), np.zeros(count, np.int64)
    if "gross" in cohorted:
        np.add.at(gross, codes, cohorted["gross"].to_numpy(np.int64)[order])
    if "revenue" in cohorted:
        np.add.at(revenue, codes, cohorted["revenue"].to_numpy(np.int64)[order])
    seen = np.bincount(codes, minlength=count) > 0
    ids = customer_ids(cohorted["customer"])[seen]
    by_id = np.argsort(ids, kind="stable")  # customer_rows sorts by id the same way
    now = int(period_ordinals(np.array([np.datetime64(as_of)]), period, week_start)[0])
    gap = now - last[seen]
    status = np.select(
        [gap >= churn_after, gap >= 2, (before[seen] > np.iinfo(np.int64).min)
         & (last[seen] - before[seen] >= 2)],
        ["churned", "lapsed", "reactivated"], "active",
    )  # fmt: skip
    had = tmin[seen] != np.iinfo(np.int64).max
    first_time = np.where(had, tmin[seen], 0).astype("datetime64[us]")
    last_time = np.where(had, tmax[seen], 0).astype("datetime64[us]")
    extra = pd.DataFrame({
        "first_activity": pd.Series(first_time).where(had),
        "last_activity": pd.Series(last_time).where(had),
        "days_since_last": pd.Series(
            (np.datetime64(as_of, "D") - last_time.astype("datetime64[D]")).astype(np.int64)
        ).where(had),
        "refunds": (revenue[seen] - gross[seen]) / AMOUNT_SCALE if "revenue" in rows
        else np.nan,
        "status": pd.Series(status).where(had, "no activity"),
    }).iloc[by_id].reset_index(drop=True)  # fmt: skip
    out = rows.drop(columns=["first", "last"])
    if "revenue" in out:
        out["revenue"] = out["revenue"] / AMOUNT_SCALE
    return pd.concat([out, extra], axis=1)
