"""Amount text -> exact integers in 1/AMOUNT_SCALE of a currency unit."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from retain.normalize.text import as_text

AMOUNT_SCALE = 10_000
MAX_AMOUNT = 9e14  # per row, in currency units: keeps every sum inside int64 at AMOUNT_SCALE

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
        text = as_text(values).str.strip()
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
