"""The process-mining charts: variants, the process map and rework (pcnb.analytics' process modules).

They follow pcnb.chartkit's conventions: the title is the question, the line under it says as of,
n and the calendar in words; statuses keep their palette colour; long names are rows. Each was
designed for a real program's size (40 statuses, thousands of variants):

- variants: one row per path, a square per stay coloured by its status (names in the legend and
  the hover, not squeezed into the squares), the most common paths that cover a share of projects
  and one "other" row for the rest, with projects and cycle time beside each; the full table below;
- process map: the statuses top to bottom in the workflow's order, each a box with its projects
  and median business days; moves forward curve to the right, moves back (loops) to the left in
  another colour, as wide as they are frequent, each with its count and median days; rare moves
  are left out and the title says how many;
- rework: one row per loop back, the business days it added split by who held them (the
  applicant's and the utility's colours of the backlog charts), its projects and rounds beneath.

When there is nothing to draw (no moves, no loops) the figure says why in words (the
data-quality statements of :func:`pcnb.analytics.quality.process_statement`), never an empty plot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from pcnb.analytics.calendar import Calendar
from pcnb.analytics.process_map import ProcessMap
from pcnb.analytics.stays import SEP
from pcnb.chartkit import days_text, finish, in_order, row_label, rows_height, say, title
from pcnb.chartrows import FigureWithTable
from pcnb.palette import REFERENCE, SIDES, VERMILLION, Palette, for_names

OTHER_COLOUR = "#bbbbbb"


def variants_chart(v: pl.DataFrame, as_of: datetime, cal: Calendar, colors: Palette | None = None,
                   table: pl.DataFrame | None = None, statements: Sequence[str] = ()) -> FigureWithTable:
    """Rows of :func:`pcnb.analytics.variants.variants` (call it with ``share=``/``k=`` so the rest
    is one "other" row): each path as squares coloured by status, and beside it the projects, their
    share and the median cycle time of the finished ones. ``table``: the full variants frame for the
    grid beneath (default ``v``)."""
    table = v if table is None else table
    real = v.filter(~pl.col("variant").str.starts_with("other ("))
    paths = [r.split(SEP) for r in real["variant"].to_list()]
    statuses = sorted({s for p in paths for s in p})
    pal = colors or for_names(statuses)
    labels = []
    for r in v.iter_rows(named=True):
        share = f"{r['share']:.0%}" if r["share"] >= 0.01 else "<1%"
        if r["variant"].startswith("other ("):
            labels.append(row_label(f"other: {r['variants']:,} variants", f"{r['projects']:,} projects · {share}"))
        else:
            steps = f"{r['steps']} step{'s' if r['steps'] != 1 else ''}"
            labels.append(row_label(f"#{r['rank']} · {steps}", f"{r['projects']:,} projects · {share}"))
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.62, 0.38], horizontal_spacing=0.02)
    n_projects = int(v["projects"].sum()) if v.height else 0
    if v.height == 0:
        fig = say(go.Figure(), statements or ["no status history in the data"], "No paths to show")
        finish(fig, title("Which paths do projects take?", as_of, 0, cal, counted="projects"), "", "")
        return FigureWithTable(fig, table, "Variants")
    longest = max([len(p) for p in paths] or [1])
    size = max(7, min(20, int(560 / longest)))
    for label, path in zip(labels, paths, strict=False):  # a thin line through each path
        fig.add_scatter(x=list(range(1, len(path) + 1)), y=[label] * len(path), mode="lines", showlegend=False,
                        line={"color": "#d0d0d0", "width": 2}, hoverinfo="skip", row=1, col=1)
    for status in in_order(statuses, pal):
        xs, ys, hover = [], [], []
        for label, path, rank in zip(labels, paths, real["rank"].to_list(), strict=False):
            for i, s in enumerate(path):
                if s == status:
                    xs.append(i + 1)
                    ys.append(label)
                    hover.append(f"variant #{rank}, step {i + 1}: {s}")
        fig.add_scatter(x=xs, y=ys, mode="markers", name=status, legendgroup=status, text=hover,
                        marker={"symbol": "square", "size": size, "color": pal[status],
                                "line": {"color": "#ffffff", "width": 1}},
                        hovertemplate="%{text}<extra></extra>", row=1, col=1)
    med = v["median_bdays"].to_list()
    words = [f" {p:,} projects" + (f" · median {days_text(m)} business days" if m is not None else
                                   " · too few finished for a median" if f else " · none finished yet")
             for p, m, f in zip(v["projects"].to_list(), med, v["finished"].to_list(), strict=True)]
    fig.add_bar(y=labels, x=v["share"].to_list(), orientation="h", showlegend=False, width=0.5,
                name="share of projects",
                marker_color=[OTHER_COLOUR if lab.startswith("other") else REFERENCE for lab in labels],
                customdata=v["outcome_mix"].to_list(), text=words, textposition="outside", cliponaxis=False,
                textfont={"size": 11, "color": "#333333"},
                hovertemplate="%{y}<br>%{x:.1%} of projects<br>%{customdata}<extra></extra>", row=1, col=2)
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed", automargin=True,
                     ticklabelstandoff=8)
    fig.update_xaxes(title_text="Step (each square is a stay, in order)", dtick=1 if longest <= 25 else 5,
                     range=[0.5, longest + 0.5], showgrid=False, row=1, col=1)
    reach = max(max(v["share"].to_list()) * 2.4, 0.1)  # room for the words after the longest bar
    fig.update_xaxes(title_text="Share of projects", tickformat=".0%", range=[0, reach],
                     tickvals=[t for t in (0, 0.25, 0.5, 0.75, 1.0) if t <= reach], row=1, col=2)
    fig.update_layout(height=rows_height(len(labels)), legend={"itemsizing": "constant"})
    shown = real.height
    covered = float(real["share"].sum())
    total_variants = int(v["variants"].sum())
    note = (f"the {shown} most common of {total_variants:,} variants cover {covered:.0%} of projects"
            if total_variants > shown else f"all {total_variants:,} variants")
    finish(fig, title("Which paths do projects take, and how long do they take?", as_of, n_projects, cal,
                      counted="projects", note=note), "", "")
    # the legend in even columns, its rows counted: with a program's long status names a free-flowing
    # legend wraps in ways its height cannot be foretold, and climbs into the title
    shown_statuses = [t.name for t in fig.data if t.name in set(statuses)]
    per_row = 3 if max((len(n) for n in shown_statuses), default=0) <= 28 else 2
    legend_rows = math.ceil(len(shown_statuses) / per_row)
    fig.update_layout(legend={"entrywidth": 1 / per_row - 0.005, "entrywidthmode": "fraction"},
                      margin={"t": 96 + 21 * legend_rows}, height=rows_height(len(labels), 21 * legend_rows))
    fig.update_xaxes(title_text="Step (each square is a stay, in order)", row=1, col=1)
    return FigureWithTable(fig, table, "Variants, most projects first (cycle time: business days to a final "
                                       "status, finished projects only)")


def _curve(x0: float, y0: float, x1: float, y1: float, bulge: float, points: int = 24) -> tuple[list[float],
                                                                                              list[float]]:
    """A quadratic Bézier from (x0, y0) to (x1, y1) bowed sideways by ``bulge``."""
    cx, cy = (x0 + x1) / 2 + bulge, (y0 + y1) / 2
    ts = [i / (points - 1) for i in range(points)]
    xs = [(1 - t) ** 2 * x0 + 2 * (1 - t) * t * cx + t ** 2 * x1 for t in ts]
    ys = [(1 - t) ** 2 * y0 + 2 * (1 - t) * t * cy + t ** 2 * y1 for t in ts]
    return xs, ys


def _apex(span: int) -> float:
    """How far sideways a move over ``span`` statuses bows (x units; a status box is ~2.2 wide):
    clear of the boxes, and further the more statuses it jumps, so parallel moves do not overlap."""
    return 1.35 + 0.5 * (math.sqrt(abs(span)) - 1)


def process_map_chart(pm: ProcessMap, as_of: datetime, cal: Calendar, colors: Palette | None = None,
                      statements: Sequence[str] = (), min_share: float | None = None) -> go.Figure:
    """The directly-follows graph of :func:`pcnb.analytics.process_map.process_map`, top to bottom in
    the workflow's order (see the module doc). Hover a box or a move for its full figures."""
    nodes = pm.nodes
    pal = colors or for_names(nodes["status"].to_list())
    fig = go.Figure()
    if pm.edges.height == 0:
        say(fig, statements or ["no project has moved from one status to another yet"], "No moves to draw")
        finish(fig, title("How do projects move through the process?", as_of, pm.moves, cal, counted="moves"),
               "", "")
        return fig.update_layout(height=420)
    y = {s: -i for i, s in enumerate(nodes["status"].to_list())}
    top = max(pm.edges["count"].max() or 1, 1)
    for r in pm.edges.iter_rows(named=True):
        a, b = r["source"], r["target"]
        span = y[a] - y[b]  # > 0 forward (down)
        back = r["direction"] == "back"
        bulge = 0.0 if span == 1 and not back else (-1 if back else 1) * 2 * _apex(span)
        xs, ys = _curve(0.0, y[a], 0.0, y[b], bulge)
        width = 1.2 + 7 * r["count"] / top
        colour = VERMILLION if back else REFERENCE
        med = "too few to state a time" if r["median_bdays"] is None else f"median {days_text(r['median_bdays'])}"
        p90 = "" if r["p90_bdays"] is None else f", 9 in 10 within {days_text(r['p90_bdays'])}"
        hover = (f"{a} → {b}<br>{r['count']:,} moves by {r['projects']:,} projects ({r['share_of_source']:.0%} "
                 f"of moves out of {a})<br>time in {a} before the move: {med}{p90} business days")
        fig.add_scatter(x=xs, y=ys, mode="lines", line={"color": colour, "width": width}, opacity=0.75,
                        showlegend=False, hoverinfo="skip", name=f"{a} → {b}")
        # the arrow and its label: mid-way on short moves; on long ones a third of the way from the
        # source, where moves from different statuses are apart (their midpoints crowd together)
        mid = int(len(xs) * (0.62 if abs(span) == 1 and not back else 0.5 if abs(span) <= 2 else 0.32))
        label = f"{r['count']:,}" + (f" · {days_text(r['median_bdays'])} d" if r["median_bdays"] is not None else "")
        fig.add_scatter(x=[xs[mid - 1], xs[mid]], y=[ys[mid - 1], ys[mid]], mode="markers+text",
                        marker={"symbol": "arrow", "angleref": "previous", "size": [0, 9 + width],
                                "color": colour}, text=["", label],
                        textposition="middle left" if back else "middle right",
                        textfont={"size": 10, "color": colour}, hovertext=["", hover], hoverinfo="text",
                        showlegend=False, name=f"{a} → {b}")
    for r in nodes.iter_rows(named=True):
        s = r["status"]
        med = (f"median {days_text(r['median_bdays'])} business days" if r["median_bdays"] is not None else
               "final" if r["n_closed"] == 0 else "too few stays for a median")
        fig.add_annotation(x=0, y=y[s], text=f"<b>{s}</b><br>{r['projects']:,} projects · {med}", showarrow=False,
                           bgcolor="#ffffff", bordercolor=pal[s], borderwidth=2, borderpad=5,
                           font={"size": 12, "color": "#222222"})
        fig.add_scatter(x=[0], y=[y[s]], mode="markers", marker={"size": 30, "color": pal[s], "opacity": 0},
                        name=s, showlegend=False,
                        hovertemplate=(f"{s}<br>{r['projects']:,} projects, {r['stays']:,} stays ({r['starts']:,} "
                                       f"started here, {r['ends']:,} are here or ended here)<br>{med}<extra></extra>"))
    fig.add_scatter(x=[None], y=[None], mode="lines", line={"color": REFERENCE, "width": 3},
                    name="move forward (label: moves · median business days in the status before)")
    fig.add_scatter(x=[None], y=[None], mode="lines", line={"color": VERMILLION, "width": 3},
                    name="move back to an earlier status (a loop)")
    reach = _apex(max(nodes.height - 1, 1)) + 1.4
    fig.update_xaxes(visible=False, range=[-reach, reach])
    fig.update_yaxes(visible=False, range=[-nodes.height + 0.4, 0.6])
    hidden = (f"{pm.hidden_edges} rare kinds of move ({pm.hidden_moves:,} moves"
              + (f", each under {min_share:.1%} of all" if min_share else "") + ") left out"
              if pm.hidden_edges else "every kind of move drawn")
    finish(fig, title("How do projects move through the process?", as_of, pm.moves, cal, counted="moves",
                      note=hidden), "", "")
    return fig.update_layout(height=max(480, 200 + 92 * nodes.height), hovermode="closest")


