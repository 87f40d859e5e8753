"""The steps wired together, read -> select -> normalize -> activity -> cohort -> metrics, for
the CLI and the Python API. Nothing here prints or knows about click."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa

from retain.activity import build_activity, merge_activity
from retain.cohorts import CohortStats, assign_cohorts, since_cohorts
from retain.errors import BadRowsError, InputError, RetainError
from retain.metrics import CohortResult, cohort_grids, cohort_table
from retain.normalize import (
    BAD_ROWS,
    DateOptions,
    Plan,
    RowCounts,
    detect_columns,
    normalize,
    select_rows,
    window,
)
from retain.normalize.amounts import AMOUNT_SCALE
from retain.normalize.dates import (
    DateEvidence,
    DateFormatError,
    DateReading,
    date_evidence,
    decide_dates,
)
from retain.normalize.select import (
    Condition,
    check_currencies,
    currency_column,
    require_column,
    resolve,
    status_columns,
    status_warning,
)
from retain.sources.files import RawTable, read_table
from retain.sources.layouts import LAYOUTS, detect

FUTURE_SLACK = dt.timedelta(days=1)  # time zones: "today" somewhere may be tomorrow here
MAX_TOTAL = 2**62  # sum of |amounts| in 1/AMOUNT_SCALE units beyond which int64 sums may wrap


@dataclass(frozen=True)
class Settings:
    """Everything that turns rows into an activity table: one field per input option."""

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
    where: tuple[str, ...] = ()
    refunded: str | None = None
    currency: str | None = None
    currency_column: str | None = None
    layout: str = "auto"
    names: tuple[str, ...] | None = None
    case_sensitive_ids: bool = False

    def plain_values(self) -> bool:
        """Whether dates and amounts read as their defaults: ISO dates kept as written, numbers
        with a decimal point. Then pyarrow may parse them as it reads."""
        return self.dates == DateOptions() and self.decimal == "."

    def future_after(self) -> dt.date | None:
        """Dates after this one are in the future, unless --as-of or --until cuts the data."""
        if self.as_of is not None or self.until is not None:
            return None
        return (self.today or dt.date.today()) + FUTURE_SLACK

    def last_day(self) -> dt.date | None:
        """The as-of date the options set: --as-of, at most --until."""
        days = [d for d in (self.as_of, self.until) if d is not None]
        return min(days) if days else None


def plan_input(name: str, header: list[str], settings: Settings) -> Plan:
    """How to read one input, decided once from its header: the export layout, then the
    columns (flags first, then the layout's, then names), conditions and currency column."""
    layout = detect(name, header, settings.layout)
    customer, date, amount, refunded = (
        settings.customer, settings.date, settings.amount, settings.refunded,
    )  # fmt: skip
    fallbacks: tuple[str, ...] = ()
    exclude: dict[str, tuple[str, ...]] = {}
    line_items = None
    conditions = resolve(name, header, [Condition.parse(w) for w in settings.where])
    if layout is not None:
        if customer is None:
            found = [c for c in (layout.column(header, c) for c in layout.customer) if c]
            customer, fallbacks = (found[0], tuple(found[1:])) if found else (None, ())
        date = date or layout.column(header, layout.date)
        pairs = [(layout.column(header, a), layout.column(header, r)) for a, r in layout.amounts]
        if amount is None:
            amount, paired = next(((a, r) for a, r in pairs if a), (None, None))
        else:
            paired = next((r for a, r in pairs if a and a.lower() == amount.lower()), None)
        refunded = refunded if refunded is not None else paired
        where_columns = {c.column for c in conditions}
        for column, values in layout.exclude.items():
            found = layout.column(header, column)
            if found and found not in where_columns:
                exclude[found] = tuple(v.lower() for v in values)
        if layout.line_items:
            found = [layout.column(header, c) for c in layout.line_items]
            line_items = tuple(found) if all(found) else None
    columns = detect_columns(name, header, customer, date, amount)
    refunded = require_column(name, header, refunded, "refunded")
    if settings.currency_column is not None:
        currency = require_column(name, header, settings.currency_column, "currency-column")
    else:
        currency = currency_column(header, columns.amount)
    used = {c.column for c in conditions} | set(exclude) | set(line_items or ())
    return Plan(
        columns, fallbacks, refunded, currency, tuple(conditions), tuple(exclude.items()),
        line_items, tuple(status_columns(header, used)), layout.name if layout else None,
    )  # fmt: skip


@dataclass
class Part:
    """One input's rows after normalizing: canonical transactions and their accounting."""

    name: str
    transactions: pd.DataFrame
    counts: RowCounts
    info: dict  # name, columns, rows, and how the text and values were read
    statuses: dict = field(default_factory=dict)  # status column -> Counter of values used
    currencies: Counter = field(default_factory=Counter)


@dataclass
class _Input:
    """One input between reading and normalizing."""

    path: str
    raw: RawTable
    plan: Plan
    counts: RowCounts
    duplicates: int | None
    selected: pd.DataFrame | None = None
    statuses: dict = field(default_factory=dict)
    left_out: Counter = field(default_factory=Counter)


def _read(path: str, settings: Settings, every_column: bool = False) -> _Input:
    plans = {}

    def pick(header: list[str]) -> dict:
        plans["plan"] = plan = plan_input("<stdin>" if path == "-" else path, header, settings)
        wanted = dict.fromkeys(plan.wanted())
        if settings.plain_values():
            wanted[plan.columns.date] = pa.timestamp("us")
            if plan.columns.amount and plan.refunded is None and plan.currency is None:
                wanted[plan.columns.amount] = pa.float64()
        return wanted

    raw = read_table(
        path, pick=pick, encoding=settings.encoding, delimiter=settings.delimiter,
        names=list(settings.names) if settings.names else None, on_bad_rows=settings.on_bad_rows,
        date_column=lambda header: plans["plan"].columns.date, every_column=every_column,
    )  # fmt: skip
    if raw.frame.empty and not (raw.malformed or raw.summary_rows):
        raise InputError(f"{raw.name}: has a header but no data rows")
    counts = RowCounts(read=raw.malformed + raw.summary_rows + len(raw.frame))
    counts.skip("summary_row", raw.summary_rows)
    counts.skip("malformed_row", raw.malformed, raw.malformed_examples)
    return _Input(path, raw, plans["plan"], counts, None)


def _inputs(paths: list[str], settings: Settings, find_duplicates: bool) -> list[_Input]:
    """Each input read once, with exact duplicates (rows equal in every column to an earlier
    row, across files) found, and dropped under --dedupe."""
    every = settings.dedupe or find_duplicates
    inputs = [_read(path, settings, every_column=every) for path in paths]
    if every:
        frames = [i.raw.frame.set_axis(range(i.raw.frame.shape[1]), axis=1) for i in inputs]
        duplicated = pd.concat(frames, ignore_index=True).duplicated().to_numpy()
        start = 0
        for item in inputs:
            repeat = duplicated[start : start + len(item.raw.frame)]
            start += len(item.raw.frame)
            item.duplicates = int(repeat.sum())
            if settings.dedupe:
                item.raw.frame = item.raw.frame[~repeat]
                item.counts.skip("duplicate", int(repeat.sum()))
    return inputs


def _readings(inputs: list[_Input], settings: Settings) -> list[DateReading]:
    """The date reading of each input: its shape from its own values; the order of slash dates
    (day or month first) from the values of every input, so that splitting the rows into files
    changes nothing."""
    evidence = [date_evidence(i.selected[i.plan.columns.date]) for i in inputs]
    total = DateEvidence()
    for own in evidence:
        total += own
    readings = []
    for item, own in zip(inputs, evidence, strict=True):
        try:
            slash = {
                "day_first_only": total.day_first_only,
                "month_first_only": total.month_first_only,
            }
            readings.append(decide_dates(replace(own, **slash), settings.dates))
        except DateFormatError as exc:
            column = item.plan.columns.date
            values = item.selected[column]
            example = str(values.iloc[0]) if len(values) else ""
            raise BadRowsError(
                f"{item.raw.name}: cannot recognise the dates in column {column!r} "
                f"(line {item.raw.lines(values.index[:1].to_numpy())[0] if len(values) else 2}: "
                f"{example!r}); {str(exc).replace('give a strftime format', 'pass --date-format')}"
            ) from None
    return readings


def _normalized(item: _Input, reading: DateReading, settings: Settings) -> Part:
    raw, plan = item.raw, item.plan
    transactions, counts, parsed = normalize(
        raw.name, item.selected, plan, reading, options=settings.dates,
        on_bad_rows=settings.on_bad_rows, decimal=settings.decimal,
        today=settings.future_after(), currency=settings.currency,
        case_sensitive_ids=settings.case_sensitive_ids, lines=raw.lines,
    )  # fmt: skip
    transactions = window(transactions, counts, settings.until, settings.last_day())
    total = RowCounts(read=item.counts.read)
    total += item.counts
    total.read = item.counts.read
    for reason, count in counts.skipped.items():
        total.skip(reason, count, counts.examples.get(reason, []))
    columns = {**vars(plan.columns), "refunded": plan.refunded, "currency": plan.currency}
    read = {"kind": raw.kind, "dates": parsed.dates, "amounts": parsed.amounts,
            "exact_duplicates": item.duplicates}  # fmt: skip
    if raw.kind == "csv":
        read.update(delimiter=raw.delimiter, encoding=raw.encoding)
    if parsed.email_ids:
        read["ids"] = "email addresses compared " + (
            "as written" if settings.case_sensitive_ids else "lower-cased"
        )
    info = {"name": raw.name, "columns": {k: v for k, v in columns.items() if v is not None},
            "rows": total.read, "read_as": read, "layout": _layout_info(item)}  # fmt: skip
    return Part(raw.name, transactions, total, info, item.statuses, parsed.currencies)


def _layout_info(item: _Input) -> dict | None:
    plan = item.plan
    if plan.layout is None:
        return None
    layout = LAYOUTS[plan.layout]
    amount = plan.columns.amount
    if amount and plan.refunded:
        amount = f"{amount} - {plan.refunded}"
    left_out = [f"{column} {value} ({n:,})" for (column, value), n in sorted(
        item.left_out.items(), key=lambda pair: (-pair[1], pair[0])
    )]  # fmt: skip
    return {"name": layout.name, "title": layout.title, "clock": layout.clock,
            "customer": " else ".join([plan.columns.customer, *plan.fallbacks]),
            "amount": amount, "left_out": left_out,
            "line_items": plan.line_items is not None}  # fmt: skip


def read_parts(
    paths: list[str], settings: Settings = Settings(), find_duplicates: bool = False
) -> list[Part]:
    """Each input (``-`` is stdin) read once, selected, normalized and accounted for."""
    inputs = _inputs(paths, settings, find_duplicates)
    for item in inputs:
        item.selected, item.statuses, item.left_out = select_rows(
            item.raw.frame, item.plan, item.counts
        )
    readings = _readings(inputs, settings)
    parts = []
    for item, reading in zip(inputs, readings, strict=True):
        parts.append(_part(item, reading, settings))
        item.raw = item.selected = None  # free the raw table before the next step
    return parts


def _part(item: _Input, reading: DateReading, settings: Settings) -> Part:
    try:
        part = _normalized(item, reading, settings)
        if not (item.raw.typed and any(r in part.counts.skipped for r in BAD_ROWS)):
            return part
    except BadRowsError:
        if not item.raw.typed:
            raise
    # a typed read had bad values: parse the text again to show and count them as written
    counts = item.counts
    item.raw = item.raw.as_text()
    item.counts = RowCounts(read=counts.read)
    for reason in ("summary_row", "malformed_row", "duplicate"):
        item.counts.skip(reason, counts.skipped.get(reason, 0), counts.examples.get(reason, []))
    item.selected, item.statuses, item.left_out = select_rows(
        item.raw.frame, item.plan, item.counts
    )
    own = date_evidence(item.selected[item.plan.columns.date])
    return _normalized(item, decide_dates(own, settings.dates), settings)


@dataclass
class Activity:
    """The activity table of all inputs, with what it took to make it."""

    table: pd.DataFrame
    counts: RowCounts
    as_of: dt.date
    files: list[dict] = field(default_factory=list)  # name, columns, rows, how read, per file
    currency: str | None = None
    warnings: list[str] = field(default_factory=list)


def activity_of(parts: list[Part], settings: Settings) -> Activity:
    """Reduce each part to its activity table, check what holds across inputs (one currency,
    no overlapping files, sums within exact range), and merge them (exact)."""
    tables, counts, latest, files = [], RowCounts(), [], []
    currencies, statuses, total = Counter(), {}, 0.0
    for part in parts:
        counts += part.counts
        files.append(part.info)
        currencies += part.currencies
        for column, values in part.statuses.items():
            statuses.setdefault(column, Counter()).update(values)
        if len(part.transactions):
            latest.append(part.transactions["timestamp"].max())
            if "amount" in part.transactions:
                total += float(np.abs(part.transactions["amount"].to_numpy()).sum(dtype=float))
            tables.append(build_activity(part.transactions, settings.period, settings.week_start))
    if not tables:
        summary = counts.summary() or "none"
        raise InputError(f"no usable rows among {counts.read:,} read (skipped: {summary})")
    if total >= MAX_TOTAL:
        raise RetainError(
            f"the amounts add up to {total / AMOUNT_SCALE:.3g} in all, beyond what retain adds "
            f"exactly ({MAX_TOTAL / AMOUNT_SCALE:.3g}); check that --amount is a money column"
        )
    currency = check_currencies(currencies, settings.currency)
    warnings = [w for c in sorted(statuses) if (w := status_warning(c, statuses[c]))]
    if not settings.dedupe:
        warnings += _overlaps(parts)
    as_of = settings.as_of or pd.Timestamp(max(latest)).date()
    if settings.until is not None:
        as_of = min(as_of, settings.until)
    table = tables[0] if len(tables) == 1 else merge_activity(tables)
    return Activity(table, counts, as_of, sorted(files, key=_file_key), currency, warnings)


def _file_key(info: dict):
    return info["name"], info["rows"]


def _overlaps(parts: list[Part]) -> list[str]:
    """Warnings for inputs that share rows (same customer, time and amount)."""
    if len(parts) < 2:
        return []
    keys = []
    for part in parts:
        rows = part.transactions
        hashed = pd.util.hash_pandas_object(rows, index=False).to_numpy()
        keys.append(np.unique(hashed))
    warnings = []
    for i in range(len(parts)):
        for j in range(i + 1, len(parts)):
            shared = len(np.intersect1d(keys[i], keys[j], assume_unique=True))
            if shared:
                a, b = sorted((parts[i].name, parts[j].name))
                same = " (the same file twice)" if _same_file(a, b) else ""
                warnings.append(
                    f"{a} and {b} share {shared:,} rows (same customer, time and amount){same}; "
                    "if the exports overlap, pass --dedupe to count each row once"
                )
    return warnings


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def run_messages(activity: Activity) -> list[str]:
    """What a run tells on stderr: the layout of each input, warnings, the rows skipped."""
    messages = []
    for info in activity.files:
        layout = info.get("layout")
        if layout:
            message = (
                f"{info['name']}: {layout['title']}: customer = {layout['customer']}, "
                f"date = {info['columns']['date']} ({layout['clock']}), "
                f"amount = {layout['amount']}"
            )
            if layout["left_out"]:
                message += f"; left out: {', '.join(layout['left_out'])}"
            if layout["line_items"]:
                message += "; line items counted once per order"
            messages.append(message)
    messages += [f"warning: {w}" for w in activity.warnings]
    counts = activity.counts
    if counts.skipped:
        skipped = counts.read - counts.used
        messages.append(f"skipped {skipped:,} of {counts.read:,} rows: {counts.summary()}")
    return messages


def cohort_meta(activity: Activity, stats: CohortStats) -> dict:
    """What a cohort matrix's JSON and notes carry beside the numbers."""
    layouts = sorted({f["layout"]["name"] for f in activity.files if f.get("layout")})
    return {
        "files": activity.files,
        "layout": ", ".join(layouts) or None,
        "currency": activity.currency,
        "rows": {
            "read": activity.counts.read,
            "used": activity.counts.used,
            "skipped": dict(sorted(activity.counts.skipped.items())),
        },
        "refund_only_customers": stats.refund_only_customers,
        "refunds_before_first_order": stats.pre_cohort_periods,
        "customers_before_since": stats.before_since,
    }


def read_activity(paths: list[str], settings: Settings = Settings()) -> Activity:
    """Read every file (``-`` is stdin) and reduce it to one activity table."""
    return activity_of(read_parts(paths, settings), settings)


def inspect_files(paths: list[str], settings: Settings) -> dict:
    """The data-quality report of ``retain inspect``: what ``retain cohort --on-bad-rows skip``
    would read, skip and keep, and what looks odd."""
    from retain.quality import Tally, first_cohort_estimate

    settings = replace(settings, on_bad_rows="skip")
    parts = read_parts(paths, settings, find_duplicates=True)
    tally = Tally()
    for part in parts:
        tally.add(part.transactions)
    activity = activity_of(parts, settings)
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
        "exact_duplicates": sum(f["read_as"]["exact_duplicates"] or 0 for f in activity.files),
        "currency": activity.currency,
        "warnings": activity.warnings,
        "refund_only_customers": stats.refund_only_customers,
        "refunds_before_first_order": stats.pre_cohort_periods,
        "first_cohort": first_cohort_estimate(grids.labels, grids.sizes),
    }


