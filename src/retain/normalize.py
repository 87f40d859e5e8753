"""Raw frame -> canonical transactions: ``customer`` (text), ``timestamp``, ``amount``.

Column detection, date and amount parsing, and row accounting: every row read is either used or
counted under a reason (METRICS.md, Input). Amounts are held as integers in 1/10,000 of a
currency unit (``AMOUNT_SCALE``), so that sums are exact and do not depend on row order.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retain.errors import BadRowsError, ColumnError

AMOUNT_SCALE = 10_000
MAX_AMOUNT = 9e14  # per row, in currency units: keeps every sum inside int64 at AMOUNT_SCALE

# Header names we recognise, most specific first, compared without case, spaces or punctuation.
CUSTOMER_NAMES = [
    "customer_id",
    "customerid",
    "customer_number",
    "customer_no",
    "customer",
    "client_id",
    "client",
    "user_id",
    "account_id",
    "member_id",
    "buyer_id",
    "contact_id",
    "user",
    "account",
    "customer_email",
    "email",
]
DATE_NAMES = [
    "order_date",
    "transaction_date",
    "invoice_date",
    "purchase_date",
    "payment_date",
    "sale_date",
    "order_time",
    "transaction_time",
    "created_at",
    "created_date",
    "created",
    "date",
    "datetime",
    "timestamp",
    "time",
    "event_time",
    "paid_at",
]
AMOUNT_NAMES = [
    "amount",
    "revenue",
    "total",
    "order_total",
    "total_amount",
    "net_amount",
    "gross_amount",
    "sales",
    "value",
    "dollar_value",
    "total_price",
    "price",
]

SKIP_REASONS = {
    "missing_customer": "an empty customer id",
    "bad_date": "a missing or unparseable date",
    "bad_amount": "a missing or unparseable amount",
    "after_as_of": "a date after --as-of",
}


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


@dataclass(frozen=True)
class Columns:
    """The header names that hold the customer id, the date and (optionally) the amount."""

    customer: str
    date: str
    amount: str | None


def _listing(header: list[str]) -> str:
    return ", ".join(repr(h) for h in header)


def _find(name: str, header: list[str], given: str | None, field_: str, names: list[str]):
    if given is not None:
        if given in header:
            return given
        folded = [h for h in header if h.lower() == given.lower()]
        if len(folded) == 1:
            return folded[0]
        raise ColumnError(
            f"{name}: no column {given!r} for --{field_}; its columns are {_listing(header)}"
        )
    for candidate in names:
        matches = [h for h in header if _key(h) == _key(candidate)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ColumnError(
                f"{name}: columns {_listing(matches)} could each be the {field_}; "
                f"pass --{field_} COLUMN to choose"
            )
    return None


def detect_columns(
    name: str,
    header: list[str],
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
) -> Columns:
    """Choose the customer, date and amount columns of ``header`` (flags first, then names)."""
    if not header or header == [""]:
        raise ColumnError(f"{name}: the file has no header row")
    found = {}
    for field_, given, names in (
        ("customer", customer, CUSTOMER_NAMES),
        ("date", date, DATE_NAMES),
        ("amount", amount, AMOUNT_NAMES),
    ):
        column = _find(name, header, given, field_, names)
        if column is None and field_ != "amount":
            raise ColumnError(
                f"{name}: cannot tell which column holds the {field_}; its columns are "
                f"{_listing(header)}; pass --{field_} COLUMN"
            )
        found[field_] = column
    chosen = [c for c in found.values() if c is not None]
    if len(set(chosen)) < len(chosen):
        raise ColumnError(
            f"{name}: the same column serves two roles ({found}); pass --customer, --date and "
            "--amount to tell them apart"
        )
    return Columns(**found)


@dataclass
class RowCounts:
    """Rows read, and rows skipped by reason (keys of ``SKIP_REASONS``)."""

    read: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def used(self) -> int:
        return self.read - sum(self.skipped.values())

    def skip(self, reason: str, count: int) -> None:
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + int(count)

    def __iadd__(self, other: RowCounts) -> RowCounts:
        self.read += other.read
        for reason, count in other.skipped.items():
            self.skip(reason, count)
        return self


@dataclass(frozen=True)
class DateOptions:
    """How to read dates: an explicit strftime format, day-first slashes, the reporting zone."""

    format: str | None = None
    dayfirst: bool = False
    tz: str | None = None


def check_timezone(tz: str) -> str:
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin"
        ) from None
    return tz


_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
_COMPACT = re.compile(r"^\d{8}$")
_ISO = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T].*)?$")
_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})/\d{2,4}(?: .*)?$")


class DateFormatError(Exception):
    """The column's dates follow no format we can recognise."""


