"""The forecast charts: the backlog's fan, each project's completion range, the at-risk list.

They follow pcnb.chartkit's conventions: the title is the question, the line beneath says as of
when, n and the calendar in words; long names (projects, statuses, deadlines) are rows; a legend says
what a mark means; what the figures assume (the arrivals model, unchanged capacity) is a footnote on
the figure, so a copy keeps it. Bands are one colour at two strengths: the 80 % band darker inside
the 95 % one. pcnb.charts re-exports them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import polars as pl

from pcnb.analytics.calendar import Calendar
from pcnb.chartkit import finish, footnote, row_label, rows_height, title
from pcnb.chartrows import FigureWithTable
from pcnb.forecast.backlog import TOTAL, Backlog
from pcnb.forecast.run import Forecast
from pcnb.palette import BLUE, REFERENCE, SIDES, TARGET, Palette, for_names

BAND = "0, 114, 178"  # BLUE as rgb, for the bands' transparency
DAY_MS = 86_400_000


def _today_line(fig: go.Figure, day: object, text: str = "as of") -> None:
    fig.add_vline(x=day, line={"color": "#888888", "width": 1, "dash": "dot"})
    fig.add_annotation(x=day, y=1, yref="paper", text=text, showarrow=False, xanchor="left", yanchor="bottom",
                       font={"size": 11, "color": "#666666"})


def backlog_forecast_chart(b: Backlog, cal: Calendar, history: pl.DataFrame | None = None,
                           status: str = TOTAL) -> go.Figure:
    """The work in progress of ``status`` (default: every status but the drafts) week by week: the
    median of the simulated futures as a line, the 80 % band darker inside the 95 % band, and, when
    ``history`` (date, wip) is given, what it was before ``as_of`` as a solid grey line."""
    w = b.wip.filter(pl.col("status") == status).sort("week")
    if w.height == 0:
        raise ValueError(f"the backlog forecast has no status {status!r}; "
                         f"use one of: {', '.join(sorted(set(b.wip['status'])))}")
    dates = w["date"].to_list()
    fig = go.Figure()
    for lo, hi, alpha, name in (("p2_5", "p97_5", 0.18, "95 % of simulated futures"),
                                ("p10", "p90", 0.35, "80 % of simulated futures")):
        fig.add_scatter(x=dates + dates[::-1], y=w[hi].to_list() + w[lo].to_list()[::-1], fill="toself",
                        fillcolor=f"rgba({BAND}, {alpha})", line={"width": 0}, mode="lines", name=name,
                        hoverinfo="skip")
    fig.add_scatter(x=dates, y=w["p50"].to_list(), mode="lines+markers", name="median of simulated futures",
                    line={"color": BLUE, "width": 2}, marker={"size": 5},
                    customdata=list(zip(w["p10"].to_list(), w["p90"].to_list(), strict=True)),
                    hovertemplate="%{x|%b %d, %Y}: median %{y:,.0f}, 80 % between %{customdata[0]:,.0f} and "
                                  "%{customdata[1]:,.0f}<extra></extra>")
    if history is not None and history.height:
        h = history.sort("date")
        fig.add_scatter(x=h["date"].to_list(), y=h["wip"].to_list(), mode="lines", name="in progress (the data)",
                        line={"color": REFERENCE, "width": 2}, hovertemplate="%{x|%b %d, %Y}: %{y:,}<extra></extra>")
    now = w.row(0, named=True)
    _today_line(fig, dates[0], f"as of: {now['p50']:,.0f} in progress")
    last = w.row(-1, named=True)
    fig.add_annotation(x=last["date"], y=last["p50"], text=f" {last['p50']:,.0f}", showarrow=False, xanchor="left",
                       font={"size": 12, "color": BLUE})
    which = "every status but the drafts" if status == TOTAL else status
    surge = f", arrivals x{b.surge:g} (what-if)" if b.surge != 1 else ""
    weeks = int(w["week"].max() or 0)  # type: ignore[arg-type]
    fig = finish(fig, title(f"How much work will be in progress in the next {weeks} weeks?", b.as_of,
                            int(now["p50"]), cal, f"in progress now ({which})", f"{b.worlds} simulated futures{surge}"),
                 "Week ending", "Projects in progress")
    clears = {r["share"]: r for r in b.clears.iter_rows(named=True)}
    said = "; ".join(f"{s:.0%} done by {clears[s]['p50'] or 'after the horizon'}" for s in (0.5, 0.9) if s in clears)
    total = clears[1.0]["projects"] if 1.0 in clears else 0
    arrivals = (b.arrivals.short() + (f" (x{b.surge:g})" if b.surge != 1 else "") if b.arrivals is not None
                else "no new projects counted")
    text = (f"Today's backlog ({total:,} projects), in the median future: {said}.<br>{arrivals.capitalize()}; a step "
            "takes as long as it did before as of, however much work waits (capacity unchanged).")
    return footnote(fig, text, lines=2)


def _short(note: str, width: int = 150) -> str:
    """A long note on one or two lines of a footnote (plotly does not wrap)."""
    import textwrap

    return "<br>".join(textwrap.wrap(note, width))


def completion_chart(fc: Forecast, numbers: Mapping[str, str] | None = None, limit: int = 30,
                     colors: Palette | None = None) -> go.Figure:
    """One row per open project with a forecast (the ``limit`` whose median finish is latest): a bar
    over the dates by which 8 in 10 of its simulated futures reach a final status (p10 to p90), a
    dot at the median, coloured by its current status; beneath its name, the status, the business
    days it has spent there and its chance to complete. ``numbers``: project_id -> project number."""
    p = fc.projects.filter(pl.col("supported") & pl.col("done_p10").is_not_null())
    shown = p.sort(pl.col("done_p50").fill_null(fc.horizon), "project_id", descending=[True, False]).head(limit)
    pal = colors or for_names(shown["status"].unique().to_list())
    fig = go.Figure()
    labels = []
    rows = list(shown.iter_rows(named=True))
    for r in rows:
        name = (numbers or {}).get(r["project_id"], r["project_id"])
        done = f" · {r['p_completed']:.0%} will complete" if r.get("p_completed") is not None else ""
        labels.append(row_label(name, f"{r['status']} · {r['age_bdays']} business days there{done}"))
    zone = ZoneInfo(fc.program.calendar.timezone if fc.program is not None else "UTC")
    today = fc.as_of.astimezone(zone).date()
    finite = [r["done_p90"] for r in rows if r["done_p90"] is not None]
    furthest = max([*finite, *[r["done_p50"] for r in rows if r["done_p50"] is not None], today])
    right = min(fc.horizon, furthest + (furthest - today) / 8)
    for status in dict.fromkeys(shown["status"].to_list()):
        mine = [(lab, r) for lab, r in zip(labels, rows, strict=True) if r["status"] == status]
        start = [r["done_p10"] for _, r in mine]
        end = [min(r["done_p90"] or fc.horizon, right) for _, r in mine]
        fig.add_bar(y=[lab for lab, _ in mine], base=start, orientation="h", name=status, marker_color=pal[status],
                    x=[((e - s).days + 1) * DAY_MS for s, e in zip(start, end, strict=True)], width=0.5,
                    marker={"opacity": 0.45}, showlegend=False,
                    customdata=[(r["done_p10"], r["done_p50"], r["done_p90"] or f"after {fc.horizon}")
                                for _, r in mine],
                    hovertemplate="done by %{customdata[0]} in 1 of 10 futures, %{customdata[1]} in half, "
                                  "%{customdata[2]} in 9 of 10<extra></extra>")
        fig.add_scatter(y=[lab for lab, _ in mine], x=[r["done_p50"] for _, r in mine], mode="markers", name=status,
                        marker={"color": pal[status], "size": 10, "line": {"color": "white", "width": 1}},
                        showlegend=False, hoverinfo="skip")
    later = [(lab, r) for lab, r in zip(labels, rows, strict=True) if r["done_p90"] is None or r["done_p90"] > right]
    fig.add_scatter(y=[lab for lab, _ in later], x=[right] * len(later), mode="text", showlegend=False,
                    text=[f" → {r['done_p90'] or 'after ' + str(fc.horizon)}" for _, r in later], name="later",
                    textposition="middle right", textfont={"size": 11, "color": "#555555"}, cliponaxis=False,
                    hoverinfo="skip")  # the ranges that run on past the chart, and how far
    fig.add_bar(x=[None], y=[None], orientation="h", name="bar: 8 in 10 simulated futures are done in this range",
                marker={"color": "#777777", "opacity": 0.45})
    fig.add_scatter(x=[None], y=[None], mode="markers", name="dot: the median (half are done earlier)",
                    marker={"color": "#777777", "size": 10})
    _today_line(fig, today)
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed", automargin=True)
    fig.update_xaxes(type="date", range=[today - (right - today) / 40, right + (right - today) / 6])
    fig.update_layout(height=rows_height(len(labels)), bargap=0.3)
    cal = fc.program.calendar if fc.program is not None else None
    note = f"the {len(labels)} with the latest median of {p.height:,}"
    fig = finish(fig, title("When will each project be done?", fc.as_of, p.height, cal, "open projects with a forecast",
                            note), "Date it reaches a final status (completed or otherwise)", "")
    left = fc.projects.height - p.height
    return footnote(fig, _short(f"{fc.paths:,} simulated futures per project, from the histories up to as of; "
                               f"{left:,} open projects have no forecast (their notes in ws.forecast().projects say "
                               "why).", 100), lines=2)


def at_risk_chart(risk: pl.DataFrame, as_of: datetime, within: int, cal: Calendar | None = None,
                  threshold: float = 0.5, limit: int = 25) -> FigureWithTable:
    """One row per (project, deadline) likely to run out within ``within`` business days (the
    ``limit`` likeliest): a bar of that chance, coloured by who holds the project now (the one who
    can still act), the day it goes late written after the bar; the stuck projects (past the 95th
    percentile of their status) as rows of text beneath. Every row of ``risk`` is in the grid."""
    dl = risk.filter(pl.col("reason") == "deadline").head(limit)
    stuck = risk.filter(pl.col("reason") == "stuck")
    fig = go.Figure()
    labels = [_risk_label(r) for r in dl.iter_rows(named=True)]
    # one trace per kind of mark, whatever the day's rows: colours per bar say who holds the project
    fig.add_bar(y=labels, x=dl["probability"].to_list(), orientation="h", name="at risk", showlegend=False,
                marker={"color": [SIDES.get(h, SIDES["none"]) for h in dl["holder"].to_list()]},
                text=[f" {p:.0%}" + (f" · late from {d}" if d is not None else "")
                      for p, d in zip(dl["probability"].to_list(), dl["late_on"].to_list(), strict=True)],
                textposition="outside", cliponaxis=False, width=0.5,
                hovertemplate="%{y}<br>%{x:.0%} chance it goes late within " + str(within)
                              + " business days<extra></extra>")
    for holder in ("utility", "applicant"):
        fig.add_bar(x=[None], y=[None], orientation="h", marker_color=SIDES[holder], name=f"the {holder} holds it now")
    rest = list(stuck.head(max(0, limit - dl.height)).iter_rows(named=True))
    stuck_rows = [row_label(_name(r), f"stuck in {r['status']} · the {r['holder']} holds it") for r in rest]
    texts = [f"  {r['age_bdays']} business days there; 95 % of stays ended within {r['p95_bdays']:.0f}" for r in rest]
    if not labels and not stuck_rows:
        stuck_rows, texts = [row_label("nothing at risk", "no deadline likely to run out, no project stuck")], [
            "  nothing to act on"]
    labels += stuck_rows
    fig.add_scatter(y=stuck_rows, x=[0] * len(stuck_rows), mode="text", showlegend=False, textposition="middle right",
                    text=texts, textfont={"color": "#555555"}, name="stuck")
    # the threshold, over the deadline rows only (the stuck rows beneath have no chance to compare)
    fig.add_shape(type="line", x0=threshold, x1=threshold, y0=-0.5 if dl.height else 0, y1=dl.height - 0.5 if dl.height
                  else 0, yref="y",
                  line={"color": TARGET, "width": 2, "dash": "dash"})
    fig.add_scatter(x=[None], y=[None], mode="lines", name=f"listed from a {threshold:.0%} chance",
                    line={"color": TARGET, "width": 2, "dash": "dash"})
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=labels, autorange="reversed",
                     automargin=True)
    fig.update_xaxes(range=[0, 1.35], tickformat=".0%", tickvals=[0, 0.25, 0.5, 0.75, 1])
    fig.update_layout(height=rows_height(len(labels)), bargap=0.3)
    fig = finish(fig, title(f"Which projects will miss a deadline in the next {within} business days?", as_of,
                            int(risk.filter(pl.col("reason") == "deadline").height), cal, "deadlines at risk",
                            f"stuck past the 95th percentile of their status: {stuck.height:,}"),
                 f"Chance the deadline runs out within {within} business days", "")
    fig = footnote(fig, _short("The chances come from each project's simulated futures. Stuck: in its status longer "
                               "than 95 % of the stays there that ended.", 70), lines=2)
    show = risk.select([c for c in ("project_number", "project_id", "reason", "status", "holder", "deadline",
                                    "probability", "late_on", "age_bdays", "p95_bdays", "done_p50", "note")
                        if c in risk.columns])
    return FigureWithTable(fig, show, f"Projects at risk as of {as_of:%Y-%m-%d %H:%M} UTC: deadlines likely to run "
                                      f"out within {within} business days, then the stuck ones")


def _risk_label(r: Mapping[str, object]) -> str:
    where = (f"deadline {r['deadline']}" if r["deadline"] == r["status"] else
             f"deadline {r['deadline']} · now in {r['status']}")
    return row_label(_name(r), where)


def _name(r: Mapping[str, object]) -> str:
    return str(r.get("project_number") or r["project_id"])


__all__ = ["at_risk_chart", "backlog_forecast_chart", "completion_chart"]
