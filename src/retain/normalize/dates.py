"""Date values -> naive timestamps on the clock they were written in (METRICS.md, Input).

A column is read in two steps, so that its batches are all read one way: ``date_evidence`` of
each batch, merged with ``+=``; then ``decide_dates`` once, and ``parse_dates`` per batch. The
evidence is counts, so the decision depends neither on row order nor on the split into batches.

Shapes (a value fits at most one): ISO 8601 dates and times, with an optional offset (``Z``,
``+02``, ``+02:00``, ``+0200``, `` -0400`` as Shopify writes it, `` UTC`` as BigQuery does);
``YYYY/MM/DD``; slashes ``M/D/Y`` or ``D/M/Y`` (2- or 4-digit year, optional ``H:MM[:SS]`` and
AM/PM); ``DD.MM.YYYY``; ``YYYYMMDD`` (text or integer, never an epoch). 2-digit years 00-68 are
20xx and 69-99 are 19xx, as with strptime's ``%y``.

Times stay as written: an offset is dropped unless ``tz`` is given, which converts aware times to
``tz``; naive times are converted only given both ``input_tz`` and ``tz``. There an ambiguous
local time (clocks going back) is the earlier one and a nonexistent one (clocks going forward)
moves forward to the first valid time. Values without a time of day are days: never converted.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from retain.errors import counted
from retain.normalize.text import as_text

_HMS = r"[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
_OFFSET = r"\s?(?:Z|UTC|[+-]\d{2}(?::?\d{2})?)"
SHAPES = {  # tried in this order
    "ISO 8601": rf"^\d{{4}}-\d{{1,2}}-\d{{1,2}}(?:{_HMS}(?:{_OFFSET})?)?$",
    "YYYY/MM/DD": rf"^(?P<y>\d{{4}})/(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})(?:{_HMS})?$",
    "slashes": r"^(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4}|\d{2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?(?:\s*(?P<p>[AaPp])[Mm])?)?$",
    "DD.MM.YYYY": rf"^(?P<d>\d{{1,2}})\.(?P<m>\d{{1,2}})\.(?P<y>\d{{4}})(?:{_HMS})?$",
    "YYYYMMDD": r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$",
}
_ISO_OFFSET = rf":\d\d(?:\.\d+)?(?P<o>{_OFFSET})$"  # an offset after a time
_LAST_OFFSET = r"^.*(?P<o>Z|UTC|[+-]\d{2}(?::?\d{2})?)"  # wherever a format's %z put it
PLACEHOLDERS = np.array(
    ["1900-01-01", "1899-12-30", "1970-01-01", "0001-01-01", "9999-12-31"], dtype="datetime64[D]"
)
NAT = np.datetime64("NaT", "us")
LAST_PLACEHOLDER = np.datetime64("1970-01-02", "us")  # the last placeholder before real dates


class DateFormatError(Exception):
    """The column's dates follow no shape we can recognise."""


def check_timezone(tz: str) -> str:
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin"
        ) from None
    return tz


@dataclass(frozen=True)
class DateOptions:
    format: str | None = None  # strftime pattern given by the user
    dayfirst: bool | None = None  # None: decided from the values; True/False: forced
    tz: str | None = None  # reporting zone
    input_tz: str | None = None  # zone in which naive timestamps were written


@dataclass
class DateEvidence:
    """What a batch of values says about the column's shape; ``+=`` merges batches."""

    values: int = 0  # non-empty values
    shapes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SHAPES, 0))
    day_first_only: int = 0  # slash values whose first number is over 12 and second is not
    month_first_only: int = 0  # slash values whose second number is over 12 and first is not
    short_years: int = 0  # slash values with a 2-digit year
    offsets: int = 0  # values with an offset or a zone
    clock: int = 0  # values with a time of day and no offset
    native: int = 0  # timestamps that were not text
    unread: tuple[str, str] | None = None  # smallest and largest value of no shape: examples

    def __iadd__(self, other: DateEvidence) -> DateEvidence:
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if f.name == "shapes":
                mine = {shape: n + theirs[shape] for shape, n in mine.items()}
            elif f.name == "unread":
                both = [u for u in (mine, theirs) if u]
                mine = (min(u[0] for u in both), max(u[1] for u in both)) if both else None
            else:
                mine += theirs
            setattr(self, f.name, mine)
        return self


