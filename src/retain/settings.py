"""Settings: one field per input option (the Python API's keywords, the CLI's flags), and the
plan of one input, decided once from its header."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from retain.errors import ColumnError
from retain.normalize import DateOptions, Plan, detect_columns
from retain.normalize.select import (
    Condition,
    currency_column,
    require_column,
    resolve,
    status_columns,
)
from retain.sources.layouts import detect

FUTURE_SLACK = dt.timedelta(days=1)  # time zones: "today" somewhere may be tomorrow here
# Rows per batch (None: each input in one batch). Measured on 10M rows with two threads:
# 400K-1M-row batches take 0.7x the time of one batch (benchmarks/README.md).
CHUNKSIZE = 500_000


@dataclass(frozen=True)
class Settings:
    """Everything that turns rows into an activity table: one field per input option."""

    customer: str | None = None
    date: str | None = None
    amount: str | None = None
    dates: DateOptions = DateOptions()
    on_bad_rows: str = "fail"
    period: str = "month"
    week_start: str = "monday"
    as_of: dt.date | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    dedupe: bool = False
    decimal: str = "."
    encoding: str | None = None
    delimiter: str | None = None
    today: dt.date | None = None  # the run date, for future dates; None: the machine's date
    where: tuple[str, ...] = ()
    refunded: str | None = None
    currency: str | None = None
    currency_column: str | None = None
    layout: str = "auto"
    names: tuple[str, ...] | None = None
    case_sensitive_ids: bool = False
    chunksize: int | None = CHUNKSIZE  # rows per batch; None: each input in one batch
    threads: int | None = None  # workers of the local engine; None: one per core
    engine: str = "local"  # where the batches run: "local" (threads) or "dask"
    scheduler: str | None = None  # a Dask scheduler's address; None: a local cluster
    memory_limit: int | None = None  # bytes of cells held before they spill; None: 1 GiB
    segment: str | None = None  # a column: one matrix per value, by each first activity
    signup: str | None = None  # a column of signup dates or months: the cohort, when given
    start_where: tuple[str, ...] = ()  # rows that start a cohort (the first one does)
    return_where: tuple[str, ...] = ()  # rows that count as activity after the start
    offsets: str = "calendar"  # "calendar" periods, or "relative" windows from a first activity
    customers: str | None = None  # a customers table: id, signup date, attributes
    gross: bool = False  # keep the revenue of orders alone per cell (retain summary's AOV)
    times: bool = False  # keep each cell's first and last active times (retain customers)

    def cell_period(self) -> str:
        """The period the engine's cells are kept by: days for windows from a first activity."""
        return "day" if self.offsets == "relative" else self.period

    def plain_values(self) -> bool:
        """Whether dates and amounts read as their defaults: ISO dates kept as written, numbers
        with a decimal point. Then pyarrow may parse them as it reads."""
        return self.dates == DateOptions() and self.decimal == "."

    def future_after(self) -> dt.date | None:
        """Dates after this one are in the future, unless --as-of or --until cuts the data."""
        if self.as_of is not None or self.until is not None:
            return None
        return (self.today or dt.date.today()) + FUTURE_SLACK

    def last_day(self) -> dt.date | None:
        """The as-of date the options set: --as-of, at most --until."""
        days = [d for d in (self.as_of, self.until) if d is not None]
        return min(days) if days else None


