"""The `retain` command line: thin click commands over the library.

The only module that imports click. Library errors become one line on stderr and exit 1; bad
flag values are usage errors (exit 2); Ctrl-C exits 130. pandas loads only when a command runs.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import signal
import sys
import traceback

import click

from retain.output import BINARY, FORMATS
from retain.sources.layouts import NAMES as LAYOUTS

PERIODS = ("day", "week", "month", "quarter", "year")
METRICS = ("retention", "churn", "revenue", "revenue-retention", "ltv", "orders", "repeat")
MEANS = ("weighted", "simple", "none")
TABLE_STYLES = (
    "asciidoc",
    "colon_grid",
    "double_grid",
    "double_outline",
    "fancy_grid",
    "fancy_outline",
    "github",
    "grid",
    "heavy_grid",
    "heavy_outline",
    "html",
    "jira",
    "latex",
    "latex_booktabs",
    "latex_longtable",
    "latex_raw",
    "mediawiki",
    "mixed_grid",
    "mixed_outline",
    "moinmoin",
    "orgtbl",
    "outline",
    "pipe",
    "plain",
    "presto",
    "pretty",
    "psql",
    "rounded_grid",
    "rounded_outline",
    "rst",
    "simple",
    "simple_grid",
    "simple_outline",
    "textile",
    "tsv",
    "unsafehtml",
    "youtrack",
)  # tabulate's formats
DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\\t": "\t", "\t": "\t", "|": "|",
              "whitespace": "whitespace"}  # fmt: skip


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


def _conditions(ctx, param, values):
    from retain.normalize.select import Condition

    for value in values:
        try:
            Condition.parse(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
    return tuple(values)


def _delimiter(ctx, param, value):
    if value is None:
        return None
    if value not in DELIMITERS:
        raise click.BadParameter(f"{value!r} is not one of , ; tab | whitespace")
    return DELIMITERS[value]


def _names(ctx, param, value):
    if value is None:
        return None
    names = tuple(n.strip() for n in value.split(","))
    if not all(names) or len(set(names)) < len(names):
        raise click.BadParameter(f"{value!r}: give each column a distinct name, comma-separated")
    return names


def _size(ctx, param, value):
    if value is None:
        return None
    from retain.settings import parse_size

    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _brackets(ctx, param, value):
    if value is None:
        return None
    from retain.errors import MetricError
    from retain.metrics import parse_brackets

    try:
        return parse_brackets(value)
    except MetricError as exc:
        raise click.BadParameter(str(exc)) from None


def _date_format(ctx, param, value):
    """A strftime pattern that strptime can read back: ``%Q`` or a lone ``%`` is a usage error."""
    if value is None:
        return None
    sample = dt.datetime(2024, 1, 5, 13, 4, 5, 123456, tzinfo=dt.UTC)
    try:
        dt.datetime.strptime(sample.strftime(value), value)
    except ValueError as exc:  # 'Q' is a bad directive in format '%Q'; stray % in format '%'
        raise click.BadParameter(str(exc)) from None
    return value


def _fail(message: str, debug: bool, code: int = 1):
    if debug:
        traceback.print_exc()
    click.echo(f"retain: error: {message}", err=True)
    sys.exit(code)


def _decorated(command, decorators):
    """``command`` under ``decorators``, the first of them outermost (as written above it)."""
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


def _flags(command: click.Command) -> dict[str, str]:
    """An option's name on the command line (``table-style``) -> its parameter (``table_style``)."""
    return {
        flag[2:]: param.name
        for param in command.params
        if isinstance(param, click.Option)
        for flag in param.opts
        if flag.startswith("--")
    }


def _convert(ctx, option: click.Option, value):
    """``value`` as the option's flag would give it (its type, then its callback)."""
    value = option.type_cast_value(ctx, value)
    return option.callback(ctx, option, value) if option.callback else value


def _takes(command: click.Command, name: str, value) -> bool:
    """Whether ``command`` has the option ``--name`` and takes ``value`` for it."""
    flags = _flags(command)
    if name not in flags:
        return False
    option = next(p for p in command.params if p.name == flags[name])
    try:
        _convert(click.Context(command), option, value)
    except click.BadParameter:
        return False
    return True


