"""The figures behind the charts, in a report's appendix.

On screen a chart's table sits beneath it, a grid to sort and search. On paper that left pages of
white: a chart that fills its page pushed its table onto the next page, alone (two reviews of reports
02 and 03 found three such pages), and a manager reads the chart, not the 16 rows behind it. So in a
report (``pcnb.reportview.PRINTED``) the chart says where its figures are, "table A1 in the appendix",
and the tables follow the last section, one after another, numbered in the order their charts come.
The last cell of a report (``pcnb.reportview.prepare`` adds it) shows them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl

from pcnb import reportview
from pcnb.reportview import REFERENCE_CLASS

HEADING = "Appendix: the figures behind the charts"
HEADING_CLASS = "pcnb-appendix"


@dataclass
class Held:
    """A table kept for the appendix: its number ("A1"), caption, frame, the question of the chart
    it is behind ("" when not known) and where else it is read from (``place``: "page 1");
    ``grid``: shown as a grid (sortable) rather than a plain table."""

    number: str
    caption: str
    frame: pl.DataFrame
    grid: bool
    chart: str
    place: str = ""

    def title(self) -> str:
        where = "; ".join([*([self.place] if self.place else []), *([f"chart: “{self.chart}”"] if self.chart else [])])
        return f"Table {self.number}. {self.caption}{f' ({where})' if where else ''}"


#: the tables held in this kernel since the appendix was last shown
HELD: list[Held] = []


class Reference:
    """What stands beneath a chart in a report: where its figures are (``what``: what the table
    holds, when it is not the chart's own figures)."""

    def __init__(self, number: str, what: str = "The figures behind this chart"):
        self.number, self.what = number, what

    def text(self) -> str:
        return f"{self.what}: table {self.number} in the appendix."

    def _repr_html_(self) -> str:
        return f"<p class='{REFERENCE_CLASS}'><i>{html.escape(self.text())}</i></p>"

    def __repr__(self) -> str:
        return self.text()


def shown(frame: pl.DataFrame, caption: str, grid: bool) -> object:
    """The table as displayed: a grid (pcnb.grids) or a captioned table (pcnb.frameview)."""
    if grid:
        from pcnb.grids import Grid

        return Grid(frame, caption)
    from pcnb.frameview import Captioned

    return Captioned(frame, caption)


def question(chart: go.Figure | str) -> str:
    """A chart's question: the first line of its title (pcnb.chartkit.title)."""
    if isinstance(chart, str):
        return chart
    return str(chart.layout.title.text or "").split("<br>")[0]


def behind(frame: pl.DataFrame, caption: str, grid: bool = False, chart: go.Figure | str = "",
           what: str = "", place: str = "") -> object:
    """What to display beneath a chart: on screen the table itself; in a report a Reference to it,
    the table kept for the appendix. ``chart``: the chart (or its question), named in the appendix;
    ``what``: what the reference calls the table when it is not the chart's own figures (a table
    of arrivals and departures beside a chart of arrivals and completions); ``place``: where the table
    is read from when no chart is (page 1's sentences)."""
    if not reportview.PRINTED:
        return shown(frame, caption, grid)
    held = next((h for h in HELD if h.frame is frame), None)  # page 1 pointed to it already (pointer)
    if held is None:
        HELD.append(held := Held(f"A{len(HELD) + 1}", caption, frame, grid, "", place))
    held.chart = held.chart or question(chart)
    return Reference(held.number, *([what] if what else []))


def pointer(frame: pl.DataFrame, caption: str, place: str, what: str) -> Reference | None:
    """Page 1's pointer to the table a chart further on shows (its sentences' figures): in a report the
    table is held now, so it is numbered from page 1 and the chart's :func:`behind` (given the same
    frame) refers to the same number; on screen nothing, the table stands beneath its chart."""
    if not reportview.PRINTED:
        return None
    reference = behind(frame, caption, place=place, what=what)
    assert isinstance(reference, Reference)
    return reference


def show() -> None:
    """Display the appendix: its heading, then every held table under its number; then forget them.
    Nothing at all when no table was held (a report without charts has no appendix)."""
    from IPython.display import HTML, display

    if not HELD:
        return
    display(HTML(f"<h2 class='{HEADING_CLASS}'>{html.escape(HEADING)}</h2>"))  # type: ignore[no-untyped-call]
    for held in HELD:
        display(shown(held.frame, held.title(), held.grid))  # type: ignore[no-untyped-call]
    HELD.clear()
