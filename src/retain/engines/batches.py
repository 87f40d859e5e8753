"""The one loop over rows: each input opened once and cut into batches; each batch read,
selected, normalized and reduced to cells (``_piece``) on an engine (``local``: a thread pool);
one date reading per input, decided from every batch's evidence.

Parsing decisions are made per input, never per batch: a batch whose own dates read otherwise
than its input's is read again with the input's reading, so batch boundaries change nothing.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa

from retain.activity import Cells, build_cells
from retain.errors import BadRowsError
from retain.normalize import BAD_ROWS, Orders, Plan, RowCounts, normalize, select_rows, window
from retain.normalize import _customers as _customer_ids
from retain.normalize.dates import (
    DateEvidence,
    DateFormatError,
    DateReading,
    date_evidence,
    decide_dates,
)
from retain.settings import Settings, plan_input
from retain.sources.files import (
    Batch,
    RawTable,
    Source,
    batches,
    open_source,
    read_batch,
    summary_block,
    wanted_columns,
)

Progress = Callable[
    [int, int, int], None
]  # sum of |amounts| in 1/AMOUNT_SCALE units beyond which int64 sums may wrap


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
    """One batch, reduced: its cells and what it took to make them. ``reading`` is None when
    the batch's own dates decided nothing: it is read again with its input's reading."""

    activity: Cells | None
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
    first_date: tuple[int, str] | None = None  # position and text of the batch's first date
    orders: Orders | None = None  # line items: orders whose first row is here, or missing
    bad_signups: tuple[int, list[str]] = (0, [])  # signup values not read, and examples


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
    # the reader may type the date and amount columns, but not a column that conditions
    # compare as written (`--where amount=12.50`: a float would read "12.5")
    compared = {c.column for c in (*plan.conditions, *plan.starts, *plan.returns)}
    if settings.plain_values() and source.kind == "csv":
        if plan.columns.date not in compared:
            wanted[plan.columns.date] = pa.timestamp("us")
        amount = plan.columns.amount
        if amount and amount not in compared and plan.refunded is None and plan.currency is None:
            wanted[amount] = pa.float64()
    wanted = wanted_columns(source, wanted)
    start, summary = summary_block(source, plan.columns.date)
    cut = batches(source, rows, keep_from=start)
    return Input(source, plan, wanted, cut, summary)


def _piece(
    item: Input, index: int, options: Options, reading=None, typed=True, first_rows=frozenset()
) -> Piece:
    """Read, select, normalize and reduce one batch, with ``reading`` (None: the batch's own);
    ``first_rows``: line-item orders whose first row is in another batch."""
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
    frame, statuses, left_out, orders = select_rows(frame, plan, counts, first_rows)
    evidence = date_evidence(frame[plan.columns.date])
    piece = Piece(None, counts, evidence, reading, raw.typed, statuses=statuses, left_out=left_out,
                  orders=orders)  # fmt: skip
    if len(frame):  # told only if no reading fits the input's dates
        piece.first_date = (int(frame.index[0]), str(frame[plan.columns.date].iloc[0]))
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
        return _piece(item, index, options, given, typed=False, first_rows=first_rows)
    del raw, frame  # free the batch's text before the reduction: it holds the peak memory
    transactions = window(transactions, found, settings.until, settings.last_day())
    counts.add(found)
    piece.currencies, piece.email_ids = parsed.currencies, parsed.email_ids
    piece.amounts, piece.bad_dates = parsed.amounts, parsed.bad_dates
    piece.bad_signups = parsed.bad_signups
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
        listed = None
        if settings.customers:  # the columns the customers table's cells carry too
            listed = False
            if settings.segment and "segment" not in transactions:
                transactions = transactions.assign(segment="")
            if "start" not in transactions:
                transactions = transactions.assign(start=np.datetime64("NaT", "us"))
        piece.activity = build_cells(transactions, settings.cell_period(), settings.week_start,
                                     times=settings.offsets == "relative" or settings.times,
                                     listed=listed, gross=settings.gross)  # fmt: skip
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
    store=None,
) -> tuple[list[Input], list[list[Piece]], list[DateReading]]:
    """Every input opened once, cut into batches, and each batch reduced on the engine the
    settings name (``local``: a thread pool; ``dask``: a Dask cluster).

    Parsing decisions are made per input, never per batch: a batch whose own dates read
    otherwise than its input's (decided from every value; the order of slash dates from every
    input) is read again with the input's reading, so batch boundaries change nothing.
    ``progress(done, total, rows)`` hears of each batch done: bytes of all inputs, rows read.
    With a ``store`` (``engines.store.CellStore``), each batch's cells go there as it is done,
    so that memory holds a few batches and the store's budget, not every batch's cells."""
    run = engine(settings)
    every = settings.dedupe or find_duplicates
    inputs = [open_input(path, settings, settings.chunksize) for path in paths]
    jobs = [(k, i) for k, item in enumerate(inputs) for i in range(len(item.batches))]
    if every:
        _find_duplicates(inputs, jobs, settings)
    options = Options(settings, threads=len(jobs) == 1, hashes=len(inputs) > 1 and not every,
                      tally=tally)  # fmt: skip

    total = sum(len(item.source.data or b"") for item in inputs)
    pieces = [[None] * len(item.batches) for item in inputs]

    def keep(todo: list, tell: bool) -> None:
        done = rows = 0
        for job, piece in zip(todo, run(functools.partial(_job, inputs, options), todo),
                              strict=True):  # fmt: skip
            k, i = job[:2]
            pieces[k][i] = piece
            if store is not None:
                store.discard((k, i))
                if piece.activity is not None:
                    store.add((k, i), piece.activity)
                    piece.activity = None
            if tell:
                batch = inputs[k].batches[i]
                done += batch.end - batch.start if batch else 0
                rows += piece.counts.read
                progress(done, total, rows)

    keep(jobs, progress is not None)
    readings = _readings(inputs, pieces, settings)
    first_rows = [_first_rows(item_pieces) for item_pieces in pieces]
    keep([(k, i, readings[k], first_rows[k][i]) for k, i in jobs
          if _redo(pieces[k][i], readings[k]) or first_rows[k][i]], False)  # fmt: skip
    return inputs, pieces, readings


def _first_rows(pieces: list[Piece]) -> list[frozenset]:
    """Per batch of one input, the line-item orders of its rows that lack their first row in
    the batch, but have it in another: the batch is read again knowing them, so that a batch
    boundary inside an order changes nothing."""
    opened = [p.orders.open if p.orders else frozenset() for p in pieces]
    if not any(opened):
        return [frozenset()] * len(pieces)
    first = frozenset().union(*(p.orders.first for p in pieces if p.orders))
    return [names & first for names in opened]


def _job(inputs: list[Input], options: Options, job: tuple) -> Piece:
    """One batch's piece: ``job`` is (input, batch[, the input's reading, line-item orders with
    their first row elsewhere]). A plain function of plain data, so that a Dask worker can run
    it. The reader types dates only for an ISO reading."""
    k, i, reading, first_rows = (*job, None, frozenset())[:4]
    typed = reading is None or reading.shape == "ISO 8601"
    return _piece(inputs[k], i, options, reading, typed, first_rows)


def engine(settings: Settings) -> Callable:
    """``run(work, jobs)`` of the engine the settings name: results in the jobs' order."""
    if settings.engine == "dask" or settings.scheduler:  # a scheduler means a Dask cluster
        from retain.engines import dask

        return functools.partial(dask.run, scheduler=settings.scheduler)
    from retain.engines import local

    return functools.partial(local.run, threads=settings.threads)


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


