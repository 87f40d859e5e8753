"""Pictures of a computed cohort matrix: a heatmap and retention curves, as PNG or SVG bytes.

Like the other renderers, these draw the numbers the result holds and never compute: cells,
partial marks, cohort sizes and the average row all come from the ``CohortResult`` (or the
``Segmented`` results). matplotlib is an optional extra (``pip install 'retain[plot]'``) and is
imported on first use; figures are ``matplotlib.figure.Figure`` objects drawn on the Agg (PNG)
or SVG canvas, never through pyplot, so nothing is registered globally and no display is
needed. The drawing runs in matplotlib's default style (whatever the caller's matplotlibrc or
style says) inside an ``rc_context``, which restores the caller's rcParams afterwards.

The output is deterministic: the same result gives byte-identical files (no date, no software
version in the metadata; SVG ids from a fixed hash salt). SVG text is drawn as paths, so a
picture is self-contained (no font or link to fetch) and looks the same everywhere; each cell's
text keeps its value in an XML comment and carries an ``id`` (``cell-P-R-K``: panel, row,
column), for the HTML report and for tests.
"""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pandas as pd

from retain.errors import RetainError
from retain.metrics import CohortResult, Segmented
from retain.render import _human, _offsets, colors
from retain.render.notebook import result_of
from retain.views import PARTIAL_MARK

FORMATS = ("png", "svg")
DPI = 120
MISSING = (
    "plots need matplotlib: pip install 'retain[plot]' (from a clone: pip install -e '.[plot]')"
)

AVERAGE_COLOR = "#1a1a1a"
OLDER_COLOR = "#c4c4c4"
# Above this many rows or columns the cells get too small for their text: the heatmap drops
# the annotations (the colours and the colourbar stay; the table has the numbers). Up to 40
# cohorts x 40 offsets the text is 8 pt; from 41 to ANNOTATE_UP_TO it shrinks to 6.5 pt.
ANNOTATE_UP_TO = 60
BIG_FIGURE = 60.0  # inches: beyond this the cells shrink and row/column labels are thinned


class PlotError(RetainError):
    """A picture cannot be drawn: matplotlib is missing, or the format or view does not fit."""


def _matplotlib():
    """matplotlib's modules, imported on first use; a one-line RetainError without it."""
    try:
        import matplotlib
        from matplotlib import colors, patches, style, ticker
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
    except ImportError:
        raise PlotError(MISSING) from None
    return matplotlib, Figure, FigureCanvasAgg, colors, patches, style, ticker, Line2D


def format_of(path: str) -> str:
    """The picture format of a file name by its extension: ``png`` or ``svg``."""
    fmt = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return _checked_format(fmt)