def frame_activity(frame: pd.DataFrame, settings: Settings = Settings()) -> Activity:
    """The activity table of an in-memory frame of transactions (the same rules as files)."""
    if frame.empty:
        raise InputError("the frame has no rows")
    header = [str(c) for c in frame.columns]
    frame = frame.set_axis(header, axis=1).reset_index(drop=True)
    counts = RowCounts(len(frame))
    if settings.dedupe:
        repeat = frame.duplicated().to_numpy()
        frame = frame[~repeat]
        counts.skip("duplicate", int(repeat.sum()))
    plan = plan_input("frame", header, settings)
    item = _Input("frame", RawTable("frame", frame, header, "frame"), plan, counts, None)
    item.selected, item.statuses, item.left_out = select_rows(item.raw.frame, plan, item.counts)
    reading = _readings([item], settings)[0]
    return activity_of([_normalized(item, reading, settings)], settings)


def cohorts_of(
    activity: Activity, settings: Settings, metric: str = "retention", counts: bool = False
) -> tuple[CohortResult, CohortStats]:
    """The cohort matrix of ``metric``, and what the cohort assignment left out. With
    ``settings.since``, only the cohorts whose period starts on or after it."""
    cohorted, stats = assign_cohorts(activity.table)
    if settings.since is not None:
        cohorted, stats = since_cohorts(
            cohorted, stats, settings.since, settings.period, settings.week_start
        )
    grids = cohort_grids(cohorted, activity.as_of, settings.period, settings.week_start)
    return cohort_table(grids, metric, counts), stats