def _first_date(item: Input, pieces: list[Piece]) -> str:
    """``line 2: 'soon'``: the input's first date, its line counted now (an error is coming)."""
    for index, piece in enumerate(pieces):
        if piece.first_date:
            position, value = piece.first_date
            if item.raws is not None:
                return f"line {position + 2}: {value!r}"
            raw = read_batch(item.source, item.batches[index], item.wanted, typed=False)
            return f"line {raw.lines([position])[0]}: {value!r}"
    return "no dates"


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
            example = _first_date(item, pieces[inputs.index(item)])
            raise BadRowsError(
                f"{item.name}: cannot recognise the dates in column {column!r} ({example}); "
                f"{message}"
            ) from None
    return readings


def read_customers(
    settings: Settings, revenue: bool, has_signup: bool = False
) -> tuple[list[Cells], dict]:
    """The cells of a customers table (``--customers``): one per listed customer, with no
    activity, the period of its signup (``--signup``, when the table has that column) as its
    start, and its ``--segment`` value, which comes before any activity's. Ids are read as the
    transactions' are (trimmed, Excel wrappers off, emails lower-cased unless case-sensitive).
    Returns the cells and what was read (rows, columns, ids missing)."""
    from retain.errors import ColumnError
    from retain.normalize import NO_SEGMENT, Columns, parse_signups
    from retain.normalize.columns import CUSTOMER_NAMES, _find, find_column
    from retain.normalize.text import as_text

    if not isinstance(settings.customers, str | os.PathLike):
        raise TypeError("customers takes the path of a customers table")
    source = open_source(str(settings.customers), settings.encoding, settings.delimiter)
    name, header = source.name, source.header
    column = _find(name, header, settings.customer, "customer", CUSTOMER_NAMES)
    if column is None:
        raise ColumnError(f"{name}: cannot tell which column holds the customer id; name it "
                          "as the transactions' customer column, or pass --customer naming "
                          "the column in both files")  # fmt: skip
    signup = next((find_column(name, header, c, "signup") for c in [settings.signup]
                   if c and c.lower() in map(str.lower, header)), None)  # fmt: skip
    if settings.offsets == "relative":
        raise ColumnError("a customers table goes with calendar offsets, not relative ones")
    if settings.signup and signup is None and not has_signup:
        raise ColumnError(
            f"{name}: no column {settings.signup!r} for --signup, in the customers table or "
            "the transactions"
        )
    segment = None
    if settings.segment:
        if settings.segment.lower() not in map(str.lower, header):
            raise ColumnError(
                f"{name}: no column {settings.segment!r} for --segment; with --customers, a "
                "segment is an attribute of the customers table"
            )
        segment = find_column(name, header, settings.segment, "segment")
    wanted = wanted_columns(source, dict.fromkeys(c for c in (column, signup, segment) if c))
    plan = Plan(Columns(column, None, None))
    cells, rows, empty, unread = [], 0, 0, 0
    for batch in batches(source, settings.chunksize):
        frame = read_batch(source, batch, wanted, typed=False).frame
        rows += len(frame)
        ids, _ = _customer_ids(frame, plan, settings.case_sensitive_ids)
        keep = (ids != "").to_numpy()
        empty += int((~keep).sum())
        table = pd.DataFrame({"customer": ids}, copy=False)
        start = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
        if signup:
            start, bad = parse_signups(frame[signup])
            unread += int(bad.sum())
        epoch = pd.Timestamp("1970-01-01")
        table["timestamp"] = start.fillna(epoch).to_numpy("datetime64[us]")
        table["start"] = start.to_numpy("datetime64[us]")
        if revenue:
            table["amount"] = np.zeros(len(table), np.int64)
        if segment:
            values = as_text(frame[segment]).str.strip()
            table["segment"] = values.where(values != "", NO_SEGMENT).to_numpy()
        table = table[keep]
        if len(table):
            cells.append(build_cells(table, settings.cell_period(), settings.week_start,
                                     listed=True, gross=settings.gross))  # fmt: skip
    if unread and settings.on_bad_rows == "fail":
        raise BadRowsError(
            f"{name}: {unread:,} values of {signup!r} cannot be read as ISO dates or months; "
            "fix them, or pass --on-bad-rows skip to ignore those values"
        )
    info = {"name": name, "rows": rows, "customer": column, "signup": signup,
            "segment": segment, "rows_without_id": empty, "unread_signups": unread}  # fmt: skip
    return cells, info
