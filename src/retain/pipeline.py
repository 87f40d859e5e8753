"""The steps wired together for the CLI and the Python API: the engine's batches (engines/) ->
the merged activity table -> cohorts -> metrics, with the checks that hold across inputs.
Nothing here prints or knows about click."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from retain.activity import Part, activity_table
from retain.cohorts import (
    WINDOW_DAYS,
    CohortStats,
    assign_cohorts,
    customer_codes,
    since_cohorts,
    window_cohorts,
)
from retain.engines.batches import (
    Input,
    Options,
    Piece,
    Progress,
    _piece,
    _readings,
    _redo,
    read_customers,
    read_pieces,
)
from retain.engines.store import CellStore
from retain.errors import BadRowsError, InputError, MetricError, RetainError, counted
from retain.metrics import (
    CohortGrids,
    CohortResult,
    Segmented,
    cohort_sums,
    cohort_table,
    grids_of,
    parse_brackets,
)
from retain.normalize import (
    BAD_ROWS,
    Plan,
    RowCounts,
    bad_rows_error,
)
from retain.normalize.amounts import AMOUNT_SCALE
from retain.normalize.dates import (
    DateReading,
    date_hint,
)
from retain.normalize.select import (
    check_currencies,
    status_warning,
)
from retain.settings import Settings, plan_input, settings_of
from retain.sources.files import (
    RawTable,
    Source,
)
from retain.sources.layouts import LAYOUTS
from retain.views import Report, amounts_read

MAX_TOTAL = 2**62
MAX_SEGMENTS = 500  # a segment column with more values is an id, not a segment
# the summary's figures that need amounts
MONEY_FIGURES = (
    "revenue", "inactive_refunds", "new_revenue", "expansion", "contraction",
    "churned_revenue", "reactivation_revenue", "grr", "nrr", "arpc", "ltv", "aov",
)  # fmt: skip


def _checked(
    item: Input, pieces: list[Piece], reading: DateReading, settings: Settings
) -> RowCounts:
    """The input's row accounting; with --on-bad-rows fail, one error for its bad rows: the
    first reason found, its count in the whole input and its first five rows."""
    counts = RowCounts()
    for piece in pieces:
        counts.add(piece.counts)
    if settings.on_bad_rows != "fail":
        return counts
    malformed = counts.skipped.get("malformed_row")
    if malformed:
        raise InputError(
            f"{item.name}: {counted(malformed, 'row')} without the header's "
            f"{len(item.source.header)} fields ({'; '.join(counts.examples['malformed_row'])}); "
            f"check the delimiter ({item.source.delimiter!r}) and quoting, or pass "
            "--on-bad-rows skip to skip and count them"
        )
    for reason in BAD_ROWS:
        if reason in counts.skipped:
            hint = ""
            if reason == "bad_date":
                bad = [p.bad_dates for p in pieces if p.bad_dates is not None]
                hint = date_hint(pd.concat(bad), reading, settings.dates) or "" if bad else ""
            raise bad_rows_error(
                item.name, reason, counts.skipped[reason], counts.columns.get(reason),
                counts.examples[reason], hint,
            )  # fmt: skip
    return counts


def _bad_signups(item: Input, pieces: list[Piece], settings: Settings) -> list[str]:
    """Signup values that are no ISO date or month: an error, or with --on-bad-rows skip a
    warning (the values are ignored; their rows, good purchases, still count)."""
    unread = sum(p.bad_signups[0] for p in pieces)
    if not unread:
        return []
    examples = [e for p in pieces for e in p.bad_signups[1]][:5]
    where = f"{counted(unread, 'value')} of {item.plan.signup!r} ({'; '.join(examples)})"
    if settings.on_bad_rows == "fail":
        raise BadRowsError(
            f"{item.name}: {where} cannot be read as ISO dates or months (2024-03-05, 2024-03); "
            "fix them, or pass --on-bad-rows skip to ignore those values (their rows still count)"
        )
    return [f"{item.name}: ignored {where}: not ISO dates or months"]


def _info(item: Input, pieces: list[Piece], counts: RowCounts, reading, settings) -> dict:
    """What the JSON and the notes say of one input: columns, rows, how it was read."""
    plan, source = item.plan, item.source
    columns = {**vars(plan.columns), "refunded": plan.refunded, "currency": plan.currency,
               "segment": plan.segment, "signup": plan.signup}  # fmt: skip
    amounts = next((p.amounts for p in pieces if p.amounts), None)
    duplicates = None
    if item.duplicates is not None:
        duplicates = int(sum(d.sum() for d in item.duplicates))
    read = {"kind": source.kind, "dates": reading.note, "amounts": amounts,
            "exact_duplicates": duplicates}  # fmt: skip
    if source.kind == "csv":
        read.update(delimiter=source.delimiter, encoding=source.encoding)
    if any(p.email_ids for p in pieces):
        read["ids"] = "email addresses compared " + (
            "as written" if settings.case_sensitive_ids else "lower-cased"
        )
    left_out = Counter()
    for piece in pieces:
        left_out.update(piece.left_out)
    return {"name": item.name, "columns": {k: v for k, v in columns.items() if v is not None},
            "rows": counts.read, "read_as": read,
            "layout": _layout_info(plan, left_out, settings)}  # fmt: skip


def _layout_info(plan: Plan, left_out: Counter, settings: Settings) -> dict | None:
    if plan.layout is None:
        return None
    layout = LAYOUTS[plan.layout]
    amount = plan.columns.amount
    if amount and plan.refunded:
        amount = f"{amount} - {plan.refunded}"
    clock = f"converted to {settings.dates.tz}" if settings.dates.tz else layout.clock
    ordered = sorted(left_out.items(), key=lambda pair: (-pair[1], pair[0]))
    return {"name": layout.name, "title": layout.title, "clock": clock,
            "customer": " else ".join([plan.columns.customer, *plan.fallbacks]),
            "amount": amount, "left_out": [f"{c} {v} ({n:,})" for (c, v), n in ordered],
            "line_items": plan.line_items is not None}  # fmt: skip


@dataclass
class Activity:
    """The activity of all inputs (the batches' cells, merged partition by partition on
    demand), with what it took to make it."""

    store: CellStore
    settings: Settings
    counts: RowCounts
    as_of: dt.date
    files: list[dict] = field(default_factory=list)  # name, columns, rows, how read, per file
    currency: str | None = None
    warnings: list[str] = field(default_factory=list)
    tally: object = None
    customers: dict | None = None  # what the customers table held (--customers)
    newest: dt.date | None = None  # the newest row used; None when rows reach past as-of

    def fold(self, work: Callable[[Part], object]) -> list:
        """``work`` of each merged partition of the activity, on the local engine's threads."""
        from retain.engines import local

        return self.store.fold(work, lambda w, jobs: local.run(w, jobs, self.settings.threads))

    @functools.cached_property
    def table(self) -> pd.DataFrame:
        """The whole activity table (``activity.activity_table``)."""
        return activity_table(self.fold(lambda part: part))


