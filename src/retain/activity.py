"""Canonical transactions -> one row per (customer, period): ``orders`` and ``revenue``.

Periods are integer ordinals (consecutive periods differ by 1), so period offsets are plain
subtraction (METRICS.md, Cohorts: Period offset). The reduction is a sum per key: exact (integer
amounts) and associative, so activity tables of chunks or files merge with ``merge_activity``
into the table of the whole.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

PERIODS = ("day", "week", "month", "quarter", "year")
WEEK_STARTS = ("monday", "sunday")
# 1970-01-01 was a Thursday: day 0 is 3 days after a Monday, 4 after a Sunday.
_WEEK_SHIFT = {"monday": 3, "sunday": 4}


def period_ordinals(
    timestamps: pd.Series | np.ndarray, period: str, week_start: str = "monday"
) -> np.ndarray:
    """The ordinal of the period each timestamp falls in."""
    values = np.asarray(timestamps, dtype="datetime64[us]")
    if period == "day":
        return values.astype("datetime64[D]").astype(np.int64)
    if period == "week":
        return (values.astype("datetime64[D]").astype(np.int64) + _WEEK_SHIFT[week_start]) // 7
    if period == "month":
        return values.astype("datetime64[M]").astype(np.int64)
    if period == "quarter":
        return values.astype("datetime64[M]").astype(np.int64) // 3
    if period == "year":
        return values.astype("datetime64[Y]").astype(np.int64)
    raise ValueError(f"unknown period {period!r}; choose one of {', '.join(PERIODS)}")


def period_starts(ordinals: np.ndarray, period: str, week_start: str = "monday") -> np.ndarray:
    """The first day (datetime64[D]) of each period."""
    ordinals = np.asarray(ordinals, dtype=np.int64)
    if period == "day":
        return ordinals.astype("datetime64[D]")
    if period == "week":
        return (ordinals * 7 - _WEEK_SHIFT[week_start]).astype("datetime64[D]")
    if period == "month":
        return ordinals.astype("datetime64[M]").astype("datetime64[D]")
    if period == "quarter":
        return (ordinals * 3).astype("datetime64[M]").astype("datetime64[D]")
    if period == "year":
        return ordinals.astype("datetime64[Y]").astype("datetime64[D]")
    raise ValueError(f"unknown period {period!r}")


def period_label(ordinal: int, period: str, week_start: str = "monday") -> str:
    """METRICS.md labels: ``2024-03-05``, ``2024-W10`` (Sunday weeks: ``2024-03-03``), ``2024-03``,
    ``2024Q1``, ``2024``."""
    start = period_starts(np.array([ordinal]), period, week_start)[0].astype(dt.date)
    if period == "week" and week_start == "monday":
        year, week, _ = start.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{start.year}-{start.month:02d}"
    if period == "quarter":
        return f"{start.year}Q{(start.month - 1) // 3 + 1}"
    if period == "year":
        return str(start.year)
    return start.isoformat()


def reduce_activity(keys: pd.DataFrame) -> pd.DataFrame:
    """Sum ``orders`` and ``revenue`` per (customer, period), sorted by both."""
    reduced = keys.groupby(["customer", "period"], sort=True, observed=True).sum()
    return reduced.reset_index()


def build_activity(
    transactions: pd.DataFrame, period: str = "month", week_start: str = "monday"
) -> pd.DataFrame:
    """One row per (customer, period) with ``orders`` (rows with amount >= 0, every row without
    an amount column) and ``revenue`` (net sum of amounts, only when there are amounts).

    METRICS.md, Input: a customer is active in a period when ``orders > 0`` there.
    """
    keys = {
        "customer": transactions["customer"].to_numpy(),
        "period": period_ordinals(transactions["timestamp"], period, week_start),
    }
    if "amount" in transactions:
        amount = transactions["amount"].to_numpy(dtype=np.int64)
        keys["orders"] = (amount >= 0).astype(np.int64)
        keys["revenue"] = amount
    else:
        keys["orders"] = np.ones(len(transactions), dtype=np.int64)
    return reduce_activity(pd.DataFrame(keys))


def merge_activity(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """The activity table of the union of the inputs of ``tables`` (exact, any grouping)."""
    return reduce_activity(pd.concat(tables, ignore_index=True))