def _config(ctx, param, path):
    """--config FILE (or RETAIN_CONFIG): the file's values become the command's defaults, so
    that environment variables and flags override them (click: flag > envvar > default_map)."""
    if path is None:
        return None
    from retain.settings import read_config

    try:
        table = read_config(path)
    except OSError as exc:
        raise click.BadParameter(f"{path}: {exc.strerror}") from None
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    commands = dict(_commands())
    known = {name for command in commands.values() for name in _flags(command)}
    mine = _flags(ctx.command)
    params = {p.name: p for p in ctx.command.params}

    def suits(name: str, value, where: str, strict: bool) -> bool:
        """Whether this command's option takes ``value`` as its flag would; a value it refuses
        is an error naming the file and key, or, for a top-level key (``strict`` False) that
        another command takes, left to that command (``format = "csv"`` and inspect)."""
        try:
            _convert(ctx, params[mine[name]], value)
        except click.BadParameter as exc:
            if not strict and any(_takes(c, name, value) for c in commands.values()):
                return False
            raise click.BadParameter(f"{path}: {where}{name} = {value!r}: {exc.message}") from None
        return True

    def value_of(name: str, value):
        option = params.get(mine.get(name))
        return (
            [value] if option is not None and option.multiple and isinstance(value, str) else value
        )

    tables, defaults = [], {}
    for key, value in table.items():
        if isinstance(value, dict) and isinstance(cli.commands.get(key), click.Group):
            tables += [(f"{key}.{sub}", sub, t) for sub, t in value.items()]  # [plot.curves]
        elif isinstance(value, dict):
            tables.append((key, key, value))
        else:
            name = key.replace("_", "-")
            if name not in known or name == "config":
                raise click.BadParameter(f"{path}: {key!r} is not an option of any retain command")
            if name in mine and suits(name, value_of(name, value), "", strict=False):
                defaults[mine[name]] = value_of(name, value)
    for where, key, values in tables:
        if key not in commands or not isinstance(values, dict):
            raise click.BadParameter(f"{path}: [{where}] is not a command of retain")
        for name in values:
            if name.replace("_", "-") not in _flags(commands[key]):
                raise click.BadParameter(f"{path}: [{where}] has no option {name!r}")
        if key == ctx.info_name:
            for name, value in values.items():
                name = name.replace("_", "-")
                suits(name, value_of(name, value), f"[{where}] ", strict=True)
                defaults[mine[name]] = value_of(name, value)
    ctx.default_map = {**(ctx.default_map or {}), **defaults}
    return path


def input_options(command):
    """The options that say how to read the files: shared by every command."""
    options = [
        click.argument("files", nargs=-1, required=True),
        click.option("--config", metavar="FILE", is_eager=True, expose_value=False,
                     callback=_config,
                     help="TOML file of option defaults (flags > RETAIN_* variables > config "
                          "> defaults)."),
        click.option("--customer", metavar="COL", help="Column with the customer id [detected]."),
        click.option("--date", metavar="COL", help="Column with the order date [detected]."),
        click.option("--amount", metavar="COL",
                     help="Column with the amount [detected]; none: no amounts (every row is "
                          "activity)."),
        click.option("--period", type=click.Choice(PERIODS), default="month", show_default=True,
                     help="Length of a cohort and of an offset."),
        click.option("--week-start", type=click.Choice(("monday", "sunday")), default="monday",
                     show_default=True, help="First day of a week (monday: ISO weeks)."),
        click.option("--as-of", callback=_iso_date, metavar="YYYY-MM-DD",
                     help="Last date the data covers [latest in the data]; later rows skip."),
        click.option("--since", callback=_iso_date, metavar="YYYY-MM-DD",
                     help="Show the cohorts starting on or after this day (earlier rows still "
                          "decide who is new)."),
        click.option("--until", callback=_iso_date, metavar="YYYY-MM-DD",
                     help="End the data at this day: later rows skip."),
        click.option("--where", multiple=True, callback=_conditions, metavar="EXPR",
                     help="Keep rows where COL=VALUE (repeat: any of), COL!=VALUE (none of), "
                          "COL~REGEX; repeatable, columns combine with AND."),
        click.option("--refunded", metavar="COL",
                     help="Column with a refunded amount, subtracted from the amount."),
        click.option("--currency", metavar="CODE",
                     help="Keep the rows in this currency (others skip and count)."),
        click.option("--currency-column", metavar="COL",
                     help="Column with the amount's currency [detected]."),
        click.option("--layout", type=click.Choice(LAYOUTS), default="auto", show_default=True,
                     help="Export layout of a known system (detected from the header)."),
        click.option("--tz", callback=_timezone, metavar="ZONE",
                     help="Convert timestamps to this zone [times as written]."),
        click.option("--input-tz", callback=_timezone, metavar="ZONE",
                     help="Zone in which timestamps without an offset were written."),
        click.option("--dayfirst", is_flag=True, default=None,
                     help="Read 03/04/2024 as 3 April [decided from the values]."),
        click.option("--date-format", callback=_date_format, metavar="FMT",
                     help="strftime pattern of the dates, e.g. %d.%m.%Y."),
        click.option("--decimal", type=click.Choice((".", ",")), default=".", show_default=True,
                     help="Decimal mark of the amounts (with ',', 1.234,56 is 1234.56)."),
        click.option("--delimiter", callback=_delimiter, metavar="SEP",
                     help="Field delimiter: , ; | tab or whitespace [detected]."),
        click.option("--names", callback=_names, metavar="A,B,...",
                     help="Column names of a file without a header row."),
        click.option("--encoding", metavar="ENC",
                     help="Text encoding [UTF-8; else GB18030 or cp1252, detected]."),
        click.option("--chunksize", type=click.IntRange(min=1), default=500_000,
                     show_default=True, metavar="ROWS",
                     help="Rows per batch: batches are read and reduced on every core."),
        click.option("--memory-limit", callback=_size, metavar="SIZE",
                     help="Memory for the batches' partial tables before they spill to disk "
                          "($TMPDIR), e.g. 512MiB [1GiB]."),
        click.option("--engine", type=click.Choice(("local", "dask")),
                     help="Run the batches on this machine's cores, or on a Dask cluster "
                          "[local; dask with --scheduler]."),
        click.option("--scheduler", metavar="ADDRESS",
                     help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --engine dask) "
                          "[a local cluster]."),
        click.option("--case-sensitive-ids/--no-case-sensitive-ids", default=False,
                     help="Compare email ids as written (default: lower-cased)."),
        click.option("--customers", metavar="FILE",
                     help="A customers table (id, signup date, attributes) joined on the id: "
                          "its customers alone, those without orders included."),
        click.option("--signup", metavar="COL",
                     help="Cohorts by signup: a column of ISO dates or months (a customer's "
                          "earliest wins)."),
        click.option("--start-where", multiple=True, callback=_conditions, metavar="EXPR",
                     help="Rows that start a cohort (the first one; syntax of --where): the "
                          "start is activity in its own period."),
        click.option("--return-where", multiple=True, callback=_conditions, metavar="EXPR",
                     help="Rows that count as activity after the start [every row]."),
        click.option("--segment", metavar="COL",
                     help="One matrix per value of COL (e.g. channel), by each customer's first "
                          "activity."),
        click.option("--dedupe/--no-dedupe", default=False,
                     help="Skip rows equal in every column to an earlier row."),
        click.option("--on-bad-rows", type=click.Choice(("fail", "skip")), default="fail",
                     show_default=True,
                     help="Bad customer, date, amount or field count: stop, or skip and count."),
        click.option("--debug", is_flag=True, help="Show a traceback on errors."),
    ]  # fmt: skip
    command = _decorated(command, options)

    @functools.wraps(command)
    def guarded(**kwargs):
        try:
            return command(**kwargs)
        except (click.ClickException, click.exceptions.Exit):  # usage errors, exit codes
            raise
        except Exception as exc:
            from retain.errors import RetainError

            if isinstance(exc, RetainError | OSError):
                _fail(str(exc), kwargs["debug"])
            _fail(
                f"unexpected {type(exc).__name__}: {exc}; rerun with --debug and report it",
                kwargs["debug"],
            )

    return guarded


