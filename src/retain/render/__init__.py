"""Show a computed cohort matrix as a table, CSV, JSON or Markdown.

Rendering formats numbers and never computes: every figure and note comes in a ``views.View``.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from tabulate import tabulate

from retain.errors import counted
from retain.metrics import CohortResult, Segmented
from retain.metrics.summary import COLUMNS, KINDS, Summary, last_complete
from retain.normalize import AMOUNT_SCALE, SKIP_REASONS
from retain.output import BINARY, FORMATS
from retain.render import colors
from retain.views import PARTIAL_MARK, Fitted, Report, View, matrix_view

CSV_DECIMALS = {"rate": 6, "money": 2, "count": 0, "decimal": 2}


def _missing(value) -> bool:
    return value is None or bool(pd.isna(value))


def _cents(value: float) -> Decimal:
    """An amount to the cent, half away from zero, from the exact sum: amounts are whole
    1/AMOUNT_SCALE units (normalize), so 1.015 is 10150 units and shows as 1.02, where the
    binary float 1.015 (1.01499...) would round to 1.01."""
    units = Decimal(round(value * AMOUNT_SCALE)) / AMOUNT_SCALE
    return units.quantize(Decimal("0.01"), ROUND_HALF_UP)


def _raw(value, kind: str):
    """The number as CSV and JSON carry it (fractions, integers, money to the cent), or None."""
    if _missing(value):
        return None
    if kind == "count":
        return int(value)
    if kind == "money":
        return float(_cents(value))
    return round(float(value), CSV_DECIMALS[kind])


def _human(value, kind: str) -> str:
    if _missing(value):
        return ""
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "money":
        return f"{_cents(value):,}"
    if kind == "decimal":
        return f"{value:,.2f}"
    return f"{int(value):,}"


def _csv_cell(value, kind: str) -> str:
    if _missing(value):
        return ""
    if kind == "money":
        return str(_cents(value))
    raw = _raw(value, kind)
    return str(raw) if kind == "count" else f"{raw:.{CSV_DECIMALS[kind]}f}"


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """Text a spreadsheet would run as a formula, made inert with a leading apostrophe (OWASP,
    CSV injection); numbers, ``-12.5`` included, stay as they are."""
    if text.startswith(FORMULA_STARTS):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def _offsets(result: CohortResult) -> list:
    return [c for c in result.table.columns if c != "customers"]


def to_csv(result: CohortResult | Segmented) -> str:
    """``cohort,customers,0,1,...``: one row per cohort, raw numbers, unobserved cells empty;
    segmented, a leading ``segment`` column and the offsets of the widest segment."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    blocks = _blocks(result)
    offsets = max((_offsets(r) for _, r in blocks), key=len)
    lead = ["segment"] if isinstance(result, Segmented) else []
    writer.writerow([*lead, "cohort", "customers", *offsets])
    for segment, block in blocks:
        key = [spreadsheet_safe(segment)] if lead else []
        for label, row in block.table.iterrows():
            cells = [_csv_cell(row[k], block.kind) if k in row else "" for k in offsets]
            writer.writerow([*key, spreadsheet_safe(label), int(row["customers"]), *cells])
    return out.getvalue()


def _blocks(result: CohortResult | Segmented) -> list[tuple[str | None, CohortResult]]:
    if isinstance(result, Segmented):
        return list(result.results.items())
    return [(None, result)]