def rework_chart(pairs: pl.DataFrame, as_of: datetime, cal: Calendar, top: int = 15,
                 statements: Sequence[str] = ()) -> FigureWithTable:
    """One row per loop back (:func:`pcnb.analytics.rework.rework_pairs`), the ``top`` with most
    projects: the business days its rounds added, stacked by who held them; projects, the share of
    those that reached the status, rounds per project and a round's median beneath the name."""
    shown = pairs.head(top)
    n_rounds = int(pairs["rounds"].sum()) if pairs.height else 0
    if shown.height == 0:
        fig = say(go.Figure(), statements or ["no project went back to a status it had already been in"],
                   "No rework loops found")
        finish(fig, title("Which loops back cost the most business days?", as_of, 0, cal, counted="rounds"), "", "")
        return FigureWithTable(fig, pairs, "Rework loops")
    labels = []
    for r in shown.iter_rows(named=True):
        share = f" ({r['share']:.0%} of those that reached {r['to_status']})" if r["share"] is not None else ""
        med = (f" · median round {days_text(r['median_round_bdays'])} business days"
               if r["median_round_bdays"] is not None else "")
        labels.append(row_label(r["loop"], f"{r['projects']:,} projects{share} · {r['rounds_per_project']:.1f} "
                                           f"rounds each{med}"))
    total = shown["total_bdays"].to_list()
    app = [round(t * a) if a is not None else None for t, a in zip(total, shown["applicant_share"].to_list(),
                                                                   strict=True)]
    fig = go.Figure()
    for side, values in (("applicant", app), ("utility", [t - a if a is not None else t for t, a in
                                                          zip(total, app, strict=True)])):
        fig.add_bar(y=labels, x=values, orientation="h", name=f"held by the {side}", marker_color=SIDES[side],
                    hovertemplate=f"%{{y}}<br>%{{x:,}} business days held by the {side}<extra></extra>", width=0.55)
    fig.add_scatter(y=labels, x=total, mode="text", text=[f" {t:,} business days" for t in total],
                    textposition="middle right", showlegend=False, hoverinfo="skip", cliponaxis=False,
                    textfont={"size": 12, "color": "#333333"})
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed", automargin=True,
                     ticklabelstandoff=8)
    fig.update_xaxes(rangemode="tozero", range=[0, max(total + [1]) * 1.35])
    fig.update_layout(barmode="stack", height=rows_height(len(labels)))
    note = f"the {shown.height} loops with most projects of {pairs.height}" if pairs.height > shown.height else ""
    finish(fig, title("Which loops back cost the most business days?", as_of, n_rounds, cal, counted="rounds",
                      note=note), "Business days the rounds added (all projects)", "")
    return FigureWithTable(fig, pairs, "Rework loops, most projects first (a round: from leaving the status to "
                                       "leaving it again)")


__all__ = ["process_map_chart", "rework_chart", "variants_chart"]