def plan_input(name: str, header: list[str], settings: Settings) -> Plan:
    """How to read one input, decided once from its header: the export layout, then the
    columns (flags first, then the layout's, then names), conditions and currency column."""
    layout = detect(name, header, settings.layout)
    customer, date, amount, refunded = (
        settings.customer, settings.date, settings.amount, settings.refunded,
    )  # fmt: skip
    fallbacks: tuple[str, ...] = ()
    exclude: dict[str, tuple[str, ...]] = {}
    line_items = None
    conditions = resolve(name, header, [Condition.parse(w) for w in settings.where])
    starts = resolve(name, header, [Condition.parse(w) for w in settings.start_where],
                     "start-where")  # fmt: skip
    returns = resolve(name, header, [Condition.parse(w) for w in settings.return_where],
                      "return-where")  # fmt: skip
    if returns and not starts:
        raise ColumnError(
            "return conditions (--return-where) need start conditions (--start-where)"
        )
    if starts and settings.signup:
        raise ColumnError("start conditions and a signup column are two cohort definitions: "
                          "choose one")  # fmt: skip
    if layout is not None:
        if customer is None:
            found = [c for c in (layout.column(header, c) for c in layout.customer) if c]
            customer, fallbacks = (found[0], tuple(found[1:])) if found else (None, ())
        date = date or layout.column(header, layout.date)
        pairs = [(layout.column(header, a), layout.column(header, r)) for a, r in layout.amounts]
        if amount is None:
            amount, paired = next(((a, r) for a, r in pairs if a), (None, None))
        else:
            paired = next((r for a, r in pairs if a and a.lower() == amount.lower()), None)
        refunded = refunded if refunded is not None else paired
        where_columns = {c.column for c in conditions}
        for column, values in layout.exclude.items():
            found = layout.column(header, column)
            if found and found not in where_columns:
                exclude[found] = tuple(v.lower() for v in values)
        if layout.line_items:
            found = [layout.column(header, c) for c in layout.line_items]
            line_items = tuple(found) if all(found) else None
    no_amount = amount is not None and amount.lower() == "none"  # --amount none: no money
    columns = detect_columns(name, header, customer, date, None if no_amount else amount)
    if no_amount:
        columns = replace(columns, amount=None)
        refunded = None
    refunded = require_column(name, header, refunded, "refunded")
    segment, signup = settings.segment, settings.signup
    if settings.customers:  # these columns may be the customers table's instead
        segment, signup = (c if c and c.lower() in map(str.lower, header) else None
                           for c in (segment, signup))  # fmt: skip
    segment = require_column(name, header, segment, "segment")
    signup = require_column(name, header, signup, "signup")
    if settings.currency_column is not None:
        currency = require_column(name, header, settings.currency_column, "currency-column")
    else:
        currency = currency_column(header, columns.amount)
    used = {c.column for c in conditions} | set(exclude) | set(line_items or ())
    return Plan(
        columns, fallbacks, refunded, currency, tuple(conditions), tuple(exclude.items()),
        line_items, tuple(status_columns(header, used)), layout.name if layout else None,
        segment, signup, tuple(starts), tuple(returns),
    )  # fmt: skip


SIZE_UNITS = {"": 1, "b": 1, "k": 1 << 10, "kb": 1000, "kib": 1 << 10, "m": 1 << 20,
              "mb": 1000**2, "mib": 1 << 20, "g": 1 << 30, "gb": 1000**3,
              "gib": 1 << 30}  # fmt: skip


def parse_size(text: str | int) -> int:
    """Bytes of a size such as ``512MiB``, ``2G`` or ``1.5GB`` (K, M, G alone are binary)."""
    if isinstance(text, int):
        return text
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in SIZE_UNITS:
        raise ValueError(f"{text!r} is not a size; write it like 512MiB, 2G or 1.5GB")
    return int(float(match.group(1)) * SIZE_UNITS[match.group(2).lower()])


OPTIONS = {f for f in Settings.__dataclass_fields__ if f not in ("dates", "today")}
DATE_OPTIONS = {"date_format": "format", "dayfirst": "dayfirst", "tz": "tz", "input_tz": "input_tz"}


def settings_of(**options) -> Settings:
    """Settings from the keywords of the Python API, which are the CLI's options."""
    unknown = set(options) - OPTIONS - set(DATE_OPTIONS)
    if unknown:
        raise TypeError(f"unknown option {sorted(unknown)[0]!r}")
    dates = DateOptions(
        **{DATE_OPTIONS[k]: options.pop(k) for k in list(options) if k in DATE_OPTIONS}
    )
    for name in ("as_of", "since", "until"):
        if isinstance(options.get(name), str):
            options[name] = dt.date.fromisoformat(options[name])
    if options.get("memory_limit") is not None:
        options["memory_limit"] = parse_size(options["memory_limit"])
    for name in ("where", "names", "start_where", "return_where"):
        if isinstance(options.get(name), str):
            options[name] = (options[name],)
        elif options.get(name) is not None:
            options[name] = tuple(options[name])
    return Settings(dates=dates, **options)


def read_config(path: str) -> dict:
    """A config file (TOML): top-level keys are defaults for every command that has the option,
    ``[cohort]``-style tables for one command; option names as on the command line, without
    the dashes (``table-style`` or ``table_style``). Checked against the commands by the CLI."""
    import tomllib

    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
