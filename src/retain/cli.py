"""The `retain` command line: thin click commands over the library.

The only module that imports click. Library errors become one line on stderr and exit 1; bad
flag values are usage errors (exit 2); Ctrl-C exits 130. pandas loads only when a command runs.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sys
import traceback

import click

PERIODS = ("day", "week", "month", "quarter", "year")
METRICS = ("retention", "churn", "revenue", "revenue-retention")
FORMATS = ("table", "csv", "json", "markdown")


def _iso_date(ctx, param, value):
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD") from None


def _timezone(ctx, param, value):
    if value is None:
        return None
    from retain.normalize import check_timezone

    try:
        return check_timezone(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _fail(message: str, debug: bool, code: int = 1):
    if debug:
        traceback.print_exc()
    click.echo(f"retain: error: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="retain")
def cli():
    """Cohort retention, churn and revenue from transaction files."""


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--customer", metavar="COL", help="Column with the customer id [detected].")
@click.option("--date", metavar="COL", help="Column with the order date [detected].")
@click.option("--amount", metavar="COL", help="Column with the amount [detected; optional].")
@click.option(
    "--period",
    type=click.Choice(PERIODS),
    default="month",
    show_default=True,
    help="Length of a cohort and of an offset.",
)
@click.option(
    "--week-start",
    type=click.Choice(("monday", "sunday")),
    default="monday",
    show_default=True,
    help="First day of a week (monday: ISO weeks).",
)
@click.option(
    "--metric",
    type=click.Choice(METRICS),
    default="retention",
    show_default=True,
    help="What each cell shows.",
)
@click.option(
    "--counts",
    is_flag=True,
    help="Customer counts instead of rates (retention: active, churn: gone).",
)
@click.option(
    "--as-of",
    callback=_iso_date,
    metavar="YYYY-MM-DD",
    help="Last date the data covers [latest date in the data]; later rows are skipped.",
)
@click.option(
    "--tz",
    callback=_timezone,
    metavar="ZONE",
    help="Reporting time zone for timestamps with an offset [UTC].",
)
@click.option("--dayfirst", is_flag=True, help="Read 03/04/2024 as 3 April.")
@click.option("--date-format", metavar="FMT", help="strftime pattern of the dates, e.g. %d.%m.%Y.")
@click.option("--encoding", metavar="ENC", help="Text encoding of the files [UTF-8].")
@click.option(
    "--on-bad-rows",
    type=click.Choice(("fail", "skip")),
    default="fail",
    show_default=True,
    help="Rows with an empty customer, bad date or bad amount: stop, or skip and count.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format [table; with -o, from its extension].",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    help="Write to this file (atomically) instead of stdout.",
)
@click.option("--debug", is_flag=True, help="Show a traceback on errors.")
def cohort(files, customer, date, amount, period, week_start, metric, counts, as_of, tz,
           dayfirst, date_format, encoding, on_bad_rows, fmt, output, debug):  # fmt: skip
    """Cohort matrix of FILES (CSV, TSV, compressed or Parquet; - for stdin).

    Each customer joins the cohort of their first order's period; each cell shows the metric for
    a cohort N periods later.

    \b
    Example:
        retain cohort orders.csv
        retain cohort orders.csv --period week --metric revenue -o weekly.csv
    """
    from retain.render import format_for_path

    if output and fmt is None:
        fmt = format_for_path(output)
        if fmt is None:
            raise click.BadParameter(
                f"cannot tell the format from {output!r}; pass --format", param_hint="-o"
            )
    if counts and metric not in ("retention", "churn"):
        raise click.BadParameter("--counts goes with --metric retention or churn",
                                 param_hint="--counts")  # fmt: skip
    try:
        _cohort(files, output, fmt or "table", counts, metric, encoding, locals())
    except KeyboardInterrupt:
        _fail("interrupted", debug, 130)
    except Exception as exc:
        from retain.errors import RetainError

        if not isinstance(exc, RetainError | OSError):
            _fail(
                f"unexpected {type(exc).__name__}: {exc}; rerun with --debug and report it", debug
            )
        _fail(str(exc), debug)


def _cohort(files, output, fmt, counts, metric, encoding, options):
    from retain.io import expand_paths
    from retain.normalize import DateOptions
    from retain.pipeline import Settings, cohorts_of, read_activity
    from retain.render import render, write_atomic

    paths = expand_paths(list(files))
    if output:
        _refuse_input(output, paths)
    settings = Settings(
        options["customer"], options["date"], options["amount"],
        DateOptions(options["date_format"], options["dayfirst"], options["tz"]),
        options["on_bad_rows"], options["period"], options["week_start"], options["as_of"],
    )  # fmt: skip
    activity = read_activity(paths, settings, encoding)
    result, stats = cohorts_of(activity, settings, metric, counts)
    _report_skipped(activity.counts)
    meta = {
        "files": activity.files,
        "rows": {
            "read": activity.counts.read,
            "used": activity.counts.used,
            "skipped": dict(sorted(activity.counts.skipped.items())),
        },
        "refund_only_customers": stats.refund_only_customers,
        "refunds_before_first_order": stats.pre_cohort_periods,
    }
    text = render(result, fmt, meta)
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)


def _refuse_input(output: str, paths: list[str]) -> None:
    from retain.errors import InputError

    for path in paths:
        if path != "-" and os.path.exists(output) and os.path.samefile(output, path):
            raise InputError(f"{output}: is one of the input files; choose another -o path")


def _report_skipped(counts) -> None:
    from retain.normalize import SKIP_REASONS

    if counts.skipped:
        parts = "; ".join(
            f"{n:,} with {SKIP_REASONS[reason]}" for reason, n in sorted(counts.skipped.items())
        )
        skipped = counts.read - counts.used
        click.echo(f"retain: skipped {skipped:,} of {counts.read:,} rows: {parts}", err=True)


def main():
    if hasattr(signal, "SIGPIPE"):  # `retain cohort big.csv | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    cli()