def activity_of(
    inputs: list[Input], pieces: list[list[Piece]], readings: list[DateReading],
    settings: Settings, store: CellStore | None = None,
) -> Activity:  # fmt: skip
    """The batches' cells (in ``store``, or still in the pieces) and the checks that hold
    across inputs: bad rows under --on-bad-rows fail, one currency, no overlapping files,
    exact sums."""
    store = CellStore(settings.memory_limit) if store is None else store
    counts, files, latest, signup_warnings = RowCounts(), [], [], []
    currencies, statuses, total, tally = Counter(), {}, 0.0, None
    hashes = []
    for k, (item, item_pieces, reading) in enumerate(zip(inputs, pieces, readings, strict=True)):
        own = _checked(item, item_pieces, reading, settings)
        signup_warnings += _bad_signups(item, item_pieces, settings)
        counts.add(own, prefix=f"{item.name} ")
        files.append(_info(item, item_pieces, own, reading, settings))
        keys = [p.hashes for p in item_pieces if p.hashes is not None]
        hashes.append((item.name, np.unique(np.concatenate(keys)) if keys else np.array([])))
        for i, piece in enumerate(item_pieces):
            currencies += piece.currencies
            total += piece.total
            for column, values in piece.statuses.items():
                statuses.setdefault(column, Counter()).update(values)
            if piece.activity is not None:
                store.add((k, i), piece.activity)
                piece.activity = None  # held by the store alone
            if piece.latest is not None:
                latest.append(piece.latest)
            if piece.tally is not None:
                tally = piece.tally if tally is None else tally.merge(piece.tally)
    if not store:
        summary = counts.summary() or "none"
        raise InputError(f"no usable rows among {counts.read:,} read (skipped: {summary})")
    if total >= MAX_TOTAL:
        raise RetainError(
            f"the amounts add up to {total / AMOUNT_SCALE:.3g} in all, beyond what retain adds "
            f"exactly ({MAX_TOTAL / AMOUNT_SCALE:.3g}); check that --amount is a money column"
        )
    currency = check_currencies(currencies, settings.currency)
    warnings = [w for c in sorted(statuses) if (w := status_warning(c, statuses[c]))]
    warnings += _overlaps(hashes) + signup_warnings
    newest = pd.Timestamp(max(latest)).date()
    as_of = settings.as_of or newest
    if settings.until is not None:
        as_of = min(as_of, settings.until)
    if (as_of - newest).days >= STALE_DAYS and not counts.skipped.get("after_as_of"):
        warnings.append(
            f"the newest row is from {newest.isoformat()}, {(as_of - newest).days} days before "
            f"the as-of date {as_of.isoformat()}: the periods after it count as observed with "
            "no activity; pass an earlier --as-of, or check that the export is complete"
        )
    files = sorted(files, key=_file_key)
    beyond = counts.skipped.get("after_as_of")  # the export reaches past the as-of date
    return Activity(store, settings, counts, as_of, files, currency, warnings, tally,
                    newest=None if beyond else newest)  # fmt: skip


STALE_DAYS = 7  # an as-of date this many days after the newest row: a stale export?


def _file_key(info: dict):
    return info["name"], info["rows"]


def _overlaps(hashes: list[tuple[str, np.ndarray]]) -> list[str]:
    """Warnings for inputs that share rows (same customer, time and amount)."""
    warnings = []
    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            shared = len(np.intersect1d(hashes[i][1], hashes[j][1], assume_unique=True))
            if shared:
                a, b = sorted((hashes[i][0], hashes[j][0]))
                same = " (the same file twice)" if _same_file(a, b) else ""
                warnings.append(
                    f"{a} and {b} share {shared:,} rows (same customer, time and amount){same}; "
                    "if the exports overlap, pass --dedupe to count each row once"
                )
    return warnings


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def run_messages(activity: Activity, stats: CohortStats | None = None) -> list[str]:
    """What a run tells on stderr: the layout of each input, warnings, the rows skipped, and
    the customers a customers table left out."""
    messages = []
    for info in activity.files:
        layout = info.get("layout")
        if layout:
            message = (
                f"{info['name']}: {layout['title']}: customer = {layout['customer']}, "
                f"date = {info['columns']['date']} ({layout['clock']}), "
                f"amount = {layout['amount']}"
            )
            if layout["left_out"]:
                message += f"; left out: {', '.join(layout['left_out'])}"
            if layout["line_items"]:
                message += "; line items counted once per order"
            messages.append(message)
    messages += [f"warning: {w}" for w in activity.warnings]
    counts = activity.counts
    if counts.skipped:
        skipped = counts.read - counts.used
        messages.append(f"skipped {skipped:,} of {counts.read:,} rows: {counts.summary()}")
    if stats is not None and stats.unlisted_customers:
        messages.append(
            f"left out {counted(stats.unlisted_customers, 'customer')} with transactions "
            f"({counted(stats.unlisted_periods, 'active period')}) not in the customers table "
            f"{activity.customers['name']}"
        )
    return messages


