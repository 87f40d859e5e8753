"""Activity table -> cohort and period offset of every (customer, period) row.

METRICS.md, Cohorts: a customer's cohort is the period of their first activity (a period with
``orders > 0``); refund rows never start a cohort. Rows before the cohort's period (refunds
booked before the first purchase) and customers whose rows are all refunds have no place in the
matrices and are counted in ``CohortStats`` instead (``pre_cohort_periods`` counts
(customer, period) pairs).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from retain.normalize import NO_SEGMENT

NO_COHORT = np.iinfo(np.int64).max


@dataclass(frozen=True)
class CohortStats:
    """What the cohort assignment left out, for the data-quality counts."""

    refund_only_customers: int = 0
    pre_cohort_periods: int = 0
    before_since: int = 0  # customers of cohorts before --since, not shown
    before_signup: int = 0  # active (customer, period) pairs before the customer's signup
    without_start: int = 0  # customers with no row matching --start-where
    unlisted_customers: int = 0  # customers with transactions, missing from --customers
    unlisted_periods: int = 0  # their active (customer, period) pairs, left out
    listed_without_cohort: int = 0  # listed customers with neither signup nor activity

    def __add__(self, other: CohortStats) -> CohortStats:
        """The stats of two sets of distinct customers (partitions) together."""
        return CohortStats(*(a + b for a, b in zip(astuple(self), astuple(other), strict=True)))


def customer_codes(customer: pd.Series) -> tuple[np.ndarray, int]:
    """Dense codes 0..n-1 for the customers of the activity table, and n."""
    if isinstance(customer.dtype, pd.CategoricalDtype):
        return customer.cat.codes.to_numpy(np.int64), len(customer.cat.categories)
    codes, uniques = pd.factorize(customer)
    return codes.astype(np.int64), len(uniques)


def assign_cohorts(
    activity: pd.DataFrame, start_active: bool = False
) -> tuple[pd.DataFrame, CohortStats]:
    """Add ``cohort`` (ordinal of the first active period) and ``offset`` to ``activity``.

    Keeps only the rows of customers with a cohort, from the cohort's period on. With a
    ``start`` column, marks each customer's first kept row (``member``: the cohort sizes count
    them, since offset 0 need not be active). With a ``start``
    column (each cell's earliest signup period), a customer with a signup belongs to its
    period's cohort, active or not (METRICS.md, Cohorts), and activity before it is counted
    apart; a customer whose rows all come before it keeps one empty row at offset 0. With
    ``start_active`` the start column holds the periods of start rows (``--start-where``): a
    customer's cohort is their first start's period, which is activity (offset 0 holds the
    whole cohort, as in PostHog); customers without a start row have no cohort. With a
    ``segment`` column (each cell's segment at its earliest active row), every row gets its
    customer's segment: the one of their first activity.
    """
    codes, customers = customer_codes(activity["customer"])
    period = activity["period"].to_numpy(np.int64)
    active = activity["orders"].to_numpy() > 0
    first = _first_active(codes, customers, np.where(active, period, NO_COHORT))
    start = first
    signed = np.zeros(customers, dtype=bool)
    if "start" in activity:
        signup = _first_active(codes, customers, activity["start"].to_numpy(np.int64))
        signed = signup != NO_COHORT
        start = np.where(signed, signup, NO_COHORT if start_active else first)
        if start_active:  # the start row is activity in its own period
            active = active | (period == start[codes])
    listing = np.zeros(len(codes), dtype=bool)
    unlisted = np.zeros(customers, dtype=bool)
    traded = seen_in(codes, customers, np.ones(len(codes), dtype=bool))  # with transactions
    if "listed" in activity:  # a customers table: its customers alone
        rows_listed = activity["listed"].to_numpy() > 0
        listed = np.zeros(customers, dtype=bool)
        listed[codes[rows_listed]] = True
        unlisted = ~listed
        start = np.where(listed, start, NO_COHORT)
        # a listing row without a signup marks who is listed; it is no cell of the matrix
        listing = rows_listed & ~active & (activity["start"].to_numpy(np.int64) == NO_COHORT)
        moved = activity["revenue"].to_numpy() != 0 if "revenue" in activity else False
        traded = seen_in(codes, customers, ~rows_listed | active | moved)
    cohort = start[codes]
    has_cohort = cohort != NO_COHORT
    seen = np.zeros(customers, dtype=bool)
    seen[codes] = True
    offset = period - np.where(has_cohort, cohort, 0)
    if start_active:  # the cohort's own period is active: at least one order there
        orders = activity["orders"].to_numpy(np.int64)
        activity = activity.assign(orders=np.where(active & (orders == 0), 1, orders))
    keep = has_cohort & (offset >= 0) & ~listing
    early = has_cohort & (offset < 0) & ~listing
    stats = CohortStats(
        refund_only_customers=0
        if start_active
        else int((traded & (first == NO_COHORT) & ~unlisted & ~signed).sum()),
        pre_cohort_periods=int((early & ~signed[codes]).sum()),
        before_signup=int((early & signed[codes] & active).sum()),
        without_start=int((seen & ~signed).sum()) if start_active else 0,
        unlisted_customers=int((seen & unlisted).sum()),
        unlisted_periods=int((unlisted[codes] & active).sum()),
        listed_without_cohort=int((seen & ~unlisted & (start == NO_COHORT)).sum())
        if "listed" in activity
        else 0,
    )
    columns = {name: activity[name] for name in activity.columns}
    columns.update(cohort=cohort, offset=offset)
    columns.pop("start", None)
    columns.pop("listed", None)
    if "segment" in activity:  # a customer's segment: that of their first activity
        at_first = np.full(customers, -1)
        rows = np.flatnonzero(active & (period == first[codes]))
        if "listed" in activity:  # or the customers table's (listed twice: the first row's)
            rows = np.flatnonzero(activity["listed"].to_numpy() > 0)[::-1]
        at_first[codes[rows]] = rows
        where = at_first[codes]
        segment = pa.array(activity["segment"], pa.string())
        columns["segment"] = pd.arrays.ArrowStringArray(
            segment.take(pa.array(np.maximum(where, 0), mask=where < 0))
        )
        columns.pop("first", None)
    if not keep.all():
        columns = {name: _kept(values, keep) for name, values in columns.items()}
    cohorted = pd.DataFrame(columns, copy=False)
    kept = np.zeros(customers, dtype=bool)
    kept[codes[keep]] = True
    lost = np.flatnonzero(seen & (start != NO_COHORT) & ~kept)  # all rows before the signup
    if len(lost):
        empty = {name: np.zeros(len(lost), np.int64) for name in ("period", "orders", "revenue")}
        empty = {name: values for name, values in empty.items() if name in cohorted}
        empty.update(period=start[lost], cohort=start[lost], offset=np.zeros(len(lost), np.int64))
        customer = activity["customer"]
        rows = {"customer": pd.Categorical.from_codes(lost, dtype=customer.dtype), **empty}
        if "segment" in cohorted:  # their first activity's, if any
            own = at_first[lost]
            text = segment.take(pa.array(np.maximum(own, 0), mask=own < 0))
            rows["segment"] = pd.arrays.ArrowStringArray(pc.fill_null(text, NO_SEGMENT))
        cohorted = pd.concat([cohorted, pd.DataFrame(rows)[cohorted.columns]], ignore_index=True)
    if "start" not in activity:  # sizes are the customers active at offset 0
        return cohorted, stats
    member_codes, _ = customer_codes(cohorted["customer"])
    member = np.zeros(len(cohorted), np.int64)
    if len(member_codes) and (member_codes[1:] >= member_codes[:-1]).all():  # grouped rows
        member[np.flatnonzero(np.concatenate([[True], member_codes[1:] != member_codes[:-1]]))] = 1
    else:
        member[np.unique(member_codes, return_index=True)[1]] = 1
    cohorted["member"] = member
    return cohorted, stats


WINDOW_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 91, "year": 365}
DAY_US = 86_400_000_000


def window_cohorts(
    activity: pd.DataFrame, period: str, week_start: str = "monday"
) -> tuple[pd.DataFrame, CohortStats]:
    """Cohorts and offsets measured from each customer's first activity (``--offsets
    relative``, as Amplitude's and PostHog's N-day windows): the cohort is the ``period`` of
    the first active moment t0, offset k the window [t0 + k L, t0 + (k + 1) L) with L of
    ``WINDOW_DAYS[period]`` days. ``activity`` holds day cells with their first and last
    active times (``tmin``, ``tmax``): a day meets at most two windows, and a customer is
    active in a window when a cell's first or last active time falls in it, so one row per
    (customer, window) with activity comes back, ``orders`` 1; no revenue."""
    from retain.activity import period_ordinals

    codes, customers = customer_codes(activity["customer"])
    tmin, tmax = activity["tmin"].to_numpy(np.int64), activity["tmax"].to_numpy(np.int64)
    active = activity["orders"].to_numpy() > 0
    t0 = _first_active(codes, customers, np.where(active, tmin, NO_COHORT))
    seen = np.zeros(customers, dtype=bool)
    seen[codes] = True
    length = WINDOW_DAYS[period] * DAY_US
    rows = np.flatnonzero(active)
    who = codes[rows]
    windows = np.concatenate([(tmin[rows] - t0[who]) // length, (tmax[rows] - t0[who]) // length])
    pairs = np.unique(np.concatenate([who, who]) * (1 << 32) + windows)
    customer, offset = pairs >> 32, pairs & ((1 << 32) - 1)
    starts = t0[customer].astype("datetime64[us]")
    cohort = period_ordinals(starts, period, week_start)
    cohorted = pd.DataFrame({
        "customer": pd.Categorical.from_codes(customer, dtype=activity["customer"].dtype)
        if isinstance(activity["customer"].dtype, pd.CategoricalDtype) else customer,
        "period": cohort + offset, "orders": np.ones(len(pairs), np.int64),
        "cohort": cohort, "offset": offset, "member": (offset == 0).astype(np.int64),
    })  # fmt: skip
    stats = CohortStats(refund_only_customers=int((seen & (t0 == NO_COHORT)).sum()))
    return cohorted, stats


def seen_in(codes: np.ndarray, customers: int, rows: np.ndarray) -> np.ndarray:
    """Which customers have a row among ``rows``."""
    seen = np.zeros(customers, dtype=bool)
    seen[codes[rows]] = True
    return seen


def _first_active(codes: np.ndarray, customers: int, period: np.ndarray) -> np.ndarray:
    """Each customer's smallest ``period`` (NO_COHORT where none): one ``reduceat`` when the
    rows come grouped by customer (as the engine's tables do), else ``minimum.at``."""
    first = np.full(customers, NO_COHORT, dtype=np.int64)
    if len(codes) and (codes[1:] >= codes[:-1]).all():
        starts = np.flatnonzero(np.concatenate([[True], codes[1:] != codes[:-1]]))
        first[codes[starts]] = np.minimum.reduceat(period, starts)
    else:
        np.minimum.at(first, codes, period)
    return first


def _kept(values, keep: np.ndarray):
    """The kept rows of one column (a Series keeps its dtype, categories included)."""
    if isinstance(values, pd.Series):
        return values[keep].reset_index(drop=True)
    return values[keep]


def since_cohorts(
    cohorted: pd.DataFrame, stats: CohortStats, since, period: str, week_start: str = "monday"
) -> tuple[pd.DataFrame, CohortStats]:
    """Only the cohorts whose period starts on or after ``since`` (METRICS.md, Window): the
    earlier rows have already decided each customer's cohort, so nobody returning is new."""
    from retain.activity import period_ordinals, period_starts

    day = np.datetime64(since, "D")
    first = int(period_ordinals(np.array([day]), period, week_start)[0])
    if period_starts(np.array([first]), period, week_start)[0] < day:
        first += 1
    keep = cohorted["cohort"].to_numpy() >= first
    hidden = cohorted.loc[~keep & (cohorted["offset"].to_numpy() == 0), "customer"].nunique()
    stats = replace(stats, before_since=int(hidden))
    return cohorted[keep].reset_index(drop=True), stats
