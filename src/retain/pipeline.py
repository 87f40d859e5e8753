"""The steps wired together, read -> select -> normalize -> activity -> cohort -> metrics, for
the CLI and the Python API. Nothing here prints or knows about click."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa

from retain.activity import Cells, build_activity, build_cells, merge_activity, merge_cells
from retain.cohorts import CohortStats, assign_cohorts, since_cohorts
from retain.errors import BadRowsError, InputError, RetainError, counted
from retain.metrics import CohortResult, cohort_grids, cohort_table
from retain.normalize import (
    BAD_ROWS,
    DateOptions,
    Plan,
    RowCounts,
    bad_rows_error,
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
    date_hint,
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
from retain.sources.files import (
    Batch,
    RawTable,
    Reencoded,
    Source,
    batches,
    open_source,
    read_batch,
    summary_block,
    wanted_columns,
)
from retain.sources.layouts import LAYOUTS, detect

FUTURE_SLACK = dt.timedelta(days=1)  # time zones: "today" somewhere may be tomorrow here
# Rows per batch (None: each input in one batch). Measured on 10M rows with two threads:
# 400K-1M-row batches take 0.7x the time of one batch (benchmarks/README.md).
CHUNKSIZE = 500_000
MAX_TOTAL = 2**62
Progress = Callable[
    [int, int, int], None
]  # sum of |amounts| in 1/AMOUNT_SCALE units beyond which int64 sums may wrap


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
    chunksize: int | None = CHUNKSIZE  # rows per batch; None: each input in one batch
    threads: int | None = None  # workers of the local engine; None: one per core

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
class Input:
    """One input, opened: its source, plan, columns to load, batches, and the summary rows its
    last batch ends with. ``raws`` holds a frame given in memory (the Python API)."""

    source: Source
    plan: Plan
    wanted: dict
    batches: list[Batch]
    summary: int = 0
    raws: list[RawTable] | None = None
    duplicates: list[np.ndarray] | None = None  # per batch: rows equal to an earlier row

    @property
    def name(self) -> str:
        return self.source.name


@dataclass
class Piece:
    """One batch, reduced: its cells (or, for ids that cannot be keyed, its activity table) and
    what it took to make them. ``reading`` is None when the batch's own dates decided nothing:
    it is read again with its input's reading."""

    activity: Cells | pd.DataFrame | None
    counts: RowCounts  # examples without the file name
    evidence: DateEvidence
    reading: DateReading | None
    typed: bool
    currencies: Counter = field(default_factory=Counter)
    statuses: dict = field(default_factory=dict)
    left_out: Counter = field(default_factory=Counter)
    latest: pd.Timestamp | None = None
    total: float = 0.0  # sum of |amounts| in 1/AMOUNT_SCALE units
    email_ids: int = 0
    amounts: str | None = None
    bad_dates: pd.Series | None = None
    hashes: np.ndarray | None = None  # distinct (customer, time, amount) hashes: overlaps
    tally: object = None  # quality.Tally, for inspect
    first_date: Callable[[], str] | None = None  # "line 2: 'soon'": the batch's first date


@dataclass
class Options:
    """What the batches of one run need besides the settings."""

    settings: Settings
    threads: bool = True  # let pyarrow parse with its own threads (a single batch)
    hashes: bool = False
    tally: bool = False


def open_input(path: str, settings: Settings, rows: int | None):
    """Open one input once and decide how to read it: source, plan, batches."""
    source = open_source(
        path,
        settings.encoding,
        settings.delimiter,
        list(settings.names) if settings.names else None,
    )
    plan = plan_input(source.name, source.header, settings)
    wanted = dict.fromkeys(plan.wanted())
    if settings.plain_values() and source.kind == "csv":
        wanted[plan.columns.date] = pa.timestamp("us")
        if plan.columns.amount and plan.refunded is None and plan.currency is None:
            wanted[plan.columns.amount] = pa.float64()
    wanted = wanted_columns(source, wanted)
    start, summary = summary_block(source, plan.columns.date)
    whole = plan.line_items is not None  # continuation rows follow their order's first row
    cut = batches(source, None if whole else rows, keep_from=start)
    return Input(source, plan, wanted, cut, summary)


