"""pcnb.appendix: on screen a chart's table sits beneath it; in a report it goes to the appendix,
numbered, and the chart says where."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl
import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from pcnb import appendix, reportview
from pcnb.chartrows import FigureWithTable
from pcnb.frameview import Captioned
from pcnb.grids import Grid


@pytest.fixture
def printed(monkeypatch):
    """A report's kernel (reportview.TABLE_SETUP sets the flag), with nothing held yet."""
    monkeypatch.setattr(reportview, "PRINTED", True)
    monkeypatch.setattr(appendix, "HELD", [])


def _chart(question: str) -> go.Figure:
    return go.Figure(go.Bar(x=[1], y=["a"]), layout={"title": {"text": f"{question}<br><sup>as of ...</sup>"}})


TABLE = pl.DataFrame({"Status": ["Review", "Approved"], "Moves": ["1,204", "87"]})


def test_on_screen_the_table_is_shown_beneath_its_chart(monkeypatch):
    monkeypatch.setattr(appendix, "HELD", [])
    assert isinstance(appendix.behind(TABLE, "Moves"), Captioned)
    assert isinstance(appendix.behind(TABLE, "Moves", grid=True), Grid)
    assert appendix.HELD == []


def test_in_a_report_the_chart_points_to_its_table_and_the_appendix_shows_them_numbered(printed):
    first = appendix.behind(TABLE, "Moves by status", chart=_chart("Where does work wait?"))
    second = appendix.behind(TABLE.head(1), "Each deadline's counts", grid=True, chart="How often were they missed?")
    assert isinstance(first, appendix.Reference) and isinstance(second, appendix.Reference)
    assert "table A1 in the appendix" in first._repr_html_() and "table A2 in the appendix" in repr(second)
    InteractiveShell.instance()  # display() needs a shell to publish to
    with capture_output() as shown:
        appendix.show()
    html = [o.data.get("text/html", "") for o in shown.outputs]
    assert len(html) == 3 and appendix.HEADING in html[0]
    assert "Table A1. Moves by status (chart: “Where does work wait?”)" in html[1] and "1,204" in html[1]
    assert "Table A2. Each deadline&#x27;s counts" in html[2] and "dataTable" in html[2]  # the grid stays a grid
    assert appendix.HELD == []  # shown once
    with capture_output() as again:
        appendix.show()
    assert again.outputs == []  # no tables held: no appendix, not an empty heading


def test_a_chart_with_a_table_shows_the_reference_in_a_report(printed):
    InteractiveShell.instance()
    fig = FigureWithTable(_chart("How long do projects stay in each status?"), TABLE, "Business days in each status")
    with capture_output() as shown:
        fig._ipython_display_()
    texts = [o.data.get("text/plain", "") for o in shown.outputs]
    assert texts[-1] == "The figures behind this chart: table A1 in the appendix."
    assert appendix.HELD[0].chart == "How long do projects stay in each status?" and appendix.HELD[0].grid


def test_a_report_ends_with_the_appendix_cell_and_it_takes_no_sections_caption():
    nb = new_notebook(cells=[new_markdown_cell("# Title"), new_code_cell("chart()"), new_markdown_cell("## Last")])
    prepared = reportview.prepare(nb)
    assert reportview.SETUP_TAG in prepared.cells[0].metadata["tags"]
    last = prepared.cells[-1]
    assert reportview.APPENDIX_TAG in last.metadata["tags"] and "show()" in last.source
    last.outputs = [new_output("display_data", data={"text/html": "<h2>Appendix</h2>"})]
    out = reportview._captions_with_outputs(prepared)
    assert out.cells[-2].cell_type == "markdown" and out.cells[-2].source == "## Last"  # still its own cell
    assert out.cells[-1].outputs[0]["data"] == {"text/html": "<h2>Appendix</h2>"}


def test_where_a_charts_figures_are_ends_its_sections_caption(printed):
    """Beneath a chart that fills its page the reference was printed alone atop the next page: in a
    report it ends the caption above the chart instead."""
    ref = appendix.behind(TABLE, "Moves")
    chart = new_output("display_data", data={"application/vnd.plotly.v1+json": {}, "text/plain": "chart"})
    beneath = new_output("display_data", data={"text/html": ref._repr_html_(), "text/plain": repr(ref)})

    def captioned(caption: str) -> list:
        nb = new_notebook(cells=[new_markdown_cell("# Title"), new_markdown_cell(caption),
                                 new_code_cell("chart", outputs=[chart, beneath])])
        return reportview._captions_with_outputs(nb).cells[-1].outputs

    out = captioned("## Bottlenecks\n\nWhere work waits.")
    assert out[0]["data"]["text/markdown"] == ("## Bottlenecks\n\nWhere work waits. "
                                              "*The figures behind this chart: table A1 in the appendix.*")
    assert out[1:] == [chart]
    # a heading alone: the reference is a paragraph under it, not in it
    assert captioned("## Bottlenecks")[0]["data"]["text/markdown"] == (
        "## Bottlenecks\n\n*The figures behind this chart: table A1 in the appendix.*")


def test_a_table_that_is_not_the_charts_own_figures_is_called_what_it_is(printed):
    """Notebook 02's table of arrivals and departures stands beside a chart of arrivals and
    completions: "the figures behind this chart" sent a reader to a table without the chart's bars."""
    ref = appendix.behind(TABLE, "Arrivals and departures by month", what="Arrivals and departures by month")
    assert repr(ref) == "Arrivals and departures by month: table A1 in the appendix."


def test_page_1_points_to_the_table_its_chart_shows_later(monkeypatch):
    """Report 02's page 1 speaks of the monthly flow table the arrivals chart shows further on: one
    table, numbered from page 1, and the chart refers to the same number; on screen no pointer."""
    monkeypatch.setattr(appendix, "HELD", [])
    monkeypatch.setattr(reportview, "PRINTED", False)
    assert appendix.pointer(TABLE, "By month", place="page 1's sentences", what="The monthly figures") is None
    monkeypatch.setattr(reportview, "PRINTED", True)
    first = appendix.pointer(TABLE, "By month", place="page 1's sentences", what="The monthly figures")
    later = appendix.behind(TABLE, "By month", chart=_chart("How many arrived?"))
    other = appendix.behind(TABLE.head(1), "Another", chart="Where does work wait?")
    assert first is not None and first.text() == "The monthly figures: table A1 in the appendix."
    assert repr(later) == "The figures behind this chart: table A1 in the appendix." and "table A2" in repr(other)
    assert [h.title() for h in appendix.HELD] == [
        "Table A1. By month (page 1's sentences; chart: “How many arrived?”)",
        "Table A2. Another (chart: “Where does work wait?”)"]

