"""Plotly figures from analytics frames, each designed to answer one question a program manager asks.

Every title is that question in plain words, with one line beneath saying as of when, n, and the
business-day calendar in words; legends say what a colour means, not a formula; bars that are
compared carry their values; deadlines are drawn as black dashed lines; long names (statuses,
deadlines, transitions) are rows of horizontal charts (pcnb.chartrows), never rotated labels. The
shared conventions are pcnb.chartkit's; the colours pcnb.palette's: a status has one colour in every
figure (the profile's order: ``palette.for_names`` picks the program whose statuses a figure draws,
``colors=`` overrides), and colours that carry a meaning (late/on time, utility/applicant) are
colour-blind safe.

Figures use only plotly's own JSON; reports embed plotly.js so exported HTML works offline.
tests/test_chart_images.py keeps a reference image of each chart on two programs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import polars as pl

from pcnb.analytics.backlog import FINISHED
from pcnb.analytics.calendar import Calendar
from pcnb.chartforecast import at_risk_chart as at_risk_chart
from pcnb.chartforecast import backlog_forecast_chart as backlog_forecast_chart
from pcnb.chartforecast import completion_chart as completion_chart
from pcnb.chartkit import current_period, finish, in_order, next_start, say, step_of, title, unit_words, wait_bins
from pcnb.chartkit import status_deadlines as status_deadlines  # the command's deadlines for the charts
from pcnb.chartkit import unplotted_deadlines as unplotted_deadlines
from pcnb.chartrows import FigureWithTable as FigureWithTable
from pcnb.chartrows import aging_chart as aging_chart
from pcnb.chartrows import bottleneck_chart as bottleneck_chart
from pcnb.chartrows import sla_chart as sla_chart
from pcnb.chartrows import time_in_status_chart as time_in_status_chart
from pcnb.palette import REFERENCE, SIDES, Palette, for_names


def _title(what: str, as_of: datetime, n: int | None, cal: Calendar | None = None, counted: str = "", note: str = "",
           timezone: str | None = None) -> str:
    """The question, then as of, n (and what it counts), the calendar in words and a note (pcnb.chartkit)."""
    return title(what, as_of, n, cal, counted, note, timezone)


def caveat(fig: go.Figure, lines: Sequence[str]) -> go.Figure:
    """Say under the title what the reader must know about the figure's basis (a refused profile
    file, outcomes guessed and not confirmed): on the figure itself, so an exported copy says it too."""
    if lines:
        import textwrap

        shown = [part for line in lines for part in textwrap.wrap(f"⚠ {line}", 120)]  # plotly does not wrap
        text = fig.layout.title.text or ""
        top = fig.layout.margin.t if fig.layout.margin.t is not None else 80
        # the title hangs from the top and grows down; the plot and its legend move down below it
        fig.update_layout(title={"text": text + "".join(f"<br><sup>{part}</sup>" for part in shown),
                                 "yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 12}},
                          margin={"t": top + 20 * len(shown)})
    return fig


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    """Title, axes and style; the program's names (statuses, deadlines, tracks) shown safely (pcnb.bidi)."""
    return finish(fig, title, x, y)