def to_json(result: CohortResult | Segmented, meta: dict) -> str:
    """Metadata (metric, period, as-of, columns, row counts) and one object per cohort;
    segmented, one such object per segment under ``segments``."""
    if isinstance(result, Segmented):
        documents = [json.loads(to_json(r, meta)) for r in result.results.values()]
        shared = {k: v for k, v in documents[0].items() if k not in SEGMENT_KEYS}
        segments = [{"segment": s, **{k: d[k] for k in SEGMENT_KEYS}}
                    for s, d in zip(result.results, documents, strict=True)]  # fmt: skip
        document = {**shared, "segment_column": result.column, "segments": segments}
        return json.dumps(document, indent=2, allow_nan=False) + "\n"
    offsets = _offsets(result)
    cohorts = [
        {
            "cohort": label,
            "customers": int(row["customers"]),
            "values": [_raw(row[k], result.kind) for k in offsets],
            "partial_offset": result.partial.get(label),
            "partial_offsets": result.partial_cells.get(label, []),
        }
        for label, row in result.table.iterrows()
    ]
    average = None
    if result.average is not None:
        average = [_raw(v, result.kind) for v in result.average]
    if "files" in meta:  # by name, so that the order the files were given in does not show
        meta = {**meta, "files": sorted(meta["files"], key=lambda info: info["name"])}
    document = {
        "metric": result.metric,
        "values": result.kind,
        "period": result.grids.period,
        "week_start": result.grids.week_start,
        "as_of": result.grids.as_of.isoformat(),
        **meta,
        "offsets": offsets,
        "cohorts": cohorts,
        "mean": result.mean,
        "view": result.view,
        "hidden_cohorts": {"cohorts": result.hidden[0], "customers": result.hidden[1]},
        "weighted_average": average if result.mean == "weighted" else None,
        "simple_average": average if result.mean == "simple" else None,
    }
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def _grid_rows(result: CohortResult, color: str | None = None) -> list[list[str]]:
    """The table's rows; with ``color`` ("truecolor" or "256"), each shown cell on the heatmap
    colour of its value (``colors``), unobserved cells left plain."""
    offsets = _offsets(result)
    low, high = colors.value_range([result])

    def paint(values, texts):
        if color is None:
            return texts
        return [text if text == "" else colors.ansi(text, colors.colour(value, low, high),
                                                     color == "truecolor")
                for value, text in zip(values, texts, strict=True)]  # fmt: skip

    rows = []
    for label, row in result.table.iterrows():
        cells = [_human(row[k], result.kind) for k in offsets]
        for k in result.partial_cells.get(label, []):
            cells[k] += PARTIAL_MARK
        rows.append([label, f"{int(row['customers']):,}", *paint(row[offsets], cells)])
    if result.average is not None and len(result.table):
        total = f"{int(result.table['customers'].sum()):,}"
        cells = [_human(v, result.kind) for v in result.average]
        rows.append([f"{result.mean} avg", total, *paint(result.average, cells)])
    return rows


# what differs between the segments of a segmented JSON document
SEGMENT_KEYS = ("offsets", "cohorts", "mean", "view", "hidden_cohorts", "weighted_average",
                "simple_average")  # fmt: skip


def to_table(view: View, markdown: bool = False) -> str:
    """The matrix (one block per segment) as an aligned or Markdown table, then the notes."""
    result = view.content
    blocks = _blocks(result)
    style = "pipe" if markdown else view.style
    color = None if markdown else view.color
    parts = [_grid(block, style, color) for _, block in blocks]
    if isinstance(result, Segmented):
        labels = [f"{result.column} = {segment}" for segment, _ in blocks]
        parts = [f"{label}\n\n{text}" for label, text in zip(labels, parts, strict=True)]
    prefix = "- " if markdown else ""
    return "\n\n".join(parts) + "\n\n" + "\n".join(prefix + n for n in view.notes) + "\n"


def _grid(result: CohortResult, fmt: str, color: str | None = None) -> str:
    headers = ["cohort", "customers", *map(str, _offsets(result))]
    align = ["left"] + ["right"] * (len(headers) - 1)
    return tabulate(_grid_rows(result, color), headers, tablefmt=fmt, disable_numparse=True,
                    colalign=align)  # fmt: skip


