"""The steps wired together, read -> normalize -> activity -> cohort -> metrics, for the CLI and
the Python API. Nothing here prints or knows about click."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retain.activity import build_activity, merge_activity
from retain.cohorts import CohortStats, assign_cohorts
from retain.errors import InputError
from retain.io import read_table
from retain.metrics import CohortResult, cohort_grids, cohort_table
from retain.normalize import Columns, DateOptions, RowCounts, detect_columns, normalize


@dataclass
class Activity:
    """The activity table of all inputs, with what it took to make it."""

    table: pd.DataFrame
    counts: RowCounts
    as_of: dt.date
    files: list[dict] = field(default_factory=list)  # name, columns, rows read per file

    @property
    def has_amount(self) -> bool:
        return "revenue" in self.table


@dataclass(frozen=True)
class Settings:
    """Everything that turns rows into an activity table."""

    customer: str | None = None
    date: str | None = None
    amount: str | None = None
    dates: DateOptions = DateOptions()
    on_bad_rows: str = "fail"
    period: str = "month"
    week_start: str = "monday"
    as_of: dt.date | None = None

    def columns(self, name: str, header: list[str]) -> Columns:
        return detect_columns(
            "<stdin>" if name == "-" else name, header, self.customer, self.date, self.amount
        )


def _wanted(columns: Columns) -> list[str]:
    return [c for c in (columns.customer, columns.date, columns.amount) if c is not None]


def _activity_of(
    name: str, frame: pd.DataFrame, columns: Columns, settings: Settings
) -> tuple[pd.DataFrame, RowCounts, np.datetime64 | None]:
    transactions, counts = normalize(name, frame, columns, settings.dates, settings.on_bad_rows)
    days = transactions["timestamp"].to_numpy().astype("datetime64[D]")
    if settings.as_of is not None:
        later = days > np.datetime64(settings.as_of, "D")
        counts.skip("after_as_of", later.sum())
        transactions, days = transactions[~later], days[~later]
    latest = days.max() if len(days) else None
    return build_activity(transactions, settings.period, settings.week_start), counts, latest


def _combine(parts: list, settings: Settings, files: list[dict]) -> Activity:
    tables, counts, latest = [], RowCounts(), []
    for table, part_counts, part_latest in parts:
        tables.append(table)
        counts += part_counts
        if part_latest is not None:
            latest.append(part_latest)
    if not latest:
        reasons = ", ".join(f"{n:,} {r}" for r, n in counts.skipped.items()) or "none"
        raise InputError(f"no usable rows among {counts.read:,} read (skipped: {reasons})")
    as_of = settings.as_of or max(latest).astype(dt.date)
    table = tables[0] if len(tables) == 1 else merge_activity(tables)
    return Activity(table, counts, as_of, files)


def read_activity(
    paths: list[str], settings: Settings = Settings(), encoding: str | None = None
) -> Activity:
    """Read every file (``-`` is stdin) and reduce it to one activity table."""
    parts, files = [], []
    for path in paths:
        raw = read_table(
            path, pick=lambda h, p=path: _wanted(settings.columns(p, h)), encoding=encoding
        )
        if raw.frame.empty:
            raise InputError(f"{raw.name}: has a header but no data rows")
        columns = settings.columns(raw.name, raw.header)
        parts.append(_activity_of(raw.name, raw.frame, columns, settings))
        files.append({"name": raw.name, "columns": vars(columns), "rows": len(raw.frame)})
    return _combine(parts, settings, files)


def frame_activity(frame: pd.DataFrame, settings: Settings = Settings()) -> Activity:
    """The activity table of an in-memory frame of transactions."""
    if frame.empty:
        raise InputError("the frame has no rows")
    header = [str(c) for c in frame.columns]
    columns = settings.columns("frame", header)
    part = _activity_of("frame", frame, columns, settings)
    return _combine(
        [part], settings, [{"name": "frame", "columns": vars(columns), "rows": len(frame)}]
    )


def cohorts_of(
    activity: Activity, settings: Settings, metric: str = "retention", counts: bool = False
) -> tuple[CohortResult, CohortStats]:
    """The cohort matrix of ``metric``, and what the cohort assignment left out."""
    cohorted, stats = assign_cohorts(activity.table)
    grids = cohort_grids(cohorted, activity.as_of, settings.period, settings.week_start)
    return cohort_table(grids, metric, counts), stats


def cohort_matrix(
    frame: pd.DataFrame,
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
    period: str = "month",
    metric: str = "retention",
    *,
    counts: bool = False,
    week_start: str = "monday",
    as_of: dt.date | str | None = None,
    tz: str | None = None,
    dayfirst: bool = False,
    date_format: str | None = None,
    on_bad_rows: str = "fail",
) -> pd.DataFrame:
    """The cohort matrix of a transactions frame, the same numbers as ``retain cohort``.

    Returns a frame indexed by cohort label with a ``customers`` column and one column per period
    offset (NaN where unobserved or undefined). ``attrs`` holds ``metric``, ``period``,
    ``as_of``, ``partial`` (cohort -> offset of its partial cell) and ``weighted_average``.

    Example::

        >>> m = retain.cohort_matrix(orders, customer="customer_id", date="order_date")
    """
    if isinstance(as_of, str):
        as_of = dt.date.fromisoformat(as_of)
    settings = Settings(
        customer,
        date,
        amount,
        DateOptions(date_format, dayfirst, tz),
        on_bad_rows,
        period,
        week_start,
        as_of,
    )
    result, _ = cohorts_of(frame_activity(frame, settings), settings, metric, counts)
    table = result.table
    table.attrs.update(
        metric=metric,
        period=period,
        as_of=result.grids.as_of.isoformat(),
        partial=result.partial,
        weighted_average=None if result.average is None else result.average.tolist(),
    )
    return table
