"""Date text -> naive timestamps on the clock the dates were written in (METRICS.md, Input)."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass

import pandas as pd

from retain.normalize.text import as_text


@dataclass(frozen=True)
class DateOptions:
    """How to read dates: an explicit strftime format, day-first slashes, the reporting zone."""

    format: str | None = None
    dayfirst: bool | None = None
    tz: str | None = None
    input_tz: str | None = None


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
    text = as_text(values).str.strip()
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


# --- interim adapter, replaced by the evidence-based reader ---------------------------------
_old_parse_dates = parse_dates
PLACEHOLDERS = ("1900-01-01", "1899-12-30", "1970-01-01", "0001-01-01", "9999-12-31")


@dataclass(frozen=True)
class DateReading:
    options: DateOptions
    note: str = ""


def date_evidence(values):
    return 0


def decide_dates(evidence, options, total=None):
    return DateReading(options)


def date_hint(bad, reading, options):
    return None


def parse_dates(values, reading):  # noqa: F811
    import numpy as np

    if isinstance(reading, DateOptions):
        reading = DateReading(reading)
    text = (
        as_text(values).str.strip()
        if not pd.api.types.is_datetime64_any_dtype(values.dtype)
        else None
    )
    placeholder = np.zeros(len(values), bool)
    if text is not None:
        placeholder = text.str[:10].isin(PLACEHOLDERS).to_numpy()
        values = values.where(~placeholder, "")
    parsed, note = _old_parse_dates(values, reading.options)
    if text is None:
        days = parsed.dt.strftime("%Y-%m-%d")
        placeholder = days.isin(PLACEHOLDERS).to_numpy()
        parsed = parsed.where(~placeholder)
    object.__setattr__(reading, "note", note)
    return parsed, placeholder
