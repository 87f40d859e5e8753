"""Amount text -> exact integers in 1/AMOUNT_SCALE of a currency unit."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from retain.normalize.text import as_text

AMOUNT_SCALE = 10_000
MAX_AMOUNT = 9e14  # per row, in currency units: keeps every sum inside int64 at AMOUNT_SCALE

_CURRENCY = r"[A-Za-z]{3}|[A-Z]{0,2}\$|[€£¥₹₩₽¢₺₫₱฿￥＄元円]"
_MONEY = re.compile(
    rf"^(?P<open>\()?\s*(?P<s1>[-+])?\s*(?P<c1>{_CURRENCY})?\s*(?P<s2>[-+])?\s*"
    rf"(?P<num>[\d.,'\s\u00a0\u202f]*\d[\d.,'\s\u00a0\u202f]*)\s*(?P<c2>{_CURRENCY})?\s*"
    r"(?P<close>\))?$"
)
_GROUPED = {  # a number with its thousands grouped, by decimal mark
    ".": re.compile(r"^(?:\d{1,3}(?:([,'\s\u00a0\u202f])\d{3})(?:\1\d{3})*|\d+)(?:\.\d+)?$"),
    ",": re.compile(r"^(?:\d{1,3}(?:([.'\s\u00a0\u202f])\d{3})(?:\1\d{3})*|\d+)(?:,\d+)?$"),
}


def _money(text: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series]:
    """Numbers as exports write them: ``$1,234.56``, ``12 EUR``, ``(12.00)``, ``￥12``; NaN
    otherwise. And the currency mark of each ('' where none)."""
    parts = text.str.extract(_MONEY)
    number = parts["num"].str.strip()
    valid = number.str.match(_GROUPED[decimal]).fillna(False)
    valid &= parts["open"].isna() == parts["close"].isna()
    valid &= parts["s1"].isna() | parts["s2"].isna()
    digits = number.str.replace(r"[^\d" + re.escape(decimal) + "]", "", regex=True)
    values = pd.to_numeric(digits.str.replace(decimal, ".", regex=False), errors="coerce")
    negative = parts["open"].notna() | (parts["s1"] == "-") | (parts["s2"] == "-")
    values = values.where(valid)
    valid &= parts["c1"].isna() | parts["c2"].isna()
    marks = parts["c1"].fillna(parts["c2"]).where(valid).fillna("")
    return values.where(~negative, -values).where(valid), marks


def parse_amounts(
    values: pd.Series, decimal: str = "."
) -> tuple[np.ndarray, np.ndarray, pd.Series | None]:
    """Amounts as integers in 1/AMOUNT_SCALE units, the mask of rows that are not amounts, and
    the currency mark of each row as written (``$``, ``EUR``, ``￥``; '' where none), or None
    when no row has one.

    Plain numbers first; the rest as exports write money: thousands separators, ``--decimal ,``
    (``1.234,56``), currency symbols and codes (``$12``, ``12 EUR``, ``¥12``) and parentheses for
    negatives (``(12.00)``). Empty, NaN, infinite and out-of-range values are bad, never 0.
    """
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = values.astype("float64")
        marks = None
    else:
        text = as_text(values).str.strip()
        numbers = pd.Series(np.nan, index=values.index)
        if decimal == ".":
            numbers = pd.to_numeric(text, errors="coerce").astype("float64")
        rest = numbers.isna() & (text != "")
        marks = None
        if rest.any():
            money, found = _money(text[rest], decimal)
            numbers[rest] = money.astype("float64")
            if (found != "").any():
                marks = pd.Series("", index=values.index, dtype=object)
                marks[rest] = found
    numbers = numbers.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~np.isfinite(numbers) | (np.abs(numbers) >= MAX_AMOUNT)
    scaled = np.round(np.where(bad, 0.0, numbers) * AMOUNT_SCALE).astype(np.int64)
    return scaled, bad, marks