def render_inspect(report: dict, fmt: str = "table") -> str:
    """The data-quality report as aligned lines, or as JSON.

    ``exact_duplicates`` is None when they were not looked for; ``refund_rows``,
    ``refund_total`` and ``zero_amount_rows`` are None without an amount column."""
    refunds = report["refund_total"]
    if refunds is not None:
        refunds = _cents(refunds)
        report = {**report, "refund_total": float(refunds)}
    if fmt == "json":
        return json.dumps(report, indent=2, allow_nan=False) + "\n"
    rows = []
    for info in report["files"]:
        read = info["read_as"]
        how = read["kind"]
        if read["kind"] == "csv":
            how += f", delimiter {read['delimiter']!r}, {read['encoding']}"
        rows.append(("file", f"{info['name']} ({how}; {info['rows']:,} rows)"))
        if info.get("layout"):
            rows.append(("  layout", f"{info['layout']['title']} ({info['layout']['clock']})"))
        for role, column in info["columns"].items():
            note = {"date": read["dates"], "amount": read["amounts"]}.get(role)
            shown = "none found" if column is None else repr(column)
            rows.append((f"  {role}", shown + (f" ({note})" if column and note else "")))
    rows += [
        ("rows", f"{report['rows_read']:,} read, {report['rows_used']:,} usable"),
        ("customers", f"{report['customers']:,}"),
        ("dates", f"{report['first_date']} to {report['last_date']}"),
    ]
    skipped = report["skipped"]
    rows.append(("bad or skipped rows", "none" if not skipped else ""))
    for reason, count in skipped.items():
        rows.append((f"  {reason}", f"{count:,}: {SKIP_REASONS[reason]}"))
        rows += [("", example) for example in report["examples"][reason]]
    duplicates = report["exact_duplicates"]
    rows.append((
        "exact duplicates",
        "not looked for" if duplicates is None
        else counted(duplicates, "row") + " (kept unless --dedupe)",
    ))  # fmt: skip
    if report["refund_rows"] is None:
        rows += [(key, "not applicable (no amount column)") for key in ("refunds", "zero amounts")]
    else:
        rows += [
            ("refunds", f"{counted(report['refund_rows'], 'row')}, {refunds:,} in all"),
            ("zero amounts", counted(report["zero_amount_rows"], "row")),
        ]
    rows.append(("refund-only customers", f"{report['refund_only_customers']:,} (no cohort)"))
    if report.get("currency"):
        rows.append(("currency", report["currency"]))
    rows += [("warning", warning) for warning in report.get("warnings", [])]
    first = report["first_cohort"]
    if first and first["share"]:  # a first cohort no larger than the next: nothing to say
        rows.append((
            "first cohort",
            f"{first['cohort']}: {first['customers']:,} customers, against a median of "
            f"{first['next_median']:,.0f} in the next cohorts: about {first['share']:.0%} of it "
            "may be customers from before the data starts",
        ))  # fmt: skip
    width = max(len(key) for key, _ in rows) + 2
    return "".join(f"{key:<{width}}{value}".rstrip() + "\n" for key, value in rows)


def render(
    view: View | CohortResult | Segmented, fmt: str, meta: dict | None = None
) -> str | bytes:
    """The text of ``view`` (``views.View``; a bare matrix result with its ``meta`` is made
    into one) in ``fmt``: one of ``FORMATS`` for a matrix, table or json for a report; bytes
    for the formats of ``BINARY``.

    The view's ``meta`` goes into the JSON as it is (``files`` sorted by name;
    ``exact_duplicates`` None when they were not looked for)."""
    if not isinstance(view, View):
        view = matrix_view(view, meta)
    if isinstance(view.content, dict):
        return render_inspect(view.content, fmt)
    if isinstance(view.content, Report):
        from retain.render.html import render_report

        return render_report(view)
    if isinstance(view.content, Fitted):
        return render_model(view, fmt)
    if fmt in BINARY:
        return _binary(view, fmt)
    if isinstance(view.content, Summary):
        return render_summary(view, fmt)
    if isinstance(view.content, pd.DataFrame):
        return render_customers(view, fmt)
    if fmt == "csv":
        return to_csv(view.content)
    if fmt == "json":
        return to_json(view.content, view.meta)
    if fmt in ("table", "markdown"):
        return to_table(view, markdown=fmt == "markdown")
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def tabular(view: View, average: bool = False):
    """The rows the CSV output has, as typed values (None where a cell is empty): ``(header,
    rows, kinds, partial, averages)``: kinds by column (rate, money, count, time or text), the
    (row, column) places of partial cells, the rows that are averages (``average``: a matrix's
    average row after its cohorts)."""
    content = view.content
    if isinstance(content, pd.DataFrame):
        header = list(content.columns)
        known = {**CUSTOMER_KINDS, **view.kinds}
        kinds = {c: known.get(c, "time" if c.endswith("_activity") else "text")
                 for c in header}  # fmt: skip
        rows = [[_typed(r[c], kinds[c]) for c in header] for r in content.to_dict("records")]
        return header, rows, kinds, set(), set()
    lead = (
        ["segment"] if getattr(content, "segment", None) or isinstance(content, Segmented) else []
    )
    if isinstance(content, Summary):
        header = [*lead, *COLUMNS]
        kinds = {"segment": "text", "period": "text", **KINDS}
        rows = [[*([segment] if lead else []), *(_typed(r[c], kinds[c]) for c in COLUMNS)]
                for segment, table in content.figures.items()
                for r in table.to_dict("records")]  # fmt: skip
        at = header.index("period")
        partial = {(i, j) for i, row in enumerate(rows) if row[at] == content.partial
                   for j in range(len(header))}  # fmt: skip
        return header, rows, kinds, partial, set()
    blocks = _blocks(content)
    offsets = max((_offsets(r) for _, r in blocks), key=len)
    header = [*lead, "cohort", "customers", *map(str, offsets)]
    kinds = {"segment": "text", "cohort": "text", "customers": "count",
             **{str(k): blocks[0][1].kind for k in offsets}}  # fmt: skip
    rows, emphasis, averages = [], set(), set()
    for segment, block in blocks:
        key = [segment] if lead else []
        for label, row in block.table.iterrows():
            for k in block.partial_cells.get(label, []):
                emphasis.add((len(rows), len(header) - len(offsets) + k))
            values = [_raw(row[k], block.kind) if k in row else None for k in offsets]
            rows.append([*key, label, int(row["customers"]), *values])
        if average and block.average is not None and len(block.table):
            values = [_raw(v, block.kind) for v in block.average]
            values += [None] * (len(offsets) - len(values))
            averages.add(len(rows))
            rows.append([*key, f"{block.mean} avg", int(block.table["customers"].sum()), *values])
    return header, rows, kinds, emphasis, averages