def input_meta(activity: Activity) -> dict:
    """What any result's JSON and notes carry of the inputs: files, layout, currency, rows."""
    layouts = sorted({f["layout"]["name"] for f in activity.files if f.get("layout")})
    return {
        "files": activity.files,
        "layout": ", ".join(layouts) or None,
        "currency": activity.currency,
        "rows": {
            "read": activity.counts.read,
            "used": activity.counts.used,
            "skipped": dict(sorted(activity.counts.skipped.items())),
        },
    }


def cohort_meta(activity: Activity, stats: CohortStats) -> dict:
    """What a cohort matrix's JSON and notes carry beside the numbers."""
    settings = activity.settings
    return {
        "cohort_definition": {
            "offsets": settings.offsets,
            "customers": settings.customers,
            "signup": settings.signup,
            "start_where": list(settings.start_where) or None,
            "return_where": list(settings.return_where) or None,
        },  # fmt: skip
        **input_meta(activity),
        "refund_only_customers": stats.refund_only_customers,
        "refunds_before_first_order": stats.pre_cohort_periods,
        "customers_before_since": stats.before_since,
        "active_periods_before_start": stats.before_signup,
        "customers_without_start": stats.without_start,
        "customers_table": None
        if activity.customers is None
        else {
            **activity.customers,
            "customers_not_listed": stats.unlisted_customers,
            "active_periods_not_listed": stats.unlisted_periods,
            "listed_without_cohort": stats.listed_without_cohort,
        },
    }


def read_activity(
    paths: list[str], settings: Settings = Settings(), progress: Progress | None = None
) -> Activity:
    """Read every file (``-`` is stdin) once and reduce it to one activity table;
    ``progress(done_bytes, total_bytes, rows)`` hears of each batch."""
    store = CellStore(settings.memory_limit)
    inputs, pieces, readings = read_pieces(paths, settings, progress=progress, store=store)
    return _with_customers(inputs, pieces, readings, settings, store)


def inspect_files(paths: list[str], settings: Settings) -> dict:
    """The data-quality report of ``retain inspect``: what ``retain cohort --on-bad-rows skip``
    would read, skip and keep, and what looks odd."""
    from retain.quality import first_cohort_estimate

    # the transactions' own quality: cohorts by first activity, no customers table
    settings = replace(
        settings, on_bad_rows="skip", since=None, customers=None, segment=None, signup=None,
        start_where=(), return_where=(), offsets="calendar",
    )  # fmt: skip
    store = CellStore(settings.memory_limit)
    pieces = read_pieces(paths, settings, find_duplicates=True, tally=True, store=store)
    activity = activity_of(*pieces, settings, store)
    grids, stats = _grids(activity, settings)
    counts = activity.counts
    return {
        "files": activity.files,
        "rows_read": counts.read,
        "rows_used": counts.used,
        **activity.tally.figures(),
        "skipped": {r: counts.skipped[r] for r in sorted(counts.skipped)},
        "examples": {r: counts.examples.get(r, []) for r in sorted(counts.skipped)},
        "exact_duplicates": sum(f["read_as"]["exact_duplicates"] or 0 for f in activity.files),
        "currency": activity.currency,
        "warnings": activity.warnings,
        "refund_only_customers": stats.refund_only_customers,
        "refunds_before_first_order": stats.pre_cohort_periods,
        "first_cohort": first_cohort_estimate(grids.labels, grids.sizes),
    }


def frame_activity(frame: pd.DataFrame, settings: Settings = Settings()) -> Activity:
    """The activity table of an in-memory frame of transactions (the same rules as files)."""
    if frame.empty:
        raise InputError("the frame has no rows")
    header = [str(c) for c in frame.columns]
    frame = frame.set_axis(header, axis=1).reset_index(drop=True)
    source = Source("frame", None, header, kind="frame", delimiter=None, encoding=None)
    plan = plan_input("frame", header, settings)
    item = Input(source, plan, {}, [None], raws=[RawTable("frame", frame, header, "frame")])
    if settings.dedupe:
        item.duplicates = [frame.duplicated().to_numpy()]
    pieces = [[_piece(item, 0, Options(settings))]]
    readings = _readings([item], pieces, settings)
    if _redo(pieces[0][0], readings[0]):
        pieces = [[_piece(item, 0, Options(settings), readings[0])]]
    return _with_customers([item], pieces, readings, settings, CellStore(settings.memory_limit))


def _with_customers(inputs, pieces, readings, settings: Settings, store: CellStore) -> Activity:
    """The activity of the inputs' pieces, joined with the customers table's cells if any."""
    listed = None
    if settings.customers:  # the customers table's cells join the transactions' by id
        revenue = any(item.plan.columns.amount for item in inputs)
        has_signup = any(item.plan.signup for item in inputs)
        cells, listed = read_customers(settings, revenue, has_signup)
        for i, table in enumerate(cells):
            store.add(("customers", i), table)
    activity = activity_of(inputs, pieces, readings, settings, store)
    activity.customers = listed
    return activity