@dataclass(frozen=True)
class DateReading:
    """How to read a column: a key of SHAPES, "format" or "empty", and the zones."""

    shape: str
    label: str  # "ISO 8601", "DD/MM/YYYY", "format %d %b %Y", ...
    note: str  # the label, and what decided it, for people
    dayfirst: bool = False
    format: str | None = None
    offsets: bool = False  # some values carry an offset
    uniform: bool = False  # every value fits the shape
    minority: int = 0  # slash values that fit only the reading not chosen: bad dates
    tz: str | None = None
    input_tz: str | None = None


def _native(values: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(values.dtype)


def _text(values: pd.Series) -> pa.Array:
    text = pa.array(as_text(values), type=pa.large_string())
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    return pc.utf8_trim_whitespace(text)


def _count(mask: pa.Array) -> int:
    return pc.sum(mask).as_py() or 0


def date_evidence(values: pd.Series) -> DateEvidence:
    """How many of ``values`` fit each shape, and what decides day-first slashes."""
    found = DateEvidence()
    if _native(values):
        found.values = found.native = found.shapes["ISO 8601"] = int(values.notna().sum())
        if values.dt.tz is None:
            found.clock = found.values
        else:
            found.offsets = found.values
        return found
    left = _text(values)
    empty = pc.equal(left, "")
    left = left.filter(pc.invert(empty)) if _count(empty) else left
    found.values = len(left)
    for shape, pattern in SHAPES.items():
        fits = pc.match_substring_regex(left, pattern)
        found.shapes[shape] = n = _count(fits)
        if not n:
            continue
        mine = left if n == len(left) else left.filter(fits)
        offsets = _count(pc.match_substring_regex(mine, _ISO_OFFSET)) if shape == "ISO 8601" else 0
        found.offsets += offsets
        found.clock += _count(pc.match_substring(mine, ":")) - offsets
        if shape == "slashes":
            parts = pc.extract_regex(mine, r"^(?P<a>\d+)/(?P<b>\d+)/(?P<y>\d+)")
            a, b = _ints(parts.field("a")), _ints(parts.field("b"))
            found.day_first_only = int(((a > 12) & (b <= 12)).sum())
            found.month_first_only = int(((b > 12) & (a <= 12)).sum())
            found.short_years = _count(pc.equal(pc.utf8_length(parts.field("y")), 2))
        if n == len(left):
            return found
        left = left.filter(pc.invert(fits))
    if len(left):
        low, high = pc.min_max(left).values()
        found.unread = (low.as_py(), high.as_py())
    return found


def decide_dates(evidence: DateEvidence, options: DateOptions = DateOptions()) -> DateReading:
    """The reading of a column, from the evidence of all its values: the shape they all fit,
    else the shape most of them fit (values of other shapes are bad dates). Raises
    DateFormatError when no shape fits at least half of the values."""
    zones = {"tz": options.tz, "input_tz": options.input_tz, "offsets": evidence.offsets > 0}
    if options.format:
        label = f"format {options.format}"
        return DateReading("format", label, label, format=options.format, **zones)
    if not evidence.values:
        return DateReading("empty", "no dates", "no dates", **zones)
    shape = max(SHAPES, key=lambda s: evidence.shapes[s])  # the first of equals
    if 2 * evidence.shapes[shape] < evidence.values:
        seen = [f"{s} {n:,}" for s, n in evidence.shapes.items() if n]
        other = evidence.values - sum(evidence.shapes.values())
        if other:
            seen.append(f"{other:,} of no known shape, such as {evidence.unread[0]!r}")
        raise DateFormatError(
            f"no one date shape fits most of the {evidence.values:,} values ({'; '.join(seen)}); "
            "give a strftime format, for example %d.%m.%Y"
        )
    label = "timestamps" if evidence.native == evidence.values else shape
    dayfirst, minority, why = False, 0, ""
    uniform = evidence.shapes[shape] == evidence.values
    if shape == "slashes":
        dayfirst, minority, why = _dayfirst(evidence, options.dayfirst)
        year = "YY" if evidence.short_years == evidence.shapes[shape] else "YYYY"
        label = ("DD/MM/" if dayfirst else "MM/DD/") + year
    clock = ""
    if evidence.offsets and not options.tz:
        clock = ", offsets dropped: times as written"
    written = options.input_tz and evidence.clock
    if options.tz and (evidence.offsets or written):
        clock = f", written in {options.input_tz}" if written else ""
        clock += f", converted to {options.tz}"
    note = label + why + clock
    return DateReading(shape, label, note, dayfirst, uniform=uniform, minority=minority, **zones)


def _dayfirst(evidence: DateEvidence, forced: bool | None) -> tuple[bool, int, str]:
    """Whether slashes are day-first, how many values fit only the other way, and why."""
    dmy, mdy = evidence.day_first_only, evidence.month_first_only
    if forced is not None:
        return forced, mdy if forced else dmy, ""
    if not dmy and not mdy:
        return False, 0, " (every value also reads day-first: pass --dayfirst to read them so)"
    dayfirst = dmy > mdy  # a tie reads month-first
    most, few = ("day", "month") if dayfirst else ("month", "day")
    if not (dmy and mdy):
        return dayfirst, 0, f" (some values only fit {most}-first)"
    outvoted = min(dmy, mdy)
    why = f" (most values only fit {most}-first; {counted(outvoted, 'value')} only {few}-first)"
    return dayfirst, outvoted, why


def _ints(digits: pa.Array) -> np.ndarray:
    """Digit strings as int64; 0 for empty or null."""
    digits = pc.utf8_lpad(pc.fill_null(digits, ""), width=1, padding="0")
    return pc.cast(digits, pa.int64()).to_numpy()


def _assemble(parts: pa.StructArray, dayfirst: bool) -> np.ndarray:
    """datetime64[us] from matched date and time fields; NaT where unmatched or invalid."""
    ok = parts.is_valid().to_numpy(zero_copy_only=False)
    names = {parts.type.field(i).name for i in range(parts.type.num_fields)}
    get = {k: _ints(parts.field(k)) for k in names - {"p", "f"}}
    zero = np.zeros(len(ok), dtype=np.int64)
    h, mi, s = get.get("H", zero), get.get("M", zero), get.get("S", zero)
    if "a" in names:  # slashes
        m, d = (get["b"], get["a"]) if dayfirst else (get["a"], get["b"])
        short = pc.equal(pc.utf8_length(parts.field("y")), 2).to_numpy(zero_copy_only=False)
        y = get["y"] + np.where(short, np.where(get["y"] < 69, 2000, 1900), 0)
        half = pc.utf8_lower(pc.fill_null(parts.field("p"), "")).to_numpy(zero_copy_only=False)
        ok &= (half == "") | ((h >= 1) & (h <= 12))
        h = np.where(half == "", h, h % 12 + np.where(half == "p", 12, 0))
    else:
        y, m, d = get["y"], get["m"], get["d"]
    micros = np.zeros(len(ok), dtype=np.int64)
    if "f" in names:
        fraction = pc.utf8_rpad(pc.fill_null(parts.field("f"), ""), width=6, padding="0")
        micros = _ints(pc.utf8_slice_codeunits(fraction, 0, 6)).copy()
    ok &= (m >= 1) & (m <= 12) & (d >= 1) & (h < 24) & (mi < 60) & (s < 60)
    month = np.where(ok, y * 12 + m - 1, 0)  # months since January of year 0
    starts, lengths = _MONTHS
    ok &= d <= lengths[month]  # no 30 February
    micros += ((starts[month] + d - 1) * 86_400 + (h * 60 + mi) * 60 + s) * 1_000_000
    return np.where(ok, micros.view("datetime64[us]"), NAT)


# Day number (since 1970-01-01) and length of every month of the years 0 to 9999
_MONTHS = (np.arange(10_001 * 12) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
_MONTHS = _MONTHS[:-1].astype(np.int64), np.diff(_MONTHS).astype(np.int64)


def _offset_minutes(text: pa.Array, pattern: str) -> np.ndarray:
    """Minutes east of UTC of each value's offset (group ``o`` of ``pattern``); NaN if none."""
    found = pc.utf8_trim_whitespace(pc.extract_regex(text, pattern).field("o"))
    found = pc.dictionary_encode(found)
    table = [np.nan if not o else 0.0 if o in ("Z", "UTC") else
             (-1 if o[0] == "-" else 1) * (int(o[1:3]) * 60 + int(o[3:].strip(":") or 0))
             for o in found.dictionary.to_pylist()]  # fmt: skip
    return np.array([*table, np.nan])[pc.fill_null(found.indices, len(table)).to_numpy()]


def _minutes(offset: np.ndarray) -> np.ndarray:
    return np.nan_to_num(offset).astype(np.int64).astype("timedelta64[m]")


def _us(stamps: pd.Series) -> np.ndarray:
    """A writable naive datetime64[us] array; zoned stamps in UTC."""
    if stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert("UTC").dt.tz_localize(None)
    return stamps.to_numpy("datetime64[us]", na_value=NAT).copy()  # to_numpy may give a view


def _read(values: pd.Series, reading: DateReading) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times as written, minutes east of UTC (NaN where naive), and which have a time of day."""
    n = len(values)
    naive, every = np.full(n, np.nan), np.ones(n, dtype=bool)
    if _native(values):
        if values.dt.tz is None:
            return _us(values), naive, every
        wall = _us(values.dt.tz_localize(None))  # the wall clock of the column's zone
        return wall, (wall - _us(values)) / np.timedelta64(1, "m"), every
    if reading.shape == "empty":
        return np.full(n, NAT), naive, every
    text = _text(values)
    timed = every  # with a time of day: only asked when naive times are converted
    if reading.tz and reading.input_tz:
        timed = pc.match_substring(text, ":").to_numpy(zero_copy_only=False)
    if reading.shape == "format":
        zoned = "%z" in reading.format
        offset = _offset_minutes(text, _LAST_OFFSET) if zoned else naive
        wall = _us(_to_datetime(text, reading.format)) + _minutes(offset)
        timed = every & any(c in reading.format for c in ("%H", "%I", "%T", "%X", "%c"))
        return wall, offset, timed
    if reading.shape != "ISO 8601":
        parts = pc.extract_regex(text, SHAPES[reading.shape])
        return _assemble(parts, reading.dayfirst), naive, timed
    offset = _offset_minutes(text, _ISO_OFFSET) if reading.offsets else naive
    wall = _iso_instants(text, reading.offsets) + _minutes(offset)
    if not reading.uniform:  # values of other shapes that pandas would read are bad dates
        fits = pc.match_substring_regex(text, SHAPES["ISO 8601"])
        wall = np.where(fits.to_numpy(zero_copy_only=False), wall, NAT)
    return wall, offset, timed


def _iso_instants(text: pa.Array, offsets: bool) -> np.ndarray:
    """ISO 8601 text as UTC instants, naive values as written; NaT where unreadable."""
    if offsets:  # the offset forms Arrow reads: Z, +02, +0200, +02:00 right after the time
        for old, new in (("UTC", "Z"), (" Z", "Z"), (" +", "+"), (" -", "-")):
            text = pc.replace_substring(text, old, new)
    try:  # Arrow reads zero-padded text all of one kind (naive or aware) at once
        text = pc.if_else(pc.equal(text, ""), None, text)
        stamps = pc.cast(text, pa.timestamp("us", "UTC" if offsets else None))
        return stamps.to_numpy(zero_copy_only=False).astype("datetime64[us]")
    except pa.ArrowInvalid:  # pandas reads the rest value by value, to the microsecond as Arrow
        text = pc.replace_substring_regex(text, r"(\.\d{6})\d+", r"\1")
        return _us(_to_datetime(text, "ISO8601"))


def _to_datetime(text: pa.Array, pattern: str) -> pd.Series:
    """Instants (naive values as UTC); NaT where a value does not fit ``pattern``."""
    text = pd.Series(text, dtype="str")
    return pd.to_datetime(text, format=pattern, errors="coerce", utc=True)


def _convert(wall: np.ndarray, zone: str, tz: str) -> np.ndarray:
    """Wall times in ``zone`` as wall times in ``tz`` (ambiguous: earlier; nonexistent: later)."""
    local = pd.Series(wall).dt.tz_localize(
        zone, ambiguous=np.ones(len(wall), dtype=bool), nonexistent="shift_forward"
    )
    return local.dt.tz_convert(tz).dt.tz_localize(None).to_numpy("datetime64[us]")


def _placeholders(stamps: np.ndarray) -> np.ndarray:
    """Which timestamps fall on a placeholder day (a few comparisons, no sort)."""
    found = np.zeros(len(stamps), dtype=bool)
    if not len(stamps):
        return found
    low, high = np.fmin.reduce(stamps), np.fmax.reduce(stamps)  # NaT aside
    if np.isnat(low) or (low >= LAST_PLACEHOLDER and high < PLACEHOLDERS.max()):
        return found  # no date, or every date from 1970-01-02 to 9999-12-30: the common case
    days = stamps.astype("datetime64[D]")
    for day in PLACEHOLDERS:
        found |= days == day
    return found


def parse_dates(values: pd.Series, reading: DateReading) -> tuple[pd.Series, np.ndarray]:
    """Naive timestamps (datetime64[us], NaT where a value does not read under ``reading``),
    and a mask of placeholder dates (1900-01-01, 1899-12-30, 1970-01-01, 0001-01-01 or
    9999-12-31 as written or in UTC, at any time), which are NaT too. Timestamps that are not
    text (datetime64 columns, as Parquet gives) need no shape: only the zone rules apply."""
    wall, offset, timed = _read(values, reading)
    aware = ~np.isnan(offset)
    if not aware.any():  # naive times only (the common case): no second clock to look at
        placeholder = _placeholders(wall)
        wall[placeholder] = NAT
        if reading.tz and reading.input_tz and timed.any():
            wall[timed] = _convert(wall[timed], reading.input_tz, reading.tz)
        return pd.Series(wall, index=values.index, dtype="datetime64[us]"), placeholder
    utc = wall - _minutes(offset)
    placeholder = _placeholders(wall) | (aware & _placeholders(utc))
    wall[placeholder] = utc[placeholder] = NAT
    out = wall.copy()
    if reading.tz and aware.any():
        out[aware] = _convert(utc[aware], "UTC", reading.tz)
    if reading.tz and reading.input_tz and (timed & ~aware).any():
        naive = timed & ~aware
        out[naive] = _convert(wall[naive], reading.input_tz, reading.tz)
    return pd.Series(out, index=values.index, dtype="datetime64[us]"), placeholder


def date_hint(bad_values: pd.Series, reading: DateReading, options: DateOptions) -> str | None:
    """How the values that failed under ``reading`` read, when another reading reads them all:
    ``they read as MM/DD/YYYY: drop --dayfirst``. None when none does."""
    bad = bad_values[pc.not_equal(_text(bad_values), "").to_numpy(zero_copy_only=False)]
    slashes = reading.shape == "slashes"
    if bad.empty or not (options.format or slashes):
        return None
    if options.format:
        other, action = replace(options, format=None, dayfirst=None), ": drop --date-format"
    elif options.dayfirst is None and reading.minority:  # outvoted: no flag reads both
        other = replace(options, dayfirst=not reading.dayfirst)
        action = f", most dates in the column as {reading.label}"
    elif options.dayfirst:
        other, action = replace(options, dayfirst=None), ": drop --dayfirst"
    elif not reading.dayfirst:
        other, action = replace(options, dayfirst=True), ": pass --dayfirst"
    else:
        return None
    try:
        alt = decide_dates(date_evidence(bad), other)
    except DateFormatError:
        return None
    parsed, placeholder = parse_dates(bad, alt)
    if not (parsed.notna().to_numpy() | placeholder).all():
        return None
    return f"they read as {alt.label}{action}"