def _typed(value, kind: str):
    if kind == "time":
        return None if _missing(value) else value
    if kind == "text":
        return None if _missing(value) else str(value)
    return _raw(value, kind)


def _binary(view: View, fmt: str) -> bytes:
    from retain.render import sheets

    matrix = isinstance(view.content, CohortResult | Segmented)
    header, rows, kinds, emphasis, averages = tabular(view, average=fmt == "xlsx")
    if fmt == "parquet":
        return sheets.to_parquet(header, rows, kinds, view.notes)
    heat, scale, as_of = [], None, None
    if matrix:
        blocks = _blocks(view.content)
        heat = header[header.index("customers") + 1 :]
        scale = colors.value_range([b for _, b in blocks])
        as_of = blocks[0][1].grids.as_of
    elif isinstance(view.content, Summary):
        as_of = view.content.as_of
    return sheets.to_xlsx(header, rows, kinds, view.notes, heat=heat, scale=scale, as_of=as_of,
                          emphasis=emphasis, strong=averages)  # fmt: skip


HEADLINE = (("customers", "active", "count"), ("retention rate", "retention_rate", "rate"),
            ("churn rate", "churn_rate", "rate"), ("NRR", "nrr", "rate"), ("GRR", "grr", "rate"),
            ("projected LTV", "ltv", "money"))  # fmt: skip


def render_summary(view: View, fmt: str) -> str:
    """``retain summary``: CSV with the exact header of the issue (a leading ``segment`` column
    when segmented), JSON (the partial period flagged), or a table that opens with the headline
    figures of the last complete period and their change against the period before."""
    summary = view.content
    blocks = list(summary.figures.items())
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        lead = ["segment"] * (summary.segment is not None)
        writer.writerow([*lead, *COLUMNS])
        for segment, table in blocks:
            for row in table.to_dict("records"):
                cells = [_csv_cell(row[c], KINDS[c]) for c in COLUMNS[1:]]
                key = [] if summary.segment is None else [spreadsheet_safe(segment)]
                writer.writerow([*key, spreadsheet_safe(row["period"]), *cells])
        return out.getvalue()
    if fmt == "json":

        def periods(table):
            return [{"period": r["period"], "partial": r["period"] == summary.partial,
                     **{c: _raw(r[c], KINDS[c]) for c in COLUMNS[1:]}}
                    for r in table.to_dict("records")]  # fmt: skip

        document = {"period": summary.period, "as_of": summary.as_of.isoformat(),
                    "partial_period": summary.partial, **view.meta}  # fmt: skip
        if summary.segment is None:
            document["periods"] = periods(blocks[0][1])
        else:
            document["segment_column"] = summary.segment
            document["segments"] = [{"segment": s, "periods": periods(t)} for s, t in blocks]
        return json.dumps(document, indent=2, allow_nan=False) + "\n"
    if fmt not in ("table", "markdown"):
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    markdown = fmt == "markdown"
    parts = []
    for segment, table in blocks:
        figures = _figures(table, summary, "pipe" if markdown else view.style)
        text = _headline(table, summary.partial) + "\n\n" + figures
        parts.append(text if segment is None else f"{summary.segment} = {segment}\n\n{text}")
    prefix = "- " if markdown else ""
    return "\n\n".join(parts) + "\n\n" + "\n".join(prefix + n for n in view.notes) + "\n"


