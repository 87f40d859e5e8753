"""Cohort matrices (METRICS.md, "Cohort matrices"): pure functions of the cohorted activity table.

``cohort_grids`` counts once per cohort and offset (cohort size S_c, active customers A_{c,k},
orders, revenue Rev_{c,k}, and the customers whose last activity or second order falls at k)
and marks the unobserved and partial cells; ``cohort_table`` turns the grids into the matrix of
one metric (one function per metric below), with its average row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from retain.activity import exact_sums, period_label, period_ordinals, period_starts
from retain.errors import MetricError
from retain.normalize import AMOUNT_SCALE

METRICS = ("retention", "churn", "revenue", "revenue-retention", "ltv", "orders", "repeat")
MEANS = ("weighted", "simple", "none")
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
    last: np.ndarray | None  # customers whose last active period is c+k (None: not counted)
    second: np.ndarray | None  # customers whose second order is in period c+k
    bracketed: np.ndarray | None  # customers whose first activity in a bracket is at c+k
    observed: np.ndarray  # period c+k starts on or before the as-of date
    partial: np.ndarray  # period c+k contains the as-of date and ends after it
    period: str
    week_start: str
    as_of: dt.date


def parse_brackets(spec) -> list[tuple[int, int]]:
    """Offset brackets from ``"0,1-7,8-14,15-30"`` (or a list of such items): ascending,
    non-overlapping ranges of offsets, each ``N`` or ``N-M``."""
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    brackets = []
    for item in items:
        if isinstance(item, tuple | list):  # (first, last), as parsed before
            item = f"{item[0]}-{item[1]}"
        item = str(item)
        low, _, high = item.strip().partition("-")
        if not low.isdigit() or (high and not high.isdigit()):
            raise MetricError(f"bracket {item.strip()!r} is not N or N-M (offsets, 0 or more)")
        bracket = (int(low), int(high or low))
        if bracket[1] < bracket[0] or (brackets and bracket[0] <= brackets[-1][1]):
            raise MetricError(
                f"bracket {item.strip()!r}: brackets must ascend without overlapping, "
                "like 0,1-7,8-14"
            )
        brackets.append(bracket)
    if not brackets:
        raise MetricError("no brackets given; write them like 0,1-7,8-14,15-30")
    return brackets


def bracket_label(bracket: tuple[int, int]) -> str:
    return str(bracket[0]) if bracket[0] == bracket[1] else f"{bracket[0]}-{bracket[1]}"


MARKS = ("last", "second")


def cohort_sums(cohorted: pd.DataFrame, brackets=None, marks=MARKS) -> pd.DataFrame:
    """The cohorted activity table (``assign_cohorts``) summed per (cohort, offset): ``active``
    customers (rows with orders > 0), ``orders``, ``revenue``, and the customers whose ``last``
    active period, and whose ``second`` order, falls there; with ``brackets``, the customers
    whose first activity in a bracket falls there (``bracketed``). Sums of tables of distinct
    customers add up (``cohort_grids`` adds repeated cells), so partitions count apart."""
    cohort = cohorted["cohort"].to_numpy(dtype=np.int64)
    offset = cohorted["offset"].to_numpy(dtype=np.int64)
    orders = cohorted["orders"].to_numpy(np.int64)
    columns = {"active": (orders > 0).astype(np.int64), "orders": orders}
    if "member" in cohorted:  # each customer's first row: the cohort sizes
        columns["members"] = cohorted["member"].to_numpy(np.int64)
    else:
        columns["members"] = columns["active"] * (offset == 0)
    if "revenue" in cohorted:
        columns["revenue"] = cohorted["revenue"].to_numpy(np.int64)
    if marks or brackets is not None:  # only the marks the view needs: they cost a pass each
        found = _customer_marks(cohorted, offset, orders, brackets)
        columns.update({k: v for k, v in found.items() if k in marks or k == "bracketed"})
    segments = None
    if "segment" in cohorted:  # one more key: the customers' segment
        encoded = pc.dictionary_encode(
            pa.chunked_array([pa.array(cohorted["segment"], pa.string())]).combine_chunks()
        )
        segments, segment = encoded.dictionary, encoded.indices.to_numpy().astype(np.int64)
    if not len(cohort):
        empty = {"segment": []} if segments is not None else {}
        return pd.DataFrame({**empty, "cohort": cohort, "offset": offset, **columns})
    base, first = int(offset.max()) + 1, int(cohort.min())
    span = (int(cohort.max()) - first + 1) * base
    code = (cohort - first) * base + offset
    if segments is not None:
        code += segment * span
    size = int(code.max()) + 1
    if size <= 4 * len(code):  # a dense grid: counted straight into it
        cells = np.flatnonzero(np.bincount(code, minlength=size))
        sums = {name: exact_sums(code, values, size)[cells] for name, values in columns.items()}
    else:
        cells, cell = np.unique(code, return_inverse=True)
        sums = {name: exact_sums(cell, values, len(cells)) for name, values in columns.items()}
    keys = {}
    if segments is not None:
        keys["segment"] = segments.take(pa.array(cells // span)).to_pylist()
    within = cells % span
    return pd.DataFrame({**keys, "cohort": within // base + first, "offset": within % base,
                         **sums})  # fmt: skip


def _customer_marks(
    cohorted: pd.DataFrame, offset: np.ndarray, orders: np.ndarray, brackets=None
) -> dict:
    """Per row, 1 where it is its customer's last active row (``last``), the row where the
    customer's orders reach two (``second``), or the customer's first active row in a bracket
    (``bracketed``); rows taken in (customer, offset) order."""
    from retain.cohorts import customer_codes

    codes, _ = customer_codes(cohorted["customer"])
    n = len(codes)
    names = ["last", "second"] + ["bracketed"] * (brackets is not None)
    marks = {name: np.zeros(n, np.int64) for name in names}
    if not n:
        return marks
    ordered = (codes[1:] > codes[:-1]) | ((codes[1:] == codes[:-1]) & (offset[1:] >= offset[:-1]))
    order = None if ordered.all() else np.lexsort((offset, codes))
    codes_o, orders_o = (codes, orders) if order is None else (codes[order], orders[order])
    ends = np.append(codes_o[1:] != codes_o[:-1], True)  # last row of each customer
    starts = np.flatnonzero(np.concatenate([[True], ends[:-1]]))
    active = orders_o > 0
    # the last active row: the customer's last row with orders > 0
    position = np.where(active, np.arange(n), -1)
    last_rows = np.maximum.reduceat(position, starts)
    # the row where the running count of orders first reaches 2
    running = np.cumsum(orders_o)
    before = np.repeat(
        np.concatenate([[0], running[starts[1:] - 1]]), np.diff(np.append(starts, n))
    )
    mine = running - before
    second = (mine >= 2) & (mine - orders_o < 2)
    last = np.zeros(n, np.int64)
    last[last_rows[last_rows >= 0]] = 1
    found = {"last": last, "second": second.astype(np.int64)}
    if brackets is not None:
        offset_o = offset if order is None else offset[order]
        lows = np.array([b[0] for b in brackets])
        which = np.searchsorted(lows, offset_o, side="right") - 1
        inside = (which >= 0) & (offset_o <= np.array([b[1] for b in brackets])[which])
        rows = np.flatnonzero(active & inside)  # first of each (customer, bracket) among them
        pairs = codes_o[rows] * len(brackets) + which[rows]
        first = rows[np.concatenate([[True], pairs[1:] != pairs[:-1]])] if len(rows) else rows
        found["bracketed"] = np.zeros(n, np.int64)
        found["bracketed"][first] = 1
    if order is None:
        return found
    for name, values in found.items():
        marks[name][order] = values
    return marks


def cohort_grids(
    cohorted: pd.DataFrame, as_of: dt.date, period: str = "month", week_start: str = "monday"
) -> CohortGrids:
    """Count the cohorted activity table (``assign_cohorts``) into cohort x offset grids."""
    return grids_of(cohort_sums(cohorted), as_of, period, week_start)


def grids_of(
    sums: pd.DataFrame, as_of: dt.date, period: str = "month", week_start: str = "monday",
    window_days: int | None = None,
) -> CohortGrids:  # fmt: skip
    """The cohort x offset grids of ``cohort_sums`` (of one table, or of partitions put one
    after the other: repeated cells add up).

    Offsets run from 0 to the offset of the as-of period for the oldest cohort; a cell whose
    period starts after ``as_of`` is unobserved, the one containing ``as_of`` is partial unless
    ``as_of`` is its last day (METRICS.md, Cohorts: As-of date). With ``window_days``, offsets
    are windows of that many days from each customer's first activity (``--offsets
    relative``): window k of cohort c is observed once it has begun for the cohort's earliest
    possible start (the period's first day), and complete once it has ended for the latest
    (the period's last instant).
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
    end = np.datetime64(as_of, "D") + 1  # the as-of date's end
    if window_days is not None:
        first_day = period_starts(cohorts[:1], period, week_start)[0]
        width = -(-int((end - first_day) // np.timedelta64(1, "D")) // window_days)  # begun
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
    observed = period_of_cell <= as_of_period
    partial = (period_of_cell == as_of_period) & (not as_of_is_last_day)
    if window_days is not None:
        window = np.timedelta64(window_days, "D") * np.arange(width)[None, :]
        begins = period_starts(cohorts, period, week_start)[:, None]
        ends = period_starts(cohorts + 1, period, week_start)[:, None]
        observed = begins + window < end
        partial = observed & ~(ends + window + np.timedelta64(window_days, "D") <= end)
    revenue = grid(sums["revenue"].to_numpy()) if "revenue" in sums else None
    active_grid = grid(sums["active"].to_numpy())
    last, second = (grid(sums[m].to_numpy()) if m in sums else None for m in MARKS)
    sizes = grid(sums["members"].to_numpy()).sum(axis=1)
    bracketed = grid(sums["bracketed"].to_numpy()) if "bracketed" in sums else None
    return CohortGrids(
        cohorts=cohorts,
        labels=[period_label(int(c), period, week_start) for c in cohorts],
        sizes=sizes,
        active=active_grid,
        orders=grid(sums["orders"].to_numpy()),
        revenue=revenue,
        last=last,
        second=second,
        bracketed=bracketed,
        observed=observed,
        partial=partial,
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
    average: pd.Series | None  # average row over the shown cohorts' complete cells, by offset
    grids: CohortGrids
    mean: str = "weighted"  # how the average row averages: weighted or simple
    hidden: tuple[int, int] = (0, 0)  # cohorts and customers under --min-cohort-size
    view: dict = field(default_factory=dict)  # rolling, relative, brackets: how cells count
    # every partial column of each cohort (relative windows may have two)
    partial_cells: dict[str, list[int]] = field(default_factory=dict)

    def _repr_html_(self) -> str | None:  # Jupyter shows the heatmap (render.notebook)
        from retain.render.notebook import html

        return html(self)


@dataclass
class Segmented:
    """One matrix per value of the segment ``column`` (``--segment``), values in text order.
    A customer belongs to the segment of their first activity."""

    column: str
    results: dict[str, CohortResult]

    def _repr_html_(self) -> str | None:
        from retain.render.notebook import html

        return html(self)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            denominator > 0, numerator / np.where(denominator > 0, denominator, 1), np.nan
        )


# One function per metric: the cells as numerator / denominator (or the numbers themselves
# when the denominator is None), so that the average row of a rate is the same ratio of sums.


def active_customers(grids: CohortGrids, rolling: bool = False) -> np.ndarray:
    """A_{c,k}: customers of cohort c active in period c+k; ``rolling``: active in any period
    >= c+k, the numerator of U_{c,k} (METRICS.md, rolling retention)."""
    if not rolling:
        return grids.active
    if grids.last is None:
        raise MetricError("these grids were counted without last activities (cohort_sums marks)")
    return np.cumsum(grids.last[:, ::-1], axis=1)[:, ::-1]


def retention(grids: CohortGrids, rolling: bool = False):
    """R_{c,k} = A_{c,k} / S_c, or U_{c,k} with ``rolling`` (METRICS.md, retention)."""
    return active_customers(grids, rolling), _sizes(grids)


def revenue_retention(grids: CohortGrids):
    """Rev_{c,k} / Rev_{c,0}, undefined where Rev_{c,0} <= 0 (METRICS.md, revenue retention)."""
    return grids.revenue, np.broadcast_to(grids.revenue[:, :1], grids.revenue.shape)


def ltv(grids: CohortGrids):
    """L_{c,k} = (Rev_{c,0} + ... + Rev_{c,k}) / S_c (METRICS.md, cumulative LTV)."""
    return np.cumsum(grids.revenue, axis=1), _sizes(grids)


def repeat_purchase(grids: CohortGrids):
    """The share of cohort c with at least 2 orders by the end of offset k (METRICS.md,
    repeat-purchase rate); the numerator is the count."""
    if grids.second is None:
        raise MetricError("these grids were counted without second orders (cohort_sums marks)")
    return np.cumsum(grids.second, axis=1), _sizes(grids)


def _sizes(grids: CohortGrids) -> np.ndarray:
    return np.broadcast_to(grids.sizes[:, None], grids.active.shape)


def _bracketed(grids: CohortGrids, brackets: list[tuple[int, int]]):
    """Customers retained per bracket (active in any of its offsets), and which brackets are
    observed (first offset observed) and partial (observed, not every offset complete)."""
    width = grids.active.shape[1]
    complete = grids.observed & ~grids.partial
    shape = (len(grids.sizes), len(brackets))
    counts, observed, whole = (
        np.zeros(shape, np.int64),
        np.zeros(shape, bool),
        np.zeros(shape, bool),
    )
    for b, (low, high) in enumerate(brackets):
        if low >= width:
            continue
        counts[:, b] = grids.bracketed[:, low : high + 1].sum(axis=1)
        observed[:, b] = grids.observed[:, low]
        whole[:, b] = complete[:, low : high + 1].all(axis=1) if high < width else False
    return counts, observed, observed & ~whole


def _previous(numerator: np.ndarray, denominator: np.ndarray):
    """Each cell over the cohort's cell at the previous offset (offset 0 over its own base)."""
    before = np.concatenate([denominator[:, :1], numerator[:, :-1]], axis=1)
    return numerator, before


def cohort_table(
    grids: CohortGrids,
    metric: str = "retention",
    counts: bool = False,
    *,
    rolling: bool = False,
    relative: str = "first",
    mean: str = "weighted",
    max_offset: int | None = None,
    min_cohort_size: int | None = None,
    brackets: list[tuple[int, int]] | None = None,
) -> CohortResult:
    """The matrix of ``metric`` (METRICS.md, Cohort matrices):

    - retention R_{c,k} = A_{c,k} / S_c; ``rolling``: U_{c,k} (active in any period >= c+k);
      with ``counts``, the customers;
    - churn 1 - R_{c,k} (1 - U_{c,k} with ``rolling``: gone for good); with ``counts``,
      S_c minus the customers;
    - revenue Rev_{c,k} (refunds net, currency units);
    - revenue-retention Rev_{c,k} / Rev_{c,0}, undefined where Rev_{c,0} <= 0;
    - ltv L_{c,k}, cumulative revenue per customer of the cohort;
    - orders: rows with amount >= 0 of cohort c in period c+k;
    - repeat: the share of the cohort with 2+ orders by the end of offset k (``counts``: those
      customers).

    ``relative="previous"`` divides each retention or revenue-retention cell by the cohort's
    cell at the previous offset instead of offset 0. The average row (``mean``: weighted, the
    ratio of sums; simple, the mean of the rates; none) uses the shown cohorts' cells that are
    observed and complete. ``max_offset`` drops later offsets; ``min_cohort_size`` hides
    smaller cohorts (counted in ``hidden``). ``brackets`` (``parse_brackets``) groups offsets
    into ranges: a customer is retained in a bracket when active in any of its offsets; a
    bracket is observed when its first offset is, and complete when all of its offsets are.
    """
    if metric not in METRICS:
        raise MetricError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    if mean not in MEANS:
        raise MetricError(f"unknown mean {mean!r}; choose one of {', '.join(MEANS)}")
    if counts and metric not in ("retention", "churn", "repeat"):
        raise MetricError("counts go with the retention, churn and repeat metrics")
    if rolling and metric not in ("retention", "churn"):
        raise MetricError("rolling goes with the retention and churn metrics")
    if relative not in ("first", "previous"):
        raise MetricError(f"unknown relative {relative!r}; choose first or previous")
    if relative == "previous" and (counts or metric not in ("retention", "revenue-retention")):
        raise MetricError("relative previous goes with the retention and revenue-retention rates")
    if metric in ("revenue", "revenue-retention", "ltv") and grids.revenue is None:
        raise MetricError(
            f"--metric {metric} needs an amount column; pass --amount COLUMN "
            "(none of the file's columns looks like one)"
        )
    denominator = None
    if metric in ("retention", "churn"):
        numerator, denominator = retention(grids, rolling)
    elif metric == "revenue-retention":
        numerator, denominator = revenue_retention(grids)
    elif metric == "ltv":
        numerator, denominator = ltv(grids)
    elif metric == "repeat":
        numerator, denominator = repeat_purchase(grids)
    else:
        numerator = grids.revenue if metric == "revenue" else grids.orders
    if relative == "previous":
        numerator, denominator = _previous(numerator, denominator)
    observed, partial = grids.observed, grids.partial
    if brackets is not None:
        if metric not in ("retention", "churn") or rolling or relative != "first":
            raise MetricError("brackets go with the classic retention and churn metrics")
        numerator, observed, partial = _bracketed(grids, brackets)
        denominator = np.broadcast_to(grids.sizes[:, None], numerator.shape)
    shown = np.ones(len(grids.sizes), dtype=bool)
    if min_cohort_size:
        shown = grids.sizes >= min_cohort_size
    width = numerator.shape[1]
    if max_offset is not None:  # offsets, or brackets that begin by then
        limit = max_offset + 1 if brackets is None else sum(b[0] <= max_offset for b in brackets)
        width = min(limit, width)
    rows = np.flatnonzero(shown)
    observed, partial = observed[rows, :width], partial[rows, :width]
    numerator = np.asarray(numerator)[rows, :width].astype(np.float64)
    sizes = grids.sizes[rows]
    if denominator is not None:
        denominator = np.asarray(denominator)[rows, :width].astype(np.float64)
    scale = AMOUNT_SCALE if metric in ("revenue", "ltv") else 1
    average = None
    if denominator is not None and not counts:
        ratios = _ratio(numerator, denominator)
        values = ratios / scale
        complete = observed & ~partial & (denominator > 0)
        if mean == "weighted":
            average = _ratio((numerator * complete).sum(0), (denominator * complete).sum(0))
        elif mean == "simple":
            average = _ratio(np.where(complete, ratios, 0).sum(0), complete.sum(0))
        if average is not None:
            average = average / scale
            average = 1 - average if metric == "churn" else average
        if metric == "churn":
            values = 1 - values
    else:
        values = numerator / scale
        if metric == "churn":
            values = sizes[:, None] - values
    values = np.where(observed, values, np.nan)
    offsets = list(range(width))
    if brackets is not None:
        offsets = [bracket_label(b) for b in brackets[:width]]
    table = pd.DataFrame(values, columns=offsets)
    kind = "count" if counts or metric == "orders" else "money" if scale > 1 else "rate"
    if kind == "count":
        table = table.astype("Int64")
    table.insert(0, "customers", sizes)
    labels = [grids.labels[r] for r in rows]
    table.index = pd.Index(labels, name="cohort")
    partial_cells: dict[str, list[int]] = {}  # observed, incomplete columns of each cohort
    for r, k in zip(*np.nonzero(partial & observed), strict=True):
        partial_cells.setdefault(labels[r], []).append(int(k))
    first_partial = {label: ks[0] for label, ks in partial_cells.items()}
    avg = None if average is None else pd.Series(average, index=offsets, name=f"{mean} average")
    hidden = (int((~shown).sum()), int(grids.sizes[~shown].sum()))
    labels_of = None if brackets is None else [bracket_label(b) for b in brackets]
    view = {"rolling": rolling, "relative": relative, "brackets": labels_of}
    return CohortResult(metric, kind, table, first_partial, avg, grids, mean, hidden, view,
                        partial_cells)  # fmt: skip