def _settings(options: dict):
    from retain.normalize.dates import DateOptions
    from retain.settings import Settings

    dates = ("date_format", "dayfirst", "tz", "input_tz")
    settings = {k: v for k, v in options.items() if k not in (*dates, "debug")}
    if settings["return_where"] and not settings["start_where"]:
        raise click.BadParameter("--return-where goes with --start-where",
                                 param_hint="--return-where")  # fmt: skip
    if settings["start_where"] and settings["signup"]:
        raise click.BadParameter("--start-where and --signup are two cohort definitions: "
                                 "choose one", param_hint="--start-where")  # fmt: skip
    if settings["scheduler"] and settings["engine"] == "local":
        raise click.BadParameter("--scheduler runs on a Dask cluster: drop --engine local",
                                 param_hint="--scheduler")  # fmt: skip
    settings["engine"] = settings["engine"] or ("dask" if settings["scheduler"] else "local")
    return Settings(
        dates=DateOptions(options["date_format"], options["dayfirst"], options["tz"],
                          options["input_tz"]),
        **settings,
    )  # fmt: skip


def _paths(files, output=None) -> list[str]:
    from retain.errors import InputError
    from retain.sources.files import expand_paths

    paths = expand_paths(list(files))
    if output and os.path.exists(output):
        for path in paths:
            if path != "-" and os.path.exists(path) and os.path.samefile(output, path):
                raise InputError(f"{output}: is one of the input files; choose another -o path")
    return paths


@contextlib.contextmanager
def _progress():
    """A progress bar on stderr while the inputs are read (bytes, rows, rate), then "merging"
    until the matrix is counted, when stderr is a terminal; nothing otherwise, so cron jobs and
    pipes see no bar. A terminal that reports no width gets 80 columns."""
    if not sys.stderr.isatty():
        yield None
        return
    import shutil

    from tqdm import tqdm

    width = None if shutil.get_terminal_size((0, 0)).columns else 80
    with tqdm(total=0, unit="B", unit_scale=True, unit_divisor=1024, leave=False,
              desc="reading", file=sys.stderr, ncols=width) as bar:  # fmt: skip

        def update(done: int, total: int, rows: int) -> None:
            bar.total = total
            bar.set_postfix_str(f"{rows:,} rows", refresh=False)
            bar.update(done - bar.n)
            if done >= total:
                bar.set_description("merging")

        yield update


def output_options(command):
    """The options that say how to show a result: shared by cohort, summary and customers."""
    options = [
        click.option("--format", "fmt", type=click.Choice(FORMATS),
                     help="Output format [table; with -o, from its extension]."),
        click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
                     help="Write to this file (atomically) instead of stdout."),
        click.option("--table-style", type=click.Choice(TABLE_STYLES), default="simple",
                     show_default=True, help="Table format of the table output (tabulate's)."),
        click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto",
                     show_default=True,
                     help="Heatmap colours in the table: auto is on a terminal without "
                          "NO_COLOR set."),
    ]  # fmt: skip
    return _decorated(command, options)


def _output_format(fmt: str | None, output: str | None) -> str | None:
    """The format asked for, or the one of -o's extension; checked before any input is read."""
    from retain.output import format_for_path

    if output and fmt is None:
        fmt = format_for_path(output)
        if fmt is None:
            raise click.BadParameter(
                f"cannot tell the format from {output!r}; pass --format", param_hint="-o"
            )
    if fmt in BINARY and not output and sys.stdout.isatty():
        raise click.BadParameter(f"{fmt} is binary: write it to a file with -o FILE.{fmt}",
                                 param_hint="--format")  # fmt: skip
    return fmt