def _to_naive(parsed: pd.Series, tz: str | None) -> pd.Series:
    if getattr(parsed.dtype, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(tz or "UTC").dt.tz_localize(None)
    return parsed


def parse_dates(values: pd.Series, options: DateOptions = DateOptions()) -> pd.Series:
    """Parse a date column to naive timestamps in the reporting zone; NaT where unparseable.

    Timestamps with an offset are converted to ``options.tz`` (default UTC); naive ones stay as
    written (METRICS.md, Input: Timezone). Integers are read as ``YYYYMMDD``, never as epochs.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _to_naive(values, options.tz)
    if not pd.api.types.is_string_dtype(values.dtype) or pd.api.types.is_object_dtype(values.dtype):
        values = _as_text(values)
    text = values.str.strip()
    if options.format:
        return _to_naive(pd.to_datetime(text, format=options.format, errors="coerce"), options.tz)
    sample = text[text != ""].head(1000)
    if sample.empty:
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    if sample.str.fullmatch(_COMPACT).all():
        return pd.to_datetime(text, format="%Y%m%d", errors="coerce")
    if sample.str.match(_ISO).all():
        aware = sample.str.contains(_OFFSET).any()
        try:
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=aware)
        except ValueError:  # offsets beyond the sample, or naive mixed with aware
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
        return _to_naive(parsed, options.tz)
    slash = sample.str.extract(_SLASH)
    if slash.notna().all().all():
        if not options.dayfirst and (slash[0].astype(int) > 12).any():
            raise DateFormatError("they look like DD/MM/YYYY; pass --dayfirst")
        fmt = "%d/%m/%Y" if options.dayfirst else "%m/%d/%Y"
        if sample.str.contains(" ").any():
            return pd.to_datetime(text, dayfirst=options.dayfirst, errors="coerce")
        return pd.to_datetime(text, format=fmt, errors="coerce")
    raise DateFormatError("pass --date-format with a strftime pattern, for example %d.%m.%Y")


def _as_text(values: pd.Series) -> pd.Series:
    """Text of ids or dates given as numbers: 12 and 12.0 both read as ``12``."""
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.dropna()
        if (whole == whole.round()).all():
            values = values.astype("Int64")
    return values.astype("str").where(values.notna(), "")


def parse_amounts(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Amounts as integers in 1/AMOUNT_SCALE units, and the mask of rows that are not numbers."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.astype("float64")
    else:
        numbers = pd.to_numeric(_as_text(values).str.strip(), errors="coerce").astype("float64")
    numbers = numbers.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(numbers) | (np.abs(numbers) >= MAX_AMOUNT)
    scaled = np.round(np.where(bad, 0.0, numbers) * AMOUNT_SCALE).astype(np.int64)
    return scaled, bad


def _bad_rows_error(name: str, column: str, what: str, mask: np.ndarray, values: pd.Series):
    positions = np.flatnonzero(mask)
    first = positions[:5]
    examples = ", ".join(f"line {i + 2}: {str(values.iloc[i])!r}" for i in first)
    rows = "1 row has" if len(positions) == 1 else f"{len(positions):,} rows have"
    return BadRowsError(
        f"{name}: {rows} {what} in column {column!r} ({examples}); "
        "fix them, or pass --on-bad-rows skip to skip and count them"
    )


def normalize(
    name: str,
    frame: pd.DataFrame,
    columns: Columns,
    dates: DateOptions = DateOptions(),
    on_bad_rows: str = "fail",
) -> tuple[pd.DataFrame, RowCounts]:
    """Canonical transactions of one raw frame, and the row accounting.

    Rows with an empty customer id, an unparseable date or amount are skipped and counted when
    ``on_bad_rows`` is ``"skip"``; with ``"fail"`` the first of them raise ``BadRowsError``.
    Line numbers in messages count the header as line 1.
    """
    counts = RowCounts(read=len(frame))
    customer = _as_text(frame[columns.customer]).str.strip()
    try:
        timestamp = parse_dates(frame[columns.date], dates)
    except DateFormatError as exc:
        example = str(frame[columns.date].iloc[0]) if len(frame) else ""
        raise BadRowsError(
            f"{name}: cannot recognise the dates in column {columns.date!r} "
            f"(line 2: {example!r}); {exc}"
        ) from None
    keep = np.ones(len(frame), dtype=bool)
    checks = [
        ("missing_customer", columns.customer, (customer == "").to_numpy()),
        ("bad_date", columns.date, timestamp.isna().to_numpy()),
    ]
    out = {"customer": customer, "timestamp": timestamp}
    if columns.amount is not None:
        out["amount"], bad_amount = parse_amounts(frame[columns.amount])
        checks.append(("bad_amount", columns.amount, bad_amount))
    for reason, column, bad in checks:
        bad = bad & keep
        if bad.any():
            if on_bad_rows == "fail":
                raise _bad_rows_error(name, column, SKIP_REASONS[reason], bad, frame[column])
            counts.skip(reason, bad.sum())
            keep &= ~bad
    canonical = pd.DataFrame(out, index=frame.index)
    if not keep.all():
        canonical = canonical[keep]
    return canonical.reset_index(drop=True), counts
