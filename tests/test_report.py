"""retain report (one self-contained HTML page) and the plot commands: what they contain, that
they need nothing from outside, and that the page renders in a real browser (headless Chromium,
which .ci/run installs; the structure tests run without it)."""

import base64
import html.parser
import io
import os
import re
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from retain.cli import cli

pytest.importorskip("matplotlib")
SMALL = "tests/data/small.csv"
EXAMPLE = "examples/orders.csv"
PNG = b"\x89PNG\r\n\x1a\n"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


class Page(html.parser.HTMLParser):
    """The headings, images, links, scripts and table cells of a page."""

    def __init__(self, text: str):
        super().__init__()
        self.headings, self.images, self.refs, self.scripts, self.cells = [], [], [], 0, []
        self._in, self._text = None, ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("h1", "h2", "td", "th", "li"):
            self._in, self._text = tag, ""
        if tag == "img":
            self.images.append(attrs)
        if tag == "script":
            self.scripts += 1
        for key in ("href", "src"):
            if key in attrs:
                self.refs.append(attrs[key])

    def handle_data(self, data):
        if self._in:
            self._text += data

    def handle_endtag(self, tag):
        if tag == self._in:
            (self.headings if tag in ("h1", "h2") else self.cells).append(self._text.strip())
            self._in = None


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = invoke("report", SMALL, "-o", out)
    assert result.exit_code == 0, result.output
    return out


def test_report_has_every_section_and_the_figures(report):
    page = Page(report.read_text())
    assert page.headings == [
        "Retention report", "2024-03: the last complete month", "Retention by cohort",
        "Revenue retention by cohort", "Retention curves", "Figures by month",
        "Data quality and notes",
    ]  # fmt: skip
    # the headline cards of 2024-03 (complete on the as-of date 2024-03-31) against 2024-02, by
    # hand from tests/data/small.csv: active in March b and e (a's March is a refund only);
    # February's active a and c: neither back, so retention 0% (February: a of {a, b}, 50%);
    # revenue 5 + 100 = 105.00 against February's 20 + 7 - 7 = 20.00
    text = report.read_text()
    for label, value, change in (("customers", "2", "+0 on 2024-02"),
                                 ("retention rate", "0.0%", "-50.0 points on 2024-02"),
                                 ("churn rate", "100.0%", "+50.0 points on 2024-02"),
                                 ("revenue", "105.00", "+85.00 on 2024-02")):  # fmt: skip
        assert (f'<div class="label">{label}</div><div class="value">{value}</div>'
                f'<div class="change">{change}</div>') in text  # fmt: skip
    # the figures by period: 2024-03 has 2 active, 1 new (e), 0 retained, 1 reactivated (b),
    # 2 churned (a, c)
    assert page.cells[page.cells.index("2024-03") :][:6] == ["2024-03", "2", "1", "0", "1", "2"]
    assert "1 customer with only refunds: no cohort" in page.cells
    assert "no row skipped" in page.cells
    assert any(c.startswith("columns: customer = 'customer'") for c in page.cells)
    assert f"retain report {SMALL} -o" in text  # the command line that made it


def test_report_needs_nothing_from_outside(report):
    page = Page(report.read_text())
    assert page.scripts == 0
    assert all(ref.startswith("data:image/svg+xml;base64,") for ref in page.refs)
    assert len(page.images) == 3  # two heatmaps and the curves
    for image in page.images:
        svg = base64.b64decode(image["src"].split(",", 1)[1]).decode()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg
        assert not re.search(r'(?:href|src)="(?!#|data:)', svg)  # no link out of the picture
    assert "@import" not in report.read_text() and "url(" not in report.read_text()


def test_report_is_byte_identical_across_runs(report, tmp_path):
    again = tmp_path / "again.html"
    assert invoke("report", SMALL, "-o", again).exit_code == 0
    first = report.read_text().split("<footer>")[0]
    assert again.read_text().split("<footer>")[0] == first


def test_segmented_report_compares_the_segments(write, tmp_path):
    path = write(
        "seg.csv",
        """\
        customer,date,amount,channel
        a,2024-01-05,10,ads
        a,2024-02-10,20,ads
        b,2024-01-20,5,organic
        c,2024-01-21,5,organic
        c,2024-02-01,5,organic
        d,2024-02-15,3,ads
        """,
    )
    out = tmp_path / "seg.html"
    assert invoke("report", path, "--segment", "channel", "-o", out).exit_code == 0
    page = Page(out.read_text())
    assert "Segments by channel" in page.headings
    # ads: a (Jan, retained in Feb), d (Feb); organic: b, c (Jan; c back in Feb); by 2024-02-15
    # February is partial, so neither segment has a complete cell at offset 1
    ads = page.cells.index("ads")
    assert page.cells[ads : ads + 3] == ["ads", "2", ""]
    organic = page.cells.index("organic")
    assert page.cells[organic : organic + 2] == ["organic", "2"]