def _piece(item: Input, index: int, options: Options, reading=None, typed=True) -> Piece:
    """Read, select, normalize and reduce one batch, with ``reading`` (None: the batch's own)."""
    settings, plan, given = options.settings, item.plan, reading
    if item.raws is not None:
        raw = item.raws[index]
    else:
        raw = read_batch(
            item.source, item.batches[index], item.wanted, typed=typed,
            threads=options.threads, summary=item.summary,
        )  # fmt: skip
    counts = RowCounts(read=raw.malformed + raw.summary_rows + len(raw.frame))
    counts.skip("summary_row", raw.summary_rows)
    counts.skip("malformed_row", raw.malformed, raw.malformed_examples)
    frame = raw.frame
    if item.duplicates is not None and settings.dedupe:  # else only counted, for inspect
        repeat = item.duplicates[index]
        counts.skip("duplicate", int(repeat.sum()))
        frame = frame[~repeat]
    frame, statuses, left_out = select_rows(frame, plan, counts)
    evidence = date_evidence(frame[plan.columns.date])
    piece = Piece(None, counts, evidence, reading, raw.typed, statuses=statuses, left_out=left_out)
    if len(frame):  # told only if no reading fits the input's dates
        value, lines, position = frame[plan.columns.date].iloc[0], raw.lines, frame.index[:1]
        piece.first_date = lambda: f"line {lines(position.to_numpy())[0]}: {str(value)!r}"
    if reading is None:
        try:
            piece.reading = reading = decide_dates(evidence, settings.dates)
        except DateFormatError:
            return piece  # read again with the input's reading
    transactions, found, parsed = normalize(
        item.name, frame, plan, reading, decimal=settings.decimal,
        today=settings.future_after(), currency=settings.currency,
        case_sensitive_ids=settings.case_sensitive_ids, lines=raw.lines,
    )  # fmt: skip
    if raw.typed and any(r in found.skipped for r in BAD_ROWS):
        # the reader parsed values that are bad: read the batch as text to show them as written
        return _piece(item, index, options, given, typed=False)
    del raw, frame  # free the batch's text before the reduction: it holds the peak memory
    transactions = window(transactions, found, settings.until, settings.last_day())
    counts.add(found)
    piece.currencies, piece.email_ids = parsed.currencies, parsed.email_ids
    piece.amounts, piece.bad_dates = parsed.amounts, parsed.bad_dates
    if options.tally:
        from retain.quality import Tally

        piece.tally = Tally()
        piece.tally.add(transactions)
    if len(transactions):
        piece.latest = transactions["timestamp"].max()
        if "amount" in transactions:
            piece.total = float(np.abs(transactions["amount"].to_numpy()).sum(dtype=float))
        if options.hashes:
            hashed = pd.util.hash_pandas_object(transactions, index=False).to_numpy()
            piece.hashes = np.unique(hashed)
        piece.activity = build_cells(
            transactions, settings.period, settings.week_start
        ) or build_activity(transactions, settings.period, settings.week_start)
    return piece


def _redo(piece: Piece, reading: DateReading) -> bool:
    """Whether a batch must be read again with its input's reading: its own values decided
    another shape or order, or the reader parsed ISO dates that the input does not read so."""
    if piece.typed:
        return reading.shape != "ISO 8601"
    own = piece.reading
    return own is None or (own.shape, own.dayfirst) != (reading.shape, reading.dayfirst)


