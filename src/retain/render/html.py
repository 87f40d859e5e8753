"""``retain report``: one self-contained HTML page (no scripts, no fonts, no links out; the
pictures are SVG inside data URIs), that opens offline and prints: the headline figures of the
last complete period, the retention and revenue-retention heatmaps, the retention curves, the
segments side by side, the calendar-period figures, the data-quality notes and the command line
that made it. Same input, same bytes."""

from __future__ import annotations

import base64
from html import escape

from tabulate import tabulate

from retain import __version__
from retain.errors import counted
from retain.metrics import Segmented
from retain.metrics.summary import COLUMNS, KINDS, last_complete
from retain.normalize import SKIP_REASONS
from retain.render import HEADLINE, PARTIAL_MARK, _blocks, _human, headline, plot
from retain.views import View, amounts_read

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a;
       max-width: 1180px; margin: 2em auto; padding: 0 1.2em; }
h1 { font-size: 1.6em; margin-bottom: 0.1em; } h2 { font-size: 1.2em; margin-top: 2em;
     border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.sub { color: #555; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8em; }
.card { border: 1px solid #d8d8d8; border-radius: 6px; padding: 0.6em 1em; min-width: 9em; }
.card .label { color: #555; font-size: 0.85em; } .card .value { font-size: 1.5em; }
.card .change { font-size: 0.85em; color: #555; }
figure { margin: 1em 0; overflow-x: auto; } figure img { height: auto; }
.table { overflow-x: auto; } table { border-collapse: collapse; font-size: 0.85em; }
th, td { padding: 0.25em 0.6em; border-bottom: 1px solid #eee; white-space: nowrap; }
td { text-align: right; } td:first-child, th:first-child { text-align: left; }
code { background: #f4f4f4; padding: 0.1em 0.3em; border-radius: 3px; word-break: break-all; }
footer { margin-top: 3em; color: #555; font-size: 0.85em; }
@media print {  /* the page on paper: pictures and tables shrunk to its width */
  body { max-width: none; margin: 0; font-size: 11px; }
  figure, .cards, table { break-inside: avoid; } figure img { max-width: 100%; }
  .table, figure { overflow: visible; } table { font-size: 6.5px; }
  th, td { padding: 1px 3px; white-space: normal; } td:first-child { white-space: nowrap; }
  h2 { break-after: avoid; }
}
"""


def _picture(svg: bytes, alt: str) -> str:
    """An SVG picture inside the page; at its own size (scrolled sideways when wider than the
    page, so that a large matrix stays legible), shrunk to the page's width in print."""
    data = base64.b64encode(svg).decode("ascii")
    return f'<figure><img alt="{escape(alt)}" src="data:image/svg+xml;base64,{data}"></figure>'


def _table(rows: list[list[str]], headers: list[str]) -> str:
    return '<div class="table">' + tabulate(rows, headers, tablefmt="html",
                                            disable_numparse=True) + "</div>"  # fmt: skip


def _cards(summary) -> str:
    figures = (*HEADLINE[:5], ("revenue", "revenue", "money"), *HEADLINE[5:])
    found = headline(next(iter(summary.figures.values())), summary.partial, figures)
    if found is None:
        return "<p>No complete period yet.</p>"
    period, before, rows = found
    cards = [f'<div class="card"><div class="label">{escape(label)}</div>'
             f'<div class="value">{escape(value)}</div>'
             f'<div class="change">{escape(f"{change} on {before}" if change else "")}</div>'
             "</div>" for label, value, change in rows if value]  # fmt: skip
    return (f"<h2>{escape(str(period))}: the last complete {summary.period}</h2>"
            f'<div class="cards">{"".join(cards)}</div>')  # fmt: skip


def _figures(summary) -> str:
    """The figures by period; columns empty in every period (money without amounts) left
    out."""
    table = next(iter(summary.figures.values()))
    columns = [c for c in COLUMNS[1:] if table[c].notna().any()]
    rows = []
    for row in table.to_dict("records"):
        label = row["period"] + (PARTIAL_MARK if row["period"] == summary.partial else "")
        rows.append([label, *(_human(row[c], KINDS[c]) for c in columns)])
    return _table(rows, ["period", *columns])


def _segments(report) -> str:
    """Each segment's customers, its weighted average retention at the first offsets, and its
    last complete period's retention, churn and NRR."""
    blocks = _blocks(report.retention)
    width = max(len(r.average) for _, r in blocks if r.average is not None)
    offsets = list(range(1, min(width, 7)))
    rows = []
    for segment, result in blocks:
        figures = report.segments.figures.get(segment)
        last = None if figures is None else last_complete(figures, report.segments.partial)[0]
        average = [] if result.average is None else list(result.average)
        cells = [_human(average[k], "rate") if k < len(average) else "" for k in offsets]
        tail = ["", "", ""] if last is None else [
            _human(last["retention_rate"], "rate"), _human(last["churn_rate"], "rate"),
            _human(last["nrr"], "rate")]  # fmt: skip
        rows.append([segment, f"{int(result.table['customers'].sum()):,}", *cells, *tail])
    headers = [report.retention.column, "customers", *(f"retention at {k}" for k in offsets),
               "retention rate", "churn rate", "NRR"]  # fmt: skip
    curves = plot.curves(report.retention, "svg")
    return (f"<h2>Segments by {escape(report.retention.column)}</h2>"
            + _picture(curves, "average retention curve of each segment")
            + _table(rows, headers)
            + "<p>Retention at k: the weighted average over the complete cells; the rates and "
              "NRR: the last complete period.</p>")  # fmt: skip


def render_report(view: View) -> str:
    """The report's HTML page (``views.Report`` in ``view.content``)."""
    report = view.content
    summary = report.summary
    files = ", ".join(sorted(f["name"] for f in view.meta.get("files", [])))
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Retention report: {escape(files)}</title><style>{STYLE}</style></head><body>",
        "<h1>Retention report</h1>",
        f'<p class="sub">{escape(files)}: by {summary.period}, as of '
        f"{summary.as_of.isoformat()}</p>",
        _cards(summary),
        "<h2>Retention by cohort</h2>",
        _picture(plot.heatmap(report.retention, "svg"), "retention heatmap"),
    ]
    if report.revenue is not None:
        heat = plot.heatmap(report.revenue, "svg")
        parts += ["<h2>Revenue retention by cohort</h2>",
                  _picture(heat, "revenue retention heatmap")]  # fmt: skip
    if isinstance(report.retention, Segmented):
        parts.append(_segments(report))
    else:
        parts += ["<h2>Retention curves</h2>",
                  _picture(plot.curves(report.retention, "svg"), "retention curves")]  # fmt: skip
    parts += [f"<h2>Figures by {summary.period}</h2>", _figures(summary)]
    if summary.partial:
        parts.append(f"<p>{PARTIAL_MARK} {escape(summary.partial)} is partial: it ends after "
                     "the as-of date.</p>")  # fmt: skip
    rows = view.meta.get("rows", {})
    quality = [f"{rows.get('read', 0):,} rows read, {rows.get('used', 0):,} used"]
    skipped = rows.get("skipped", {})
    quality += [f"{counted(count, 'row')} skipped: {escape(SKIP_REASONS[reason])}"
                for reason, count in skipped.items()] or ["no row skipped"]  # fmt: skip
    if not view.meta.get("layout"):  # a layout's name is in the notes
        quality.append("layout: none detected; columns as found")
    amounts = amounts_read(view.meta.get("files", []))
    if amounts and not view.meta.get("currency"):
        quality.append("currency: no currency column; the amounts are taken as one currency")
    if not amounts:
        quality.append("no amount column: every row is activity; no revenue figures")
    quality += [escape(m) for m in report.messages if not m.startswith("skipped ")]
    quality += [escape(n) for n in view.notes]
    parts += ["<h2>Data quality and notes</h2><ul>",
              *(f"<li>{q}</li>" for q in quality), "</ul>",
              f"<footer>Made by <code>{escape(report.command)}</code> with retain "
              f"{__version__}; the figures are defined in retain's docs/METRICS.md. Averages "
              "count complete cells only.</footer>",
              "</body></html>"]  # fmt: skip
    return "\n".join(parts) + "\n"