def throughput_chart(tp: pl.DataFrame, as_of: datetime, trend_weeks: int = 3, colors: Palette | None = None,
                     cal: Calendar | None = None, labelled: int = 13) -> go.Figure:
    """Bars of first entries per period per status, with a rolling mean of complete periods per status.

    The period still running at ``as_of`` (the current month, in ``cal``'s zone; UTC without one) is
    drawn hatched and light and left out of the average: a month five days old is not a fall in
    output. ``trend_weeks`` is the window of the average in periods (the name predates monthly
    charts); the last ``labelled`` periods carry their counts (older ones in the hover): a year of
    complete months and the one under way, as the report's table beside it."""
    pal = colors or for_names(tp["status"].unique().to_list())
    statuses = in_order(tp["status"].unique().to_list(), pal)
    periods = sorted(tp["period"].unique().to_list())
    step = step_of(periods)
    tz = cal.timezone if cal is not None else "UTC"
    partial = current_period(periods, step, as_of, tz)
    if partial is not None and partial not in periods:  # nothing yet this month: an empty month, still shown
        periods.append(partial)
    tp = _every_period(tp, periods, step, statuses)
    recent = set(periods[-labelled:]) if labelled > 0 else set()
    # each status's bar at an explicit place in its period, so each count can be written above its own
    # bar as an annotation on a white ground: drawn as the bar's own text, the dotted averages ran
    # through the counts (printed reports); written upright, two counts of one month cannot collide
    gap = min(((b - a).days for a, b in zip(periods, periods[1:], strict=False)), default=30)
    slot = gap * 86_400_000 * 0.8 / len(statuses)  # milliseconds: a date axis's unit
    fig = go.Figure()
    for i, status in enumerate(statuses):
        part = tp.filter(pl.col("status") == status).sort("period")
        days, counts = part["period"].to_list(), part["count"].to_list()
        now = [d == partial for d in days]
        offset = (i - len(statuses) / 2) * slot
        fig.add_bar(x=days, y=counts, name=status, marker_color=pal[status], legendgroup=status,
                    offset=offset, width=slot * 0.94,
                    marker={"opacity": [0.45 if p else 1.0 for p in now],
                            "pattern": {"shape": ["/" if p else "" for p in now], "solidity": 0.45}},
                    customdata=[" so far (partial)" if p else "" for p in now],
                    hovertemplate=f"{status}<br>%{{x|%B %Y}}%{{customdata}}: %{{y}} projects<extra></extra>")
        for day, count in zip(days, counts, strict=True):
            if day in recent:
                middle = datetime.combine(day, datetime.min.time()) + timedelta(milliseconds=offset + slot * 0.47)
                fig.add_annotation(x=middle, y=count, text=f"{count:,}", showarrow=False, yanchor="bottom",
                                   textangle=-90 if len(statuses) > 1 else 0, yshift=2,
                                   font={"size": 11, "color": "#222222"}, bgcolor="rgba(255,255,255,0.85)",
                                   borderpad=0)
        full = part.filter(pl.col("period") != partial) if partial is not None else part
        if full.height >= 2:
            trend = full["count"].rolling_mean(trend_weeks, min_samples=1)
            fig.add_scatter(x=full["period"].to_list(), y=trend.to_list(), legendgroup=status, showlegend=False,
                            name=f"{status}: average of the last {trend_weeks} full {step}s", mode="lines",
                            line={"color": pal[status], "dash": "dot", "width": 2},
                            hovertemplate=f"average of {trend_weeks} full {step}s: %{{y:.1f}}<extra></extra>")
    if any(t.type == "scatter" for t in fig.data):  # one legend entry says what every dotted line is
        fig.add_scatter(x=[None], y=[None], mode="lines", line={"color": "#777777", "dash": "dot", "width": 2},
                        name=f"dotted: {trend_weeks}-{step} moving average (full {step}s)")
    fig.update_layout(barmode="overlay")  # each bar placed by its offset
    note = ""
    if partial is not None:
        local = as_of.astimezone(ZoneInfo(tz))
        note = f"hatched: the partial {step} so far (to {local:%b} {local.day}), left out of the averages"
    few = len(statuses) <= 2
    which = " and ".join(statuses) if few else "each status"
    # n said per status: "n = 2,772 first entries" on a 2,000-project program read as a wrong count
    # and not summed: "n = 3,344" added the submitted ones to the completed ones (a reviewer checked it)
    each = [f"{int(tp.filter(pl.col('status') == s)['count'].sum()):,} reached {s}" for s in statuses]
    counted = f"n = {', '.join(each)}" if few else "projects reaching a status (once per status)"
    return _layout(fig, _title(f"How many projects reached {which} per {step}?", as_of,
                               None if few else int(tp["count"].sum()), counted=counted, note=note, timezone=tz),
                   step.capitalize(), "Projects")


def _every_period(tp: pl.DataFrame, periods: list[date], step: str, statuses: list[str]) -> pl.DataFrame:
    """``tp`` with a 0 for every period in its range a status had no first entry in: a month of
    nothing is a zero, and the average of the last three months must count it."""
    full = list(periods)
    if periods and next_start(periods[0], step) is not None:
        full, day = [], periods[0]
        while day <= periods[-1]:
            full.append(day)
            day = next_start(day, step) or periods[-1] + timedelta(days=1)
    grid = pl.DataFrame({"period": full}, schema={"period": pl.Date}).join(
        pl.DataFrame({"status": statuses}, schema={"status": pl.String}), how="cross")
    counts = tp.group_by(pl.col("period").cast(pl.Date), pl.col("status").cast(pl.String)).agg(pl.col("count").sum())
    return grid.join(counts, on=["period", "status"], how="left").with_columns(pl.col("count").fill_null(0))