def summary_of(activity: Activity, settings: Settings, total: bool = False):
    """The calendar-period figures of METRICS.md per period, from each customer's cohort on,
    counted partition by partition (customers never span partitions, so the sums add up).
    ``total``: with a segment, also every customer's figures (key None), the segments' sums
    added, from the same count."""
    from retain.activity import period_label, period_ordinals, period_starts
    from retain.metrics.summary import Summary, period_figures, period_sums

    day = np.datetime64(activity.as_of, "D")
    last = int(period_ordinals(np.array([day]), settings.period, settings.week_start)[0])

    def count(part: Part) -> list[tuple[object, pd.DataFrame]]:
        cohorted, _ = _cohorted(part, settings)
        if settings.segment is None:
            return [(None, period_sums(cohorted, last))]
        return [(str(s), period_sums(g, last)) for s, g in cohorted.groupby("segment")]

    parts: dict = {}
    for pairs in activity.fold(count):
        for key, sums in pairs:
            parts.setdefault(key, []).append(sums)
    groups = {key: pd.concat(frames).groupby(level=0).sum() for key, frames in parts.items()}
    if total and settings.segment is not None and groups:
        groups[None] = pd.concat(groups.values()).groupby(level=0).sum()
    if not groups:
        raise MetricError("no customer has an order by the as-of date: no period to show")
    figures = {}
    for key in sorted(groups, key=lambda k: (k is not None, k)):
        table = period_figures(groups[key].astype(np.int64))
        if not amounts_read(activity.files):  # no money read
            table.loc[:, [c for c in MONEY_FIGURES if c in table]] = np.nan
        table["period"] = [period_label(int(p), settings.period, settings.week_start)
                           for p in table["period"]]  # fmt: skip
        figures[key] = table
    ends = period_starts(np.array([last + 1]), settings.period, settings.week_start)[0]
    partial = None
    if day != ends - np.timedelta64(1, "D"):
        partial = period_label(last, settings.period, settings.week_start)
    return Summary(figures, settings.period, activity.as_of, partial, settings.segment)


def customers_of(activity: Activity, settings: Settings) -> pd.DataFrame:
    """The customers table (``customer_table.customer_rows``) of every customer with a cohort,
    counted partition by partition, sorted by customer id."""
    from retain.customer_table import customer_rows

    def rows(part: Part) -> pd.DataFrame:
        cohorted, _ = _cohorted(part, settings)
        return customer_rows(cohorted, settings.period, settings.week_start)

    table = pd.concat(activity.fold(rows), ignore_index=True)
    return table.sort_values("customer", ignore_index=True)


def cohorts_of(
    activity: Activity, settings: Settings, metric: str = "retention", counts: bool = False,
    **view,
) -> tuple[CohortResult, CohortStats]:  # fmt: skip
    """The cohort matrix of ``metric``, and what the cohort assignment left out. With
    ``settings.since``, only the cohorts whose period starts on or after it. ``view``: the
    keywords of ``metrics.cohort_table`` (rolling, relative, mean, max_offset,
    min_cohort_size, brackets: a list of (first, last) offsets or text like ``0,1-7,8-30``)."""
    (result,), stats = cohort_results(activity, settings, (metric,), counts, **view)
    return result, stats


def cohort_results(
    activity: Activity, settings: Settings, metrics: tuple[str, ...], counts: bool = False,
    **view,
) -> tuple[list[CohortResult | Segmented], CohortStats]:  # fmt: skip
    """The cohort matrices of ``metrics`` (as ``cohorts_of``) from one count of the cohort
    sums."""
    if (settings.offsets == "relative" or settings.start_where) and set(metrics) - {
        "retention", "churn",
    }:  # fmt: skip
        raise MetricError(
            "relative offsets and start events count customers: use the retention or churn metric"
        )
    brackets = view.pop("brackets", None)
    if brackets is not None:
        brackets = parse_brackets(brackets)
    marks = ("last",) * view.get("rolling", False) + ("second",) * ("repeat" in metrics)
    sums, stats = _sums(activity, settings, brackets, marks)

    days = WINDOW_DAYS[settings.period] if settings.offsets == "relative" else None

    def matrix(sums: pd.DataFrame, metric: str) -> CohortResult:
        grids = grids_of(sums, activity.as_of, settings.period, settings.week_start, days)
        return cohort_table(grids, metric, counts, brackets=brackets, **view)

    if settings.segment is None:
        return [matrix(sums, metric) for metric in metrics], stats
    groups = sums.groupby("segment", sort=True)
    if groups.ngroups > MAX_SEGMENTS:
        raise MetricError(
            f"{settings.segment!r} has {groups.ngroups:,} values among the cohorts' customers: "
            f"too many segments to show (at most {MAX_SEGMENTS}); choose a column with a few "
            "values, such as a channel, country or plan"
        )
    return [Segmented(settings.segment, {str(s): matrix(g, metric) for s, g in groups})
            for metric in metrics], stats  # fmt: skip


def _grids(activity: Activity, settings: Settings) -> tuple[CohortGrids, CohortStats]:
    """The cohort grids of every customer (segments together)."""
    sums, stats = _sums(activity, settings)
    sums = sums.drop(columns="segment", errors="ignore")
    return grids_of(sums, activity.as_of, settings.period, settings.week_start), stats


def _cohorted(
    part: Part, settings: Settings, windows: bool = False
) -> tuple[pd.DataFrame, CohortStats]:
    """One merged partition's cells with their cohort and offset: calendar periods (first
    activity, signup or start events), or with ``windows`` windows from each first activity."""
    table = activity_table([part])
    if windows:
        return window_cohorts(table, settings.period, settings.week_start)
    return assign_cohorts(table, bool(settings.start_where))


