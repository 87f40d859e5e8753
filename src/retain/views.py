"""Views: what a command shows, fully computed before it is rendered: a cohort matrix (one, or
one per segment) or the data-quality report, with its notes and the metadata its JSON carries.
``render.render(view, fmt)`` only formats them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from retain.errors import counted
from retain.metrics import CohortResult, Segmented

PARTIAL_MARK = "*"


def amounts_read(files: list[dict]) -> bool:
    """Whether any input had an amount column (the ``files`` of the inputs' metadata)."""
    return any(f["columns"].get("amount") for f in files)


@dataclass
class View:
    """A matrix (``metrics.CohortResult`` or ``Segmented``: its frame, value kind, partial and
    unobserved cells) or a report (a dict), with the notes under it and the JSON's metadata."""

    content: object  # CohortResult | Segmented | metrics.summary.Summary | dict (a report)
    notes: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)
    style: str = "simple"  # tabulate's table format for the table output (--table-style)
    color: str | None = None  # heatmap cells in the table output: "truecolor", "256" or None
    kinds: dict = field(default_factory=dict)  # a table's number columns: rate, money, ...


def matrix_view(result: CohortResult | Segmented, meta: dict | None = None) -> View:
    """The view of a cohort matrix: its notes say what the numbers are and what was left out."""
    meta = meta or {}
    if isinstance(result, Segmented):
        first = next(iter(result.results.values()))
        notes = _notes(first, meta) + [
            f"segments by {result.column!r}: a customer counts in the segment of their first "
            "activity"
        ]
        return View(result, notes, meta)
    return View(result, _notes(result, meta), meta)


def summary_view(summary, meta: dict | None = None) -> View:
    """The view of ``retain summary``: its notes say the period, the as-of date and what is
    partial; the figures are defined in METRICS.md ("Calendar-period figures")."""
    notes = [f"figures by {summary.period}, as of {summary.as_of.isoformat()} (METRICS.md, "
             "Calendar-period figures)"]  # fmt: skip
    if summary.partial:
        notes.append(f"{PARTIAL_MARK} {summary.partial} is partial: it ends after the as-of date")
    notes.append("projected LTV = ARPC / churn rate: a projection, not an observed value")
    files = (meta or {}).get("files", [])
    if files and not amounts_read(files):
        notes.append("no amount column: the revenue figures are unavailable (empty)")
    if summary.segment:
        notes.append(f"segments by {summary.segment!r}: a customer counts in the segment of "
                     "their first activity")  # fmt: skip
    return View(summary, notes, meta or {})


def customers_view(table, as_of, period: str, churn_after: int, meta: dict | None = None) -> View:
    """The view of ``retain customers``: the table, and notes that say how status is read."""
    notes = [
        f"{counted(len(table), 'customer')}, as of {as_of.isoformat()}, by {period}",
        f"status by the last active {period}: active in the as-of {period} or the one before; "
        f"reactivated: active again after a gap; lapsed: last active "
        f"{'2' if churn_after == 3 else f'2 to {churn_after - 1}'} {period}s before; churned: "
        f"{churn_after} or more (--churn-after)",
    ]
    return View(table, notes, meta or {})


@dataclass
class Report:
    """What ``retain report`` shows: the retention matrix and, with amounts, the revenue
    retention matrix (segmented with ``--segment``), the calendar-period figures of every
    customer and per segment, what the run told (rows skipped, layouts, warnings) and the
    command line that made it."""

    retention: CohortResult | Segmented
    revenue: CohortResult | Segmented | None
    summary: object  # metrics.summary.Summary of every customer
    segments: object | None  # the same per segment
    messages: list[str]
    command: str


def html_report_view(report: Report, meta: dict) -> View:
    """The view of ``retain report``: the retention matrix's notes, and the inputs' metadata."""
    return View(report, matrix_view(report.retention, meta).notes, meta)


RFM_KINDS = {"frequency": "count", "recency": "decimal", "T": "decimal",
             "monetary_value": "money", "average_value": "money", "holdout_purchases": "count",
             "purchase_days": "count", "p_alive": "rate", "expected_purchases": "decimal",
             "purchases_if_active": "decimal",
             "expected_spend": "money", "value_at_risk": "money"}  # fmt: skip
RFM_COLUMNS = ("customer", "frequency", "recency", "T", "monetary_value", "average_value",
               "cohort", "first_purchase", "last_purchase", "holdout_purchases")  # fmt: skip