def _colors(color: str, fmt: str | None, output: str | None) -> str | None:
    """Heatmap colours for the table output: "truecolor", "256" or None. auto colours a
    terminal's stdout unless NO_COLOR is set (no-color.org) or TERM is dumb; always colours
    regardless. 24-bit colour where COLORTERM says so, else xterm's 256."""
    if color == "never" or (fmt or "table") != "table":
        return None
    if color == "auto" and (
        output or os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb"
        or not sys.stdout.isatty()
    ):  # fmt: skip
        return None
    return "truecolor" if os.environ.get("COLORTERM") in ("truecolor", "24bit") else "256"


def _show(view, fmt: str | None, table_style: str, color: str, output: str | None) -> None:
    """Render a view (``views.View``) in its format and style, to stdout or -o atomically."""
    from retain.render import render

    view.style = table_style
    view.color = _colors(color, fmt, output)
    _emit(render(view, fmt or "table"), output, colored=view.color is not None)


def _emit(text: str | bytes, output: str | None, colored: bool = False) -> None:
    from retain.output import write_atomic

    if output:
        write_atomic(output, text)
    elif isinstance(text, bytes):
        sys.stdout.buffer.write(text)
        sys.stdout.buffer.flush()
    else:
        click.echo(text, nl=False, color=colored or None)  # click strips colours off a pipe


class _Retain(click.Group):
    def parse_args(self, ctx, args):
        ctx.meta["argv"] = list(args)  # the command line as given, for the report's footer
        return super().parse_args(ctx, args)


@click.group(cls=_Retain, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="retain", prog_name="retain")
def cli():
    """Cohort retention, churn and revenue from transaction files."""


def view_options(command):
    """The options that say what a cohort matrix shows: shared by cohort and plot."""
    options = [
        click.option("--metric", type=click.Choice(METRICS), default="retention",
                     show_default=True, help="What each cell shows."),
        click.option("--counts/--no-counts", default=False,
                     help="Customer counts instead of rates (retention: active, churn: gone, "
                          "repeat: 2+ orders)."),
        click.option("--rolling/--no-rolling", default=False,
                     help="Rolling retention: active in period k or any later one (churn: gone "
                          "for good)."),
        click.option("--relative", type=click.Choice(("first", "previous")), default="first",
                     show_default=True,
                     help="Each cell as a share of offset 0, or of the cohort's previous "
                          "offset."),
        click.option("--mean", type=click.Choice(MEANS), default="weighted", show_default=True,
                     help="Average row: ratio of sums, mean of the cohorts' rates, or none."),
        click.option("--max-offset", type=click.IntRange(min=0), metavar="N",
                     help="Show offsets 0 to N only."),
        click.option("--min-cohort-size", type=click.IntRange(min=1), metavar="N",
                     help="Hide cohorts of fewer than N customers (counted in the notes)."),
        click.option("--offsets", type=click.Choice(("calendar", "relative")),
                     default="calendar", show_default=True,
                     help="Calendar periods, or windows of 1, 7, 30, 91, 365 days (by --period) "
                          "from each customer's first activity."),
        click.option("--brackets", callback=_brackets, metavar="0,1-7,8-30",
                     help="Group offsets into brackets: retained when active in any offset of "
                          "one."),
    ]  # fmt: skip
    return _decorated(command, options)


VIEW = ("metric", "counts", "rolling", "relative", "mean", "max_offset", "min_cohort_size",
        "offsets", "brackets")  # fmt: skip


def _matrix(files, output, options: dict):
    """Read FILES and count the matrix that the view options (``VIEW``, in ``options``) ask
    for, after checking that they go together; returns (activity, result, stats)."""
    from retain.pipeline import cohorts_of, read_activity

    view = {k: options.pop(k) for k in VIEW}
    metric, counts, rolling, relative = (view.pop(k) for k in ("metric", "counts", "rolling",
                                                                "relative"))  # fmt: skip
    brackets, offsets = view["brackets"], view.pop("offsets")
    if counts and metric not in ("retention", "churn", "repeat"):
        raise click.BadParameter("--counts goes with --metric retention, churn or repeat",
                                 param_hint="--counts")  # fmt: skip
    if rolling and metric not in ("retention", "churn"):
        raise click.BadParameter("--rolling goes with --metric retention or churn",
                                 param_hint="--rolling")  # fmt: skip
    if relative == "previous" and (counts or metric not in ("retention", "revenue-retention")):
        raise click.BadParameter("--relative previous goes with --metric retention or "
                                 "revenue-retention, without --counts",
                                 param_hint="--relative")  # fmt: skip
    if brackets and (metric not in ("retention", "churn") or rolling or relative != "first"):
        raise click.BadParameter("--brackets goes with --metric retention or churn, without "
                                 "--rolling or --relative previous",
                                 param_hint="--brackets")  # fmt: skip
    if offsets == "relative" and (
        metric not in ("retention", "churn") or options["segment"] or options["signup"]
        or options["start_where"] or options["customers"]
    ):  # fmt: skip
        raise click.BadParameter("--offsets relative goes with --metric retention or churn, "
                                 "without --segment, --signup, --start-where or --customers",
                                 param_hint="--offsets")  # fmt: skip
    if options["start_where"] and metric not in ("retention", "churn"):
        raise click.BadParameter("--start-where counts customers: it goes with --metric "
                                 "retention or churn (orders and revenue before the start row "
                                 "in its period cannot be told apart)",
                                 param_hint="--start-where")  # fmt: skip
    settings = _settings({**options, "offsets": offsets})
    with _progress() as progress:
        activity = read_activity(_paths(files, output), settings, progress)
        result, stats = cohorts_of(activity, settings, metric, counts, rolling=rolling,
                                   relative=relative, **view)  # fmt: skip
    return activity, result, stats