def read_pieces(
    paths: list[str],
    settings: Settings,
    find_duplicates: bool = False,
    tally: bool = False,
    progress: Progress | None = None,
) -> tuple[list[Input], list[list[Piece]], list[DateReading]]:
    """Every input opened once, cut into batches, and each batch reduced on the local engine.

    Parsing decisions are made per input, never per batch: a batch whose own dates read
    otherwise than its input's (decided from every value; the order of slash dates from every
    input) is read again with the input's reading, so batch boundaries change nothing.
    ``progress(done, total, rows)`` hears of each batch done: bytes of all inputs, rows read."""
    from retain.engines import local

    every = settings.dedupe or find_duplicates
    inputs = [open_input(path, settings, settings.chunksize) for path in paths]
    jobs = [(k, i) for k, item in enumerate(inputs) for i in range(len(item.batches))]
    if every:
        _find_duplicates(inputs, jobs, settings)
    options = Options(settings, threads=len(jobs) == 1, hashes=len(inputs) > 1 and not every,
                      tally=tally)  # fmt: skip

    def work(job, reading=None):  # the reader types dates only when the reading is ISO 8601
        typed = reading is None or reading.shape == "ISO 8601"
        return _piece(inputs[job[0]], job[1], options, reading, typed)

    def reported(pieces):
        total = sum(len(item.source.data or b"") for item in inputs)
        done = rows = 0
        for (k, i), piece in zip(jobs, pieces, strict=True):
            batch = inputs[k].batches[i]
            done += batch.end - batch.start if batch else 0
            rows += piece.counts.read
            progress(done, total, rows)
            yield piece

    while True:
        try:
            results = local.run(work, jobs, settings.threads)
            done = list(reported(results) if progress else results)
            break
        except Reencoded:  # an input was not UTF-8 after all: it was decoded again; cut again
            for item in inputs:
                start, _ = summary_block(item.source, item.plan.columns.date)
                item.batches = batches(item.source, settings.chunksize, keep_from=start)
            jobs = [(k, i) for k, item in enumerate(inputs) for i in range(len(item.batches))]
            options.threads = len(jobs) == 1
    pieces = [[None] * len(item.batches) for item in inputs]
    for (k, i), piece in zip(jobs, done, strict=True):
        pieces[k][i] = piece
    readings = _readings(inputs, pieces, settings)
    redo = [(k, i) for k, i in jobs if _redo(pieces[k][i], readings[k])]
    for (k, i), piece in zip(
        redo,
        local.run(lambda job: work(job, readings[job[0]]), redo, settings.threads),
        strict=True,
    ):
        pieces[k][i] = piece
    return inputs, pieces, readings


ROW_KEYS = ("retain-row-fp-01", "retain-row-fp-02")  # two 64-bit hashes: 128 bits a row


def _find_duplicates(inputs: list[Input], jobs: list, settings: Settings) -> None:
    """Rows equal in every column (as text) to an earlier row, across batches and inputs.

    A first pass over the batches keeps a 128-bit fingerprint of each row (two 64-bit hashes of
    its text, 16 bytes a row); a row whose fingerprint came before is a duplicate. Two
    different rows share a fingerprint with a probability of about n**2 / 2**129 (1e-22 for
    100 million rows)."""
    from retain.engines import local

    def fingerprints(job) -> np.ndarray:
        item = inputs[job[0]]
        every = wanted_columns(item.source, {}, every_column=True)
        raw = read_batch(item.source, item.batches[job[1]], every, typed=False,
                         threads=len(jobs) == 1, summary=item.summary)  # fmt: skip
        frame = raw.frame.set_axis(range(raw.frame.shape[1]), axis=1)
        hashes = [pd.util.hash_pandas_object(frame, index=False, hash_key=k) for k in ROW_KEYS]
        return np.stack([h.to_numpy() for h in hashes], axis=1)

    prints = list(local.run(fingerprints, jobs, settings.threads))
    every = np.concatenate(prints) if prints else np.empty((0, 2), np.uint64)
    _, first = np.unique(np.ascontiguousarray(every).view("V16"), return_index=True)
    repeat = np.ones(len(every), dtype=bool)
    repeat[first] = False
    for item in inputs:
        item.duplicates = []
    start = 0
    for (k, _), batch in zip(jobs, prints, strict=True):
        inputs[k].duplicates.append(repeat[start : start + len(batch)])
        start += len(batch)


def _readings(
    inputs: list[Input], pieces: list[list[Piece]], settings: Settings
) -> list[DateReading]:
    """The date reading of each input: its shape from its own values; the order of slash dates
    (day or month first) from the values of every input, so that splitting the rows into files
    changes nothing."""
    evidence = []
    for item_pieces in pieces:
        own = DateEvidence()
        for piece in item_pieces:
            own += piece.evidence
        evidence.append(own)
    total = DateEvidence()
    for own in evidence:
        total += own
    slash = {"day_first_only": total.day_first_only, "month_first_only": total.month_first_only}
    readings = []
    for item, own in zip(inputs, evidence, strict=True):
        try:
            readings.append(decide_dates(replace(own, **slash), settings.dates))
        except DateFormatError as exc:
            column = item.plan.columns.date
            message = str(exc).replace("give a strftime format", "pass --date-format")
            first = [p.first_date for p in pieces[inputs.index(item)] if p.first_date]
            example = first[0]() if first else "no dates"
            raise BadRowsError(
                f"{item.name}: cannot recognise the dates in column {column!r} ({example}); "
                f"{message}"
            ) from None
    return readings