def _rfm_notes(unit: str, end, meta: dict) -> list[str]:
    month = " (a month: 365.25 / 12 days)" if unit == "month" else ""
    notes = [f"recency and T in {unit}s{month}, to the observation end {end.isoformat()}; "
             "frequency: repeat purchase days (same-day purchases once)"]  # fmt: skip
    if amounts_read(meta.get("files", [])):
        notes.append("monetary_value: the mean net amount of the repeat purchase days "
                     "(refunds booked that day subtracted); average_value: of every purchase "
                     "day")  # fmt: skip
    if meta.get("currency"):
        notes.append(f"currency: {meta['currency']}")
    return notes


def rfm_view(rows, unit: str, end, meta: dict) -> View:
    """The view of ``retain rfm``: the summary's columns (RFM_COLUMNS, those present)."""
    table = rows[[c for c in RFM_COLUMNS if c in rows]]
    notes = [f"{counted(len(table), 'customer')} with a purchase by {end.isoformat()}",
             *_rfm_notes(unit, end, meta)]  # fmt: skip
    if "holdout_purchases" in table:
        notes.append("holdout_purchases: purchase days after the observation end, to the as-of "
                     "date")  # fmt: skip
    return View(table, notes, meta, kinds=RFM_KINDS)


def at_risk_view(table, model, horizon: float, meta: dict) -> View:
    """The view of ``retain at-risk``: the ranked list, with the fitted models in the JSON."""
    unit = model.time_unit
    value = "money" if "expected_spend" in table else "decimal"
    notes = [
        f"{counted(len(table), 'customer')} by value at risk: P(not alive) x the value expected "
        f"in the next {horizon:g} {unit}s were they still active"
        + ("" if value == "money" else " (in purchases: no amounts)"),
        f"BG/NBD: r = {model.fit.r:.4g}, alpha = {model.fit.alpha:.4g}, "
        + (f"p = {model.fit.p:.4g} (one drop-out probability for all)" if model.fit.common_dropout
           else f"a = {model.fit.a:.4g}, b = {model.fit.b:.4g}")
        + f", log-likelihood {model.fit.log_likelihood:,.2f}, converged",
        "a customer who never bought twice has P(alive) = 1 in BG/NBD (drop-out follows a "
        "purchase): see retain model",
        *_rfm_notes(unit, model.observation_end, meta),
    ]  # fmt: skip
    return View(
        table,
        notes,
        {**meta, **model.meta(), "horizon": horizon},
        kinds={**RFM_KINDS, "value_at_risk": value},
    )


@dataclass
class Fitted:
    """What ``retain model`` shows: the fitted models (``churn.ChurnModel``) and, with a
    holdout, the validation table (``churn.holdout_table``) over ``length`` time units."""

    model: object
    holdout: object | None = None
    length: float | None = None


def model_view(fitted: Fitted, meta: dict | None = None) -> View:
    """The view of ``retain model``."""
    model = fitted.model
    notes = [f"time unit: {model.time_unit}; observation end {model.observation_end.isoformat()}"]
    if fitted.holdout is not None:
        notes.append(f"holdout: purchase days in the {fitted.length:,.2f} {model.time_unit}s after "
                     "the observation end, to the as-of date, against the BG/NBD conditional "
                     "expectation E[Y(t) | x, t_x, T] of each customer of the calibration "
                     "period")  # fmt: skip
    return View(fitted, notes, meta or {})


def report_view(report: dict) -> View:
    """The view of ``retain inspect``'s data-quality report."""
    return View(report)


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
    for key, noun, text in COUNTED:
        if meta.get(key):
            notes.append(f"{counted(meta[key], noun)} {text}")
    table = meta.get("customers_table")
    if table:
        notes.append(f"customers table: {table['name']} ({counted(table['rows'], 'row')}; "
                     f"id = {table['customer']!r})")  # fmt: skip
        for key, noun, text in LISTING:
            if table[key]:
                notes.append(f"{counted(table[key], noun)} {text}")
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
# what the cohort assignment left out, as the notes count it: (meta key, noun, what)
COUNTED = (
    ("refund_only_customers", "customer", "with only refunds: no cohort"),
    ("active_periods_before_start", "active period",
     "of customers before their signup or start: not counted"),
    ("customers_without_start", "customer", "without a start row: no cohort"),
    ("customers_before_since", "customer", "of cohorts before --since: not shown"),
)  # fmt: skip
LISTING = (
    ("customers_not_listed", "customer",
     "with transactions but not in the customers table: left out"),
    ("listed_without_cohort", "listed customer",
     "with neither a signup date nor activity: no cohort"),
)  # fmt: skip