def _picture(path: str | None, hint: str) -> str | None:
    """The picture format of a --plot or -o path (png or svg), checked before any input is
    read."""
    if path is None:
        return None
    from retain.render.plot import PlotError, format_of

    try:
        return format_of(path)
    except PlotError as exc:
        raise click.BadParameter(f"{path!r}: {exc}", param_hint=hint) from None


@cli.command()
@input_options
@view_options
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, writable=True),
    metavar="PATH",
    help="Also draw the matrix as a heatmap to PATH (.png or .svg; retain[plot]).",
)
@output_options
def cohort(files, plot_path, fmt, output, table_style, color, **options):  # fmt: skip
    """Cohort matrix of FILES (CSV, TSV, compressed or Parquet; - for stdin).

    Each customer joins the cohort of their first order's period; each cell shows the metric for
    a cohort N periods later.

    \b
    Example:
        retain cohort orders.csv
        retain cohort orders.csv --period week --metric revenue -o weekly.csv
        retain cohort orders.csv --plot retention.png
    """
    from retain.output import write_atomic
    from retain.pipeline import cohort_meta, run_messages
    from retain.views import matrix_view

    fmt = _output_format(fmt, output)
    picture = _picture(plot_path, "--plot")
    activity, result, stats = _matrix(files, output, options)
    for message in run_messages(activity, stats):
        click.echo(f"retain: {message}", err=True)
    if plot_path:
        from retain.render.plot import heatmap

        write_atomic(plot_path, heatmap(result, picture))
    _show(matrix_view(result, cohort_meta(activity, stats)), fmt, table_style, color, output)


@cli.group()
def plot():
    """Pictures of the cohort matrix (PNG or SVG, by -o's extension): the retention curves or
    the heatmap. Needs the plot extra: pip install 'retain[plot]'."""


def _plot_command(name: str, doc: str, *extra):
    """``retain plot NAME``: the matrix drawn by ``render.plot.NAME`` (a function of the result,
    the picture format and ``title``); the ``extra`` options go to it as keywords."""

    def command(files, output, title, **options):
        from retain.output import write_atomic
        from retain.pipeline import run_messages
        from retain.render import plot as pictures

        picture = _picture(output, "-o")
        keywords = {p.name: options.pop(p.name) for p in extras}
        activity, result, stats = _matrix(files, output, options)
        for message in run_messages(activity, stats):
            click.echo(f"retain: {message}", err=True)
        draw = getattr(pictures, name)
        write_atomic(output, draw(result, picture, title=title, **keywords))

    command = _decorated(command, extra)
    extras = list(getattr(command, "__click_params__", []))
    output = click.option(
        "-o",
        "--output",
        type=click.Path(dir_okay=False, writable=True),
        required=True,
        help="The picture: .png or .svg (written atomically).",
    )
    title = click.option("--title", help="Title [the metric, period and as-of date].")
    command = _decorated(command, (input_options, view_options, output, title))
    plot.command(name, help=doc)(command)


_plot_command("curves", """Retention curves of FILES: one line per cohort (the latest in
    colour) and the weighted average; with --segment, one line per segment.

    \b
    Example:
        retain plot curves orders.csv -o curves.png
        retain plot curves orders.csv --segment channel -o channels.svg
    """, click.option("--highlight", type=click.IntRange(min=0), default=3, show_default=True,
                      metavar="N", help="Colour the N latest cohorts."))  # fmt: skip
_plot_command("heatmap", """The cohort matrix of FILES as a heatmap: annotated cells, cohort
    sizes, partial cells hatched, unobserved cells blank.

    \b
    Example:
        retain plot heatmap orders.csv -o retention.png
        retain plot heatmap orders.csv --metric revenue-retention -o revenue.svg
    """)  # fmt: skip


@cli.command()
@input_options
@output_options
def summary(files, fmt, output, table_style, color, **options):
    """Calendar-period figures of FILES: customers active, new, retained, reactivated and
    churned; retention and churn rate; revenue and its movements (new, expansion, contraction,
    churned, reactivation); GRR, NRR, ARPC, projected LTV and AOV (docs/METRICS.md).

    \b
    Example:
        retain summary orders.csv
        retain summary orders.csv --period quarter --format csv -o quarters.csv
    """
    from dataclasses import replace

    from retain.pipeline import input_meta, read_activity, run_messages, summary_of
    from retain.views import summary_view

    fmt = _output_format(fmt, output)
    settings = replace(_settings({**options, "offsets": "calendar"}), gross=True)
    with _progress() as progress:
        activity = read_activity(_paths(files, output), settings, progress)
        figures = summary_of(activity, settings)
    for message in run_messages(activity):
        click.echo(f"retain: {message}", err=True)
    _show(summary_view(figures, input_meta(activity)), fmt, table_style, color, output)


