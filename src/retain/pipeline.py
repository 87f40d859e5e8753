"""The steps wired together, read -> normalize -> activity -> cohort -> metrics, for the CLI and
the Python API. Nothing here prints or knows about click."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd
import pyarrow as pa

from retain.activity import build_activity, merge_activity
from retain.cohorts import CohortStats, assign_cohorts
from retain.errors import BadRowsError, InputError
from retain.metrics import CohortResult, cohort_grids, cohort_table
from retain.normalize import (
    BAD_ROWS,
    Columns,
    DateOptions,
    RowCounts,
    detect_columns,
    normalize,
    window,
)
from retain.sources.files import RawTable, read_table

FUTURE_SLACK = dt.timedelta(days=1)  # time zones: "today" somewhere may be tomorrow here


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
    since: dt.date | None = None
    until: dt.date | None = None
    dedupe: bool = False
    decimal: str = "."
    encoding: str | None = None
    delimiter: str | None = None
    today: dt.date | None = None  # the run date, for future dates; None: the machine's date

    def columns(self, name: str, header: list[str]) -> Columns:
        return detect_columns(
            "<stdin>" if name == "-" else name, header, self.customer, self.date, self.amount
        )

    def plain_values(self) -> bool:
        """Whether dates and amounts read as their defaults: ISO dates kept as written, numbers
        with a decimal point. Then pyarrow may parse them as it reads."""
        return self.dates == DateOptions() and self.decimal == "."

    def future_after(self) -> dt.date | None:
        """Dates after this one are in the future, unless --as-of or --until cuts the data."""
        if self.as_of is not None or self.until is not None:
            return None
        return (self.today or dt.date.today()) + FUTURE_SLACK


def _wanted(columns: Columns) -> list[str]:
    return [c for c in (columns.customer, columns.date, columns.amount) if c is not None]


@dataclass
class Part:
    """One input's rows after normalizing: canonical transactions and their accounting."""

    name: str
    transactions: pd.DataFrame
    counts: RowCounts
    info: dict  # name, columns, rows, and how the text and values were read


def column_picker(settings: Settings, path: str, every_column: bool = False, text: bool = False):
    """What ``read_table`` should load from a header: the three columns, with the types pyarrow
    may parse them to (unless ``text``); or every column as text (for exact duplicates)."""

    def pick(header: list[str]) -> dict:
        if every_column:
            return dict.fromkeys(h for h in header if h)
        columns = settings.columns(path, header)
        wanted = dict.fromkeys(_wanted(columns))
        if settings.plain_values() and not text:
            wanted[columns.date] = pa.timestamp("us")
            if columns.amount:
                wanted[columns.amount] = pa.float64()
        return wanted

    return pick


def _read(path: str, settings: Settings, every_column: bool = False, text: bool = False):
    raw = read_table(
        path, pick=column_picker(settings, path, every_column, text), encoding=settings.encoding,
        delimiter=settings.delimiter, on_bad_rows=settings.on_bad_rows,
    )  # fmt: skip
    if raw.frame.empty and not raw.malformed:
        raise InputError(f"{raw.name}: has a header but no data rows")
    return raw


def _raw_tables(
    paths: list[str], settings: Settings, find_duplicates: bool = False
) -> Iterator[tuple[str, RawTable, int, int]]:
    """Each file read, with the exact duplicates (rows equal in every column to an earlier row,
    across files) it dropped under --dedupe and those it has (with ``find_duplicates``)."""
    if not (settings.dedupe or find_duplicates):
        for path in paths:  # no local name holds the table: the caller frees it when done
            yield path, _read(path, settings), 0, 0
        return
    raws = [_read(path, settings, every_column=True) for path in paths]
    duplicated = pd.concat([r.frame for r in raws], ignore_index=True).duplicated().to_numpy()
    start = 0
    for path, raw in zip(paths, raws, strict=True):
        repeat = duplicated[start : start + len(raw.frame)]
        start += len(raw.frame)
        found = int(repeat.sum())
        if settings.dedupe:
            raw.frame = raw.frame[~repeat]
        yield path, raw, found if settings.dedupe else 0, found


def _accounted(raw: RawTable, dropped_duplicates: int = 0) -> RowCounts:
    counts = RowCounts(read=raw.malformed + dropped_duplicates)
    counts.skip("malformed_row", raw.malformed, raw.malformed_examples)
    counts.skip("duplicate", dropped_duplicates)
    return counts


def read_parts(
    paths: list[str], settings: Settings = Settings(), find_duplicates: bool = False
) -> Iterator[Part]:
    """Each input (``-`` is stdin) normalized, windowed and accounted for."""
    for path, raw, dropped, found in _raw_tables(paths, settings, find_duplicates):
        part = _part(path, raw, settings, dropped, _read_info(raw, found))
        del raw  # free the raw table before the next step
        yield part


