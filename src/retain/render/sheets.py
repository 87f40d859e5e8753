"""Spreadsheets and columnar files: ``-o out.xlsx`` (XlsxWriter, the ``retain[xlsx]`` extra) and
``-o out.parquet`` (pyarrow). Both carry the rows of the CSV output with typed columns; the
workbook adds the average row, number formats, the heatmap's colour scale as a conditional
format, a frozen header and a sheet of notes. Same input, same bytes."""

from __future__ import annotations

import datetime as dt
import io
import json

import pandas as pd

from retain.errors import RetainError
from retain.render import colors

NUMBER_FORMATS = {"rate": "0.0%", "money": "#,##0.00", "count": "#,##0", "decimal": "#,##0.00",
                  "time": "yyyy-mm-dd hh:mm:ss"}  # fmt: skip


def to_parquet(header: list[str], rows: list[list], kinds: dict, notes: list[str]) -> bytes:
    """One typed column per output column (rates, money and decimals as float64, counts as
    int64, times as timestamps, text as strings; missing cells null), the notes in the
    schema's metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {"rate": pa.float64(), "money": pa.float64(), "decimal": pa.float64(),
             "count": pa.int64(),
             "time": pa.timestamp("us"), "text": pa.string()}  # fmt: skip
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(header)
    arrays = [pa.array(list(values), type=types[kinds[name]])
              for name, values in zip(header, columns, strict=True)]  # fmt: skip
    table = pa.table(dict(zip(header, arrays, strict=True)))
    table = table.replace_schema_metadata({"retain.notes": json.dumps(notes)})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def to_xlsx(
    header: list[str],
    rows: list[list],
    kinds: dict,
    notes: list[str],
    *,
    heat: list[str] = (),
    scale: tuple[float, float] | None = None,
    as_of: dt.date | None = None,
    emphasis: set[tuple[int, int]] = frozenset(),
    strong: set[int] = frozenset(),
) -> bytes:
    """A workbook with the table on its first sheet and the notes on a second. ``heat``: the
    columns coloured by the heatmap scale over ``scale`` (low, high: ``colors.value_range``; a
    spreadsheet's colour scale has three colours and keeps the font black, so it runs from the
    scale's lightest colour to its middle blue, where black text stays legible);
    ``emphasis``: (row, column) cells in italics (partial periods); ``strong``: rows in bold
    (average rows). Text is written as text, never as a formula."""
    try:
        import xlsxwriter
    except ImportError:
        raise RetainError(
            "xlsx output needs XlsxWriter: pip install 'retain[xlsx]' (from a clone: "
            "pip install -e '.[xlsx]')"
        ) from None
    sink = io.BytesIO()
    text_as_text = {"strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False}  # fmt: skip
    book = xlsxwriter.Workbook(sink, {"in_memory": True, **text_as_text})
    created = dt.datetime.combine(as_of or dt.date(2000, 1, 1), dt.time())
    book.set_properties({"created": created})  # not the clock: same input, same bytes
    sheet = book.add_worksheet("retain")
    bold = book.add_format({"bold": True, "bottom": 1})
    formats = {}

    def style(kind: str, italic: bool = False, strong: bool = False):
        key = (kind, italic, strong)
        if key not in formats:
            spec = {"italic": italic, "bold": strong}
            if kind in NUMBER_FORMATS:
                spec["num_format"] = NUMBER_FORMATS[kind]
            formats[key] = book.add_format(spec)
        return formats[key]

    for j, name in enumerate(header):
        sheet.write_string(0, j, name, bold)
        sheet.set_column(j, j, max(10, min(len(name) + 2, 40)) if kinds[name] != "time" else 20)
    for i, row in enumerate(rows, start=1):
        for j, (name, value) in enumerate(zip(header, row, strict=True)):
            cell = style(kinds[name], (i - 1, j) in emphasis, i - 1 in strong)
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                sheet.write_blank(i, j, None, cell)
            elif kinds[name] == "text":
                sheet.write_string(i, j, str(value), cell)
            elif kinds[name] == "time":
                sheet.write_datetime(i, j, pd.Timestamp(value).to_pydatetime(), cell)
            else:
                sheet.write_number(i, j, value, cell)
    sheet.freeze_panes(1, header.index(heat[0]) if heat else 1)
    if heat and rows and scale:
        first, last = header.index(heat[0]), header.index(heat[-1])
        low, high = scale
        ends = [colors.hex_of(colors.colour(v, 0, 1)) for v in (0, 0.25, 0.5)]
        sheet.conditional_format(1, first, len(rows), last, {
            "type": "3_color_scale",
            "min_type": "num", "min_value": low, "min_color": ends[0],
            "mid_type": "num", "mid_value": (low + high) / 2, "mid_color": ends[1],
            "max_type": "num", "max_value": high, "max_color": ends[2],
        })  # fmt: skip
    if emphasis:
        notes = [*notes, "cells in italics: a partial period (it ends after the as-of date)"]
    notes_sheet = book.add_worksheet("notes")
    notes_sheet.set_column(0, 0, 100)
    for i, note in enumerate(notes):
        notes_sheet.write_string(i, 0, note)
    book.close()
    return sink.getvalue()
