"""pcnb.widgets.grid: a grid inside a widget layout (red-team findings)."""

from __future__ import annotations

import polars as pl

from pcnb import grids
from pcnb.widgets.grid import GridOutput

BUNDLE = "injectModule("  # what the DataTables bundle output defines (itables' offline init)


def test_the_bundle_is_not_lost_when_the_grid_that_carried_it_is_replaced(monkeypatch):
    """Red team (no fix yet): the first grid of a kernel carries the DataTables bundle. When that grid is the
    project browser's (shown while its cell runs), the next filter change replaces the Output's content with a
    grid without the bundle (a widget callback is not a re-run of the carrier cell), so no output of the saved
    notebook holds the bundle any more: reopened, every grid is stuck on "Loading ITables..."."""
    monkeypatch.setitem(grids._state, "carrier", None)
    monkeypatch.setattr(grids, "_request", lambda: ("cell-browser", "execute-1"))
    out = GridOutput()
    df = pl.DataFrame({"owner": ["a", "b"]})
    out.show(df)
    assert BUNDLE in out.html
    monkeypatch.setattr(grids, "_request", lambda: (None, "comm-msg-2"))  # a filter change: a widget callback
    out.show(df.head(1))
    later = grids.grid_html(df)  # a grid of another cell, afterwards
    assert BUNDLE in out.html and BUNDLE not in later  # the carrier keeps it; it is not sent twice


def test_an_output_that_carried_the_bundle_keeps_it_when_cleared(monkeypatch):
    monkeypatch.setitem(grids._state, "carrier", None)
    monkeypatch.setattr(grids, "_request", lambda: ("cell-browser", "execute-1"))
    out = GridOutput()
    out.show(pl.DataFrame({"owner": ["a"]}))
    monkeypatch.setattr(grids, "_request", lambda: (None, "comm-msg-2"))
    out.clear()
    assert out.frame is None and BUNDLE in out.widget.outputs[0]["data"]["text/html"]
    other = GridOutput()  # an output that never carried it: none of its grids does
    other.show(pl.DataFrame({"owner": ["b"]}))
    assert BUNDLE not in other.html