def _checked(
    item: Input, pieces: list[Piece], reading: DateReading, settings: Settings
) -> RowCounts:
    """The input's row accounting; with --on-bad-rows fail, one error for its bad rows: the
    first reason found, its count in the whole input and its first five rows."""
    counts = RowCounts()
    for piece in pieces:
        counts.add(piece.counts)
    if settings.on_bad_rows != "fail":
        return counts
    malformed = counts.skipped.get("malformed_row")
    if malformed:
        raise InputError(
            f"{item.name}: {counted(malformed, 'row')} without the header's "
            f"{len(item.source.header)} fields ({'; '.join(counts.examples['malformed_row'])}); "
            f"check the delimiter ({item.source.delimiter!r}) and quoting, or pass "
            "--on-bad-rows skip to skip and count them"
        )
    for reason in BAD_ROWS:
        if reason in counts.skipped:
            hint = ""
            if reason == "bad_date":
                bad = [p.bad_dates for p in pieces if p.bad_dates is not None]
                hint = date_hint(pd.concat(bad), reading, settings.dates) or "" if bad else ""
            raise bad_rows_error(
                item.name, reason, counts.skipped[reason], counts.columns.get(reason),
                counts.examples[reason], hint,
            )  # fmt: skip
    return counts


def _info(item: Input, pieces: list[Piece], counts: RowCounts, reading, settings) -> dict:
    """What the JSON and the notes say of one input: columns, rows, how it was read."""
    plan, source = item.plan, item.source
    columns = {**vars(plan.columns), "refunded": plan.refunded, "currency": plan.currency}
    amounts = next((p.amounts for p in pieces if p.amounts), None)
    duplicates = None
    if item.duplicates is not None:
        duplicates = int(sum(d.sum() for d in item.duplicates))
    read = {"kind": source.kind, "dates": reading.note, "amounts": amounts,
            "exact_duplicates": duplicates}  # fmt: skip
    if source.kind == "csv":
        read.update(delimiter=source.delimiter, encoding=source.encoding)
    if any(p.email_ids for p in pieces):
        read["ids"] = "email addresses compared " + (
            "as written" if settings.case_sensitive_ids else "lower-cased"
        )
    left_out = Counter()
    for piece in pieces:
        left_out.update(piece.left_out)
    return {"name": item.name, "columns": {k: v for k, v in columns.items() if v is not None},
            "rows": counts.read, "read_as": read,
            "layout": _layout_info(plan, left_out, settings)}  # fmt: skip


def _layout_info(plan: Plan, left_out: Counter, settings: Settings) -> dict | None:
    if plan.layout is None:
        return None
    layout = LAYOUTS[plan.layout]
    amount = plan.columns.amount
    if amount and plan.refunded:
        amount = f"{amount} - {plan.refunded}"
    clock = f"converted to {settings.dates.tz}" if settings.dates.tz else layout.clock
    ordered = sorted(left_out.items(), key=lambda pair: (-pair[1], pair[0]))
    return {"name": layout.name, "title": layout.title, "clock": clock,
            "customer": " else ".join([plan.columns.customer, *plan.fallbacks]),
            "amount": amount, "left_out": [f"{c} {v} ({n:,})" for (c, v), n in ordered],
            "line_items": plan.line_items is not None}  # fmt: skip


@dataclass
class Activity:
    """The activity table of all inputs, with what it took to make it."""

    table: pd.DataFrame
    counts: RowCounts
    as_of: dt.date
    files: list[dict] = field(default_factory=list)  # name, columns, rows, how read, per file
    currency: str | None = None
    warnings: list[str] = field(default_factory=list)
    tally: object = None


