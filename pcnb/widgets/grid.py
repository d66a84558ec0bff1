"""A grid inside a widget layout: an Output widget holding the grid's HTML as a display output.

Why an Output and not an HTML widget: an HTML widget sets innerHTML, so the grid's script never
runs; a display output inside an Output widget is rendered by the front end's own HTML renderer
(JupyterLab, Notebook 7, VS Code, Colab), scripts included, with no extension of ours.
"""

from __future__ import annotations

import ipywidgets as w
import polars as pl

from pcnb import grids


class GridOutput:
    """``.show(frame)`` replaces what is shown; ``.frame``/``.html`` say what that is.

    Why ``carries``: the first grid of a kernel carries the DataTables bundle (pcnb.grids). When that
    grid is this output's, a later ``show`` (a filter change: a widget callback, not a re-run of the
    carrier cell) would replace it with a grid without the bundle, and no output of the saved notebook
    would hold it; reopened, every grid would wait for it forever. So an output that once carried the
    bundle puts it in front of every grid it shows (and keeps it when cleared)."""

    def __init__(self) -> None:
        self.widget = w.Output(layout=w.Layout(width="98%"))
        self.frame: pl.DataFrame | None = None
        self.html = ""
        self.carries = False

    def show(self, frame: pl.DataFrame, caption: str | None = None) -> None:
        html = grids.grid_html(frame, caption, bundle=False)
        bundle = grids.bundle_html() if self.carries else grids.bundle_if_needed()
        self.carries = self.carries or bool(bundle)
        self.frame, self.html = frame, bundle + html
        text = grids.text_table(frame)
        self.widget.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"text/html": self.html, "text/plain": text}},)

    def clear(self) -> None:
        self.frame, self.html = None, grids.bundle_html() if self.carries else ""
        self.widget.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"text/html": self.html, "text/plain": ""}},) if self.html else ()