@cli.command()
@input_options
@click.option(
    "--churn-after",
    type=click.IntRange(min=2),
    default=3,
    show_default=True,
    metavar="N",
    help="Periods without activity after which a customer is churned.",
)
@click.option(
    "--cohort",
    "cohort_label",
    metavar="LABEL",
    help="Only this cohort's customers counted at --offset (e.g. 2024-03).",
)
@click.option(
    "--offset",
    type=click.IntRange(min=0),
    metavar="K",
    help="With --cohort: the customers active at offset K (the matrix's cell).",
)
@click.option(
    "--rolling/--no-rolling", default=False, help="With --cohort: active at offset K or later."
)
@click.option(
    "--status",
    type=click.Choice(("active", "lapsed", "churned", "reactivated")),
    help="Only customers of this status.",
)
@click.option(
    "--sort",
    type=click.Choice(("revenue", "last", "orders")),
    help="Largest first [by customer id].",
)
@click.option("--top", type=click.IntRange(min=1), metavar="N", help="The first N rows only.")
@output_options
def customers(files, churn_after, cohort_label, offset, rolling, status, sort, top, fmt, output,
              table_style, color, **options):  # fmt: skip
    """One row per customer of FILES: cohort, segment, first and last activity, orders, active
    periods, revenue, refunds, days since the last activity and status; or, with --cohort and
    --offset, exactly the customers behind one cell of the cohort matrix.

    \b
    Example:
        retain customers orders.csv --status lapsed --sort revenue --top 20
        retain customers orders.csv --cohort 2024-03 --offset 2
    """
    from dataclasses import replace

    from retain.pipeline import customers_list, read_activity, run_messages
    from retain.views import customers_view

    fmt = _output_format(fmt, output)
    if (offset is not None or rolling) and cohort_label is None:
        raise click.BadParameter("--offset and --rolling go with --cohort", param_hint="--offset")
    settings = replace(_settings({**options, "offsets": "calendar"}), gross=True, times=True)
    with _progress() as progress:
        activity = read_activity(_paths(files, output), settings, progress)
        table = customers_list(activity, settings, churn_after=churn_after, cohort=cohort_label,
                               offset=offset, rolling=rolling, status=status, sort=sort,
                               top=top)  # fmt: skip
    for message in run_messages(activity):
        click.echo(f"retain: {message}", err=True)
    view = customers_view(table, activity.as_of, settings.period, churn_after)
    _show(view, fmt, table_style, color, output)


@cli.command()
@input_options
@click.option(
    "--max-offset", type=click.IntRange(min=0), metavar="N", help="Show offsets 0 to N only."
)
@click.option(
    "--min-cohort-size",
    type=click.IntRange(min=1),
    metavar="N",
    help="Hide cohorts of fewer than N customers (counted in the notes).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the page to this file (atomically) [stdout].")  # fmt: skip
def report(files, max_offset, min_cohort_size, output, **options):
    """An HTML report of FILES, one self-contained page that opens offline: the headline figures
    of the last complete period, the retention and revenue-retention heatmaps, the retention
    curves, the segments side by side (with --segment), the figures by period, the data-quality
    notes and the command line that made it. Needs the plot extra (matplotlib).

    \b
    Example:
        retain report orders.csv -o report.html
        retain report orders.csv --segment channel --period quarter -o channels.html
    """
    import shlex
    from dataclasses import replace

    from retain.pipeline import read_activity, report_of
    from retain.render import render
    from retain.views import html_report_view

    settings = replace(_settings({**options, "offsets": "calendar"}), gross=True)
    command = shlex.join(["retain", *click.get_current_context().meta.get("argv", [])])
    with _progress() as progress:
        activity = read_activity(_paths(files, output), settings, progress)
        content, meta = report_of(activity, settings, command, max_offset=max_offset,
                                  min_cohort_size=min_cohort_size)  # fmt: skip
    for message in content.messages:
        click.echo(f"retain: {message}", err=True)
    _emit(render(html_report_view(content, meta), "html"), output)


UNITS = ("day", "week", "month")


def model_options(command):
    """The options of the customer-base model's summary: shared by rfm, at-risk and model."""
    options = [
        click.option("--time-unit", type=click.Choice(UNITS), default="week", show_default=True,
                     help="Unit of recency, T and the model's rates (a month: 365.25/12 days)."),
        click.option("--observation-end", callback=_iso_date, metavar="YYYY-MM-DD",
                     help="Last day of the summary [the as-of date]; later purchases are left "
                          "out (the holdout)."),
    ]  # fmt: skip
    return _decorated(command, options)


def _day_activity(files, output, options: dict):
    """Read FILES into day cells for the RFM summary (the --period of the options names the
    cohorts); the cohort definitions of cohort do not apply."""
    from dataclasses import replace

    from retain.pipeline import read_activity

    for name in ("signup", "start_where", "customers", "segment", "since"):
        if options[name]:
            flag = "--" + name.replace("_", "-")
            raise click.BadParameter(f"{flag} does not apply: the model reads purchases only",
                                     param_hint=flag)  # fmt: skip
    settings = _settings({**options, "offsets": "calendar"})
    with _progress() as progress:
        activity = read_activity(_paths(files, output), replace(settings, period="day"),
                                 progress)  # fmt: skip
    return activity, settings


