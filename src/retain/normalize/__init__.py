"""Raw frame -> canonical transactions: ``customer`` (text), ``timestamp``, ``amount``.

Column detection, date and amount parsing, and row accounting: every row read is either used or
counted under a reason (METRICS.md, Input). Amounts are held as integers in 1/10,000 of a
currency unit (``AMOUNT_SCALE``), so that sums are exact and do not depend on row order.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retain.errors import BadRowsError, counted
from retain.ledger import BAD_ROWS, EXAMPLES, SKIP_REASONS, RowCounts
from retain.normalize.amounts import AMOUNT_SCALE, MAX_AMOUNT, parse_amounts
from retain.normalize.columns import Columns, detect_columns
from retain.normalize.dates import DateFormatError, DateOptions, check_timezone, parse_dates
from retain.normalize.text import as_text

__all__ = [
    "AMOUNT_SCALE", "BAD_ROWS", "MAX_AMOUNT", "SKIP_REASONS", "Columns", "DateOptions",
    "RowCounts", "check_timezone", "detect_columns", "normalize", "parse_amounts", "parse_dates",
    "window",
]  # fmt: skip


def _examples(mask: np.ndarray, values: pd.Series) -> list[str]:
    """``line N: 'value'`` of the first masked rows; the index holds each row's position in its
    file (the header is line 1)."""
    first = np.flatnonzero(mask)[:EXAMPLES]
    return [f"line {values.index[i] + 2}: {str(values.iloc[i])!r}" for i in first]


def bad_rows_error(name: str, reason: str, count: int, column: str | None, examples: list[str]):
    """The one-line error of ``--on-bad-rows fail``: the file, the reason, the first rows."""
    rows = counted(count, "row has", "rows have")
    where = f" in column {column!r}" if column else ""
    advice = "fix them, or pass --on-bad-rows skip to skip and count them"
    if reason == "bad_amount" and any(re.search(r"\d,\d{1,2}'$", e) for e in examples):
        advice = "they look like decimal commas: pass --decimal ,"
    if reason == "future_date":
        advice = "pass --as-of or --until to cut the data there, or --on-bad-rows skip"
    return BadRowsError(
        f"{name}: {rows} {SKIP_REASONS[reason]}{where} ({'; '.join(examples)}); {advice}"
    )


@dataclass(frozen=True)
class Parsed:
    """How a file's columns were read, for ``retain inspect``."""

    dates: str
    amounts: str | None


def normalize(
    name: str,
    frame: pd.DataFrame,
    columns: Columns,
    dates: DateOptions = DateOptions(),
    on_bad_rows: str = "fail",
    *,
    decimal: str = ".",
    today: dt.date | None = None,
) -> tuple[pd.DataFrame, RowCounts, Parsed]:
    """Canonical transactions of one raw frame, the row accounting, and how values were read.

    Rows with an empty customer id, an unparseable date or amount, or (given ``today``) a date
    after today are bad rows: skipped and counted when ``on_bad_rows`` is ``"skip"``; with
    ``"fail"`` they raise ``BadRowsError`` showing the first five. Line numbers count the header
    as line 1 and one line per record.
    """
    counts = RowCounts(read=len(frame))
    customer = as_text(frame[columns.customer]).str.strip()
    try:
        timestamp, date_note = parse_dates(frame[columns.date], dates)
    except DateFormatError as exc:
        example = str(frame[columns.date].iloc[0]) if len(frame) else ""
        raise BadRowsError(
            f"{name}: cannot recognise the dates in column {columns.date!r} "
            f"(line 2: {example!r}); {exc}"
        ) from None
    keep = np.ones(len(frame), dtype=bool)
    missing_date = timestamp.isna().to_numpy()
    checks = [
        ("missing_customer", columns.customer, (customer == "").to_numpy()),
        ("bad_date", columns.date, missing_date),
    ]
    if today is not None:
        tomorrow = np.datetime64(today + dt.timedelta(days=1), "us")
        future = ~missing_date & (timestamp.to_numpy() >= tomorrow)
        checks.append(("future_date", columns.date, future))
    out = {"customer": customer, "timestamp": timestamp}
    amount_note = None
    if columns.amount is not None:
        out["amount"], bad_amount = parse_amounts(frame[columns.amount], decimal)
        checks.append(("bad_amount", columns.amount, bad_amount))
        amount_note = "numbers" if decimal == "." else "numbers with decimal commas"
    for reason, column, bad in checks:
        bad = bad & keep
        if bad.any():
            examples = _examples(bad, frame[column])
            if on_bad_rows == "fail":
                raise bad_rows_error(name, reason, int(bad.sum()), column, examples)
            counts.skip(reason, bad.sum(), [f"{name} {e}" for e in examples])
            keep &= ~bad
    canonical = pd.DataFrame(out, index=frame.index)
    if not keep.all():
        canonical = canonical[keep]
    return canonical.reset_index(drop=True), counts, Parsed(date_note, amount_note)


def window(
    transactions: pd.DataFrame,
    counts: RowCounts,
    since: dt.date | None = None,
    until: dt.date | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Keep the rows dated within [since, until] and on or before as_of, counting the others."""
    days = transactions["timestamp"].to_numpy().astype("datetime64[D]")
    keep = np.ones(len(days), dtype=bool)
    for reason, outside in (
        ("outside_window", since is not None and days < np.datetime64(since, "D")),
        ("outside_window", until is not None and days > np.datetime64(until, "D")),
        ("after_as_of", as_of is not None and days > np.datetime64(as_of, "D")),
    ):
        if outside is not False:
            outside &= keep
            counts.skip(reason, outside.sum())
            keep &= ~outside
    return transactions if keep.all() else transactions[keep].reset_index(drop=True)