def _sums(
    activity: Activity, settings: Settings, brackets=None, marks=()
) -> tuple[pd.DataFrame, CohortStats]:
    """The cohort sums (``metrics.cohort_sums``), counted partition by partition (a customer
    lives in one), so that the whole activity table is never held at once."""

    def count(part: Part) -> tuple[pd.DataFrame, CohortStats]:
        cohorted, stats = _cohorted(part, settings, settings.offsets == "relative")
        if settings.since is not None:
            cohorted, stats = since_cohorts(
                cohorted, stats, settings.since, settings.period, settings.week_start
            )
        return cohort_sums(cohorted, brackets, marks), stats

    counted = activity.fold(count)
    sums = pd.concat([c[0] for c in counted], ignore_index=True)
    return sums, functools.reduce(operator.add, [c[1] for c in counted])


def cohort_matrix(
    frame: pd.DataFrame,
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
    period: str = "month",
    metric: str = "retention",
    *,
    counts: bool = False,
    rolling: bool = False,
    relative: str = "first",
    mean: str = "weighted",
    max_offset: int | None = None,
    min_cohort_size: int | None = None,
    brackets=None,
    **options,
) -> pd.DataFrame:
    """The cohort matrix of a transactions frame, the same numbers as ``retain cohort``.

    Every option of ``retain cohort`` is a keyword, with ``-`` as ``_``: the view (``metric``:
    retention, churn, revenue, revenue-retention, ltv, orders, repeat; ``counts``,
    ``rolling``, ``relative`` first or previous, ``mean`` weighted, simple or none,
    ``max_offset``, ``min_cohort_size``, ``brackets`` such as ``"0,1-7,8-30"``, ``segment``: a
    column, one block of cohorts per value, indexed (segment, cohort)), and how to read the
    rows: ``customers`` (a customers table's path: id, signup, attributes), ``signup`` (a
    column of signup dates, of the transactions or the customers table), ``start_where`` and
    ``return_where`` (lists like ``where``: start and return events), ``offsets``
    (calendar, or relative: windows from each first activity), ``week_start``,
    ``as_of``, ``since``, ``until`` (dates or ISO text), ``tz``, ``input_tz``, ``dayfirst``,
    ``date_format``, ``on_bad_rows``, ``where`` (a list of ``COL=VALUE``, ``COL!=VALUE``,
    ``COL~REGEX``), ``refunded``, ``currency``, ``currency_column``, ``layout``,
    ``case_sensitive_ids``, ``dedupe``, ``decimal``, ``chunksize``, ``memory_limit`` (bytes,
    or text such as ``"512MiB"``), ``threads``.

    Returns a frame (a DataFrame that Jupyter shows as the heatmap; ``retain.style(m)`` gives
    its Styler) indexed by cohort label with a ``customers`` column and one column per period
    offset (NaN where unobserved or undefined). ``attrs`` holds ``metric``, ``period``,
    ``as_of``, ``currency``, ``partial`` (cohort -> offset of its partial cell), ``mean`` and
    ``average`` (the average row), ``hidden_cohorts`` (under ``min_cohort_size``).

    Example::

        >>> m = retain.cohort_matrix(orders, customer="customer_id", date="order_date")
        >>> m = retain.cohort_matrix(payments, where=["Status!=Failed"], metric="revenue")
    """
    from retain.render.notebook import cohort_frame

    settings = settings_of(customer=customer, date=date, amount=amount, period=period, **options)
    activity = frame_activity(frame, settings)
    view = {"rolling": rolling, "relative": relative, "mean": mean, "max_offset": max_offset,
            "min_cohort_size": min_cohort_size, "brackets": brackets}  # fmt: skip
    result, _ = cohorts_of(activity, settings, metric, counts, **view)
    if isinstance(result, Segmented):  # one block per segment: a (segment, cohort) index
        results = result.results
        table = pd.concat({s: r.table for s, r in results.items()}, names=["segment", "cohort"])
        first = next(iter(results.values()))
        table.attrs.update(
            metric=metric, period=period, as_of=first.grids.as_of.isoformat(),
            currency=activity.currency, mean=first.mean, segment=result.column,
            partial={(s, c): k for s, r in results.items() for c, k in r.partial.items()},
            average={s: None if r.average is None else r.average.tolist()
                     for s, r in results.items()},
            weighted_average={s: None if r.average is None or r.mean != "weighted"
                              else r.average.tolist() for s, r in results.items()},
            hidden_cohorts={s: r.hidden[0] for s, r in results.items()},
            **first.view, offsets=settings.offsets,
        )  # fmt: skip
        return cohort_frame(table, result)
    table = result.table
    table.attrs.update(
        metric=metric,
        period=period,
        as_of=result.grids.as_of.isoformat(),
        currency=activity.currency,
        partial=result.partial,
        mean=result.mean,
        **result.view,
        offsets=settings.offsets,
        average=None if result.average is None else result.average.tolist(),
        weighted_average=(
            None if result.average is None or result.mean != "weighted" else result.average.tolist()
        ),
        hidden_cohorts=result.hidden[0],
    )
    return cohort_frame(table, result)


def summary(
    frame: pd.DataFrame,
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
    period: str = "month",
    **options,
) -> pd.DataFrame:
    """The calendar-period figures of a transactions frame, the same numbers as ``retain
    summary`` (METRICS.md, "Calendar-period figures"): one row per period, columns as the
    command's CSV (a leading ``segment`` with ``segment=``), money in currency units, undefined
    figures NaN. Every input option of the command line is a keyword, as in ``cohort_matrix``.
    ``attrs`` holds ``period``, ``as_of`` and ``partial_period``.

    Example::

        >>> figures = retain.summary(orders, customer="customer_id", date="order_date")
    """
    settings = settings_of(customer=customer, date=date, amount=amount, period=period,
                           gross=True, **options)  # fmt: skip
    result = summary_of(frame_activity(frame, settings), settings)
    tables = [t.assign(segment=s) if s is not None else t for s, t in result.figures.items()]
    table = pd.concat(tables, ignore_index=True)
    if result.segment is not None:
        table = table[["segment", *[c for c in table.columns if c != "segment"]]]
    table.attrs.update(period=period, as_of=result.as_of.isoformat(),
                       partial_period=result.partial)  # fmt: skip
    return table


