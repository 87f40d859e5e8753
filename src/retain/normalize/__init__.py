"""Raw frame -> canonical transactions: ``customer`` (text), ``timestamp``, ``amount``.

How one input's columns are read is decided once, from its header (``Plan``); the rows are then
selected (``select_rows``: line items, ``--where``, layout rules) and normalized (``normalize``:
ids, dates, amounts, currencies, bad rows). Every row read is used or counted under a reason
(METRICS.md, Input). Amounts are held as integers in 1/10,000 of a currency unit
(``AMOUNT_SCALE``), so that sums are exact and do not depend on row order.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retain.errors import BadRowsError, counted
from retain.ledger import BAD_ROWS, EXAMPLES, SKIP_REASONS, RowCounts
from retain.normalize.amounts import AMOUNT_SCALE, MAX_AMOUNT, parse_amounts
from retain.normalize.columns import Columns, detect_columns
from retain.normalize.dates import (
    DateOptions,
    DateReading,
    check_timezone,
    parse_dates,
)
from retain.normalize.select import Condition, keep_mask, keeps, labels
from retain.normalize.text import as_text

__all__ = [
    "AMOUNT_SCALE", "BAD_ROWS", "MAX_AMOUNT", "SKIP_REASONS", "Columns", "DateOptions", "Plan",
    "RowCounts", "check_timezone", "detect_columns", "normalize", "parse_amounts", "parse_dates",
    "select_rows", "window", "Orders",
]  # fmt: skip


@dataclass(frozen=True)
class Plan:
    """How one input's columns are read, decided once from its header: the customer, date and
    amount columns; further customer columns tried where the first is empty; a refunded amount
    subtracted from the amount; the currency column; the row conditions (``--where`` and an
    export layout's rows where no money moved, compared without case); the line-item columns
    (order, column only an order's first row fills); status columns to warn about."""

    columns: Columns
    fallbacks: tuple[str, ...] = ()
    refunded: str | None = None
    currency: str | None = None
    conditions: tuple[Condition, ...] = ()
    exclude: tuple[tuple[str, tuple[str, ...]], ...] = ()
    line_items: tuple[str, str] | None = None
    statuses: tuple[str, ...] = ()
    layout: str | None = None
    segment: str | None = None  # the column whose value at a customer's first activity wins
    signup: str | None = None  # the column of signup dates (ISO 8601 days or months)
    starts: tuple[Condition, ...] = ()  # rows that start a cohort (--start-where)
    returns: tuple[Condition, ...] = ()  # rows that are activity after it (--return-where)

    def wanted(self) -> list[str]:
        """Every column the input needs, once each, in a fixed order."""
        names = [self.columns.customer, *self.fallbacks, self.columns.date, self.columns.amount]
        names += [self.refunded, self.currency, *(c.column for c in self.conditions)]
        names += [c for c, _ in self.exclude] + list(self.line_items or ()) + list(self.statuses)
        names += [self.segment, self.signup]
        names += [c.column for c in (*self.starts, *self.returns)]
        return list(dict.fromkeys(n for n in names if n is not None))


@dataclass
class Orders:
    """Line items of a batch: the orders whose first row it holds, and those of rows that look
    like continuation rows (the first-row column empty) without their first row in the batch.
    A row of ``open`` is a continuation row when another batch holds its order's first row."""

    first: frozenset = frozenset()
    open: frozenset = frozenset()


def select_rows(
    frame: pd.DataFrame, plan: Plan, counts: RowCounts, first_rows: frozenset = frozenset()
) -> tuple[pd.DataFrame, dict, Counter, Orders]:
    """The rows that are transactions; the values of each status column among them; the
    ``(column, value)`` pairs the layout left out, with their rows; and the batch's ``Orders``.

    A line item's continuation rows (same order as a first row of the input, the first-row
    column empty) are counted as ``line_item_row``; rows ``--where`` or the layout leaves out as
    ``filtered``. ``first_rows`` names orders whose first row is in another batch."""
    keep = np.ones(len(frame), dtype=bool)
    orders = Orders()
    if plan.line_items:
        order, marker = (as_text(frame[c]).str.strip() for c in plan.line_items)
        first = (marker != "").to_numpy()
        orders.first = frozenset(order[first])
        matched = order.isin(orders.first | first_rows).to_numpy()
        orders.open = frozenset(order[~first & ~matched])
        continuation = ~first & matched
        counts.skip("line_item_row", int(continuation.sum()))
        keep &= ~continuation
    passed = keep & keep_mask(frame, list(plan.conditions))
    if plan.starts and plan.returns:  # rows neither start nor return: no transactions
        passed &= keep_mask(frame, list(plan.starts)) | keep_mask(frame, list(plan.returns))
    left_out = Counter()
    for column, values in plan.exclude:
        text = as_text(frame[column]).str.strip()
        out = passed & text.str.lower().isin(values).to_numpy()
        left_out.update({(column, v): n for v, n in text[out].value_counts().items()})
        passed &= ~out
    counts.skip("filtered", int((keep & ~passed).sum()))
    if not passed.all():
        frame = frame[passed]
    statuses = {
        c: Counter(as_text(frame[c]).str.strip().value_counts().to_dict()) for c in plan.statuses
    }
    return frame, statuses, left_out, orders


def _customers(frame: pd.DataFrame, plan: Plan, case_sensitive: bool) -> tuple[pd.Series, int]:
    """Customer ids as text: the first non-empty of the customer columns, trimmed, an Excel
    ``="..."`` wrapper removed; email addresses lower-cased unless ``case_sensitive``. And how
    many rows hold an email address."""
    customer = as_text(frame[plan.columns.customer]).str.strip()
    for column in plan.fallbacks:
        customer = customer.where(customer != "", as_text(frame[column]).str.strip())
    wrapped = customer.str.startswith('="', na=False)
    if wrapped.any():
        customer = customer.where(~wrapped, customer.str.slice(2).str.rstrip('"'))
    emails = customer.str.contains("@", regex=False, na=False)
    if emails.any() and not case_sensitive:
        customer = customer.where(~emails, customer.str.lower())
    return customer, int(emails.sum())


def _examples(mask: np.ndarray, values: pd.Series, lines) -> list[str]:
    """``line N: 'value'`` of the first masked rows; the index holds each row's position among
    its file's records, which ``lines`` turns into physical line numbers."""
    first = np.flatnonzero(mask)[:EXAMPLES]
    numbers = lines(values.index[first].to_numpy())
    return [f"line {n}: {str(values.iloc[i])!r}" for n, i in zip(numbers, first, strict=True)]


BAD_DATES = 100


def bad_rows_error(
    name: str, reason: str, count: int, column: str | None, examples: list[str], hint: str = ""
):
    """The one-line error of ``--on-bad-rows fail``: the file, the reason, the first rows."""
    rows = counted(count, "row has", "rows have")
    where = f" in column {column!r}" if column else ""
    advice = "fix them, or pass --on-bad-rows skip to skip and count them"
    if reason == "bad_amount" and any(re.search(r"\d,\d{1,2}'$", e) for e in examples):
        advice = "they look like decimal commas: pass --decimal ,"
    if reason == "future_date":
        advice = "pass --as-of or --until to cut the data there, or --on-bad-rows skip"
    if hint:
        advice = f"{hint}; or {advice}"
    return BadRowsError(
        f"{name}: {rows} {SKIP_REASONS[reason]}{where} ({'; '.join(examples)}); {advice}"
    )


@dataclass
class Parsed:
    """How a file's values were read: the dates, the amounts, the currency of the rows used
    (label -> rows), how many ids were email addresses."""

    dates: str
    amounts: str | None
    currencies: Counter = field(default_factory=Counter)
    email_ids: int = 0
    bad_dates: pd.Series | None = None  # the first unparseable dates, for a hint
    bad_signups: tuple[int, list[str]] = (0, [])  # signup values not read, and examples


def parse_signups(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Signup dates: ISO 8601 days or months (``2024-03-05``, ``2024-03``), empty for none;
    and which non-empty values could not be read."""
    text = as_text(values).str.strip()
    signup = pd.to_datetime(text.where(text != ""), format="ISO8601", errors="coerce")
    return signup, (text != "").to_numpy() & signup.isna().to_numpy()


NO_SEGMENT = "(none)"  # the segment of rows whose segment column is empty


def normalize(
    name: str,
    frame: pd.DataFrame,
    plan: Plan,
    reading: DateReading,
    *,
    decimal: str = ".",
    today: dt.date | None = None,
    currency: str | None = None,
    case_sensitive_ids: bool = False,
    lines=None,
) -> tuple[pd.DataFrame, RowCounts, Parsed]:
    """Canonical transactions of one selected frame, the row accounting, and how values were
    read (METRICS.md, Input).

    Rows of another currency than ``currency`` are counted as ``other_currency``. Rows with an
    empty customer id, an unparseable or placeholder date, an unparseable amount (or refunded
    amount), or (given ``today``) a date after today are bad rows: skipped and counted, with
    the first five as examples by physical line (``lines`` maps the frame's index to line
    numbers). Whether bad rows stop the run is the caller's choice (``bad_rows_error``).
    """
    lines = lines or (lambda positions: [int(p) + 2 for p in positions])
    columns = plan.columns
    counts = RowCounts()
    customer, email_ids = _customers(frame, plan, case_sensitive_ids)
    timestamp, placeholder = parse_dates(frame[columns.date], reading)
    keep = np.ones(len(frame), dtype=bool)
    missing_date = timestamp.isna().to_numpy() & ~placeholder
    checks = [
        ("missing_customer", columns.customer, (customer == "").to_numpy()),
        ("bad_date", columns.date, missing_date),
        ("placeholder_date", columns.date, placeholder),
    ]
    if today is not None:
        tomorrow = np.datetime64(today + dt.timedelta(days=1), "us")
        checks.append(
            ("future_date", columns.date, ~missing_date & (timestamp.to_numpy() >= tomorrow))
        )
    out = {"customer": customer, "timestamp": timestamp}
    bad_signups = (0, [])
    if plan.starts:  # a start row starts a cohort at its own time; returns are the activity
        start = keep_mask(frame, list(plan.starts))
        out["start"] = np.where(start, timestamp.to_numpy("datetime64[us]"), np.datetime64("NaT"))
        if plan.returns:
            out["returns"] = keep_mask(frame, list(plan.returns))
    if plan.signup is not None:  # ISO 8601 days or months; empty: no signup on this row
        signup, unread = parse_signups(frame[plan.signup])
        if unread.any():  # the row stays (its purchase is good); the value is no signup
            bad_signups = (int(unread.sum()), _examples(unread, frame[plan.signup], lines))
        out["start"] = signup.to_numpy("datetime64[us]")
    amount_note, row_currency = None, None
    if columns.amount is not None:
        amount, bad_amount, marks = parse_amounts(frame[columns.amount], decimal)
        amount_note = "numbers" if decimal == "." else "numbers with decimal commas"
        if plan.refunded is not None:
            refunded_text = as_text(frame[plan.refunded]).str.strip()
            refunded, bad_refund, _ = parse_amounts(
                refunded_text.where(refunded_text != "", "0"), decimal
            )
            amount = amount - refunded
            checks.append(("bad_amount", plan.refunded, bad_refund & ~bad_amount))
            amount_note += f", minus {plan.refunded!r}"
        checks.append(("bad_amount", columns.amount, bad_amount))
        out["amount"] = amount
        if plan.currency is not None:
            row_currency = labels(frame[plan.currency]).to_numpy(object)
        elif marks is not None:
            row_currency = labels(marks).to_numpy(object)
    if row_currency is not None and currency is not None:
        distinct = {c: (not c) or keeps(c, currency) for c in set(row_currency)}
        other = ~np.fromiter((distinct[c] for c in row_currency), bool, len(row_currency))
        counts.skip("other_currency", int(other.sum()))
        keep &= ~other
    bad_dates = None
    for reason, column, bad in checks:
        bad = bad & keep
        if bad.any():
            counts.skip(reason, bad.sum(), _examples(bad, frame[column], lines), column)
            if reason == "bad_date":
                bad_dates = frame[column][bad].head(BAD_DATES)
            keep &= ~bad
    if plan.segment is not None:  # empty values are a segment of their own
        segment = as_text(frame[plan.segment]).str.strip()
        out["segment"] = segment.where(segment != "", NO_SEGMENT)
    canonical = pd.DataFrame(out, index=frame.index, copy=False)
    if not keep.all():
        canonical = canonical[keep]
    currencies = Counter()
    if row_currency is not None:
        currencies = Counter(row_currency[keep].tolist())
    parsed = Parsed(reading.note, amount_note, currencies, email_ids, bad_dates, bad_signups)
    return canonical.reset_index(drop=True), counts, parsed


def window(
    transactions: pd.DataFrame,
    counts: RowCounts,
    until: dt.date | None = None,
    as_of: dt.date | None = None,
) -> pd.DataFrame:
    """Keep the rows dated on or before ``until`` and ``as_of``, counting the others.

    (``--since`` selects cohorts, not rows: rows before it still decide who is new.)"""
    days = transactions["timestamp"].to_numpy().astype("datetime64[D]")
    keep = np.ones(len(days), dtype=bool)
    for reason, outside in (
        ("outside_window", until is not None and days > np.datetime64(until, "D")),
        ("after_as_of", as_of is not None and days > np.datetime64(as_of, "D")),
    ):
        if outside is not False:
            outside &= keep
            counts.skip(reason, outside.sum())
            keep &= ~outside
    return transactions if keep.all() else transactions[keep].reset_index(drop=True)
