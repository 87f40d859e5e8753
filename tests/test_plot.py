"""The pictures (``retain.render.plot``): PNG and SVG bytes of the heatmap and the curves.

The SVG draws text as paths, and matplotlib writes each text's string in an XML comment just
inside its group; the heatmap gives each cell's text the id ``cell-P-R-K`` (panel, row, column;
the average row comes after the cohorts) and each partial cell's hatching ``partial-P-R-K``.
"""

import datetime as dt
import io
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from conftest import frame

from retain.errors import RetainError
from retain.pipeline import Settings, cohorts_of, frame_activity
from retain.render import plot

AS_OF = dt.date(2024, 3, 15)  # March is partial
# 2024-01: a b c d (4), back in February a b (50%), in March a (25%, partial);
# 2024-02: e f (2), back in March e (50%, partial); 2024-03: no cohort
ORDERS = """
    customer,date,amount,plan
    a,2024-01-05,10.00,pro
    b,2024-01-10,1200.00,pro
    c,2024-01-20,30.00,basic
    d,2024-01-25,40.00,basic
    a,2024-02-03,10.00,pro
    b,2024-02-04,10.00,pro
    e,2024-02-10,7.00,basic
    f,2024-02-11,7.00,pro
    a,2024-03-02,5.00,pro
    e,2024-03-01,7.00,basic
"""
PNG = b"\x89PNG\r\n\x1a\n"


def result(metric="retention", **options):
    settings = Settings(as_of=AS_OF, **options)
    return cohorts_of(frame_activity(frame(ORDERS), settings), settings, metric)[0]


@pytest.fixture
def mpl():
    return pytest.importorskip("matplotlib")


def parse(svg: bytes) -> ET.Element:
    builder = ET.TreeBuilder(insert_comments=True)
    return ET.fromstring(svg, parser=ET.XMLParser(target=builder))


def texts(svg: bytes) -> dict[str, str]:
    """The id of every group that holds a text -> its string (the comment inside it)."""
    found = {}
    for group in parse(svg).iter("{http://www.w3.org/2000/svg}g"):
        comments = [c for c in group if c.tag is ET.Comment]
        if group.get("id") and comments:
            found[group.get("id")] = comments[0].text.strip()
    return found


def strings(svg: bytes) -> list[str]:
    return [c.text.strip() for c in parse(svg).iter() if c.tag is ET.Comment]


def test_heatmap_png_opens(mpl):
    import matplotlib.image

    data = plot.heatmap(result())
    assert data.startswith(PNG)
    image = matplotlib.image.imread(io.BytesIO(data), format="png")
    height, width, channels = image.shape
    assert channels in (3, 4) and width > height > 200
    assert b"Software" not in data and b"atplotlib" not in data  # no version, no date


def test_heatmap_svg_cells(mpl):
    svg = plot.heatmap(result(), fmt="svg")
    cells = {k: v for k, v in texts(svg).items() if k.startswith("cell-")}
    assert cells == {
        "cell-0-0-0": "100.0%", "cell-0-0-1": "50.0%", "cell-0-0-2": "25.0%*",
        "cell-0-1-0": "100.0%", "cell-0-1-1": "50.0%*",  # 2024-02 offset 2: unobserved
        "cell-0-2-0": "100.0%", "cell-0-2-1": "50.0%",  # weighted avg; offset 2: no complete cell
    }  # fmt: skip
    marks = {g.get("id") for g in parse(svg).iter() if (g.get("id") or "").startswith("partial")}
    assert marks == {"partial-0-0-2", "partial-0-1-1"}
    shown = strings(svg)
    for label in ("2024-01", "2024-02", "weighted avg", "customers", "4", "2", "6"):
        assert label in shown
    assert "retention by month, as of 2024-03-15" in shown
    assert "* partial period: it ends after the as-of date (2024-03-15)" in shown
    links = [v for e in parse(svg).iter() for k, v in e.attrib.items() if k.endswith("href")]
    assert links and all(link.startswith(("#", "data:")) for link in links)  # nothing to fetch
    assert 'href="http' not in svg.decode()
    assert plot.svg_text(svg).startswith("<svg ")


