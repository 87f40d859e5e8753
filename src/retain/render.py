"""Show a computed cohort matrix as a table, CSV, JSON or Markdown.

Rendering formats numbers and never computes metrics: every figure comes in ``CohortResult``.
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
from retain.normalize import AMOUNT_SCALE, SKIP_REASONS

FORMATS = ("table", "csv", "json", "markdown")
PARTIAL_MARK = "*"
CSV_DECIMALS = {"rate": 6, "money": 2, "count": 0}


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


def _grid_rows(result: CohortResult) -> list[list[str]]:
    offsets = _offsets(result)
    rows = []
    for label, row in result.table.iterrows():
        cells = [_human(row[k], result.kind) for k in offsets]
        for k in result.partial_cells.get(label, []):
            cells[k] += PARTIAL_MARK
        rows.append([label, f"{int(row['customers']):,}", *cells])
    if result.average is not None and len(result.table):
        total = f"{int(result.table['customers'].sum()):,}"
        rows.append([f"{result.mean} avg", total,
                     *(_human(v, result.kind) for v in result.average)])  # fmt: skip
    return rows


def _title(result: CohortResult, meta: dict) -> str:
    """``retention``, ``rolling retention``, ``retention against the previous offset``, ..."""
    title = f"rolling {result.metric}" if result.view.get("rolling") else result.metric
    if result.view.get("relative") == "previous":
        title += " against the previous offset"
    if result.view.get("brackets"):
        title += " in brackets of offsets"
    return title


_WINDOWS = {"day": "24 hours", "week": "7 days", "month": "30 days", "quarter": "91 days",
            "year": "365 days"}  # fmt: skip


def _notes(result: CohortResult, meta: dict) -> list[str]:
    grids = result.grids
    by = grids.period
    if (meta.get("cohort_definition") or {}).get("offsets") == "relative":
        by += f" (offsets: windows of {_WINDOWS[by]} from each first activity)"
    notes = [f"{_title(result, meta)} by {by}, as of {grids.as_of.isoformat()}"]
    cohorts = meta.get("cohort_definition") or {}
    if cohorts.get("signup"):
        notes.append(f"cohorts by signup: {cohorts['signup']!r}")
    if cohorts.get("start_where"):
        returns = "; ".join(cohorts.get("return_where") or ["every row"])
        notes.append(f"cohorts from the first row where {'; '.join(cohorts['start_where'])}; "
                     f"returns: {returns}")  # fmt: skip
    if result.partial:
        notes.append(f"{PARTIAL_MARK} partial period: it ends after the as-of date")
    if result.average is not None and len(result.table):
        notes.append(f"{result.mean} avg: over the complete cells of each column")
    if result.hidden[0]:
        cohorts, customers = result.hidden
        notes.append(f"{counted(cohorts, 'cohort')} ({counted(customers, 'customer')}) under "
                     "the minimum cohort size: not shown")  # fmt: skip
    if meta.get("refund_only_customers"):
        who = counted(meta["refund_only_customers"], "customer")
        notes.append(f"{who} with only refunds: no cohort")
    if meta.get("active_periods_before_start"):
        pairs = counted(meta["active_periods_before_start"], "active period")
        notes.append(f"{pairs} of customers before their signup or start: not counted")
    table = meta.get("customers_table")
    if table:
        notes.append(f"customers table: {table['name']} ({counted(table['rows'], 'row')}; "
                     f"id = {table['customer']!r})")  # fmt: skip
        if table["customers_not_listed"]:
            who = counted(table["customers_not_listed"], "customer")
            notes.append(f"{who} with transactions but not in the customers table "
                         f"({counted(table['active_periods_not_listed'], 'active period')}): "
                         "left out")  # fmt: skip
        if table["listed_without_cohort"]:
            who = counted(table["listed_without_cohort"], "listed customer")
            notes.append(f"{who} with neither a signup date nor activity: no cohort")
    if meta.get("customers_without_start"):
        who = counted(meta["customers_without_start"], "customer")
        notes.append(f"{who} without a start row: no cohort")
    if meta.get("customers_before_since"):
        who = counted(meta["customers_before_since"], "customer")
        notes.append(f"{who} of cohorts before --since: not shown")
    if meta.get("currency"):
        notes.append(f"currency: {meta['currency']}")
    files = meta.get("files", [])
    used = {
        ", ".join(f"{role} = {name!r}" for role, name in info["columns"].items() if name)
        for info in files
    }
    notes += [f"columns: {columns}" for columns in sorted(used) if columns]
    notes += sorted({f"layout: {f['layout']['title']}" for f in files if f.get("layout")})
    read = [(f["name"], f.get("read_as", {})) for f in files]
    notes += sorted({f"dates: {r['dates']}" for _, r in read if r.get("dates") not in PLAIN_DATES})
    notes += sorted({f"customer ids: {r['ids']}" for _, r in read if r.get("ids")})
    notes += sorted(
        f"read as {r['encoding']}: {name}"
        for name, r in read
        if r.get("encoding", "utf-8") != "utf-8"
    )
    return notes


PLAIN_DATES = (None, "ISO 8601", "timestamps", "empty")
# what differs between the segments of a segmented JSON document
SEGMENT_KEYS = ("offsets", "cohorts", "mean", "view", "hidden_cohorts", "weighted_average",
                "simple_average")  # fmt: skip


def to_table(result: CohortResult | Segmented, meta: dict, markdown: bool = False) -> str:
    if isinstance(result, Segmented):
        parts = []
        for segment, block in result.results.items():
            text = to_table(block, {}, markdown).split("\n\n")[0]
            parts.append(f"{result.column} = {segment}\n\n{text}")
        first = next(iter(result.results.values()))
        notes = _notes(first, meta) + [
            f"segments by {result.column!r}: a customer counts in the segment of their first "
            "activity"
        ]
        prefix = "- " if markdown else ""
        return "\n\n".join(parts) + "\n\n" + "\n".join(prefix + n for n in notes) + "\n"
    headers = ["cohort", "customers", *map(str, _offsets(result))]
    rows = _grid_rows(result)
    align = ["left"] + ["right"] * (len(headers) - 1)
    fmt = "pipe" if markdown else "simple"
    text = tabulate(rows, headers, tablefmt=fmt, disable_numparse=True, colalign=align)
    prefix = "" if not markdown else "- "
    notes = "\n".join(prefix + n for n in _notes(result, meta))
    return f"{text}\n\n{notes}\n"


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


def render(result: CohortResult | Segmented, fmt: str, meta: dict | None = None) -> str:
    """The text of ``result`` in ``fmt`` (one of ``FORMATS``).

    ``meta`` goes into the JSON as it is (``files`` sorted by name; ``exact_duplicates`` None
    when they were not looked for); the table's notes use ``files`` and
    ``refund_only_customers``."""
    meta = meta or {}
    if fmt == "csv":
        return to_csv(result)
    if fmt == "json":
        return to_json(result, meta)
    if fmt in ("table", "markdown"):
        return to_table(result, meta, markdown=fmt == "markdown")
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