def cumulative_flow_chart(wip: pl.DataFrame, as_of: datetime, order: list[str] | None = None,
                          colors: Palette | None = None, timezone: str | None = None) -> go.Figure:
    """Stacked areas of WIP per status per day (cumulative flow diagram), statuses stacked in the
    process's order (the profile's, from the palette, unless ``order``): first step at the bottom."""
    pal = colors or for_names(order or wip["status"].unique().to_list())
    statuses = order or in_order(wip["status"].unique().to_list(), pal)
    # the days before the first project was in progress draw nothing: months of an empty axis (a period set
    # to begin before the program did) pushed the stack into a corner, so the chart starts at the first
    # day with work in progress and says so
    busy = wip.group_by("date").agg(pl.col("wip").sum()).filter(pl.col("wip") > 0)["date"]
    note = "at the end of each day"
    if busy.len() and busy.min() != wip["date"].min():
        first: date = busy.min()  # type: ignore[assignment]
        wip = wip.filter(pl.col("date") >= first)
        note += f"; none in progress before {first:%b} {first.day}, {first.year}"
    fig = go.Figure()
    for status in statuses:
        part = wip.filter(pl.col("status") == status).sort("date")
        fig.add_scatter(x=part["date"].to_list(), y=part["wip"].to_list(), name=status, stackgroup="wip",
                        mode="lines", line={"width": 0.5, "color": pal[status]}, fillcolor=pal[status],
                        hovertemplate=f"{status}<br>%{{x|%Y-%m-%d}}: %{{y}} projects<extra></extra>")
    last = int(wip.filter(pl.col("date") == wip["date"].max())["wip"].sum()) if wip.height else 0
    if wip.height:
        # the axis ends on the last day (autorange ran a month past it, to "Jan 2027", to fit the label),
        # so the label points up and left, inside the plot, on white
        fig.add_annotation(x=wip["date"].max(), y=last, text=f"{last:,} now", showarrow=True, ax=-40, ay=-30,
                           font={"size": 12}, bgcolor="rgba(255,255,255,0.85)")  # readable over the bands
        fig.update_xaxes(range=[wip["date"].min(), wip["date"].max()])
    _layout(fig, _title("How much work is in progress, and in which status?", as_of, last,
                        counted="projects in progress now", note=note, timezone=timezone),
            "Date", "Projects in status")
    # a legend beside the stack, in its order (last step on top): a program has many statuses
    return fig.update_layout(legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top",
                                     "traceorder": "reversed"}, margin={"t": 76})


_SIDE_WORDS = {"utility": "waiting on the utility", "applicant": "waiting on the applicant",
               FINISHED: FINISHED}  # "finished project": nobody will answer these
_SIDE_COLOURS = {**SIDES, FINISHED: REFERENCE}