def report(
    frame: pd.DataFrame,
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
    period: str = "month",
    *,
    max_offset: int | None = None,
    min_cohort_size: int | None = None,
    **options,
) -> str:
    """The HTML page of ``retain report`` for a transactions frame: headline figures, heatmaps,
    curves, the figures by period, segments (``segment=``) and the data-quality notes. Every
    input option of the command line is a keyword, as in ``cohort_matrix``. Needs the plot
    extra (matplotlib).

    Example::

        >>> html = retain.report(orders, segment="channel")
        >>> pathlib.Path("report.html").write_text(html)
    """
    from retain.render import render
    from retain.views import html_report_view

    settings = settings_of(customer=customer, date=date, amount=amount, period=period,
                           gross=True, **options)  # fmt: skip
    content, meta = report_of(frame_activity(frame, settings), settings, "retain.report(...)",
                              max_offset=max_offset, min_cohort_size=min_cohort_size)  # fmt: skip
    return render(html_report_view(content, meta), "html")


SORTS = {"revenue": ("revenue", False), "last": ("last_activity", False),
         "orders": ("orders", False)}  # fmt: skip


def customers_list(
    activity: Activity, settings: Settings, *, churn_after: int = 3, cohort: str | None = None,
    offset: int | None = None, rolling: bool = False, status: str | None = None,
    sort: str | None = None, top: int | None = None,
) -> pd.DataFrame:  # fmt: skip
    """One row per customer with a cohort (``customer_table.customer_status``), sorted by id, or by
    ``sort`` (revenue, last activity or orders, largest first, then id), the first ``top``.
    ``cohort`` and ``offset`` keep the customers counted in that cell of the cohort matrix:
    active in the cohort's period + ``offset`` (``rolling``: in it or any later one);
    ``status`` keeps one status."""
    from retain.activity import period_label
    from retain.customer_table import STATUSES, customer_status

    if (offset is not None or rolling) and cohort is None:
        raise MetricError("an offset (or rolling) goes with a cohort")
    if status is not None and status not in STATUSES:
        raise MetricError(f"unknown status {status!r}; choose one of {', '.join(STATUSES)}")
    if sort is not None and sort not in SORTS:
        raise MetricError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}")
    if cohort is not None:  # a cell of the matrix: one that exists and is observed
        grids, _ = _grids(activity, settings)
        if cohort not in grids.labels:
            raise MetricError(
                f"no cohort {cohort!r}: the cohorts run from {grids.labels[0]} to "
                f"{grids.labels[-1]} (by {settings.period})"
            )
        row, k = grids.labels.index(cohort), offset or 0
        if k >= grids.observed.shape[1] or not grids.observed[row, k]:
            raise MetricError(
                f"offset {k} of cohort {cohort} begins after the as-of date {activity.as_of}: "
                "nobody can be counted there yet"
            )

    def rows(part: Part) -> pd.DataFrame:
        cohorted, _ = _cohorted(part, settings)
        if cohort is not None:
            cohorts = cohorted["cohort"].to_numpy(np.int64)
            labels = {period_label(int(c), settings.period, settings.week_start): int(c)
                      for c in np.unique(cohorts)}  # fmt: skip
            wanted = labels.get(cohort)
            codes, count = customer_codes(cohorted["customer"])
            offsets = cohorted["offset"].to_numpy(np.int64)
            active = cohorted["orders"].to_numpy() > 0
            hit = active & (cohorts == wanted)
            hit &= (offsets >= (offset or 0)) if rolling else (offsets == (offset or 0))
            chosen = np.zeros(count, dtype=bool)
            chosen[codes[hit]] = True
            cohorted = cohorted[chosen[codes]].reset_index(drop=True)
        if cohorted.empty:
            return pd.DataFrame()
        return customer_status(cohorted, activity.as_of, settings.period, settings.week_start,
                               churn_after)  # fmt: skip

    tables = [t for t in activity.fold(rows) if not t.empty]
    if not tables:
        return pd.DataFrame(columns=["customer", "cohort"])
    table = pd.concat(tables, ignore_index=True).sort_values("customer", ignore_index=True)
    if status is not None:
        table = table[table["status"] == status].reset_index(drop=True)
    if sort is not None:
        column, ascending = SORTS[sort]
        table = table.sort_values([column, "customer"], ascending=[ascending, True],
                                  kind="stable", ignore_index=True)  # fmt: skip
    return table.head(top) if top else table


def customers(
    frame: pd.DataFrame,
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
    period: str = "month",
    *,
    churn_after: int = 3,
    cohort: str | None = None,
    offset: int | None = None,
    rolling: bool = False,
    status: str | None = None,
    sort: str | None = None,
    top: int | None = None,
    **options,
) -> pd.DataFrame:
    """The customers of a transactions frame, the same rows as ``retain customers``: one per
    customer with a cohort (``customer_table.customer_status``), or with ``cohort`` and ``offset``
    the customers behind that cell of the cohort matrix. Input options as in
    ``cohort_matrix``.

    Example::

        >>> retain.customers(orders, cohort="2024-03", offset=2)
    """
    settings = settings_of(customer=customer, date=date, amount=amount, period=period,
                           gross=True, times=True, **options)  # fmt: skip
    return customers_list(frame_activity(frame, settings), settings, churn_after=churn_after,
                          cohort=cohort, offset=offset, rolling=rolling, status=status,
                          sort=sort, top=top)  # fmt: skip


