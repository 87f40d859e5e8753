"""Values as text, whatever type the reader gave them."""

from __future__ import annotations

import pandas as pd


def as_text(values: pd.Series) -> pd.Series:
    """Values as stripped-down text; ids or dates given as numbers: 12 and 12.0 read ``12``."""
    if pd.api.types.is_string_dtype(values.dtype) and not pd.api.types.is_object_dtype(values):
        return values.fillna("")
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.dropna()
        if (whole == whole.round()).all():
            values = values.astype("Int64")
    return values.astype("str").where(values.notna(), "")
