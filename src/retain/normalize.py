"""Raw frame -> canonical transactions: ``customer`` (text), ``timestamp``, ``amount``.

Column detection, date and amount parsing, and row accounting: every row read is either used or
counted under a reason (METRICS.md, Input). Amounts are held as integers in 1/10,000 of a
currency unit (``AMOUNT_SCALE``), so that sums are exact and do not depend on row order.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retain.errors import BadRowsError, ColumnError, counted

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

# Why a row was not used. The first five are bad rows, under --on-bad-rows; the rest are filters.
SKIP_REASONS = {
    "malformed_row": "a wrong number of fields",
    "missing_customer": "an empty customer id",
    "bad_date": "a missing or unparseable date",
    "future_date": "a date after today",
    "bad_amount": "a missing, unparseable or out-of-range amount",
    "duplicate": "an exact duplicate of an earlier row (--dedupe)",
    "outside_window": "a date outside --since/--until",
    "after_as_of": "a date after --as-of",
}
BAD_ROWS = ("malformed_row", "missing_customer", "bad_date", "future_date", "bad_amount")
EXAMPLES = 5


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
        if len(set(matches)) == 1:
            raise ColumnError(f"{name}: the header names {matches[0]!r} twice; rename one of them")
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
    """Rows read; rows skipped by reason (keys of ``SKIP_REASONS``) with up to five examples
    each (``"orders.csv line 7: '2024-13-01'"``)."""

    read: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def used(self) -> int:
        return self.read - sum(self.skipped.values())

    def skip(self, reason: str, count: int, examples: list[str] = ()) -> None:
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + int(count)
            kept = self.examples.setdefault(reason, [])
            kept.extend(examples[: EXAMPLES - len(kept)])

    def __iadd__(self, other: RowCounts) -> RowCounts:
        self.read += other.read
        for reason, count in other.skipped.items():
            self.skip(reason, count, other.examples.get(reason, []))
        return self

    def summary(self) -> str:
        """``12 with an empty customer id; 3 with ...``, reasons in a fixed order."""
        return "; ".join(
            f"{self.skipped[r]:,} with {SKIP_REASONS[r]}" for r in SKIP_REASONS if r in self.skipped
        )


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
_SLASH = re.compile(
    r"^(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})(?:[ T](\d{1,2}:\d{2})(:\d{2})?(?:\s*([AaPp][Mm]))?)?$"
)
# Shapes of date text we recognise, tried on a sample; the one most of the sample fits wins and
# values of other shapes are bad dates.
_SHAPES = {
    "YYYYMMDD": re.compile(r"^\d{8}$"),
    "ISO 8601": re.compile(r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d.*)?$"),
    "YYYY/MM/DD": re.compile(r"^\d{4}/\d{1,2}/\d{1,2}(?:[ T]\d.*)?$"),
    "slashes": _SLASH,
    "DD.MM.YYYY": re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$"),
}


class DateFormatError(Exception):
    """The column's dates follow no format we can recognise."""


def _to_naive(parsed: pd.Series, tz: str | None) -> pd.Series:
    if getattr(parsed.dtype, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(tz or "UTC").dt.tz_localize(None)
    return parsed


def _iso(text: pd.Series, sample: pd.Series, tz: str | None) -> tuple[pd.Series, str]:
    aware = bool(sample.str.contains(_OFFSET).any())
    try:
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=aware)
    except ValueError:  # offsets beyond the sample, or naive mixed with aware
        parsed, aware = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True), True
    note = f", offsets converted to {tz or 'UTC'}" if aware else ""
    return _to_naive(parsed, tz), "ISO 8601" + note


def _slash_format(sample: pd.Series, dayfirst: bool) -> str:
    """The strftime pattern of ``MM/DD/YYYY``-like text (``DD/MM`` with ``dayfirst``)."""
    parts = sample.str.extract(_SLASH).dropna(subset=[0])
    first, second = parts[0].astype(int), parts[1].astype(int)
    if not dayfirst and (first > 12).any() and not (second > 12).any():
        raise DateFormatError("they look like DD/MM/YYYY; pass --dayfirst")
    if dayfirst and (second > 12).any() and not (first > 12).any():
        raise DateFormatError("they look like MM/DD/YYYY; drop --dayfirst")
    fmt = "%d/%m/" if dayfirst else "%m/%d/"
    fmt += "%Y" if (parts[2].str.len() == 4).mean() >= 0.5 else "%y"
    if parts[3].notna().mean() >= 0.5:
        twelve = parts[5].notna().mean() >= 0.5
        fmt += " %I:%M" if twelve else " %H:%M"
        fmt += ":%S" if parts[4].notna().mean() >= 0.5 else ""
        fmt += " %p" if twelve else ""
    return fmt