@dataclass
class Threshold:
    """One check of ``retain check``: what was measured, its value (None: undefined), the bound
    and whether it holds."""

    name: str
    value: float | None
    bound: float
    minimum: bool  # the value must be at least the bound (else at most)
    unit: str = "rate"  # or "days"

    @property
    def holds(self) -> bool:
        if self.value is None or np.isnan(self.value):
            return False  # what cannot be measured cannot pass
        return self.value >= self.bound if self.minimum else self.value <= self.bound


def report_of(
    activity: Activity, settings: Settings, command: str = "", **view
) -> tuple[Report, dict]:
    """The figures of ``retain report`` from one read of the inputs: the retention and revenue
    retention matrices (``view``: max_offset, min_cohort_size, mean), the calendar-period
    figures of every customer and, with a segment, per segment; and the metadata its notes
    carry. The inputs are read with ``gross=True`` (the summary's AOV)."""
    metrics = ("retention", "revenue-retention") if amounts_read(activity.files) else ("retention",)
    (retention, *revenue), stats = cohort_results(activity, settings, metrics, **view)
    both = summary_of(activity, settings, total=True)
    figures = replace(both, figures={None: both.figures[None]}, segment=None)
    segments = None
    if settings.segment:
        segments = replace(both, figures={k: v for k, v in both.figures.items() if k is not None})
    messages = run_messages(activity, stats)
    report = Report(retention, revenue[0] if revenue else None, figures, segments, messages,
                    command)  # fmt: skip
    return report, cohort_meta(activity, stats)


def _day(date: dt.date) -> int:
    return (date - dt.date(1970, 1, 1)).days


def rfm_of(
    activity: Activity, settings: Settings, *, observation_end: dt.date | None = None,
    time_unit: str = "week", holdout: bool = False,
) -> tuple[pd.DataFrame, dt.date]:  # fmt: skip
    """The RFM summary (``metrics.rfm.rfm_rows``) of every customer with a purchase by the
    observation end (default: the as-of date), counted partition by partition from day cells
    (``activity`` read with ``period="day"``), sorted by id, with ``cohort`` (the label of the
    first purchase's ``settings.period``) and the first and last purchase days as ISO dates;
    ``holdout``: with the purchase days after the observation end up to the as-of date (when
    it ends before). Returns
    the summary and the observation end."""
    from retain.activity import period_label, period_ordinals
    from retain.metrics.rfm import rfm_rows

    end = observation_end or activity.as_of
    if end > activity.as_of:
        raise MetricError(f"the observation end {end.isoformat()} is after the as-of date "
                          f"{activity.as_of.isoformat()}: the data cannot reach it")  # fmt: skip
    last = _day(activity.as_of) if holdout and end < activity.as_of else None
    frames = activity.fold(lambda part: rfm_rows(activity_table([part]), _day(end), time_unit,
                                                 last))  # fmt: skip
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if rows.empty:
        raise MetricError(f"no customer has a purchase by {end.isoformat()}: nothing to model")
    rows = rows.sort_values("customer", ignore_index=True, kind="stable")
    if not amounts_read(activity.files):
        rows = rows.drop(columns=["monetary_value", "average_value"], errors="ignore")
    days = rows["first"].to_numpy("datetime64[D]")
    periods = period_ordinals(days, settings.period, settings.week_start)
    rows["cohort"] = [period_label(int(p), settings.period, settings.week_start)
                      for p in periods]  # fmt: skip
    for column, name in (("first", "first_purchase"), ("last", "last_purchase")):
        rows[name] = pd.Series(rows[column].to_numpy("datetime64[D]")).dt.strftime("%Y-%m-%d")
    return rows, end


def churn_of(
    activity: Activity, settings: Settings, *, observation_end: dt.date | None = None,
    time_unit: str = "week", holdout: bool = False,
):  # fmt: skip
    """The RFM summary (``rfm_of``) and the models fitted on it (``churn.fit_models``)."""
    from retain.churn import fit_models

    rows, end = rfm_of(activity, settings, observation_end=observation_end,
                       time_unit=time_unit, holdout=holdout)  # fmt: skip
    return rows, fit_models(rows, time_unit, end)


def model_of(
    activity: Activity, settings: Settings, *, time_unit: str = "week",
    observation_end: dt.date | None = None, holdout: dt.date | None = None,
):  # fmt: skip
    """``retain model``: the models fitted to the purchases up to the observation end or, with
    ``holdout``, before that day, and then the validation table of the purchases from it to
    the as-of date (``churn.holdout_table``). Returns a ``views.Fitted``."""
    from retain.churn import holdout_table
    from retain.metrics.rfm import UNIT_DAYS
    from retain.views import Fitted

    if holdout is None:
        return Fitted(churn_of(activity, settings, observation_end=observation_end,
                               time_unit=time_unit)[1])  # fmt: skip
    if observation_end is not None:
        raise MetricError("a holdout sets the observation end (the day before it): give one")
    if holdout > activity.as_of:
        raise MetricError(f"the holdout starts {holdout.isoformat()}, after the as-of date "
                          f"{activity.as_of.isoformat()}: no purchase to compare with")  # fmt: skip
    end = holdout - dt.timedelta(days=1)
    rows, model = churn_of(activity, settings, observation_end=end, time_unit=time_unit,
                           holdout=True)  # fmt: skip
    length = (activity.as_of - end).days / UNIT_DAYS[time_unit]
    return Fitted(model, holdout_table(rows, model, length), length)