OPTIONS = {f for f in Settings.__dataclass_fields__ if f not in ("dates", "today")}
DATE_OPTIONS = {"date_format": "format", "dayfirst": "dayfirst", "tz": "tz", "input_tz": "input_tz"}


def settings_of(**options) -> Settings:
    """Settings from the keywords of the Python API, which are the CLI's options."""
    unknown = set(options) - OPTIONS - set(DATE_OPTIONS)
    if unknown:
        raise TypeError(f"unknown option {sorted(unknown)[0]!r}")
    dates = DateOptions(
        **{DATE_OPTIONS[k]: options.pop(k) for k in list(options) if k in DATE_OPTIONS}
    )
    for name in ("as_of", "since", "until"):
        if isinstance(options.get(name), str):
            options[name] = dt.date.fromisoformat(options[name])
    for name in ("where", "names"):
        if isinstance(options.get(name), str):
            options[name] = (options[name],)
        elif options.get(name) is not None:
            options[name] = tuple(options[name])
    return Settings(dates=dates, **options)


def cohort_matrix(
    frame: pd.DataFrame,
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
    period: str = "month",
    metric: str = "retention",
    *,
    counts: bool = False,
    **options,
) -> pd.DataFrame:
    """The cohort matrix of a transactions frame, the same numbers as ``retain cohort``.

    Every option of ``retain cohort`` is a keyword, with ``-`` as ``_``: ``week_start``,
    ``as_of``, ``since``, ``until`` (dates or ISO text), ``tz``, ``input_tz``, ``dayfirst``,
    ``date_format``, ``on_bad_rows``, ``where`` (a list of ``COL=VALUE``, ``COL!=VALUE``,
    ``COL~REGEX``), ``refunded``, ``currency``, ``currency_column``, ``layout``,
    ``case_sensitive_ids``, ``dedupe``, ``decimal``.

    Returns a frame indexed by cohort label with a ``customers`` column and one column per period
    offset (NaN where unobserved or undefined). ``attrs`` holds ``metric``, ``period``,
    ``as_of``, ``currency``, ``partial`` (cohort -> offset of its partial cell) and
    ``weighted_average``.

    Example::

        >>> m = retain.cohort_matrix(orders, customer="customer_id", date="order_date")
        >>> m = retain.cohort_matrix(payments, where=["Status!=Failed"], metric="revenue")
    """
    settings = settings_of(customer=customer, date=date, amount=amount, period=period, **options)
    activity = frame_activity(frame, settings)
    result, _ = cohorts_of(activity, settings, metric, counts)
    table = result.table
    table.attrs.update(
        metric=metric,
        period=period,
        as_of=result.grids.as_of.isoformat(),
        currency=activity.currency,
        partial=result.partial,
        weighted_average=None if result.average is None else result.average.tolist(),
    )
    return table