def activity_of(
    inputs: list[Input], pieces: list[list[Piece]], readings: list[DateReading],
    settings: Settings,
) -> Activity:  # fmt: skip
    """Merge the batches' activity tables (exact), and check what holds across inputs: bad
    rows under --on-bad-rows fail, one currency, no overlapping files, exact sums."""
    counts, files, tables, latest = RowCounts(), [], [], []
    currencies, statuses, total, tally = Counter(), {}, 0.0, None
    hashes = []
    for item, item_pieces, reading in zip(inputs, pieces, readings, strict=True):
        own = _checked(item, item_pieces, reading, settings)
        counts.add(own, prefix=f"{item.name} ")
        files.append(_info(item, item_pieces, own, reading, settings))
        keys = [p.hashes for p in item_pieces if p.hashes is not None]
        hashes.append((item.name, np.unique(np.concatenate(keys)) if keys else np.array([])))
        for piece in item_pieces:
            currencies += piece.currencies
            total += piece.total
            for column, values in piece.statuses.items():
                statuses.setdefault(column, Counter()).update(values)
            if piece.activity is not None:
                tables.append(piece.activity)
                latest.append(piece.latest)
                piece.activity = None  # held by ``tables`` alone, which the merge empties
            if piece.tally is not None:
                tally = piece.tally if tally is None else tally.merge(piece.tally)
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
    warnings += _overlaps(hashes)
    as_of = settings.as_of or pd.Timestamp(max(latest)).date()
    if settings.until is not None:
        as_of = min(as_of, settings.until)
    table = _merge(tables, settings)
    files = sorted(files, key=_file_key)
    return Activity(table, counts, as_of, files, currency, warnings, tally)


def _merge(tables: list, settings: Settings) -> pd.DataFrame:
    """The batches' cells (or activity tables, where ids are not short ASCII) merged: cells
    partition by partition on the local engine."""
    from retain.engines import local

    if all(isinstance(t, Cells) for t in tables):
        return merge_cells(tables, lambda work, jobs: local.run(work, jobs, settings.threads))
    if len(tables) == 1:
        return tables[0]
    return merge_activity([t.table() if isinstance(t, Cells) else t for t in tables])


def _file_key(info: dict):
    return info["name"], info["rows"]


def _overlaps(hashes: list[tuple[str, np.ndarray]]) -> list[str]:
    """Warnings for inputs that share rows (same customer, time and amount)."""
    warnings = []
    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            shared = len(np.intersect1d(hashes[i][1], hashes[j][1], assume_unique=True))
            if shared:
                a, b = sorted((hashes[i][0], hashes[j][0]))
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


def read_activity(
    paths: list[str], settings: Settings = Settings(), progress: Progress | None = None
) -> Activity:
    """Read every file (``-`` is stdin) once and reduce it to one activity table;
    ``progress(done_bytes, total_bytes, rows)`` hears of each batch."""
    return activity_of(*read_pieces(paths, settings, progress=progress), settings)


def inspect_files(paths: list[str], settings: Settings) -> dict:
    """The data-quality report of ``retain inspect``: what ``retain cohort --on-bad-rows skip``
    would read, skip and keep, and what looks odd."""
    from retain.quality import first_cohort_estimate

    settings = replace(settings, on_bad_rows="skip")
    activity = activity_of(
        *read_pieces(paths, settings, find_duplicates=True, tally=True), settings
    )
    cohorted, stats = assign_cohorts(activity.table)
    grids = cohort_grids(cohorted, activity.as_of, settings.period, settings.week_start)
    counts = activity.counts
    return {
        "files": activity.files,
        "rows_read": counts.read,
        "rows_used": counts.used,
        **activity.tally.figures(),
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
    source = Source("frame", None, header, kind="frame", delimiter=None, encoding=None)
    plan = plan_input("frame", header, settings)
    item = Input(source, plan, {}, [None], raws=[RawTable("frame", frame, header, "frame")])
    if settings.dedupe:
        item.duplicates = [frame.duplicated().to_numpy()]
    pieces = [[_piece(item, 0, Options(settings))]]
    readings = _readings([item], pieces, settings)
    if _redo(pieces[0][0], readings[0]):
        pieces = [[_piece(item, 0, Options(settings), readings[0])]]
    return activity_of([item], pieces, readings, settings)


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