def _day_frame(frame, customer, date, amount, period, options) -> tuple[Activity, Settings]:
    """A frame read into day cells for the RFM summary; ``period`` names the cohorts."""
    settings = settings_of(customer=customer, date=date, amount=amount, period=period, **options)
    return frame_activity(frame, replace(settings, period="day")), settings


def rfm(
    frame: pd.DataFrame, customer: str | None = None, date: str | None = None,
    amount: str | None = None, period: str = "month", *, observation_end=None,
    time_unit: str = "week", **options,
) -> pd.DataFrame:  # fmt: skip
    """The RFM summary of ``retain rfm`` for a transactions frame (``metrics.rfm``): one row
    per customer with a purchase by ``observation_end`` (a date or ISO text; default the as-of
    date), recency and T in ``time_unit``. Input options as in ``cohort_matrix``.

    Example::

        >>> retain.rfm(orders, observation_end="2024-09-30", time_unit="week")
    """
    from retain.views import RFM_COLUMNS

    activity, settings = _day_frame(frame, customer, date, amount, period, options)
    end = _date_of(observation_end)
    rows, _ = rfm_of(activity, settings, observation_end=end, time_unit=time_unit,
                     holdout=end is not None)  # fmt: skip
    return rows[[c for c in RFM_COLUMNS if c in rows]]


def at_risk(
    frame: pd.DataFrame, customer: str | None = None, date: str | None = None,
    amount: str | None = None, period: str = "month", *, observation_end=None,
    time_unit: str = "week", horizon: float | None = None, min_orders: int = 1,
    top: int | None = None, **options,
) -> pd.DataFrame:  # fmt: skip
    """The at-risk list of ``retain at-risk`` for a transactions frame (``churn.at_risk``);
    ``attrs`` holds the fitted models as the JSON output carries them (``model``,
    ``spend_model``) and the ``horizon``. Input options as in ``cohort_matrix``.

    Example::

        >>> top = retain.at_risk(orders, top=20, min_orders=2)
        >>> top.attrs["model"]["converged"]
    """
    from retain.churn import YEAR
    from retain.churn import at_risk as rank

    activity, settings = _day_frame(frame, customer, date, amount, period, options)
    rows, model = churn_of(activity, settings, observation_end=_date_of(observation_end),
                           time_unit=time_unit)  # fmt: skip
    horizon = horizon or YEAR[time_unit]
    table = rank(rows, model, horizon, min_orders=min_orders, top=top)
    table.attrs.update(model.meta(), horizon=horizon)
    return table


def churn_model(
    frame: pd.DataFrame, customer: str | None = None, date: str | None = None,
    amount: str | None = None, period: str = "month", *, observation_end=None,
    time_unit: str = "week", holdout=None, **options,
):  # fmt: skip
    """``retain model`` for a transactions frame: a ``views.Fitted`` with the fitted models
    (``.model``: BG/NBD ``.fit``, Gamma-Gamma ``.spend``, ``.meta()``) and, with ``holdout`` (a
    date or ISO text), the validation table ``.holdout``. Input options as in
    ``cohort_matrix``.

    Example::

        >>> fitted = retain.churn_model(orders, holdout="2024-10-01")
        >>> fitted.holdout
    """
    activity, settings = _day_frame(frame, customer, date, amount, period, options)
    end, start = _date_of(observation_end), _date_of(holdout)
    return model_of(activity, settings, time_unit=time_unit, observation_end=end, holdout=start)


def _date_of(value) -> dt.date | None:
    return None if value is None else pd.Timestamp(value).date()


def check_thresholds(
    activity: Activity, settings: Settings, *, min_retention: float | None = None,
    at: int = 1, cohorts: int | None = None, min_nrr: float | None = None,
    max_churn: float | None = None,
) -> list[Threshold]:  # fmt: skip
    """The thresholds of ``retain check``: retention at offset ``at`` as the weighted average of
    the complete cells (METRICS.md, weighted average row), over the last ``cohorts`` cohorts
    whose cell at ``at`` is complete (None: all); NRR and customer churn rate of the last
    complete period (METRICS.md, Calendar-period figures)."""
    checks = []
    if min_retention is not None:
        grids, _ = _grids(activity, settings)
        complete = grids.observed & ~grids.partial
        rows = np.flatnonzero(complete[:, at]) if at < complete.shape[1] else np.array([], int)
        if cohorts is not None:
            rows = rows[-cohorts:]
        size = grids.sizes[rows].sum()
        value = grids.active[rows, at].sum() / size if size else None
        scope = f"last {cohorts} cohorts" if cohorts is not None else "all cohorts"
        checks.append(Threshold(f"retention at offset {at} ({scope} with a complete cell, "
                                "weighted)", value, min_retention, True))  # fmt: skip
    if min_nrr is not None or max_churn is not None:
        figures = summary_of(activity, replace(settings, gross=True))
        from retain.metrics.summary import last_complete

        last, _ = last_complete(figures.figures[next(iter(figures.figures))], figures.partial)
        label = "" if last is None else f" ({last['period']}, the last complete period)"
        if min_nrr is not None:
            value = None if last is None else float(last["nrr"])
            checks.append(Threshold(f"NRR{label}", value, min_nrr, True))
        if max_churn is not None:
            value = None if last is None else float(last["churn_rate"])
            checks.append(Threshold(f"churn rate{label}", value, max_churn, False))
    if activity.newest is not None and (activity.as_of - activity.newest).days >= STALE_DAYS:
        checks.append(Threshold(
            f"data freshness: days from the newest row ({activity.newest.isoformat()}) to the "
            f"as-of date", (activity.as_of - activity.newest).days, STALE_DAYS - 1, False,
            "days"))  # fmt: skip
    return checks
