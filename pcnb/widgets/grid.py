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
    """``.show(frame)`` replaces what is shown; ``.frame``/``.html`` say what that is."""

    def __init__(self) -> None:
        self.widget = w.Output(layout=w.Layout(width="98%"))
        self.frame: pl.DataFrame | None = None
        self.html = ""

    def show(self, frame: pl.DataFrame, caption: str | None = None) -> None:
        self.frame, self.html = frame, grids.grid_html(frame, caption)
        text = grids.text_table(frame)
        self.widget.outputs = ({"output_type": "display_data", "metadata": {},
                                "data": {"text/html": self.html, "text/plain": text}},)

    def clear(self) -> None:
        self.frame, self.html = None, ""
        self.widget.outputs = ()
