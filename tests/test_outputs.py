"""Spreadsheet and columnar output (-o .xlsx / .parquet), terminal colours, the notebook's
Styler, and the config file and environment variables with their precedence."""

import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import retain
from retain.cli import cli
from retain.render import colors

SMALL = "tests/data/small.csv"
# tests/data/small.csv by month, worked by hand: 2024-01 = {a, b}: a active Jan, Feb (March is
# a refund only), b Jan, Mar; 2024-02 = {c}: a purchase and its refund in Feb; 2024-03 = {e};
# d has only a refund (no cohort).
RETENTION = [["2024-01", 2, 1.0, 0.5, 0.5], ["2024-02", 1, 1.0, 0.0, None],
             ["2024-03", 1, 1.0, None, None]]  # fmt: skip
ESC = re.compile(r"\x1b\[[0-9;]*m")


def invoke(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env)


# -- Excel and Parquet --------------------------------------------------------------------


def test_xlsx_holds_the_matrix_with_formats_colour_scale_and_notes(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "m.xlsx"
    result = invoke("cohort", SMALL, "-o", out)
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    sheet = book["retain"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["cohort", "customers", "0", "1", "2"]
    assert rows[1:4] == RETENTION
    assert rows[4][:2] == ["weighted avg", 4]
    assert rows[4][2:] == [1.0, pytest.approx(1 / 3, abs=1e-6), 0.5]
    assert sheet["D2"].number_format == "0.0%"
    assert sheet["B2"].number_format == "#,##0"
    assert sheet["A5"].font.b  # the average row in bold
    assert sheet.freeze_panes == "C2"
    ((rule_range, rules),) = sheet.conditional_formatting._cf_rules.items()
    assert str(rule_range.sqref) == "C2:E5"
    scale = rules[0].colorScale
    assert [v.val for v in scale.cfvo] == [0, 0.25, 0.5]  # values past offset 0 run 0 to 50%
    assert [c.rgb[-6:].lower() for c in scale.color] == [
        colors.hex_of(colors.colour(v, 0, 1))[1:] for v in (0, 0.25, 0.5)
    ]
    notes = [c.value for c in book["notes"]["A"]]
    assert notes[0] == "retention by month, as of 2024-03-31"
    assert "1 customer with only refunds: no cohort" in notes


def test_xlsx_marks_partial_cells_and_writes_money_and_text_as_such(write, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    path = write(
        "o.csv",
        """\
        customer,date,amount
        =cmd|'/c calc'!A1,2024-01-05,10.5
        =cmd|'/c calc'!A1,2024-02-10,1234.25
        """,
    )
    out = tmp_path / "r.xlsx"
    assert (
        invoke("cohort", path, "--metric", "revenue", "--as-of", "2024-02-20", "-o", out).exit_code
        == 0
    )
    sheet = openpyxl.load_workbook(out)["retain"]
    assert [c.value for c in sheet[2]] == ["2024-01", 1, 10.5, 1234.25]
    assert sheet["C2"].number_format == "#,##0.00"
    assert sheet["D2"].font.i and not sheet["C2"].font.i  # February is partial on 2024-02-20
    customers = tmp_path / "c.xlsx"
    assert invoke("customers", path, "-o", customers).exit_code == 0
    sheet = openpyxl.load_workbook(customers)["retain"]
    cell = sheet["A2"]
    assert cell.value == "=cmd|'/c calc'!A1" and cell.data_type == "s"  # text, not a formula


def test_parquet_is_typed_and_carries_the_notes(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "m.parquet"
    assert invoke("cohort", SMALL, "-o", out).exit_code == 0
    table = pq.read_table(out)
    assert table.column_names == ["cohort", "customers", "0", "1", "2"]
    assert [str(t) for t in table.schema.types] == ["string", "int64", "double", "double", "double"]
    assert [list(r.values()) for r in table.to_pylist()] == RETENTION
    notes = json.loads(table.schema.metadata[b"retain.notes"])
    assert notes[0] == "retention by month, as of 2024-03-31"
    summary = tmp_path / "s.parquet"
    assert invoke("summary", SMALL, "-o", summary).exit_code == 0
    frame = pd.read_parquet(summary)
    assert frame["period"].tolist() == ["2024-01", "2024-02", "2024-03"]
    assert frame["active"].tolist() == [2, 2, 2]
    assert frame["revenue"].tolist() == [15.0, 20.0, 105.0]


@pytest.mark.parametrize("name", ["m.xlsx", "m.parquet"])
def test_binary_outputs_are_byte_identical_across_runs_and_row_orders(tmp_path, name):
    pytest.importorskip("xlsxwriter")
    lines = Path(SMALL).read_text().splitlines()
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    outputs = []
    for source, i in ((SMALL, 1), (SMALL, 2), (shuffled, 3)):
        out = tmp_path / f"{i}{name}"
        assert invoke("cohort", source, "--chunksize", i, "-o", out).exit_code == 0
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


def test_format_xlsx_goes_to_a_pipe_not_a_terminal(monkeypatch):
    result = invoke("cohort", SMALL, "--format", "parquet")
    assert result.exit_code == 0
    assert pd.read_parquet(io.BytesIO(result.stdout_bytes))["customers"].tolist() == [2, 1, 1]
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    import retain.cli as cli_module

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(cli_module.sys, "stdout", Tty())
    with pytest.raises(Exception, match="xlsx is binary: write it to a file with -o FILE.xlsx"):
        cli_module._output_format("xlsx", None)


# -- terminal colours ---------------------------------------------------------------------


def test_color_always_paints_offset_cells_on_the_scale():
    result = invoke("cohort", SMALL, "--color", "always", env={"COLORTERM": "truecolor"})
    assert result.exit_code == 0
    row = result.stdout.splitlines()[2]
    half = colors.colour(0.5, 0, 0.5)  # the top of the scale: 50% is the largest later value
    assert f"\x1b[48;2;{half[0]};{half[1]};{half[2]}m" in row
    assert ESC.sub("", row) == "2024-01                 2  100.0%  50.0%  50.0%"
    plain = invoke("cohort", SMALL).stdout
    assert ESC.sub("", result.stdout) == plain  # colour changes no character of the table
    assert (
        "\x1b[48;5;" in invoke("cohort", SMALL, "--color", "always", env={"COLORTERM": ""}).stdout
    )


@pytest.mark.parametrize(
    "args, env",
    [
        ([], {}),  # auto: CliRunner's stdout is no terminal
        (["--color", "never"], {}),
        (["--color", "always", "--format", "markdown"], {}),
        (["--color", "always", "--format", "csv"], {}),
    ],
)
def test_no_colour_off_a_terminal_or_outside_the_table(args, env):
    result = invoke("cohort", SMALL, *args, env=env)
    assert result.exit_code == 0 and "\x1b[" not in result.stdout


def test_auto_colours_a_terminal_unless_no_color(monkeypatch):
    import retain.cli as cli_module

    monkeypatch.setattr(cli_module.sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert cli_module._colors("auto", None, None) in ("truecolor", "256")
    assert cli_module._colors("auto", None, "out.txt") is None  # a file gets no colours
    monkeypatch.setenv("NO_COLOR", "1")
    assert cli_module._colors("auto", None, None) is None
    assert cli_module._colors("always", None, None) is not None  # the flag wins over NO_COLOR
    monkeypatch.setenv("NO_COLOR", "")  # an empty NO_COLOR does not count (no-color.org)
    assert cli_module._colors("auto", None, None) is not None


def test_colour_scale():
    assert colors.colour(0, 0, 1) != colors.colour(1, 0, 1)
    assert colors.colour(-5, 0, 1) == colors.colour(0, 0, 1)  # clipped at both ends
    assert colors.colour(7, 0, 1) == colors.colour(1, 0, 1) == colors.colour(1, 0, 1)
    assert colors.colour(1, 0, 1) == (8, 29, 88)  # YlGnBu's darkest
    assert colors.text_colour(colors.colour(1, 0, 1)) == (255, 255, 255)
    assert colors.text_colour(colors.colour(0, 0, 1)) == (0, 0, 0)


# -- the notebook ---------------------------------------------------------------------------


def test_api_matrix_shows_as_the_heatmap_in_a_notebook():
    pytest.importorskip("jinja2")
    matrix = retain.cohort_matrix(pd.read_csv(SMALL))
    html = matrix._repr_html_()
    assert "retention by month, as of 2024-03-31" in html
    cells = re.findall(r'<td id="(T_\w+_row(\d+)_col(\d+))"[^>]*>([^<]*)</td>', html)
    shown = {(int(r), int(c)): text for _, r, c, text in cells}
    assert [shown[(0, c)] for c in range(4)] == ["2", "100.0%", "50.0%", "50.0%"]
    assert shown[(2, 2)] == "" and shown[(3, 0)] == "4"  # unobserved blank; the average row
    css = {}
    for selectors, props in re.findall(r"([^{}]+)\{([^}]*)\}", html.split("</style>")[0]):
        for selector in selectors.split(","):
            css.setdefault(selector.strip().split("_", 2)[-1], []).append(props)
    top = colors.colour(0.5, 0, 0.5)  # 50% is the largest value past offset 0
    assert f"background-color: {colors.hex_of(top)}" in "".join(css["row0_col2"])
    assert "background-color" not in "".join(css.get("row2_col3", []))  # unobserved: plain
    styler = retain.style(matrix)
    assert styler.data.loc["2024-01", "1"] == "50.0%"
    matrix.iloc[0, 2] = 0.25  # the frame shows what it holds now
    assert "25.0%" in matrix._repr_html_()
    assert type(matrix.head()) is pd.DataFrame  # a slice is a plain frame


# -- config file and environment ------------------------------------------------------------


def test_precedence_flag_over_environment_over_config_over_default(write):
    config = write(
        "retain.toml",
        """\
        period = "quarter"
        max-offset = 1
        [cohort]
        format = "csv"
        """,
    )

    def periods(*args, env=None):
        result = invoke("cohort", SMALL, *args, env=env)
        assert result.exit_code == 0, result.output
        return [line.split(",")[0] for line in result.stdout.splitlines()[1:]], result.stdout

    default = invoke("cohort", SMALL).stdout
    assert default.startswith("cohort          customers")  # table, by month
    labels, text = periods("--config", config)
    assert labels == ["2024Q1"] and text.splitlines()[0] == "cohort,customers,0"  # max-offset 1
    labels, _ = periods("--config", config, env={"RETAIN_PERIOD": "month"})
    assert labels == ["2024-01", "2024-02", "2024-03"]
    labels, _ = periods("--config", config, "--period", "year", env={"RETAIN_PERIOD": "month"})
    assert labels == ["2024"]
    labels, _ = periods(env={"RETAIN_CONFIG": config, "RETAIN_MAX_OFFSET": "0"})
    assert labels == ["2024Q1"]
    env = {"RETAIN_FORMAT": "json", "RETAIN_TABLE_STYLE": "github"}
    assert json.loads(invoke("cohort", SMALL, env=env).stdout)["period"] == "month"


def test_config_keys_for_other_commands_and_underscores(write):
    config = write(
        "c.toml",
        """\
        metric = "revenue"
        table_style = "github"
        [summary]
        format = "csv"
        """,
    )
    summary = invoke("summary", SMALL, "--config", config)
    assert summary.exit_code == 0 and summary.stdout.startswith("period,active,new")
    cohort = invoke("cohort", SMALL, "--config", config)
    assert cohort.exit_code == 0 and cohort.stdout.startswith("| cohort")
    assert "revenue by month" in cohort.stdout


@pytest.mark.parametrize(
    "content, message",
    [
        ('perod = "week"', "'perod' is not an option of any retain command"),
        ('[cohrt]\nperiod = "week"', "[cohrt] is not a command of retain"),
        ('[summary]\nmetric = "revenue"', "[summary] has no option 'metric'"),
        ("period = ", "not valid TOML"),
        ('period = "fortnight"', "bad.toml: period = 'fortnight': 'fortnight' is not one of"),
    ],
)
def test_config_mistakes_are_usage_errors(write, content, message):
    config = write("bad.toml", content + "\n")
    result = invoke("cohort", SMALL, "--config", config)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_config_file(tmp_path):
    result = invoke("cohort", SMALL, "--config", tmp_path / "none.toml")
    assert result.exit_code == 2 and "none.toml: No such file or directory" in result.stderr


def test_every_option_reads_its_environment_variable():
    from retain.cli import _commands

    for _, command in _commands():
        for param in command.params:
            if param.param_type_name == "option" and param.name not in ("help",):
                flag = max((f for f in param.opts if f.startswith("--")), key=len)
                assert param.envvar == "RETAIN_" + flag[2:].upper().replace("-", "_")


def test_config_values_are_checked_with_the_file_and_key(write):
    bad = write("bad.toml", 'period = "fortnight"\n')
    result = invoke("cohort", SMALL, "--config", bad)
    assert result.exit_code == 2
    assert f"{bad}: period = 'fortnight': 'fortnight' is not one of" in result.stderr
    table = write("table.toml", '[cohort]\nmax-offset = "x"\n')
    result = invoke("cohort", SMALL, "--config", table)
    assert f"{table}: [cohort] max-offset = 'x'" in result.stderr


def test_a_top_level_value_applies_where_it_is_taken(write):
    config = write(
        "c.toml", 'format = "csv"\nwhere = "amount!=100"\n[plot.curves]\nhighlight = 1\n'
    )
    inspect = invoke("inspect", SMALL, "--config", config)  # inspect writes table or json
    assert inspect.exit_code == 0 and inspect.stdout.startswith("file ")
    cohort = invoke("cohort", SMALL, "--config", config)  # a string for a repeatable option
    assert cohort.stdout.splitlines()[1:] == [
        "2024-01,2,1.000000,0.500000,0.500000",
        "2024-02,1,1.000000,0.000000,",
    ]  # e's 100 left out
    from retain.cli import cli as group

    curves = group.commands["plot"].commands["curves"]
    ctx = curves.make_context("curves", [SMALL, "--config", config, "-o", "x.png"])
    assert ctx.params["highlight"] == 1  # [plot.curves]
    assert (
        "[plot.curvez] is not a command"
        in invoke(
            "cohort", SMALL, "--config", write("z.toml", "[plot.curvez]\nhighlight = 1\n")
        ).stderr
    )


def test_flags_on_in_the_config_turn_off_on_the_command_line(write):
    config = write("c.toml", "rolling = true\n")
    rolling = invoke("cohort", SMALL, "--config", config, "--format", "csv").stdout
    plain = invoke("cohort", SMALL, "--config", config, "--no-rolling", "--format", "csv").stdout
    assert plain == invoke("cohort", SMALL, "--format", "csv").stdout
    # rolling: a is active in Feb and b in March, so 2024-01 keeps 100% at offset 1
    assert rolling.splitlines()[1] == "2024-01,2,1.000000,1.000000,0.500000"


def test_256_colours_are_xterm_levels_with_readable_text():
    for share in np.linspace(0, 1, 11):
        rgb = colors.colour(share, 0, 1)
        code = re.match(r"\x1b\[48;5;(\d+)m\x1b\[38;5;(\d+)m", colors.ansi("x", rgb, False))
        back, fore = int(code[1]) - 16, int(code[2])
        shown = [colors.LEVELS[back // 36], colors.LEVELS[back // 6 % 6], colors.LEVELS[back % 6]]
        assert shown == [min(colors.LEVELS, key=lambda level: abs(level - c)) for c in rgb]
        lum = colors.luminance([c / 255 for c in shown])
        contrast = (lum + 0.05) / 0.05 if fore == 16 else 1.05 / (lum + 0.05)
        assert contrast >= 4.5  # WCAG AA for the text on the colour drawn


def test_summary_xlsx_marks_the_partial_period(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "s.xlsx"
    assert invoke("summary", "examples/orders.csv", "-o", out).exit_code == 0
    book = openpyxl.load_workbook(out)
    sheet = book["retain"]
    last = sheet.max_row
    assert sheet.cell(last, 1).value == "2025-03" and sheet.cell(last, 1).font.i
    assert not sheet.cell(last - 1, 1).font.i
    assert "cells in italics: a partial period (it ends after the as-of date)" in [
        c.value for c in book["notes"]["A"]
    ]