def _checked_format(fmt: str) -> str:
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise PlotError(f"unknown picture format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return fmt


def svg_text(svg: bytes) -> str:
    """The ``<svg>`` element of an SVG picture (``heatmap(..., fmt="svg")``), without the XML
    declaration and DOCTYPE, to write inline into an HTML page."""
    text = svg.decode("utf-8")
    start = re.search(r"<svg[\s>]", text)
    if start is None:
        raise ValueError("not an SVG picture")
    return text[start.start() :]


# -- what the result holds, as arrays -------------------------------------------------------


def _blocks(result: CohortResult | Segmented) -> list[tuple[str | None, CohortResult]]:
    if isinstance(result, Segmented):
        return list(result.results.items())
    return [(None, result)]


_values, _average = colors.values, colors.average


def _what(result: CohortResult) -> str:
    """``retention``, ``rolling retention``, ``retention (customers)``, ..."""
    what = f"rolling {result.metric}" if result.view.get("rolling") else result.metric
    if result.view.get("relative") == "previous":
        what += " against the previous offset"
    if result.kind == "count" and result.metric != "orders":
        what += " (customers)"
    return what


def _title(result: CohortResult) -> str:
    grids = result.grids
    return f"{_what(result)} by {grids.period}, as of {grids.as_of.isoformat()}"


def _offset_label(result: CohortResult) -> str:
    what = "offset brackets" if result.view.get("brackets") else "offset"
    return f"{what} ({result.grids.period}s)"


def _text(value: float, kind: str) -> str:
    return _human(int(value) if kind == "count" else value, kind)


def _axis_formatter(ticker, kind: str):
    if kind == "rate":
        return ticker.PercentFormatter(xmax=1.0, decimals=0)
    return ticker.FuncFormatter(lambda v, _: f"{v:,.0f}")


# -- drawing helpers ------------------------------------------------------------------------


class _Drawing:
    """A Figure in matplotlib's default style and our rc settings, saved to bytes on exit."""

    RC = {
        "svg.fonttype": "path",  # text as paths: self-contained, the same on every viewer
        "svg.hashsalt": "retain",  # fixed ids: the same SVG bytes on every render
        "font.family": "DejaVu Sans",  # bundled with matplotlib: the same glyphs everywhere
        "font.size": 9,
        "axes.titlesize": 10,
        "figure.titlesize": 12,
        "hatch.linewidth": 0.8,
    }

    def __init__(self, fmt: str):
        self.fmt = _checked_format(fmt)
        (self.mpl, self.Figure, self.Canvas, self.colors, self.patches, self.style,
         self.ticker, self.Line2D) = _matplotlib()  # fmt: skip

    def __enter__(self):
        self._style = self.style.context("default")
        self._style.__enter__()
        self._rc = self.mpl.rc_context(self.RC)
        self._rc.__enter__()
        return self

    def __exit__(self, *exc):
        self._rc.__exit__(*exc)
        self._style.__exit__(*exc)

    def figure(self, width: float, height: float):
        figure = self.Figure(figsize=(width, height), dpi=DPI, layout="constrained")
        self.Canvas(figure)  # Agg measures the text for the layout; savefig picks SVG's own
        return figure

    def save(self, figure, title: str) -> bytes:
        out = io.BytesIO()
        if self.fmt == "png":
            metadata = {"Software": None, "Title": title}
        else:  # no date, no creator (a version), no Dublin Core boilerplate: only the title
            metadata = {"Date": None, "Creator": None, "Format": None, "Type": None,
                        "Title": title}  # fmt: skip
        figure.savefig(out, format=self.fmt, dpi=DPI, metadata=metadata, facecolor="white")
        return out.getvalue()


def _ink(rgba) -> str:
    return colors.hex_of(colors.text_colour(tuple(round(c * 255) for c in rgba[:3])))


def _scale(blocks: list[tuple[str | None, CohortResult]]) -> tuple[float, float, str]:
    """(low, high, extend) of the colour scale (``colors.value_range``), shared by every panel;
    ``extend`` says which ends of the colourbar values go past (matplotlib's "neither", "min",
    "max", "both")."""
    low, high = colors.value_range([block for _, block in blocks])
    every = np.concatenate(list(_all_values(blocks)))
    every = every[np.isfinite(every)]
    below, above = bool(every.size and every.min() < low), bool(every.size and every.max() > high)
    return low, high, {(False, False): "neither", (True, False): "min", (False, True): "max",
                       (True, True): "both"}[below, above]  # fmt: skip


# -- the heatmap ----------------------------------------------------------------------------


def heatmap(result: CohortResult | Segmented, fmt: str = "png", title: str | None = None) -> bytes:
    """The cohort matrix as a heatmap (PNG or SVG bytes): cohorts as rows (oldest at the top)
    with their sizes, offsets as columns, each observed cell coloured and annotated as the
    table shows it, partial cells hatched and marked ``*``, unobserved cells blank, the
    average row last and apart; segmented, one panel per segment on one colour scale.
    ``result`` may be the frame of ``retain.cohort_matrix``."""
    result = result_of(result)
    blocks = _blocks(result)
    first = blocks[0][1]
    kind = first.kind
    segmented = isinstance(result, Segmented)
    title = title or _title(first)
    with _Drawing(fmt) as d:
        layout = _HeatLayout(blocks)
        width, heights = layout.size()
        figure = d.figure(width, sum(heights) + layout.chrome)
        low, high, extend = _scale(blocks)
        ramp = d.colors.LinearSegmentedColormap.from_list("YlGnBu", colors.STOPS)
        cmap = d.colors.ListedColormap(
            ramp(np.linspace(colors.RAMP_FROM, 1.0, 256)), name="retain"
        ).with_extremes(bad=(1, 1, 1, 0))  # unobserved: no colour at all
        norm = d.colors.Normalize(low, high, clip=False)
        grid = figure.add_gridspec(len(blocks), 1, height_ratios=heights)
        axes, mesh = [], None
        for panel, (segment, block) in enumerate(blocks):
            ax = figure.add_subplot(grid[panel, 0])
            axes.append(ax)
            mesh = _panel(d, ax, block, panel, layout, cmap, norm)
            if segmented:
                ax.set_title(f"{result.column} = {segment}", loc="left", fontweight="bold",
                             pad=7)  # fmt: skip
        bar = figure.colorbar(mesh, ax=axes, extend=extend,
                              shrink=min(1.0, 5.0 / max(sum(heights), 1e-9)), aspect=25,
                              pad=0.02)  # fmt: skip
        bar.ax.yaxis.set_major_formatter(_axis_formatter(d.ticker, kind))
        bar.outline.set_visible(False)
        handles, notes = [], []
        if any(b.partial_cells for _, b in blocks):
            handles.append(d.patches.Patch(facecolor="white", edgecolor="#555555", hatch="//",
                                           linewidth=0.6))  # fmt: skip
            mark = f"{PARTIAL_MARK} " if layout.annotate else "hatched: "
            notes.append(f"{mark}partial period: it ends after the as-of date "
                         f"({first.grids.as_of.isoformat()})")  # fmt: skip
        if not layout.annotate:
            handles.append(d.patches.Patch(visible=False))
            notes.append(f"too many cells to write their values ({layout.shape}): "
                         "the table output has them")  # fmt: skip
        if handles:
            figure.legend(
                handles,
                notes,
                loc="outside lower left",
                frameon=False,
                fontsize=8,
                handlelength=1.6,
                handleheight=1.1,
            )
        figure.suptitle(title, x=0.01, ha="left")
        return d.save(figure, title)


class _HeatLayout:
    """Cell sizes in inches and font sizes, from the shape of the largest panel and the width
    of its longest annotation, so that nothing overlaps up to ~40 x 40 cells."""

    GAP = 0.45  # rows of white between the cohorts and the average row

    def __init__(self, blocks):
        self.columns = max(len(_offsets(b)) for _, b in blocks)
        self.rows = [len(b.table) + (self.GAP + 1) * (_average(b) is not None) for _, b in blocks]
        most = max(len(b.table) for _, b in blocks)
        self.shape = f"{most:,} cohorts x {self.columns:,} offsets"
        biggest = max(most, self.columns)
        self.annotate = biggest <= ANNOTATE_UP_TO
        self.font = 8.0 if biggest <= 40 else 6.5
        chars = 1
        for _, block in blocks:
            for values in (_values(block), _average(block)):
                if values is not None and np.isfinite(values).any():
                    texts = (_text(v, block.kind) for v in values[np.isfinite(values)].ravel())
                    chars = max(chars, max(map(len, texts)))
        chars += 1 if any(b.partial_cells for _, b in blocks) else 0
        char = 0.0085 * self.font  # inches per character of digits at this size, with slack
        if self.annotate:
            self.cell_w = max(0.40 * self.font / 8, chars * char + 0.10)
            self.row_h = 0.30 * self.font / 8
        else:  # colours only: small square cells
            self.cell_w = self.row_h = 0.16
        total_rows = sum(self.rows)
        self.cell_w = min(self.cell_w, BIG_FIGURE / max(self.columns, 1))
        self.row_h = min(self.row_h, BIG_FIGURE / max(total_rows, 1))
        self.label_font = min(self.font, 72 * self.row_h * 0.75, 8.0)
        # the customers column: wide enough for its numbers and for its header
        sizes = [f"{int(b.table['customers'].sum()):,}" for _, b in blocks]
        self.size_chars = max(map(len, sizes))
        header = 9 * 0.0085 * 7  # "customers" at 7 pt
        self.size_w = max(header, self.size_chars * 0.0095 * self.label_font) + 0.12
        # at least ~0.15 inch between labels: above that, every n-th row or column is labelled
        self.row_step = max(1, math.ceil(0.15 / self.row_h))
        self.column_step = max(1, math.ceil(0.22 / self.cell_w))
        self.chrome = 1.5  # title, column labels and the note under the panels (inches)

    def size(self) -> tuple[float, list[float]]:
        labels = 1.2  # the cohort labels, at most "2024-W52" or "weighted avg"
        width = labels + self.size_w + self.columns * self.cell_w + 1.3  # + the colourbar
        heights = [max(rows * self.row_h + 0.35, 0.6) for rows in self.rows]
        return max(width, 6.0), heights


def _panel(d: _Drawing, ax, result: CohortResult, panel: int, layout: _HeatLayout, cmap, norm):
    """One matrix in ``ax``: x in cell widths (the customers column at negative x), y in rows
    (cohorts 0..n-1 from the top, the average row after a gap)."""
    values, average = _values(result), _average(result)
    n, m = values.shape
    size_w = layout.size_w / layout.cell_w  # the customers column, in cell widths
    x = np.arange(m + 1, dtype=float)
    mesh = ax.pcolormesh(x, np.arange(n + 1, dtype=float), np.ma.masked_invalid(values),
                         cmap=cmap, norm=norm, edgecolors="white", linewidth=0.5)  # fmt: skip
    rows = [(r, values[r], label) for r, label in enumerate(result.table.index)]
    sizes = [f"{int(s):,}" for s in result.table["customers"]]
    bottom = float(n)
    if average is not None:
        top = n + layout.GAP
        ax.pcolormesh(x, np.array([top, top + 1]), np.ma.masked_invalid(average[None, :]),
                      cmap=cmap, norm=norm, edgecolors="white", linewidth=0.5)  # fmt: skip
        ax.axhline(n + layout.GAP / 2, color="#888888", linewidth=0.6, xmin=0, xmax=1)
        rows.append((top, average, f"{result.mean} avg"))
        sizes.append(f"{int(result.table['customers'].sum()):,}")
        bottom = top + 1
    partial = {(r, k) for r, label in enumerate(result.table.index)
               for k in result.partial_cells.get(label, [])}  # fmt: skip
    for index, (y, row, _) in enumerate(rows):
        is_average = average is not None and index == len(rows) - 1
        for k, value in enumerate(row):
            if not np.isfinite(value):
                continue  # unobserved or undefined: blank, no text
            marked = not is_average and (index, k) in partial
            ink = _ink(cmap(norm(value)))
            if marked:
                ax.add_patch(d.patches.Rectangle(
                    (k, y), 1, 1, fill=False, hatch="//", linewidth=0,
                    edgecolor=d.colors.to_rgba(ink, 0.3), gid=f"partial-{panel}-{index}-{k}",
                ))  # fmt: skip
            if layout.annotate:
                text = _text(value, result.kind) + (PARTIAL_MARK if marked else "")
                ax.text(k + 0.5, y + 0.5, text, ha="center", va="center", color=ink,
                        fontsize=layout.font, fontweight="bold" if is_average else "normal",
                        gid=f"cell-{panel}-{index}-{k}", in_layout=False)  # fmt: skip
        ax.text(-0.15, y + 0.5, sizes[index], ha="right", va="center",
                fontsize=layout.label_font, color="#333333", in_layout=False,
                fontweight="bold" if is_average else "normal")  # fmt: skip
    # the labels: cohorts on the left, offsets (and the customers header) on top
    centres = [y + 0.5 for y, _, _ in rows]
    labels = [label for _, _, label in rows]
    shown = [i for i in range(len(rows)) if i % layout.row_step == 0 or i == len(rows) - 1]
    ax.set_yticks([centres[i] for i in shown], [labels[i] for i in shown],
                  fontsize=layout.label_font)  # fmt: skip
    if average is not None:
        ax.get_yticklabels()[-1].set_fontweight("bold")
    offsets = [str(o) for o in _offsets(result)]
    ticks = [k for k in range(m) if k % layout.column_step == 0]
    ax.set_xticks(
        [-size_w / 2] + [k + 0.5 for k in ticks],
        ["customers"] + [offsets[k] for k in ticks],
        fontsize=layout.label_font,
    )
    ax.get_xticklabels()[0].set_fontsize(7)
    ax.get_xticklabels()[0].set_color("#333333")
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    if panel == 0:
        ax.set_xlabel(_offset_label(result), fontsize=8, color="#333333", loc="right")
    ax.tick_params(length=0, pad=3)
    ax.set_xlim(-size_w, max(layout.columns, 1))
    ax.set_ylim(max(bottom, 1.0), 0)  # oldest cohort on top
    if not rows:  # every cohort under the minimum size, say
        ax.text(0, 0.5, "no cohort to show", va="center", color="#555555", fontsize=9)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return mesh


# -- the curves -----------------------------------------------------------------------------


def curves(
    result: CohortResult | Segmented,
    fmt: str = "png",
    highlight: int = 3,
    title: str | None = None,
) -> bytes:
    """Retention curves (PNG or SVG bytes): x the offset, y the value; one thin grey line per
    cohort, the ``highlight`` most recent cohorts with a complete cell past offset 0 in colour
    and in the legend, and the average row (weighted or simple) as a thick dark line. Partial
    cells end their line with a dashed segment and a hollow marker; unobserved cells are not
    drawn. Segmented: one line per segment's average row, to compare the segments. ``result``
    may be the frame of ``retain.cohort_matrix``."""
    result = result_of(result)
    blocks = _blocks(result)
    first = blocks[0][1]
    title = title or _title(first)
    with _Drawing(fmt) as d:
        width = max(len(_offsets(b)) for _, b in blocks)
        figure = d.figure(min(8.5 + 0.06 * max(width - 20, 0), 16), 5.2)
        ax = figure.add_subplot()
        handles: list = []
        if isinstance(result, Segmented):
            handles = _segment_lines(d, ax, result)
        else:
            handles = _cohort_lines(d, ax, first, highlight)
        offsets = [str(o) for o in _offsets(max((b for _, b in blocks),
                                                 key=lambda b: len(_offsets(b))))]  # fmt: skip
        if first.view.get("brackets"):
            ax.set_xticks(range(len(offsets)), offsets)
        else:
            ax.xaxis.set_major_locator(d.ticker.MaxNLocator(integer=True, min_n_ticks=3))
        ax.set_xlim(-0.3, max(len(offsets) - 1, 1) + 0.3)
        ax.yaxis.set_major_formatter(_axis_formatter(d.ticker, first.kind))
        lows = [np.nanmin(v) for v in _all_values(blocks) if np.isfinite(v).any()]
        ax.set_ylim(bottom=min([0.0, *lows]))
        ax.set_xlabel(_offset_label(first))
        ax.set_ylabel(_what(first))
        ax.grid(True, color="#e6e6e6", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
                  fontsize=8)  # fmt: skip
        figure.suptitle(title, x=0.01, ha="left")
        return d.save(figure, title)


def _all_values(blocks):
    for _, block in blocks:
        yield _values(block).ravel()
        average = _average(block)
        if average is not None:
            yield average


def _line(d, ax, x, y, partial: list[int], color, width, marker, zorder, gid=None):
    """One curve: solid through the complete cells, dashed from the last complete cell into
    the partial ones, which get hollow markers. NaN (unobserved) cells are not drawn."""
    complete = y.copy()
    complete[partial] = np.nan
    ax.plot(x, complete, color=color, linewidth=width, marker=marker, markersize=3.5,
            zorder=zorder, gid=gid, solid_capstyle="round")  # fmt: skip
    if partial:
        start = max(min(partial) - 1, 0)
        ax.plot(x[start:], y[start:], color=color, linewidth=width, linestyle=(0, (3, 2)),
                zorder=zorder)  # fmt: skip
        ax.plot(x[partial], y[partial], linestyle="none", marker="o", markersize=5,
                markerfacecolor="white", markeredgecolor=color, markeredgewidth=1.2,
                zorder=zorder + 0.5)  # fmt: skip


def _cohort_lines(d: _Drawing, ax, result: CohortResult, highlight: int) -> list:
    values = _values(result)
    x = np.arange(values.shape[1], dtype=float)
    labels = list(result.table.index)
    sizes = result.table["customers"].to_numpy()
    # the most recent cohorts with a complete cell past offset 0, newest first: the newest
    # cohorts have only partial cells, a point or a dashed drop that says little yet
    complete = np.isfinite(values).sum(axis=1) - [len(result.partial_cells.get(label, []))
                                                  for label in labels]  # fmt: skip
    lines = [r for r in range(len(labels)) if complete[r] >= 2]
    chosen = lines[::-1][: max(highlight, 0)]
    palette = d.mpl.colormaps["tab10"].colors
    handles = []
    for r, label in enumerate(labels):
        partial = result.partial_cells.get(label, [])
        if r in chosen:
            color = palette[chosen.index(r) % len(palette)]
            _line(d, ax, x, values[r], partial, color, 1.8, "o", 3, gid=f"cohort-{r}")
            handles.append(
                (
                    chosen.index(r),
                    d.Line2D(
                        [],
                        [],
                        color=color,
                        linewidth=1.8,
                        marker="o",
                        markersize=3.5,
                        label=f"{label} ({sizes[r]:,})",
                    ),
                )
            )
        else:
            _line(d, ax, x, values[r], partial, OLDER_COLOR, 0.9, None, 1, gid=f"cohort-{r}")
    handles = [h for _, h in sorted(handles, key=lambda item: item[0])]
    legend = []
    average = _average(result)
    if average is not None:
        _line(d, ax, x, average, [], AVERAGE_COLOR, 3.2, None, 2, gid="average")
        legend.append(d.Line2D([], [], color=AVERAGE_COLOR, linewidth=3.2,
                               label=f"{result.mean} average"))  # fmt: skip
    legend += handles
    others = len(labels) - len(chosen)
    if others:
        legend.append(
            d.Line2D(
                [],
                [],
                color=OLDER_COLOR,
                linewidth=0.9,
                label=f"{'other ' if chosen else ''}cohorts ({others})",
            )
        )
    if result.partial_cells:
        legend.append(_partial_handle(d))
    return legend


def _segment_lines(d: _Drawing, ax, result: Segmented) -> list:
    palette = d.mpl.colormaps["tab10"].colors
    legend = []
    for index, (segment, block) in enumerate(result.results.items()):
        average = _average(block)
        if average is None:
            raise PlotError(
                "segment curves draw each segment's average row; choose --mean weighted or "
                "simple (and a rate metric, such as retention)"
            )
        color = palette[index % len(palette)]
        x = np.arange(len(average), dtype=float)
        _line(d, ax, x, average, [], color, 2.2, "o", 3, gid=f"segment-{index}")
        customers = int(block.table["customers"].sum())
        legend.append(d.Line2D([], [], color=color, linewidth=2.2, marker="o", markersize=3.5,
                               label=f"{segment} ({customers:,})"))  # fmt: skip
    first = next(iter(result.results.values()))
    ax.set_title(f"{first.mean} average by {result.column!r}", loc="left", fontsize=9,
                 color="#333333")  # fmt: skip
    return legend


def _partial_handle(d: _Drawing):
    return d.Line2D([], [], color="#555555", linewidth=1.2, linestyle=(0, (3, 2)), marker="o",
                    markerfacecolor="white", markeredgecolor="#555555", markersize=5,
                    label="partial period (dashed)")  # fmt: skip


# -- the holdout validation ----------------------------------------------------------------


def holdout(table: pd.DataFrame, fmt: str = "png", *, time_unit: str, length: float) -> bytes:
    """The holdout validation of ``retain model --holdout`` (``churn.holdout_table``): by
    repeat purchases in the calibration period, the mean purchase days per customer in the
    holdout, actual (bars) against the BG/NBD prediction (line), as Fader, Hardie and Lee's
    conditional-expectation figure."""
    groups = table[table["repeat_purchases"] != "all"]
    title = (f"holdout: purchase days per customer in the {length:,.2f} {time_unit}s after the "
             "observation end")  # fmt: skip
    with _Drawing(fmt) as d:
        figure = d.figure(8.5, 4.8)
        ax = figure.add_subplot()
        x = np.arange(len(groups))
        ax.bar(x, groups["actual_mean"], width=0.6, color=colors.STOPS[4], label="actual")
        ax.plot(x, groups["predicted_mean"], color=AVERAGE_COLOR, marker="o", linewidth=2,
                label="predicted (BG/NBD)")  # fmt: skip
        labels = [f"{g}\n({n:,})" for g, n in zip(groups["repeat_purchases"],
                                                   groups["customers"], strict=True)]  # fmt: skip
        ax.set_xticks(x, labels)
        ax.set_xlabel("repeat purchase days before the holdout (customers)")
        ax.set_ylabel("purchase days per customer")
        ax.grid(True, axis="y", color="#e6e6e6", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        total = table[table["repeat_purchases"] == "all"].iloc[0]
        ax.legend(
            loc="upper left",
            frameon=False,
            alignment="left",
            title=(f"in all: {int(total['actual']):,} actual, {total['predicted']:,.0f} predicted"),
        )
        figure.suptitle(title, x=0.01, ha="left")
        return d.save(figure, title)