def backlog_chart(state: pl.DataFrame, as_of: datetime, cal: Calendar, within: int = 3,
                  finished: Literal["exclude", "group", "include"] = "include") -> go.Figure:
    """Open inquiry threads by how long they have waited for an answer, stacked by who must answer.

    The buckets follow the question "answered within ``within`` business days?" (the response
    target, 3 as in notebook 04): the first bucket is exactly the target (0-3), then 4-5, 6-10,
    11-20, 21+; the target is a dashed line after the first bucket, so every thread right of it
    is overdue. Counts are written in each bar.

    ``finished`` (needs ``state``'s ``project_final``, from thread_state with intervals): threads of
    projects in a final status are left out ("exclude", as ``%powerclerk chart backlog`` does by
    default), drawn as their own group ("group"), or counted by side ("include", what ``state`` holds)."""
    waiting = state.filter(pl.col("waiting_on") != "none")
    open_ = waiting
    if finished == "exclude":
        open_ = open_.filter(~pl.col("project_final"))
    elif finished == "group":
        open_ = open_.with_columns(pl.when(pl.col("project_final")).then(pl.lit(FINISHED))
                                   .otherwise(pl.col("waiting_on")).alias("waiting_on"))
    sides = ("utility", "applicant", *([FINISHED] if finished == "group" else []))
    if open_.height == 0:  # nothing waits: say so (and why), not an empty plot
        why = ("no inquiry thread is open" if waiting.height == 0 else
               "the open threads all belong to finished projects, left out (--finished group draws them)")
        fig = say(go.Figure(), [f"On {as_of.astimezone(ZoneInfo(cal.timezone)):%Y-%m-%d %H:%M}, {why}."],
                  "No open inquiries waiting")
        return _layout(fig, _title("How long have open inquiries waited for an answer?", as_of, 0, cal,
                                   counted="open threads"), "", "")
    bins = wait_bins(within)
    names = [label for _, _, label in bins]
    fig = go.Figure()
    totals = [0] * len(bins)
    by_side = {}
    for side in sides:
        waits = open_.filter(pl.col("waiting_on") == side)["waiting_bdays"].to_list()
        by_side[side] = [sum(1 for w in waits if w is not None and lo <= w and (hi is None or w <= hi))
                         for lo, hi, _ in bins]
        totals = [t + k for t, k in zip(totals, by_side[side], strict=True)]
    for side, counts in by_side.items():  # a part's count inside it where sides share a bar (total on top)
        others = [sum(by_side[o][i] for o in by_side if o != side) for i in range(len(bins))]
        fig.add_bar(x=names, y=counts, name=_SIDE_WORDS[side], marker_color=_SIDE_COLOURS[side],
                    text=[str(k) if k and o else "" for k, o in zip(counts, others, strict=True)],
                    textposition="inside", insidetextanchor="middle",
                    textfont={"color": "#ffffff"},
                    hovertemplate=f"{_SIDE_WORDS[side]}<br>%{{x}} business days: %{{y}} threads<extra></extra>")
    fig.add_scatter(x=names, y=totals, mode="text", text=[f"{t}" if t else "" for t in totals],
                    textposition="top center", showlegend=False, hoverinfo="skip", textfont={"size": 13})
    fig.add_shape(type="line", x0=0.5, x1=0.5, xref="x", y0=0, y1=1, yref="paper",
                  line={"color": "#000000", "dash": "dash", "width": 2})
    overdue = sum(totals[1:])
    fig.add_annotation(x=0.5, xref="x", y=1, yref="paper", xanchor="left", yanchor="top", showarrow=False,
                       text=f" target: answered within {unit_words('business_days', within)}<br>"
                            f" {overdue:,} of {sum(totals):,} waiting longer",
                       align="left", font={"size": 12})
    fig.update_layout(barmode="stack", bargap=0.3)
    top = max([*totals, 1])
    fig.update_yaxes(range=[0, top * 1.35], dtick=1 if top <= 8 else None, tickformat=",d")
    fig.update_xaxes(type="category")
    return _layout(fig, _title("How long have open inquiries waited for an answer?", as_of, open_.height, cal,
                               counted="open threads"), "Waiting so far (business days)", "Open threads")


def backlog_trend_chart(trend: pl.DataFrame, as_of: datetime, cal: Calendar) -> go.Figure:
    """Open inquiry threads per day, stacked by who must answer (from backlog_over_time); today's
    count written at the right end."""
    fig = go.Figure()
    if trend.height == 0 or not trend["threads"].sum():  # no thread was ever open in the window: say so
        fig = say(fig, ["no inquiry thread was open on any day of the period"], "No inquiries waiting")
        return _layout(fig, _title("How many inquiries were waiting for an answer, day by day?", as_of, 0, cal,
                                   counted="open now", note="at the end of each day"), "", "")
    finished = [FINISHED] if FINISHED in trend["waiting_on"].to_list() else []  # grouped by backlog_over_time
    for side in ("utility", "applicant", *finished):
        part = trend.filter(pl.col("waiting_on") == side).sort("date")
        fig.add_scatter(x=part["date"].to_list(), y=part["threads"].to_list(), name=_SIDE_WORDS[side],
                        mode="lines", stackgroup="backlog", line={"color": _SIDE_COLOURS[side], "width": 0.5},
                        fillcolor=_SIDE_COLOURS[side],
                        hovertemplate=f"{_SIDE_WORDS[side]}<br>%{{x|%Y-%m-%d}}: %{{y}} threads<extra></extra>")
    latest = int(trend.filter(pl.col("date") == trend["date"].max())["threads"].sum()) if trend.height else 0
    if trend.height:
        fig.add_annotation(x=trend["date"].max(), y=latest, text=f"{latest:,} open now", showarrow=True, ax=30,
                           ay=-25, font={"size": 12})
    fig.update_layout(legend={"traceorder": "reversed"})
    fig.update_yaxes(rangemode="tozero")
    return _layout(fig, _title("How many inquiries were waiting for an answer, day by day?", as_of, latest, cal,
                               counted="open now", note="at the end of each day"), "Date", "Open threads")