@cli.command()
@input_options
@model_options
@output_options
def rfm(files, time_unit, observation_end, fmt, output, table_style, color, **options):
    """RFM summary of FILES, per customer, as the BG/NBD model reads it: frequency (repeat
    purchase days), recency (first to last purchase) and T (first purchase to the observation
    end) in --time-unit, the mean amount of the repeat purchase days (monetary_value) and of
    every purchase day (average_value), cohort, first and last purchase.

    \b
    Example:
        retain rfm orders.csv --format csv -o rfm.csv
        retain rfm orders.csv --time-unit day --observation-end 2024-12-31
    """
    from retain.pipeline import input_meta, rfm_of, run_messages
    from retain.views import rfm_view

    fmt = _output_format(fmt, output)
    activity, settings = _day_activity(files, output, options)
    rows, end = rfm_of(activity, settings, observation_end=observation_end, time_unit=time_unit,
                       holdout=observation_end is not None)  # fmt: skip
    for message in run_messages(activity):
        click.echo(f"retain: {message}", err=True)
    _show(rfm_view(rows, time_unit, end, input_meta(activity)), fmt, table_style, color, output)


@cli.command("at-risk")
@input_options
@model_options
@click.option("--horizon", type=click.FloatRange(min=0, min_open=True), metavar="N",
              help="Time units ahead for expected purchases and value [a year: 52 weeks, 12 "
                   "months, 365 days].")  # fmt: skip
@click.option("--min-orders", type=click.IntRange(min=1), default=1, show_default=True,
              metavar="K", help="Only customers with at least K purchase days.")  # fmt: skip
@click.option("--top", type=click.IntRange(min=1), metavar="N", help="The first N rows only.")
@output_options
def at_risk(files, time_unit, observation_end, horizon, min_orders, top, fmt, output,
            table_style, color, **options):  # fmt: skip
    """Customers of FILES most likely to have left, ranked by the value at risk: P(not alive)
    from the BG/NBD model times the value expected in the next --horizon were they still active
    (expected purchases times the Gamma-Gamma expected spend; purchases without amounts). With
    cohort, last purchase, P(alive) and expected purchases. Needs retain[model] (scipy).

    \b
    Example:
        retain at-risk orders.csv --top 50
        retain at-risk orders.csv --min-orders 2 --format csv -o at-risk.csv
    """
    from retain.churn import YEAR
    from retain.churn import at_risk as rank
    from retain.pipeline import churn_of, input_meta, run_messages
    from retain.views import at_risk_view

    fmt = _output_format(fmt, output)
    activity, settings = _day_activity(files, output, options)
    rows, model = churn_of(activity, settings, observation_end=observation_end,
                           time_unit=time_unit)  # fmt: skip
    horizon = horizon or YEAR[time_unit]
    table = rank(rows, model, horizon, min_orders=min_orders, top=top)
    for message in run_messages(activity):
        click.echo(f"retain: {message}", err=True)
    view = at_risk_view(table, model, horizon, input_meta(activity))
    _show(view, fmt, table_style, color, output)


@cli.command()
@input_options
@model_options
@click.option("--holdout", callback=_iso_date, metavar="YYYY-MM-DD",
              help="Fit on the purchases before this day; compare predicted and actual "
                   "purchase days from it to the as-of date.")  # fmt: skip
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(dir_okay=False, writable=True),
    metavar="PATH",
    help="With --holdout: draw actual against predicted (.png/.svg).",
)
@click.option("--format", "fmt", type=click.Choice(("table", "markdown", "json")),
              default="table", show_default=True, help="Output format.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (atomically) instead of stdout.")  # fmt: skip
def model(files, time_unit, observation_end, holdout, plot_path, fmt, output, **options):
    """Fit the BG/NBD churn model (and the Gamma-Gamma spend model, with amounts) to FILES:
    parameters, standard errors, log-likelihood and convergence; with --holdout, a validation:
    fitted on the purchases before the day, the predicted purchase days after it against the
    actual ones, in all and by repeat purchases. Needs retain[model] (scipy).

    \b
    Example:
        retain model orders.csv
        retain model orders.csv --holdout 2024-10-01 --plot holdout.png
    """
    from retain.pipeline import input_meta, model_of, run_messages
    from retain.views import model_view

    if holdout and observation_end:
        raise click.BadParameter("--holdout sets the observation end (the day before it): "
                                 "give one of them", param_hint="--holdout")  # fmt: skip
    if plot_path and not holdout:
        raise click.BadParameter("--plot draws the holdout: it goes with --holdout",
                                 param_hint="--plot")  # fmt: skip
    picture = _picture(plot_path, "--plot")
    activity, settings = _day_activity(files, output, options)
    fitted = model_of(activity, settings, time_unit=time_unit, observation_end=observation_end,
                      holdout=holdout)  # fmt: skip
    for message in run_messages(activity):
        click.echo(f"retain: {message}", err=True)
    if plot_path:
        from retain.output import write_atomic
        from retain.render.plot import holdout as draw

        write_atomic(plot_path, draw(fitted.holdout, picture, time_unit=time_unit,
                                     length=fitted.length))  # fmt: skip
    from retain.render import render

    _emit(render(model_view(fitted, input_meta(activity)), fmt), output)


