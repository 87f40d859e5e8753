"""Calendar-period figures (METRICS.md, "Calendar-period figures": period t against t-1): pure
functions of the cohorted activity table.

``period_sums`` counts one table's customers per period (customers who are active, new,
retained, reactivated or churned; their revenue and its movements); sums of tables of distinct
customers add up, so partitions count apart. ``period_figures`` turns the sums into the figures
of METRICS.md: rates, GRR, NRR, ARPC, projected LTV and AOV.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retain.normalize import AMOUNT_SCALE

COUNTS = ("active", "new", "retained", "reactivated", "churned")
MONEY = ("revenue", "inactive_refunds", "new_revenue", "expansion", "contraction",
         "churned_revenue", "reactivation_revenue", "order_revenue")  # fmt: skip
COLUMNS = ("period", "active", "new", "retained", "reactivated", "churned", "retention_rate",
           "churn_rate", "revenue", "inactive_refunds", "new_revenue", "expansion",
           "contraction", "churned_revenue", "reactivation_revenue", "grr", "nrr", "arpc", "ltv",
           "aov")  # fmt: skip


KINDS = {**dict.fromkeys(COUNTS, "count"),
         **dict.fromkeys(("retention_rate", "churn_rate", "grr", "nrr"), "rate"),
         **dict.fromkeys((*MONEY[:-1], "arpc", "ltv", "aov"), "money")}  # fmt: skip


@dataclass
class Summary:
    """Calendar-period figures (``period_figures``), one frame per segment (key None without
    ``--segment``) with period labels, and which period is partial (its label, or None)."""

    figures: dict
    period: str
    as_of: dt.date
    partial: str | None
    segment: str | None = None


def last_complete(table: pd.DataFrame, partial: str | None):
    """The rows of a figures table's last complete period and of the one before it (each
    None when there is none): ``partial`` is the label of the period that is not complete."""
    complete = table[table["period"] != partial]
    now = complete.iloc[-1] if len(complete) else None
    return now, complete.iloc[-2] if len(complete) > 1 else None


def period_sums(cohorted: pd.DataFrame, last_period: int) -> pd.DataFrame:
    """Per period (ordinal, index): the counts of ``COUNTS``, ``orders``, and the money of
    ``MONEY`` in 1/AMOUNT_SCALE units, from the cohorted rows of customers with a cohort (one
    row per customer and period, from the cohort's period on). A customer active in period p
    and not in p+1 churns in p+1 when p+1 <= ``last_period``.

    METRICS.md: r_i(t) is a customer's net revenue in t when active in t, 0 when not; refunds
    booked in a period where the customer is not active are ``inactive_refunds``."""
    from retain.cohorts import customer_codes

    codes, _ = customer_codes(cohorted["customer"])
    period = cohorted["period"].to_numpy(np.int64)
    cohort = cohorted["cohort"].to_numpy(np.int64)
    orders = cohorted["orders"].to_numpy(np.int64)
    revenue = (cohorted["revenue"].to_numpy(np.int64) if "revenue" in cohorted
               else np.zeros(len(codes), np.int64))  # fmt: skip
    gross = (cohorted["gross"].to_numpy(np.int64) if "gross" in cohorted
             else np.where(orders > 0, revenue, 0))  # fmt: skip
    order = np.lexsort((period, codes))
    codes, period, cohort, orders, revenue, gross = (
        a[order] for a in (codes, period, cohort, orders, revenue, gross)
    )
    active = orders > 0
    inactive = ~active
    # active rows only, in (customer, period) order: each one's previous and next active period
    rows = np.flatnonzero(active)
    who, when, money = codes[rows], period[rows], revenue[rows]
    same_before = np.concatenate([[False], who[1:] == who[:-1]])
    same_after = np.concatenate([who[1:] == who[:-1], [False]])
    before = np.where(same_before, np.concatenate([[0], when[:-1]]), np.iinfo(np.int64).min)
    after = np.where(same_after, np.concatenate([when[1:], [0]]), np.iinfo(np.int64).max)
    earlier = np.concatenate([[0], money[:-1]])
    retained = before == when - 1
    new = when == cohort[rows]
    reactivated = ~retained & ~new
    churns = (after != when + 1) & (when + 1 <= last_period)
    rise = np.where(retained, money - earlier, 0)
    low = int(min(period.min(), last_period)) if len(period) else last_period
    size = last_period - low + 2

    def total(at: np.ndarray, values=None) -> np.ndarray:
        return np.bincount(at - low, weights=values, minlength=size)[:size]

    sums = {
        "active": total(when), "new": total(when[new]), "retained": total(when[retained]),
        "reactivated": total(when[reactivated]), "churned": total(when[churns] + 1),
        "orders": total(period, orders),
        "revenue": _exact(when - low, money, size),
        "inactive_refunds": _exact(period[inactive] - low, revenue[inactive], size),
        "new_revenue": _exact(when[new] - low, money[new], size),
        "expansion": _exact(when - low, np.maximum(rise, 0), size),
        "contraction": _exact(when - low, np.maximum(-rise, 0), size),
        "churned_revenue": _exact(when[churns] + 1 - low, money[churns], size),
        "reactivation_revenue": _exact(when[reactivated] - low, money[reactivated], size),
        "order_revenue": _exact(period - low, gross, size),
    }  # fmt: skip
    frame = pd.DataFrame({k: np.asarray(v, np.int64) for k, v in sums.items()})
    frame.index = pd.RangeIndex(low, low + size, name="period")
    return frame.loc[:last_period]


def _exact(at: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    from retain.activity import exact_sums

    return exact_sums(at, values.astype(np.int64), size)[:size]


def period_figures(sums: pd.DataFrame) -> pd.DataFrame:
    """The figures of METRICS.md per period from ``period_sums`` (of one table, or of tables
    of distinct customers added together), periods ascending; undefined figures (the first
    period, zero denominators) are NaN. Money in currency units."""
    sums = sums.sort_index()
    money = {k: sums[k].to_numpy(np.int64) for k in MONEY}
    previous_active = np.concatenate([[np.nan], sums["active"].to_numpy(float)[:-1]])
    previous_revenue = np.concatenate([[np.nan], money["revenue"][:-1].astype(float)])
    with np.errstate(divide="ignore", invalid="ignore"):
        retention = np.where(previous_active > 0, sums["retained"] / previous_active, np.nan)
        churn = np.where(previous_active > 0, sums["churned"] / previous_active, np.nan)
        lost = money["contraction"] + money["churned_revenue"]
        kept = previous_revenue > 0  # a net loss in t-1 retains nothing: undefined
        grr = np.where(kept, (previous_revenue - lost) / previous_revenue, np.nan)
        nrr = np.where(kept, (previous_revenue + money["expansion"] - lost) / previous_revenue,
                       np.nan)  # fmt: skip
        active = sums["active"].to_numpy(float)
        arpc = np.where(active > 0, money["revenue"] / AMOUNT_SCALE / active, np.nan)
        ltv = np.where(churn > 0, arpc / churn, np.nan)
        orders = sums["orders"].to_numpy(float)
        aov = np.where(orders > 0, money["order_revenue"] / AMOUNT_SCALE / orders, np.nan)
    figures = pd.DataFrame({"period": sums.index.to_numpy()})
    for name in COUNTS:
        figures[name] = sums[name].to_numpy(np.int64)
    figures["retention_rate"], figures["churn_rate"] = retention, churn
    for name in MONEY[:-1]:
        figures[name] = money[name] / AMOUNT_SCALE
    figures["grr"], figures["nrr"], figures["arpc"] = grr, nrr, arpc
    figures["ltv"], figures["aov"] = ltv, aov
    # the first period has no period before it: its movements are undefined, not 0
    moves = ["retained", "reactivated", "churned", "expansion", "contraction", "churned_revenue",
             "reactivation_revenue"]  # fmt: skip
    figures[moves] = figures[moves].astype(float)
    figures.loc[figures.index[:1], moves] = np.nan
    return figures
