"""The one colour scale of every heatmap: the terminal's, the notebook's, the spreadsheet's and
the pictures'. ColorBrewer's sequential YlGnBu (colour-blind safe, prints in grey as a ramp):
more ink means more. Its palest ``RAMP_FROM`` is cut off, so that the lowest value is still
tinted and a blank (unobserved) cell never looks like a low one."""

from __future__ import annotations

import numpy as np
import pandas as pd

STOPS = ("#ffffd9", "#edf8b1", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#253494",
         "#081d58")  # fmt: skip
RAMP_FROM = 0.15


def values(result) -> np.ndarray:
    """A matrix's cells as floats (cohorts by offsets), NaN where unobserved or undefined."""
    frame = result.table[[c for c in result.table.columns if c != "customers"]]
    return frame.astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)


def average(result) -> np.ndarray | None:
    """The average row as floats, or None when the matrix has none (or no cohort)."""
    if result.average is None or not len(result.table):
        return None
    return pd.Series(result.average).astype("Float64").to_numpy(np.float64, na_value=np.nan)


def value_range(results) -> tuple[float, float]:
    """(low, high) of the scale, shared by every matrix of ``results`` (segments).

    The scale covers the values past offset 0, not a fixed 0-100%: offset 0 of retention is
    100% by definition and the later cells are mostly 5-40%, which on a 0-100% scale would all
    come out in the same pale third of the ramp (and churn's offset 0 is 0% against 60-100%
    later). Offset 0, usually the extreme, takes the end colour; its text still gives the value.
    The same holds for revenue and order counts, whose offset 0 dwarfs the rest. The scale
    starts at 0 unless that would leave more than half of it unused (churn); negative values
    (refunds) extend it below 0."""
    first, later = [], []
    for result in results:
        for row in (values(result), average(result)):
            if row is not None:
                row = np.atleast_2d(row)
                first.append(row[:, :1].ravel())
                later.append(row[:, 1:].ravel())
    every = np.concatenate([*first, *later]) if first else np.array([])
    every = every[np.isfinite(every)]
    past = np.concatenate(later) if later else every
    past = past[np.isfinite(past)]
    data = past if past.size else every
    if not data.size:
        return 0.0, 1.0
    low, high = float(data.min()), float(data.max())
    if 0 <= low < high / 2:
        low = 0.0
    if high <= low:  # a single value, or all the same
        low = min(low, 0.0)
        high = high if high > low else low + 1.0
    return low, high


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))


def colour(value: float, low: float, high: float) -> tuple[int, int, int]:
    """The colour of ``value`` on the scale from ``low`` to ``high`` (clipped at both ends),
    interpolated between the stops as matplotlib's YlGnBu is."""
    share = min(max((value - low) / (high - low), 0.0), 1.0)
    position = (RAMP_FROM + (1 - RAMP_FROM) * share) * (len(STOPS) - 1)
    below = min(int(position), len(STOPS) - 2)
    part = position - below
    a, b = _rgb(STOPS[below]), _rgb(STOPS[below + 1])
    return tuple(round(x + (y - x) * part) for x, y in zip(a, b, strict=True))


def luminance(rgb) -> float:
    """WCAG relative luminance of an sRGB colour (channels 0-1)."""
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb[:3]]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def text_colour(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black or white text, whichever contrasts more with the cell (WCAG: 0.179 is where the
    contrast ratios against black and white are equal)."""
    return (0, 0, 0) if luminance([c / 255 for c in rgb]) > 0.179 else (255, 255, 255)


def hex_of(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def ansi(text: str, rgb: tuple[int, int, int], truecolor: bool = True) -> str:
    """``text`` on a background of ``rgb`` with the contrasting foreground: 24-bit colour, or
    the nearest of xterm's 256 colours (its 6x6x6 cube) for terminals without it."""
    if truecolor:
        fg = text_colour(rgb)
        back, fore = ";".join(map(str, rgb)), ";".join(map(str, fg))
        return f"\x1b[48;2;{back}m\x1b[38;2;{fore}m{text}\x1b[0m"
    cube = [min(range(6), key=lambda i: abs(LEVELS[i] - c)) for c in rgb]
    shown = tuple(LEVELS[i] for i in cube)  # the colour the terminal draws: contrast with it
    back = 16 + 36 * cube[0] + 6 * cube[1] + cube[2]
    fore = 16 if text_colour(shown)[0] == 0 else 231
    return f"\x1b[48;5;{back}m\x1b[38;5;{fore}m{text}\x1b[0m"


LEVELS = (0, 95, 135, 175, 215, 255)  # the channel levels of xterm's 6x6x6 colour cube
