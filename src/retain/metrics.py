"""Cohort matrices (METRICS.md, "Cohort matrices"): pure functions of the cohorted activity table.

``cohort_grids`` counts once per cohort and offset (cohort size S_c, active customers A_{c,k},
orders, revenue Rev_{c,k}) and marks the unobserved and partial cells; ``cohort_table`` turns the
grids into the matrix of one metric, with its weighted average row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retain.activity import exact_sums, period_label, period_ordinals, period_starts
from retain.errors import MetricError
from retain.normalize import AMOUNT_SCALE

METRICS = ("retention", "churn", "revenue", "revenue-retention")
MAX_CELLS = 5_000_000  # a matrix larger than this is a sign of stray dates, not of a question


@dataclass
class CohortGrids:
    """Per-cohort counts; 2-D arrays are indexed [cohort row, offset]."""

    cohorts: np.ndarray  # cohort period ordinals, ascending
    labels: list[str]
    sizes: np.ndarray  # S_c
    active: np.ndarray  # A_{c,k}
    orders: np.ndarray
    revenue: np.ndarray | None  # Rev_{c,k} in 1/AMOUNT_SCALE units; None without amounts
    observed: np.ndarray  # period c+k starts on or before the as-of date
    partial: np.ndarray  # period c+k contains the as-of date and ends after it
    period: str
    week_start: str
    as_of: dt.date


def cohort_sums(cohorted: pd.DataFrame) -> pd.DataFrame:
    """The cohorted activity table (``assign_cohorts``) summed per (cohort, offset): ``active``
    customers (rows with orders > 0), ``orders`` and ``revenue``. Sums of tables of distinct
    customers add up (``cohort_grids`` adds repeated cells), so partitions count apart."""
    cohort = cohorted["cohort"].to_numpy(dtype=np.int64)
    offset = cohorted["offset"].to_numpy(dtype=np.int64)
    columns = {"active": (cohorted["orders"].to_numpy() > 0).astype(np.int64),
               "orders": cohorted["orders"].to_numpy(np.int64)}  # fmt: skip
    if "revenue" in cohorted:
        columns["revenue"] = cohorted["revenue"].to_numpy(np.int64)
    if not len(cohort):
        return pd.DataFrame({"cohort": cohort, "offset": offset, **columns})
    base, first = int(offset.max()) + 1, int(cohort.min())
    code = (cohort - first) * base + offset
    size = int(code.max()) + 1
    if size <= 4 * len(code):  # a dense grid: counted straight into it
        cells = np.flatnonzero(np.bincount(code, minlength=size))
        sums = {name: exact_sums(code, values, size)[cells] for name, values in columns.items()}
    else:
        cells, cell = np.unique(code, return_inverse=True)
        sums = {name: exact_sums(cell, values, len(cells)) for name, values in columns.items()}
    return pd.DataFrame({"cohort": cells // base + first, "offset": cells % base, **sums})


def cohort_grids(
    cohorted: pd.DataFrame, as_of: dt.date, period: str = "month", week_start: str = "monday"
) -> CohortGrids:
    """Count the cohorted activity table (``assign_cohorts``) into cohort x offset grids."""
    return grids_of(cohort_sums(cohorted), as_of, period, week_start)


def grids_of(
    sums: pd.DataFrame, as_of: dt.date, period: str = "month", week_start: str = "monday"
) -> CohortGrids:
    """The cohort x offset grids of ``cohort_sums`` (of one table, or of partitions put one
    after the other: repeated cells add up).

    Offsets run from 0 to the offset of the as-of period for the oldest cohort; a cell whose
    period starts after ``as_of`` is unobserved, the one containing ``as_of`` is partial unless
    ``as_of`` is its last day (METRICS.md, Cohorts: As-of date).
    """
    cohort = sums["cohort"].to_numpy(dtype=np.int64)
    offset = sums["offset"].to_numpy(dtype=np.int64)
    cohorts = np.unique(cohort)
    as_of_period = int(period_ordinals(np.array([np.datetime64(as_of)]), period, week_start)[0])
    if cohorts.size == 0:
        raise MetricError(
            "no customer has an order (a row with an amount of 0 or more) by the as-of date, "
            "so there is no cohort to show"
        )
    width = as_of_period - int(cohorts[0]) + 1
    if cohorts.size * width > MAX_CELLS:
        first = period_label(int(cohorts[0]), period, week_start)
        raise MetricError(
            f"the data spans {width:,} {period}s, from {first} to {as_of}: too many for a matrix; "
            "look for stray dates with `retain inspect`, or pass --since or a longer --period"
        )
    row = np.searchsorted(cohorts, cohort)
    cell = row * width + offset
    shape = (cohorts.size, width)

    def grid(values: np.ndarray) -> np.ndarray:  # exact integer sums per cell
        return exact_sums(cell, values.astype(np.int64), cohorts.size * width).reshape(shape)

    period_of_cell = cohorts[:, None] + np.arange(width)[None, :]
    next_start = period_starts(np.array([as_of_period + 1]), period, week_start)[0]
    as_of_is_last_day = np.datetime64(as_of, "D") == next_start - np.timedelta64(1, "D")
    revenue = grid(sums["revenue"].to_numpy()) if "revenue" in sums else None
    active_grid = grid(sums["active"].to_numpy())
    return CohortGrids(
        cohorts=cohorts,
        labels=[period_label(int(c), period, week_start) for c in cohorts],
        sizes=active_grid[:, 0].copy(),
        active=active_grid,
        orders=grid(sums["orders"].to_numpy()),
        revenue=revenue,
        observed=period_of_cell <= as_of_period,
        partial=(period_of_cell == as_of_period) & (not as_of_is_last_day),
        period=period,
        week_start=week_start,
        as_of=as_of,
    )


@dataclass
class CohortResult:
    """One metric's matrix: ``table`` has index ``cohort`` (labels), a ``customers`` column, and
    one column per offset 0..K; NaN/NA marks unobserved or undefined cells."""

    metric: str
    kind: str  # "rate", "count" or "money": how to show the numbers
    table: pd.DataFrame
    partial: dict[str, int]  # cohort label -> offset of its partial cell
    average: pd.Series | None  # weighted average row over complete cells, by offset
    grids: CohortGrids


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


def cohort_table(
    grids: CohortGrids, metric: str = "retention", counts: bool = False
) -> CohortResult:
    """The matrix of ``metric`` (METRICS.md, Cohort matrices):

    - retention R_{c,k} = A_{c,k} / S_c; with ``counts``, A_{c,k};
    - churn 1 - R_{c,k}; with ``counts``, S_c - A_{c,k};
    - revenue Rev_{c,k} (refunds net, currency units);
    - revenue-retention Rev_{c,k} / Rev_{c,0}, undefined where Rev_{c,0} <= 0.

    The weighted average row (rates only) sums over the cohorts whose cell at k is observed and
    complete: sum A_{c,k} / sum S_c for retention, 1 minus that for churn, and
    sum Rev_{c,k} / sum Rev_{c,0} (over cohorts with Rev_{c,0} > 0) for revenue retention.
    """
    if metric not in METRICS:
        raise MetricError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    if counts and metric not in ("retention", "churn"):
        raise MetricError("--counts goes with --metric retention or churn")
    if metric.startswith("revenue") and grids.revenue is None:
        raise MetricError(
            f"--metric {metric} needs an amount column; pass --amount COLUMN "
            "(none of the file's columns looks like one)"
        )
    sizes = grids.sizes[:, None].astype(np.float64)
    complete = grids.observed & ~grids.partial
    average = None
    if metric in ("retention", "churn"):
        values = grids.active.astype(np.float64)
        if metric == "churn":
            values = sizes - values
        if not counts:
            values = values / sizes
            retained = _ratio((grids.active * complete).sum(0), (sizes * complete).sum(0))
            average = retained if metric == "retention" else 1 - retained
    elif metric == "revenue":
        values = grids.revenue / AMOUNT_SCALE
    else:
        first = grids.revenue[:, :1]
        values = _ratio(grids.revenue, np.broadcast_to(first, grids.revenue.shape))
        defined = complete & (first > 0)
        average = _ratio((grids.revenue * defined).sum(0), (first * defined).sum(0))
    values = np.where(grids.observed, values, np.nan)
    offsets = list(range(values.shape[1]))
    table = pd.DataFrame(values, columns=offsets)
    if counts:
        table = table.astype("Int64")
    table.insert(0, "customers", grids.sizes)
    table.index = pd.Index(grids.labels, name="cohort")
    partial = {
        grids.labels[r]: int(k)
        for r, k in zip(*np.nonzero(grids.partial & grids.observed), strict=True)
    }
    kind = "count" if counts else "money" if metric == "revenue" else "rate"
    avg = None if average is None else pd.Series(average, index=offsets, name="weighted average")
    return CohortResult(metric, kind, table, partial, avg, grids)
