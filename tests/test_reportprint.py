"""pcnb.reportprint: on paper a tall chart shares its page with its heading and caption, whole."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from pcnb.report import run_report
from pcnb.reportview import to_pdf

CAPTION = ("## Bottlenecks\n\nHEADINGMARK " + "A caption as long as a section's, which says what the chart "
           "counts and what it leaves out, and wraps over two printed lines. " * 2)
CHART = ("import plotly.graph_objects as go, plotly.io as pio\npio.renderers.default = 'plotly_mimetype+notebook'\n"
         "go.Figure(go.Bar(y=[f'row {i}' for i in range(12)], x=list(range(12)), orientation='h'),\n"
         "          layout={'height': {height}, 'xaxis': {'title': {'text': 'AXISMARK'}}})")


def _report(tmp_path, name: str, cells: list) -> Path:
    """The HTML report (pcnb report) of a notebook of a parameters cell and ``cells``."""
    nb = new_notebook(cells=[new_code_cell("label = 'x'", metadata={"tags": ["parameters"]}), *cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, source)
    return run_report(source, tmp_path / "out" / f"{name}.html")


def _printed(html: Path, pdf: Path) -> list[str]:
    """The text of each printed page of ``html`` (Chromium, pdftotext), blank pages left out."""
    text = subprocess.run(["pdftotext", "-layout", str(to_pdf(html, pdf)), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [p.strip() for p in text.split("\f") if p.strip()]


def _needs_chromium() -> None:
    if not (shutil.which("chromium") and shutil.which("pdftotext")):
        pytest.skip("chromium and poppler-utils are installed by .ci/run")


def _pages(tmp_path, height: int, title: bool) -> list[str]:
    """The PDF's pages of a report: (a title, then) a section's caption and a chart ``height`` px tall.
    With a title the caption goes into the chart's cell (pcnb.reportview); without, it is the report's
    first cell and stays a cell of its own."""
    cells = [*([new_markdown_cell("# Title")] if title else []), new_markdown_cell(CAPTION),
             new_code_cell(CHART.replace("{height}", str(height)))]
    return _printed(_report(tmp_path, f"tall{height}", cells), tmp_path / f"tall{height}.pdf")


def _answer(said: list[str]) -> list:
    """A title with a long introduction, then the title block's box and an "In short" box of ``said``
    with its line saying where the figures are ("WHERE: table A1.")."""
    return [new_markdown_cell("# Title\n\n" + "An introduction: what the report answers. " * 40),
            # a box before it (the title block's place): a break may come between the two
            new_code_cell("from pcnb.reportview import in_short, summary\n"
                          "class Where:\n    def text(self): return 'WHERE: table A1.'\n"
                          "display(summary({'projects': 2000}))\n"
                          "in_short(" + repr(said) + ", figures=Where())")]


@pytest.mark.slow
def test_a_chart_too_tall_for_its_page_is_printed_smaller_not_cut_in_two(tmp_path):
    """The bottleneck chart under its heading was taller than a page at 9/10: Chromium printed its
    axis on the next page. Now it is made shorter, to fit on the page of its heading."""
    _needs_chromium()
    for title in (True, False):
        pages = _pages(tmp_path, 700, title)
        page = pages[-1]  # a title alone may go before: the caption's page must hold the whole chart
        assert "HEADINGMARK" in page and "AXISMARK" in page, pages
        assert "row 11" in page and "row 0" in page  # every row of it


def test_only_a_chart_too_tall_for_its_caption_and_page_is_made_shorter_and_never_below_three_quarters():
    import plotly.graph_objects as go
    import plotly.io as pio

    from pcnb.reportprint import LEAST, PAGE_PX, fit_charts, text_height

    def chart(height: int) -> dict:
        fig = go.Figure(go.Bar(x=[1], y=["a"]), layout={"height": height, "title": {"text": "Q</script><br>n"}})
        return nbformat.v4.new_output("display_data", data={"application/vnd.plotly.v1+json": fig.to_plotly_json(),
                                                            "text/html": pio.to_html(fig, include_plotlyjs=False)})

    caption = nbformat.v4.new_output("display_data", data={"text/markdown": "## Bottlenecks\n\nWhere work waits."})
    # plotly's loader, an output of its own before the first chart: a script, nothing printed
    loader = nbformat.v4.new_output("display_data", data={"text/html": "<script>window.PlotlyConfig = {'x': 1};"
                                                                       + "var a = 1;" * 300 + "</script>"})
    nb = new_notebook(cells=[new_code_cell("a", outputs=[caption, chart(700)]), new_markdown_cell(CAPTION),
                             new_code_cell("b", outputs=[loader, chart(400)]),
                             new_code_cell("c", outputs=[chart(2000)])])
    scripts = nb.cells[0].outputs[-1]["data"]["text/html"].count("</script>")
    assert fit_charts(nb) == 2
    tall, short, huge = (c.outputs[-1]["data"] for c in (nb.cells[0], nb.cells[2], nb.cells[3]))
    fits = int(PAGE_PX - text_height(caption["data"]["text/markdown"]))
    assert tall["application/vnd.plotly.v1+json"]["layout"]["height"] == fits < 700
    assert f'style="height:{fits}px;' in tall["text/html"] and f'"height":{fits},' in tall["text/html"]
    assert tall["text/html"].count("</script>") == scripts  # a title's "</script>" does not end the script
    assert short["application/vnd.plotly.v1+json"]["layout"]["height"] == 400  # fits under its caption: unchanged
    assert huge["application/vnd.plotly.v1+json"]["layout"]["height"] == int(LEAST * 2000)  # shorter, not squashed


@pytest.mark.slow
def test_a_long_answer_starts_on_page_1_under_the_title_block(tmp_path):
    """JupyterLab keeps each output whole on paper: an "In short" box too long for what page 1 had
    left moved whole to page 2 (the rebate program's report 03 printed page 1 as a title block alone).
    It starts on page 1 and goes on, between its sentences, on page 2."""
    _needs_chromium()
    said = [f"SENTENCE{i} " + "A figure said in words, with the change since the months before it. " * 3
            for i in range(9)]  # less than a page, more than page 1 has left
    pages = _printed(_report(tmp_path, "long", _answer(said)), tmp_path / "long.pdf")
    assert len(pages) == 2 and "In short" in pages[0] and "SENTENCE0" in pages[0], [p[:300] for p in pages]
    assert "SENTENCE8" in pages[1] and all(p.count("SENTENCE") for p in pages)
    # a sentence is never cut across the two pages: each page's last one is whole
    assert all(" ".join(p.split("SENTENCE")[-1].split()).count("before it.") == 3 for p in pages)


@pytest.mark.slow
def test_the_line_saying_where_the_figures_are_is_never_alone_on_a_page(tmp_path):
    """The rebate program's report 03 printed its "In the appendix: ..." line alone on page 2 under a full
    page 1. Boxes of 1 to 4 sentences, one after another, end at many heights of a page; no page starts
    with that line (it fails without the print rule that keeps it with the sentence before)."""
    _needs_chromium()
    cells = [new_code_cell("from pcnb.reportview import in_short\n"
                           "class Where:\n    def text(self): return 'WHERE: in the appendix, table A1.'")]
    for k in range(24):  # sentences of one to three lines: the boxes' ends move through a page
        said = [f"SENTENCE{k}.{i} " + "A figure said in words, with the change since the months before it. "
                * (1 + (k + i) % 3) for i in range(1 + k % 4)]
        cells.append(new_code_cell(f"in_short({said!r}, figures=Where())"))
    pages = _printed(_report(tmp_path, "where", cells), tmp_path / "where.pdf")
    assert len(pages) > 3 and sum(p.count("WHERE:") for p in pages) == 24
    assert not [p[:80] for p in pages if p.startswith("WHERE:")]


@pytest.mark.slow
def test_an_answer_that_almost_fits_page_1_starts_there_at_every_height(tmp_path):
    """Inside JupyterLab's flex boxes, Chromium moved an answer that fitted page 1 but for its last line
    or its padding whole to page 2 (page 1 a title block alone). The title's margin moves the box down
    a few pixels at a time across page 1's end: at every height it starts on page 1, and the line saying
    where the figures are goes on with a sentence, never alone."""
    _needs_chromium()
    said = [f"SENTENCE{i} A figure said in words, with the change since the months before it." for i in range(7)]
    page = _report(tmp_path, "near", _answer(said)).read_text()
    seen = []
    for shift in range(0, 40, 4):
        html = tmp_path / f"near{shift}.html"
        html.write_text(page.replace("</head>", f"<style>@media print{{h1{{margin-bottom:{shift}px!important}}}}"
                                                "</style></head>"))
        pages = _printed(html, tmp_path / f"near{shift}.pdf")
        seen.append(len(pages))
        assert "In short" in pages[0] and "SENTENCE0" in pages[0], (shift, [p[:200] for p in pages])
        assert not [p for p in pages if p.startswith("WHERE")], (shift, [p[:200] for p in pages])
    assert 1 in seen and 2 in seen, seen  # the box ended on page 1 and went on to page 2: the edge was crossed