def _rate(ctx, param, value):
    """A rate as a fraction or a percentage; retention and churn within 0-100%, NRR within
    0-1,000% (a bare 30 is 3,000%: a slip for 30%, refused)."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        rate = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a rate; write 0.3 or 30%") from None
    top = 10.0 if param.name == "min_nrr" else 1.0
    if not 0 <= rate <= top:
        raise click.BadParameter(f"{value!r} is {rate:.0%}, outside 0% to {top:.0%}; write a "
                                 "fraction (0.3) or a percentage (30%)")  # fmt: skip
    return rate


def _last_cohorts(ctx, param, value):
    if value is None or value == "all":
        return None
    if value.startswith("last:") and value[5:].isdigit() and int(value[5:]) > 0:
        return int(value[5:])
    raise click.BadParameter(f"{value!r}: write last:N (the N latest cohorts) or all")


@cli.command()
@input_options
@click.option(
    "--min-retention",
    callback=_rate,
    metavar="RATE",
    help="Fail when retention at --at is below RATE (0.3 or 30%).",
)
@click.option(
    "--at",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    metavar="K",
    help="The offset --min-retention is measured at.",
)
@click.option(
    "--cohorts",
    "last_cohorts",
    callback=_last_cohorts,
    metavar="last:N",
    help="Measure retention over the N latest cohorts with a complete cell [all].",
)
@click.option(
    "--min-nrr",
    callback=_rate,
    metavar="RATE",
    help="Fail when the last complete period's NRR is below RATE.",
)
@click.option(
    "--max-churn", callback=_rate, metavar="RATE",
    help="Fail when the last complete period's customer churn rate is above RATE.",
)  # fmt: skip
def check(files, min_retention, at, last_cohorts, min_nrr, max_churn, **options):
    """Check FILES against thresholds, for CI and cron: prints each threshold with the measured
    value; exits 0 when all hold, 3 when any fails (an undefined value fails).

    \b
    Example:
        retain check orders.csv --min-retention 25% --at 1 --cohorts last:3
        retain check orders.csv --min-nrr 0.9 --max-churn 0.7
    """
    from retain.pipeline import check_thresholds, read_activity, run_messages

    if min_retention is None and min_nrr is None and max_churn is None:
        raise click.BadParameter("give at least one of --min-retention, --min-nrr, --max-churn")
    settings = _settings({**options, "offsets": "calendar"})
    activity = read_activity(_paths(files), settings)
    checks = check_thresholds(
        activity, settings, min_retention=min_retention, at=at, cohorts=last_cohorts,
        min_nrr=min_nrr, max_churn=max_churn,
    )  # fmt: skip
    for message in run_messages(activity):
        click.echo(f"retain: {message}", err=True)
    for item in checks:
        shown = "{:.1%}" if item.unit == "rate" else "{:,.0f} days"
        value = "undefined" if item.value is None or item.value != item.value else (
            shown.format(item.value)
        )  # fmt: skip
        sign = ">=" if item.minimum else "<="
        click.echo(f"{'ok  ' if item.holds else 'FAIL'} {item.name}: {value} "
                   f"(must be {sign} {shown.format(item.bound)})")  # fmt: skip
    if not all(item.holds for item in checks):
        click.get_current_context().exit(3)


@cli.command()
@input_options
@click.option("--format", "fmt", type=click.Choice(("table", "json")), default="table",
              show_default=True, help="Output format.")  # fmt: skip
def inspect(files, fmt, **options):
    """Data-quality report of FILES: what `retain cohort` would read, skip and use.

    Rows, customers, date range, the columns found and how their values were read, bad rows by
    reason with examples, exact duplicates, refunds and zero amounts, dates in the future,
    refund-only customers, and how much of the first cohort may predate the data.

    \b
    Example:
        retain inspect orders.csv
        retain inspect exports/*.csv --format json
    """
    from retain.pipeline import inspect_files
    from retain.render import render
    from retain.views import report_view

    report = inspect_files(_paths(files), _settings(options))
    _emit(render(report_view(report), fmt), None)


def _commands(group: click.Group | None = None):
    """(name, command) of every command, those of ``retain plot`` too (``curves``)."""
    for name, command in (group or cli).commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command)
        else:
            yield name, command


def _environment() -> None:
    """Every option reads RETAIN_<OPTION> from the environment (--table-style:
    RETAIN_TABLE_STYLE), between the flag and the config file in precedence."""
    for _, command in _commands():
        for param in command.params:
            if isinstance(param, click.Option) and param.envvar is None:
                flag = max((f for f in param.opts if f.startswith("--")), key=len)
                param.envvar = "RETAIN_" + flag[2:].upper().replace("-", "_")


_environment()


def main():
    class Terminated(BaseException):
        """SIGTERM, raised where the run is, so that cleanups (the -o temporary file) run."""

    def terminate(signum, frame):
        raise Terminated

    if hasattr(signal, "SIGPIPE"):  # `retain cohort big.csv | head` ends quietly
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, terminate)
    try:
        code = cli.main(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        click.echo("retain: interrupted", err=True)
        code = 130
    except Terminated:
        click.echo("retain: terminated", err=True)
        code = 143
    sys.exit(code or 0)
