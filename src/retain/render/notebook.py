"""The cohort matrix in a notebook: a pandas Styler with the terminal's numbers, marks and
heatmap colours, so the analyst who starts in Jupyter sees what the command line shows."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from retain.errors import RetainError
from retain.metrics import CohortResult, Segmented
from retain.render import _blocks, _grid_rows, _offsets, colors
from retain.views import _title


def styled(result: CohortResult):
    """A ``pandas.io.formats.style.Styler`` of ``result``: cohorts as rows (and the average
    row), customers and offsets as columns, cells formatted and marked as in the table output
    (``*`` partial, unobserved blank), offset cells on the heatmap scale (``render.colors``).
    Needs Jinja2 to render, as every Styler does."""
    offsets = _offsets(result)
    rows = _grid_rows(result)
    text = pd.DataFrame([r[1:] for r in rows], index=[r[0] for r in rows],
                        columns=["customers", *map(str, offsets)])  # fmt: skip
    text.index.name = "cohort"
    values = colors.values(result).tolist()
    if len(rows) > len(values):  # the average row
        values.append(colors.average(result).tolist())
    low, high = colors.value_range([result])

    def css(value: float, shown: str) -> str:
        if shown == "" or value != value:
            return ""
        rgb = colors.colour(value, low, high)
        return (f"background-color: {colors.hex_of(rgb)}; "
                f"color: {colors.hex_of(colors.text_colour(rgb))}")  # fmt: skip

    def paint(frame: pd.DataFrame) -> pd.DataFrame:
        styles = pd.DataFrame("", index=frame.index, columns=frame.columns)
        for i, row in enumerate(values):
            for j, value in enumerate(row):
                styles.iat[i, j + 1] = css(value, frame.iat[i, j + 1])
        return styles

    styler = text.style.apply(paint, axis=None)
    styler = styler.set_caption(f"{_title(result, {})} by {result.grids.period}, as of "
                                f"{result.grids.as_of.isoformat()}")  # fmt: skip
    return styler.set_properties(**{"text-align": "right"})


def html(result: CohortResult | Segmented) -> str | None:
    """The notebook's HTML of a matrix (one table per segment), or None without Jinja2."""
    try:
        import jinja2  # noqa: F401
    except ImportError:
        return None
    parts = []
    for segment, block in _blocks(result):
        heading = "" if segment is None else f"<h4>{result.column} = {segment}</h4>"
        parts.append(heading + styled(block).to_html())
    return "\n".join(parts)


class CohortFrame(pd.DataFrame):
    """The frame ``retain.cohort_matrix`` returns: a plain DataFrame that a notebook shows as the
    heatmap (``styled``) with the values it holds now. Anything derived from it (a slice, a
    sum) is a plain DataFrame again."""

    _metadata = ["_result"]

    @property
    def _constructor(self):
        return pd.DataFrame

    def _repr_html_(self) -> str | None:
        if getattr(self, "_result", None) is None:
            return super()._repr_html_()
        return html(result_of(self))


def cohort_frame(table: pd.DataFrame, result: CohortResult | Segmented) -> CohortFrame:
    """``table`` (the API's matrix, its attrs kept) as a ``CohortFrame`` of ``result``."""
    frame = CohortFrame(table)
    frame.attrs = table.attrs
    frame._result = result
    return frame


def result_of(matrix) -> CohortResult | Segmented:
    """The matrix result of ``retain.cohort_matrix``'s frame, with the values the frame holds
    now; a ``CohortResult`` or ``Segmented`` as it is."""
    if isinstance(matrix, CohortResult | Segmented):
        return matrix
    result = getattr(matrix, "_result", None)
    if result is None:
        raise TypeError("takes the matrix of retain.cohort_matrix or a CohortResult")
    table = pd.DataFrame(matrix)
    if isinstance(result, Segmented):
        parts = {s: replace(r, table=table.loc[s]) for s, r in result.results.items()}
        return replace(result, results=parts)
    return replace(result, table=table)


def style(matrix):
    """The Styler of a matrix (``retain.cohort_matrix``'s frame or a ``CohortResult``), for
    ``.to_html()`` or ``.to_excel()``; a segmented matrix gives one Styler per segment."""
    try:
        import jinja2  # noqa: F401
    except ImportError:
        raise RetainError(
            "the notebook view needs Jinja2: pip install 'retain[notebook]' (from a clone: "
            "pip install -e '.[notebook]')"
        ) from None
    result = result_of(matrix)
    if isinstance(result, Segmented):
        return {s: styled(r) for s, r in result.results.items()}
    return styled(result)