def headline(table: pd.DataFrame, partial: str | None, figures=HEADLINE):
    """The headline of the last complete period of a summary table: (its label, the label of
    the period before or None, [(label, value, change against the period before)] for each
    of ``figures``), or None when no period is complete."""
    now, before = last_complete(table, partial)
    if now is None:
        return None
    rows = []
    for label, column, kind in figures:
        change = ""
        if before is not None and not _missing(now[column]) and not _missing(before[column]):
            delta = now[column] - before[column]
            change = (f"{delta * 100:+.1f} points" if kind == "rate"
                      else f"{delta:+,.0f}" if kind == "count"
                      else f"{_cents(delta):+,}")  # fmt: skip
        rows.append((label, _human(now[column], kind), change))
    return now["period"], None if before is None else before["period"], rows


def _headline(table: pd.DataFrame, partial: str | None) -> str:
    found = headline(table, partial)
    if found is None:
        return "no complete period yet"
    period, _, rows = found
    lines = [f"{period} (the last complete period)"]
    for label, value, change in rows:
        lines.append(f"  {label:<15}{value:>12}" + (f"  ({change})" if change else ""))
    return "\n".join(lines)


def _figures(table: pd.DataFrame, summary: Summary, style: str) -> str:
    headers = list(COLUMNS)
    rows = []
    for row in table.to_dict("records"):
        label = row["period"] + (PARTIAL_MARK if row["period"] == summary.partial else "")
        rows.append([label, *(_human(row[c], KINDS[c]) for c in COLUMNS[1:])])
    align = ["left"] + ["right"] * (len(headers) - 1)
    return tabulate(rows, headers, tablefmt=style, disable_numparse=True, colalign=align)


CUSTOMER_KINDS = {"active_periods": "count", "orders": "count", "days_since_last": "count",
                  "revenue": "money", "refunds": "money"}  # fmt: skip


def render_customers(view: View, fmt: str) -> str:
    """``retain customers``: one row per customer; ids and emails are user text, so CSV cells
    are made spreadsheet-safe; times as ISO 8601."""
    table = view.content
    kinds = {**CUSTOMER_KINDS, **view.kinds}

    def cell(row: dict, column: str, human: bool):
        value = row[column]
        if column in kinds:
            kind = kinds[column]
            return _human(value, kind) if human else _raw(value, kind)
        if _missing(value):
            return "" if human else None
        return value.isoformat(sep=" ") if isinstance(value, pd.Timestamp) else str(value)

    records = table.to_dict("records")
    columns = list(table.columns)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in records:
            values = [cell(row, c, False) for c in columns]
            writer.writerow(["" if v is None else spreadsheet_safe(v) if isinstance(v, str)
                             else _csv_cell(v, kinds[c])
                             for c, v in zip(columns, values, strict=True)])  # fmt: skip
        return out.getvalue()
    if fmt == "json":
        document = {**view.meta, "customers": [{c: cell(r, c, False) for c in columns}
                                               for r in records]}  # fmt: skip
        return json.dumps(document, indent=2, allow_nan=False) + "\n"
    if fmt not in ("table", "markdown"):
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    markdown = fmt == "markdown"
    rows = [[cell(r, c, True) for c in columns] for r in records]
    align = ["right" if c in kinds else "left" for c in columns]
    text = tabulate(rows, columns, tablefmt="pipe" if markdown else view.style,
                    disable_numparse=True, colalign=align) if rows else "no customers"  # fmt: skip
    prefix = "- " if markdown else ""
    return text + "\n\n" + "\n".join(prefix + n for n in view.notes) + "\n"