def test_report_without_amounts_has_no_revenue_heatmap(write, tmp_path):
    path = write("events.csv", "customer,date\na,2024-01-05\na,2024-02-10\nb,2024-01-20\n")
    out = tmp_path / "e.html"
    assert invoke("report", path, "-o", out).exit_code == 0
    page = Page(out.read_text())
    assert "Retention by cohort" in page.headings
    assert "Revenue retention by cohort" not in page.headings
    text = out.read_text()
    assert "n/a" not in text and "NRR" not in text  # no empty money cards
    assert "<th>revenue</th>" not in text  # nor empty money columns
    assert "no amount column: every row is activity; no revenue figures" in page.cells
    assert "@media print" in text  # on paper: shrunk to the page, nothing cut


def _chromium():
    return next(filter(None, map(shutil.which, ("chromium", "chromium-browser",
                                                "google-chrome"))), None)  # fmt: skip


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]  # fmt: skip


def test_report_renders_in_a_real_browser(report, tmp_path):
    """Chromium opens the page offline, decodes every picture, and draws it: the screenshot
    holds the heatmap's darkest blue (offset 0, 100%) and the page's text. Without Chromium it
    skips (the structure tests stand in), unless RETAIN_TEST_BROWSER=required (.ci/run)."""
    import matplotlib.image

    from retain.render import colors

    if _chromium() is None:
        if os.environ.get("RETAIN_TEST_BROWSER") == "required":
            pytest.fail("no Chromium, and RETAIN_TEST_BROWSER=required: install Debian's chromium")
        pytest.skip("no Chromium; the structure tests stand in")
    probe = tmp_path / "probe.html"  # the page, and a script that writes what the browser saw
    probe.write_text(report.read_text().replace("</body>", (
        "<script>window.onload = () => { document.body.dataset.images = [...document.images]"
        ".map(i => i.complete && i.naturalWidth > 0 ? 'ok' : 'broken').join(','); };"
        "</script></body>")))  # fmt: skip
    run = [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([*run, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert 'data-images="ok,ok,ok"' in dom.stdout, dom.stderr[-2000:]
    shot = tmp_path / "shot.png"
    subprocess.run([*run, f"--screenshot={shot}", "--window-size=1200,2400",
                    report.as_uri()], capture_output=True, timeout=120, check=True)  # fmt: skip
    pixels = matplotlib.image.imread(shot)[..., :3]
    dark = [c / 255 for c in colors.colour(1, 0, 1)]
    assert (abs(pixels - dark).max(axis=2) < 0.02).sum() > 500  # the 100% cells, drawn
    assert (pixels.min(axis=2) < 0.2).sum() > 1000  # dark text


def test_plot_option_and_commands_write_pictures(tmp_path):
    import matplotlib.image

    heat = tmp_path / "heat.png"
    result = invoke("cohort", SMALL, "--plot", heat, "--format", "csv")
    assert result.exit_code == 0 and result.stdout.startswith("cohort,customers")
    assert heat.read_bytes().startswith(PNG)
    assert matplotlib.image.imread(io.BytesIO(heat.read_bytes())).shape[2] in (3, 4)
    svg = tmp_path / "curves.svg"
    assert invoke("plot", "curves", SMALL, "-o", svg, "--highlight", "1").exit_code == 0
    assert '<g id="legend' in svg.read_text() and "2024-02 (1)" in svg.read_text()
    quarter = tmp_path / "q.svg"
    assert invoke("plot", "heatmap", SMALL, "--period", "quarter", "-o", quarter).exit_code == 0
    assert 'id="cell-0-0-0"' in quarter.read_text() and "100.0%" in quarter.read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["cohort", SMALL, "--plot", "x.pdf"],
            "Invalid value for --plot: 'x.pdf': unknown picture format 'pdf'; choose one of png, svg",
        ),
        (
            ["plot", "curves", SMALL, "-o", "x.jpg"],
            "Invalid value for -o: 'x.jpg': unknown picture format 'jpg'",
        ),
        (["plot", "curves", SMALL], "Missing option '-o' / '--output'"),
    ],
)
def test_picture_paths_are_checked_before_reading(args, message):
    result = invoke(*args)
    assert result.exit_code == 2 and message in result.stderr


def test_plots_say_which_extra_they_need(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = invoke("plot", "curves", SMALL, "-o", tmp_path / "c.png")
    assert result.exit_code == 1
    assert (
        result.stderr
        == "retain: error: plots need matplotlib: pip install 'retain[plot]' (from a clone: pip install -e '.[plot]')\n"
    )
