"""Charts of sample-based estimates (pcnb.analytics.estimates): a point per figure, its 95 %
interval drawn as a band, and the title saying how many projects it is estimated from.

Why its own chart and not the exact charts with a band added: an estimate is one number and an
interval per status, not a distribution of stays, and a reader must see at a glance that it is an
estimate ("estimated from 812 of 100,000 projects") until the sync has fetched every history, when
the band goes and the title says "all N projects".
"""

from __future__ import annotations

from datetime import datetime

import plotly.graph_objects as go
import polars as pl

from pcnb.analytics.calendar import Calendar
from pcnb.chartkit import finish, rows_height, title
from pcnb.palette import TARGET


def basis(sample: str) -> str:
    """"812 of 100,000" -> "estimated from 812 of 100,000 projects (95 % intervals)"; complete: "all N"."""
    n, _, big_n = sample.partition(" of ")
    return f"all {big_n} projects" if n == big_n else f"estimated from {sample} projects (95 % intervals)"


def estimate_chart(table: pl.DataFrame, label: str, question: str, x_title: str, as_of: datetime,
                   cal: Calendar | None = None, scope: str = "all projects") -> go.Figure:
    """One row per ``label`` value and statistic of an estimates table (estimate, lo, hi, n, sample);
    ``scope``: which projects N counts (pcnb.cache.scope), said in the title when not all."""
    fig = go.Figure()
    sample = table["sample"][0] if table.height else "0 of 0"
    for statistic, g in table.group_by("statistic", maintain_order=True):
        rows = [f"{r} · {statistic}" for r in g[label].cast(pl.String).to_list()]
        est = g["estimate"].to_list()
        lo = [e if v is None else v for v, e in zip(g["lo"].to_list(), est, strict=True)]
        hi = [e if v is None else v for v, e in zip(g["hi"].to_list(), est, strict=True)]
        fig.add_trace(go.Scatter(
            x=est, y=rows, mode="markers", name=str(statistic[0]), marker={"size": 10},
            error_x={"type": "data", "symmetric": False, "array": [h - e for h, e in zip(hi, est, strict=True)],
                     "arrayminus": [e - v for v, e in zip(lo, est, strict=True)], "thickness": 6, "width": 0,
                     "color": TARGET},
            customdata=list(zip(lo, hi, g["n"].to_list(), strict=True)),
            hovertemplate="%{y}: %{x:.3g} [%{customdata[0]:.3g}, %{customdata[1]:.3g}], n=%{customdata[2]}"
                          "<extra></extra>"))
    n = int(sample.partition(" of ")[0].replace(",", "") or 0)
    fig.update_layout(height=rows_height(max(table.height, 1), 140))
    note = basis(sample) + ("" if scope == "all projects" else f"; scope: {scope}")
    return finish(fig, title(question, as_of, n, cal, counted="projects sampled", note=note), x_title, "")


__all__ = ["basis", "estimate_chart"]