MODEL_ROWS = (("r", "r"), ("alpha", "alpha"), ("a", "a"), ("b", "b"))
SPEND_ROWS = (("p", "p"), ("q", "q"), ("v", "v"))


def render_model(view: View, fmt: str) -> str:
    """``retain model``: the fitted parameters with their standard errors, the log-likelihoods
    and convergence, the spend model's independence check, and the holdout table; or JSON."""
    fitted = view.content
    model = fitted.model
    holdout = fitted.holdout
    rows = [] if holdout is None else holdout.to_dict("records")
    holdout_kinds = {"customers": "count", "actual": "count", "predicted": "decimal",
                     "actual_mean": "decimal", "predicted_mean": "decimal"}  # fmt: skip
    if fmt == "json":
        document = {**view.meta, **model.meta()}
        if holdout is not None:
            document["holdout"] = {
                "length": fitted.length,
                "groups": [{k: v if k not in holdout_kinds else _raw(v, holdout_kinds[k])
                            for k, v in row.items()} for row in rows],
            }  # fmt: skip
        return json.dumps(document, indent=2, allow_nan=False) + "\n"
    if fmt not in ("table", "markdown"):
        raise ValueError(f"unknown format {fmt!r}; choose table, markdown or json")
    fit = model.fit
    lines = [f"BG/NBD (Fader, Hardie and Lee 2005), {counted(fit.n, 'customer')}, by "
             f"{model.time_unit}"]  # fmt: skip
    params = MODEL_ROWS[:2] + (("p", "p"),) if fit.common_dropout else MODEL_ROWS
    lines += [f"  {name:<6}{getattr(fit, attr):>12.4f}  (standard error "
              f"{fit.standard_errors[attr]:.4f})" for name, attr in params]  # fmt: skip
    if fit.common_dropout:
        lines.append(f"  {fit.note}")
    lines.append(f"  log-likelihood {fit.log_likelihood:,.2f}; "
                 f"{'converged' if fit.converged else 'NOT converged: ' + fit.note}")  # fmt: skip
    spend = model.spend
    if spend is not None:
        lines += ["", f"Gamma-Gamma spend per purchase, {counted(spend.n, 'repeat buyer')}"]
        lines += [f"  {name:<6}{getattr(spend, attr):>12.4f}  (standard error "
                  f"{spend.standard_errors[attr]:.4f})" for name, attr in SPEND_ROWS]  # fmt: skip
        lines.append(f"  log-likelihood {spend.log_likelihood:,.2f}; mean spend per purchase "
                     f"{_cents(spend.population_mean):,}")  # fmt: skip
        check = model.independence
        lines.append(f"  independence check: correlation of frequency and mean repeat amount "
                     f"{check.correlation:.3f} over {counted(check.n, 'repeat buyer')} (the "
                     "model assumes 0; beyond about 0.3, doubt its spend figures)")  # fmt: skip
        if model.spend_left_out:
            lines.append(f"  left out: {counted(model.spend_left_out, 'repeat buyer')} whose "
                         "mean repeat amount is not above 0")  # fmt: skip
    if holdout is not None:
        headers = ["repeat purchase days before", "customers", "actual", "predicted",
                   "actual mean", "predicted mean"]  # fmt: skip
        table = [[str(r["repeat_purchases"]),
                  *(_human(r[k], holdout_kinds[k]) for k in list(holdout_kinds))]
                 for r in rows]  # fmt: skip
        style = "pipe" if fmt == "markdown" else view.style
        lines += ["", f"Holdout: purchase days in the {_length(fitted.length)} {model.time_unit}s "
                      "after the observation end, actual against predicted",
                  tabulate(table, headers, tablefmt=style, disable_numparse=True,
                           colalign=["left"] + ["right"] * 5)]  # fmt: skip
    prefix = "- " if fmt == "markdown" else ""
    return "\n".join(lines) + "\n\n" + "\n".join(prefix + n for n in view.notes) + "\n"


def _length(value: float) -> str:
    """A holdout's length in time units: 39, 23.71."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")