def test_heatmap_money_and_counts_as_the_table_writes_them(mpl):
    svg = plot.heatmap(result("revenue"), fmt="svg", title="by hand")
    cells = texts(svg)
    assert cells["cell-0-0-0"] == "1,280.00"  # 10 + 1,200 + 30 + 40
    assert cells["cell-0-0-2"] == "5.00*"
    assert "by hand" in strings(svg)
    assert not any(k.startswith("cell-0-2") for k in cells)  # revenue has no average row
    counts = texts(plot.heatmap(result("orders"), fmt="svg"))
    assert counts["cell-0-0-0"] == "4" and counts["cell-0-1-1"] == "1*"


def test_same_bytes_twice(mpl):
    matrix = result()
    for draw in (plot.heatmap, plot.curves):
        for fmt in plot.FORMATS:
            assert draw(matrix, fmt) == draw(matrix, fmt)


def test_segmented(mpl):
    segmented = result(segment="plan")
    svg = plot.heatmap(segmented, fmt="svg")
    shown = strings(svg)
    assert "plan = basic" in shown and "plan = pro" in shown
    cells = texts(svg)
    # basic: 2024-01 c d (neither back), 2024-02 e (back in March, partial); pro: a b, f
    assert cells["cell-0-0-1"] == "0.0%" and cells["cell-0-1-1"] == "100.0%*"
    assert cells["cell-1-0-1"] == "100.0%" and cells["cell-1-0-2"] == "50.0%*"
    assert plot.heatmap(segmented).startswith(PNG)
    lines = strings(plot.curves(segmented, fmt="svg"))
    assert "basic (3)" in lines and "pro (3)" in lines
    assert "weighted average by 'plan'" in lines


def test_curves(mpl):
    svg = plot.curves(result(), fmt="svg")
    shown = strings(svg)
    # 2024-01 has a complete cell past offset 0: highlighted; 2024-02 has only a partial one
    for label in (
        "weighted average",
        "2024-01 (4)",
        "other cohorts (1)",
        "partial period (dashed)",
    ):
        assert label in shown
    ids = {g.get("id") for g in parse(svg).iter() if g.get("id")}
    assert {"average", "cohort-0", "cohort-1"} <= ids
    assert plot.curves(result(), highlight=0).startswith(PNG)
    assert "cohorts (2)" in strings(plot.curves(result(), "svg", highlight=0))
    assert plot.curves(result("revenue")).startswith(PNG)  # no average row: no average line


def test_many_cohorts_drop_the_annotations(mpl):
    rows = "\n".join(
        f"c{i},{dt.date(2023, 1, 2) + dt.timedelta(weeks=i)},1" for i in range(ANNOTATED + 1)
    )
    settings = Settings(period="week", as_of=dt.date(2024, 6, 1))
    big = cohorts_of(frame_activity(frame("customer,date,amount\n" + rows), settings), settings)
    svg = plot.heatmap(big[0], fmt="svg")
    assert not any(k.startswith("cell-") for k in texts(svg))
    assert any(s.startswith("too many cells to write their values") for s in strings(svg))


ANNOTATED = plot.ANNOTATE_UP_TO


def test_formats(mpl):
    assert plot.format_of("out/retention.SVG") == "svg"
    assert plot.format_of("a.png") == "png"
    with pytest.raises(RetainError, match="unknown picture format 'jpg'"):
        plot.format_of("a.jpg")
    with pytest.raises(RetainError, match="choose one of png, svg"):
        plot.heatmap(result(), fmt="pdf")


def test_no_global_state(mpl):
    """rcParams come back as they were; pyplot is never imported (no backend, no display)."""
    before = (mpl.rcParams["svg.fonttype"], mpl.rcParams["font.size"], mpl.get_backend())
    plot.heatmap(result(), fmt="svg")
    assert (mpl.rcParams["svg.fonttype"], mpl.rcParams["font.size"], mpl.get_backend()) == before
    code = (
        "import sys; from test_plot import result; from retain.render import plot; "
        "plot.heatmap(result()); plot.curves(result(), 'svg'); "
        "assert 'matplotlib.pyplot' not in sys.modules"
    )
    tests = str(__import__("pathlib").Path(__file__).parent)
    done = subprocess.run([sys.executable, "-c", code], cwd=tests, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    matrix = result()
    for draw in (plot.heatmap, plot.curves):
        with pytest.raises(RetainError) as error:
            draw(matrix)
        assert (
            str(error.value)
            == "plots need matplotlib: pip install 'retain[plot]' (from a clone: pip install -e '.[plot]')"
        )
        assert "\n" not in str(error.value)