def parse_dates(values: pd.Series, options: DateOptions = DateOptions()) -> tuple[pd.Series, str]:
    """Parse a date column to naive timestamps in the reporting zone (NaT where unparseable),
    and say how it was read.

    The shape most of the first 1,000 values fit decides the format; values of other shapes are
    bad dates. Timestamps with an offset are converted to ``options.tz`` (default UTC); naive
    ones stay as written (METRICS.md, Input: Timezone). Integers are read as ``YYYYMMDD``,
    never as epochs.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _to_naive(values, options.tz), "native timestamps"
    text = _as_text(values).str.strip()
    if options.format:
        parsed = pd.to_datetime(text, format=options.format, errors="coerce")
        return _to_naive(parsed, options.tz), f"--date-format {options.format}"
    sample = text[text != ""].head(1000)
    if sample.empty:
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]"), "empty"
    fits = {shape: sample.str.match(pattern).mean() for shape, pattern in _SHAPES.items()}
    shape = max(fits, key=fits.get)
    if fits[shape] < 0.5:
        raise DateFormatError("pass --date-format with a strftime pattern, for example %d.%m.%Y")
    if shape == "ISO 8601":
        return _iso(text, sample, options.tz)
    if shape == "YYYY/MM/DD":
        return _iso(text.str.replace("/", "-", n=2, regex=False), sample, options.tz)[0], shape
    if shape == "slashes":
        fmt = _slash_format(sample, options.dayfirst)
        shape = fmt.replace("%d", "DD").replace("%m", "MM").replace("%Y", "YYYY")
        return pd.to_datetime(text, format=fmt, errors="coerce"), shape
    fmt = {"YYYYMMDD": "%Y%m%d", "DD.MM.YYYY": "%d.%m.%Y"}[shape]
    return pd.to_datetime(text, format=fmt, errors="coerce"), shape


def _as_text(values: pd.Series) -> pd.Series:
    """Values as stripped-down text; ids or dates given as numbers: 12 and 12.0 read ``12``."""
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(values):
        return values.fillna("")
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.dropna()
        if (whole == whole.round()).all():
            values = values.astype("Int64")
    return values.astype("str").where(values.notna(), "")


_CURRENCY = r"(?:[A-Z]{3}|[A-Z]{0,2}\$|[€£¥₹₩₽¢₺₫₱฿])"
_MONEY = re.compile(
    rf"^(?P<open>\()?\s*(?P<s1>[-+])?\s*{_CURRENCY}?\s*(?P<s2>[-+])?\s*"
    rf"(?P<num>[\d.,'\s\u00a0\u202f]*\d[\d.,'\s\u00a0\u202f]*)\s*{_CURRENCY}?\s*(?P<close>\))?$"
)
_GROUPED = {  # a number with its thousands grouped, by decimal mark
    ".": re.compile(r"^(?:\d{1,3}(?:([,'\s\u00a0\u202f])\d{3})(?:\1\d{3})*|\d+)(?:\.\d+)?$"),
    ",": re.compile(r"^(?:\d{1,3}(?:([.'\s\u00a0\u202f])\d{3})(?:\1\d{3})*|\d+)(?:,\d+)?$"),
}


def _money(text: pd.Series, decimal: str) -> pd.Series:
    """Numbers as exports write them: ``$1,234.56``, ``12 EUR``, ``(12.00)``; NaN otherwise."""
    parts = text.str.extract(_MONEY)
    number = parts["num"].str.strip()
    valid = number.str.match(_GROUPED[decimal]).fillna(False)
    valid &= parts["open"].isna() == parts["close"].isna()
    valid &= parts["s1"].isna() | parts["s2"].isna()
    digits = number.str.replace(r"[^\d" + re.escape(decimal) + "]", "", regex=True)
    values = pd.to_numeric(digits.str.replace(decimal, ".", regex=False), errors="coerce")
    negative = parts["open"].notna() | (parts["s1"] == "-") | (parts["s2"] == "-")
    values = values.where(valid)
    return values.where(~negative, -values)


def parse_amounts(values: pd.Series, decimal: str = ".") -> tuple[np.ndarray, np.ndarray]:
    """Amounts as integers in 1/AMOUNT_SCALE units, and the mask of rows that are not amounts.

    Plain numbers first; the rest as exports write money: thousands separators, ``--decimal ,``
    (``1.234,56``), currency symbols and codes (``$12``, ``12 EUR``, ``¥12``) and parentheses for
    negatives (``(12.00)``). Empty, NaN, infinite and out-of-range values are bad, never 0.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.astype("float64")
    else:
        text = _as_text(values).str.strip()
        numbers = pd.Series(np.nan, index=values.index)
        if decimal == ".":
            numbers = pd.to_numeric(text, errors="coerce").astype("float64")
        rest = numbers.isna() & (text != "")
        if rest.any():
            numbers[rest] = _money(text[rest], decimal).astype("float64")
    numbers = numbers.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(numbers) | (np.abs(numbers) >= MAX_AMOUNT)
    scaled = np.round(np.where(bad, 0.0, numbers) * AMOUNT_SCALE).astype(np.int64)
    return scaled, bad


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
    customer = _as_text(frame[columns.customer]).str.strip()
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