def _part(path: str, raw: RawTable, settings: Settings, dropped: int, info: dict) -> Part:
    columns = settings.columns(raw.name, raw.header)
    try:
        part = normalized_part(
            raw.name, raw.frame, columns, settings, _accounted(raw, dropped), info
        )
        if not (raw.typed and any(r in part.counts.skipped for r in BAD_ROWS)):
            if raw.typed:  # the CSV reader took the dates only because they were ISO 8601
                part.info["read_as"]["dates"] = "ISO 8601"
            return part
    except BadRowsError:
        if not raw.typed:
            raise
    # a typed read had bad values: read the text again to show and count them as written
    raw = _read(path, settings, text=True)
    return normalized_part(raw.name, raw.frame, columns, settings, _accounted(raw), info)


def _read_info(raw: RawTable, duplicates: int) -> dict:
    info = {"kind": raw.kind, "exact_duplicates": duplicates}
    if raw.kind == "csv":
        info.update(delimiter=raw.delimiter, encoding=raw.encoding)
    return info


def normalized_part(
    name: str,
    frame: pd.DataFrame,
    columns: Columns,
    settings: Settings,
    counts: RowCounts | None = None,
    info: dict | None = None,
) -> Part:
    transactions, part_counts, parsed = normalize(
        name, frame, columns, settings.dates, settings.on_bad_rows,
        decimal=settings.decimal, today=settings.future_after(),
    )  # fmt: skip
    transactions = window(transactions, part_counts, settings.since, settings.until, settings.as_of)
    total = counts or RowCounts()
    total += part_counts
    read = {"dates": parsed.dates, "amounts": parsed.amounts, **(info or {})}
    info = {"name": name, "columns": vars(columns), "rows": total.read, "read_as": read}
    return Part(name, transactions, total, info)


@dataclass
class Activity:
    """The activity table of all inputs, with what it took to make it."""

    table: pd.DataFrame
    counts: RowCounts
    as_of: dt.date
    files: list[dict] = field(default_factory=list)  # name, columns, rows, how read, per file


def activity_of(parts: Iterator[Part], settings: Settings) -> Activity:
    """Reduce each part to its activity table as it comes, then merge them (exact)."""
    tables, counts, latest, files = [], RowCounts(), [], []
    for part in parts:
        counts += part.counts
        files.append(part.info)
        if len(part.transactions):
            latest.append(part.transactions["timestamp"].max())
            tables.append(build_activity(part.transactions, settings.period, settings.week_start))
    if not tables:
        summary = counts.summary() or "none"
        raise InputError(f"no usable rows among {counts.read:,} read (skipped: {summary})")
    as_of = settings.as_of or pd.Timestamp(max(latest)).date()
    table = tables[0] if len(tables) == 1 else merge_activity(tables)
    return Activity(table, counts, as_of, files)


def read_activity(paths: list[str], settings: Settings = Settings()) -> Activity:
    """Read every file (``-`` is stdin) and reduce it to one activity table."""
    return activity_of(read_parts(paths, settings), settings)


def inspect_files(paths: list[str], settings: Settings) -> dict:
    """The data-quality report of ``retain inspect``: what ``retain cohort --on-bad-rows skip``
    would read, skip and keep, and what looks odd."""
    from dataclasses import replace

    from retain.quality import Tally, first_cohort_estimate

    settings = replace(settings, on_bad_rows="skip")
    tally = Tally()

    def tallied(parts: Iterator[Part]) -> Iterator[Part]:
        for part in parts:
            tally.add(part.transactions)
            yield part

    activity = activity_of(tallied(read_parts(paths, settings, find_duplicates=True)), settings)
    cohorted, stats = assign_cohorts(activity.table)
    grids = cohort_grids(cohorted, activity.as_of, settings.period, settings.week_start)
    counts = activity.counts
    return {
        "files": activity.files,
        "rows_read": counts.read,
        "rows_used": counts.used,
        **tally.figures(),
        "skipped": {r: counts.skipped[r] for r in sorted(counts.skipped)},
        "examples": {r: counts.examples.get(r, []) for r in sorted(counts.skipped)},
        "exact_duplicates": sum(f["read_as"]["exact_duplicates"] for f in activity.files),
        "refund_only_customers": stats.refund_only_customers,
        "refunds_before_first_order": stats.pre_cohort_periods,
        "first_cohort": first_cohort_estimate(grids.labels, grids.sizes),
    }


def frame_activity(frame: pd.DataFrame, settings: Settings = Settings()) -> Activity:
    """The activity table of an in-memory frame of transactions."""
    if frame.empty:
        raise InputError("the frame has no rows")
    columns = settings.columns("frame", [str(c) for c in frame.columns])
    frame = frame.reset_index(drop=True)
    return activity_of(iter([normalized_part("frame", frame, columns, settings)]), settings)


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
        customer, date, amount, DateOptions(date_format, dayfirst, tz), on_bad_rows, period,
        week_start, as_of,
    )  # fmt: skip
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
