"""Plotly figures from analytics frames. Every title states as_of, n and the calendar.

Figures use only plotly's own JSON; reports embed plotly.js so exported HTML works offline.
A status has one colour in every figure (pcnb.palette: the program profile's order): the palette of
the program whose statuses a figure draws (``palette.for_names``); pass ``colors=`` to choose it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

import plotly.graph_objects as go
import polars as pl

from pcnb.analytics import minn
from pcnb.analytics.backlog import FINISHED
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.roles import need
from pcnb.analytics.time_in_status import time_in_status
from pcnb.bidi import visible_figure
from pcnb.palette import LATE, ON_TIME, REFERENCE, SIDES, Palette, for_names


def _title(what: str, as_of: datetime, n: int, cal: Calendar | None = None) -> str:
    cal_text = f" · {cal.describe()}" if cal else ""
    return f"{what}<br><sup>as of {as_of:%Y-%m-%d %H:%M} UTC · n = {n:,}{cal_text}</sup>"


def caveat(fig: go.Figure, lines: Sequence[str]) -> go.Figure:
    """Say under the title what the reader must know about the figure's basis (a refused profile
    file, outcomes guessed and not confirmed): on the figure itself, so an exported copy says it too."""
    if lines:
        text = fig.layout.title.text or ""
        fig.update_layout(title={"text": text + "".join(f"<br><sup>⚠ {line}</sup>" for line in lines)},
                          margin={"t": 90 + 22 * len(lines)})
    return fig


def _layout(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    """Title, axes and style; the program's names (statuses, deadlines, tracks) shown safely (pcnb.bidi)."""
    fig.update_layout(title=title, xaxis_title=x, yaxis_title=y, template="plotly_white",
                      legend_title_text="", margin={"t": 90})
    return visible_figure(fig)


def throughput_chart(tp: pl.DataFrame, as_of: datetime, trend_weeks: int = 4,
                     colors: Palette | None = None) -> go.Figure:
    """Bars of first entries per period per status, with a rolling-mean trend line per status."""
    fig, pal = go.Figure(), colors or for_names(tp["status"].unique().to_list())
    for status in sorted(tp["status"].unique().to_list()):
        part = tp.filter(pl.col("status") == status).sort("period")
        color = pal[status]
        fig.add_bar(x=part["period"].to_list(), y=part["count"].to_list(), name=status, marker_color=color)
        trend = part["count"].rolling_mean(trend_weeks, min_samples=1)
        fig.add_scatter(x=part["period"].to_list(), y=trend.to_list(), name=f"{status} ({trend_weeks}-period mean)",
                        mode="lines", line={"color": color, "dash": "dot"})
    fig.update_layout(barmode="group")
    return _layout(fig, _title("Throughput: first entries per period", as_of, int(tp["count"].sum())), "Period",
                   "Projects")


def cumulative_flow_chart(wip: pl.DataFrame, as_of: datetime, order: list[str] | None = None,
                          colors: Palette | None = None) -> go.Figure:
    """Stacked areas of WIP per status per day (cumulative flow diagram)."""
    statuses = order or sorted(wip["status"].unique().to_list())
    fig, pal = go.Figure(), colors or for_names(statuses)
    for status in statuses:
        part = wip.filter(pl.col("status") == status).sort("date")
        fig.add_scatter(x=part["date"].to_list(), y=part["wip"].to_list(), name=status, stackgroup="wip",
                        mode="lines", line={"width": 0.5, "color": pal[status]}, fillcolor=pal[status])
    last = wip.filter(pl.col("date") == wip["date"].max())["wip"].sum() if wip.height else 0
    return _layout(fig, _title("Cumulative flow: work in progress by status", as_of, int(last)), "Date",
                   "Projects in status")


class FigureWithTable(go.Figure):  # type: ignore[misc]  # plotly ships no type information
    """A figure whose table is shown beneath it as a grid (pcnb.grids), not as a plotly table
    trace: a plotly table has fixed row heights and cuts long cells, and cannot be sorted.
    ``.table`` is the frame; in a notebook both are displayed, ``.show()`` draws the figure only."""

    def __init__(self, figure: go.Figure, table: pl.DataFrame, caption: str):
        super().__init__(visible_figure(figure))
        self._pcnb_table, self._pcnb_caption = table, caption

    @property
    def table(self) -> pl.DataFrame:
        out: pl.DataFrame = self._pcnb_table
        return out

    def _ipython_display_(self) -> None:
        from IPython.display import display

        from pcnb.grids import Grid

        display(go.Figure(self))  # type: ignore[no-untyped-call]
        display(Grid(self._pcnb_table, self._pcnb_caption))  # type: ignore[no-untyped-call]


def _fmt(value: float | None, suppressed: bool, n: int) -> str:
    """A table cell under the minimum-n rule: the value, or "suppressed (n=3)"."""
    if suppressed:
        return f"suppressed (n={n})"
    return "-" if value is None else f"{value:.1f}"


def time_in_status_chart(intervals: pl.DataFrame, as_of: datetime, cal: Calendar,
                         statuses: list[str] | None = None, min_n: int = minn.MIN_N,
                         colors: Palette | None = None) -> FigureWithTable:
    """Box plots of closed stays (business days) per status, above a table (a grid, ``.table``) of
    both estimates: closed-stay percentiles and Kaplan-Meier quantiles (open stays censored), with
    n closed and n open. Statistics over fewer than ``min_n`` stays read "suppressed (n=...)"; so
    does the box."""
    tis = time_in_status(intervals, terminal=(), min_n=min_n)
    if statuses:
        tis = tis.filter(pl.col("status").is_in(statuses))
    order = statuses or sorted(tis["status"].to_list())
    closed = intervals.filter(~pl.col("is_open"))
    fig, pal = go.Figure(), colors or for_names(order)
    rows = []
    for status in order:
        part = tis.filter(pl.col("status") == status)
        if part.height == 0:
            continue
        r = part.row(0, named=True)
        n, n_open, sup, km_sup = r["n"], r["n_open"], r["suppressed"], r["km_suppressed"]
        rows.append((status, n, n_open, _fmt(r["median_bdays"], sup, n), _fmt(r["p85_bdays"], sup, n),
                     _fmt(r["p90_bdays"], sup, n), _fmt(r["p95_bdays"], sup, n),
                     _fmt(r["km_p50_bdays"], km_sup, n + n_open), _fmt(r["km_p90_bdays"], km_sup, n + n_open)))
        vals = [] if sup else closed.filter(pl.col("status") == status)["business_days"].to_list()
        fig.add_box(y=vals, name=status if not sup else f"{status} (suppressed, n={n})", boxpoints=False,
                    marker_color=pal[status])
    header = ["Status", "n closed", "n open", "median", "p85", "p90", "p95", "KM median", "KM p90"]
    table = pl.DataFrame(rows, schema=dict.fromkeys(header, pl.String) | {"n closed": pl.Int64, "n open": pl.Int64},
                         orient="row")
    fig.update_layout(showlegend=False, height=480)
    n_all = int(tis.select(pl.col("n").sum() + pl.col("n_open").sum()).item()) if tis.height else 0
    _layout(fig, _title("Time in status: closed stays, and Kaplan-Meier with open stays censored", as_of, n_all, cal),
            "Status", "Business days")
    return FigureWithTable(fig, table, "Time in status, business days: closed-stay percentiles and Kaplan-Meier "
                                       "quantiles (open stays censored)")


def aging_chart(intervals: pl.DataFrame, as_of: datetime, cal: Calendar,
                percentiles: Sequence[float] = (0.5, 0.85, 0.95), terminal: Iterable[str] | None = None,
                min_n: int = minn.MIN_N, colors: Palette | None = None) -> go.Figure:
    """Aging WIP: each open stay's age by status, with historical percentile lines of closed stays.

    Only work in progress: stays in the final statuses ``terminal`` (finished projects) are left
    out. A status's percentile line is left out (suppressed) below ``min_n`` closed stays."""
    final = list(need(terminal, "terminal", "aging_chart", "the program's final statuses (roles.final)"))
    open_ = intervals.filter(pl.col("is_open") & pl.col("age_business_days").is_not_null()
                             & ~pl.col("status").is_in(final))
    statuses = sorted(open_["status"].unique().to_list())
    fig, pal = go.Figure(), colors or for_names(statuses)
    for status in statuses:
        part = open_.filter(pl.col("status") == status)
        fig.add_scatter(x=[status] * part.height, y=part["age_business_days"].to_list(), mode="markers",
                        name=status, marker={"opacity": 0.5, "color": pal[status]}, showlegend=False)
    closed = intervals.filter(~pl.col("is_open") & pl.col("status").is_in(statuses))
    for i, q in enumerate(percentiles):
        qs = closed.group_by("status").agg(pl.len().alias("n"), pl.col("business_days").quantile(q, "linear"))
        qs = minn.apply(qs, "n", ["business_days"], min_n).filter(~pl.col("suppressed")).sort("status")
        fig.add_scatter(x=qs["status"].to_list(), y=qs["business_days"].to_list(), mode="lines+markers",
                        name=f"p{round(q * 100)} of completed", line={"dash": "dash", "color": REFERENCE},
                        marker={"color": REFERENCE, "symbol": ["circle", "diamond", "square", "x"][i % 4]})
    return _layout(fig, _title("Aging work in progress (open stays, final statuses excluded)", as_of, open_.height,
                               cal), "Status", "Age (business days)")


def _deadline_labels(sla: pl.DataFrame) -> list[str]:
    """The x labels: a status (sla_compliance), or a deadline with its days, unit, clock and track
    (deadline_compliance), e.g. "Intake -> Agreement: 60 business days, utility clock (Fast Track)"."""
    if "deadline" not in sla.columns:
        return [str(s) for s in sla["status"].to_list()]
    out = []
    for row in sla.iter_rows(named=True):
        n = row["completed"] + row["open"] + row["exited"]
        if row["days"] is None:  # projects whose track no rule names: counted, not judged
            out.append(f"{row['deadline']}: {row['track']} (n={n})")
            continue
        clock = ", utility clock" if row["clock"] == "utility" else ""
        track = f" ({row['track']})" if row["track"] != "all" else ""
        out.append(f"{row['deadline']}: {row['days']:g} {row['unit'].replace('_', ' ')}{clock}{track} (n={n})")
    return out


def sla_chart(sla: pl.DataFrame, as_of: datetime, cal: Calendar) -> go.Figure:
    """Share of stays (or spans) exceeding each deadline, with the on-time rate. Suppressed rates
    (minimum-n rule) are drawn as no bar, labelled "suppressed (n=...)". Takes the frame of
    sla_compliance or of deadline_compliance."""
    fig = go.Figure()
    x = _deadline_labels(sla)
    n_rate = (sla["completed"] + sla["open_late"]).to_list()
    sup = sla["suppressed"].to_list() if "suppressed" in sla.columns else [False] * sla.height
    sup_on = sla["on_time_suppressed"].to_list() if "on_time_suppressed" in sla.columns else [False] * sla.height
    fig.add_bar(x=x, y=sla["pct_exceeding"].to_list(), name="exceeding (B+C)/(A+C)", marker_color=LATE,
                text=[f"suppressed (n={n})" if s else "" for s, n in zip(sup, n_rate, strict=True)])
    fig.add_bar(x=x, y=sla["on_time_rate"].to_list(), name="on-time rate (A-B)/A", marker_color=ON_TIME,
                text=[f"suppressed (n={n})" if s else "" for s, n in zip(sup_on, sla["completed"].to_list(),
                                                                          strict=True)])
    fig.update_traces(textposition="outside")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.1])
    # n: the stays and spans counted over every deadline (each bar's own n is in its label)
    counted = pl.col("completed").sum() + pl.col("open").sum() + (pl.col("exited").sum() if "exited" in sla.columns
                                                                   else 0)
    n = int(sla.select(counted).item()) if sla.height else 0
    return _layout(fig, _title("SLA compliance by deadline", as_of, n, cal),
                   "Deadline" if "deadline" in sla.columns else "Status", "Share")


def backlog_chart(state: pl.DataFrame, as_of: datetime, cal: Calendar,
                  finished: Literal["exclude", "group", "include"] = "include") -> go.Figure:
    """Open inquiry threads by who must answer and how long they have waited.

    ``finished`` (needs ``state``'s ``project_final``, from thread_state with intervals): threads of
    projects in a final status are left out ("exclude", as ``%powerclerk chart backlog`` does by
    default), drawn as their own group ("group"), or counted by side ("include", what ``state`` holds)."""
    open_ = state.filter(pl.col("waiting_on") != "none")
    if finished == "exclude":
        open_ = open_.filter(~pl.col("project_final"))
    elif finished == "group":
        open_ = open_.with_columns(pl.when(pl.col("project_final")).then(pl.lit(FINISHED))
                                   .otherwise(pl.col("waiting_on")).alias("waiting_on"))
    fig = go.Figure()
    for side in ("utility", "applicant", *([FINISHED] if finished == "group" else [])):
        part = open_.filter(pl.col("waiting_on") == side)
        fig.add_histogram(x=part["waiting_bdays"].to_list(), name=side if side == FINISHED else f"waiting on {side}",
                          nbinsx=20, marker_color=SIDES.get(side, REFERENCE))
    fig.update_layout(barmode="stack")
    return _layout(fig, _title("Inquiry backlog: open threads by wait", as_of, open_.height, cal),
                   "Waiting (business days)", "Threads")


def backlog_trend_chart(trend: pl.DataFrame, as_of: datetime, cal: Calendar) -> go.Figure:
    """Open inquiry threads per day, stacked by who must answer (from backlog_over_time; threads of
    finished projects as their own series when it grouped them)."""
    fig = go.Figure()
    finished = [FINISHED] if FINISHED in trend["waiting_on"].to_list() else []
    for side in ("utility", "applicant", *finished):
        part = trend.filter(pl.col("waiting_on") == side).sort("date")
        fig.add_scatter(x=part["date"].to_list(), y=part["threads"].to_list(),
                        name=side if side == FINISHED else f"waiting on {side}", mode="lines",
                        stackgroup="backlog", line={"color": SIDES.get(side, REFERENCE), "width": 0.5})
    latest = trend.filter(pl.col("date") == trend["date"].max())["threads"].sum() if trend.height else 0
    return _layout(fig, _title("Inquiry backlog over time (open threads at the end of each day)", as_of, int(latest),
                               cal), "Date", "Open threads")


def bottleneck_chart(dfg: pl.DataFrame, as_of: datetime, unit: str = "business_days", top: int = 15,
                     colors: Palette | None = None) -> FigureWithTable:
    """Sankey of the most frequent transitions (width = count) above a grid (``.table``) of every
    transition, slowest median first (sortable: the grid shows all of them, not a cut-off few)."""
    top_rows = dfg.sort("count", descending=True).head(top)
    labels = sorted(set(top_rows["status"].to_list()) | set(top_rows["next_status"].to_list()))
    idx = {name: i for i, name in enumerate(labels)}
    med = f"median_{unit}"
    fig = go.Figure(go.Sankey(
        node={"label": labels, "pad": 15, "color": [(colors or for_names(labels))[s] for s in labels]},
        link={"source": [idx[s] for s in top_rows["status"]], "target": [idx[t] for t in top_rows["next_status"]],
              "value": top_rows["count"].to_list(),
              "customdata": top_rows[med].to_list(),
              "hovertemplate": "%{source.label} → %{target.label}<br>n=%{value}<br>median %{customdata:.1f}"}))
    slow = dfg.sort(med, descending=True, nulls_last=True)
    sup = slow["suppressed"].to_list() if "suppressed" in slow.columns else [False] * slow.height
    counts = slow["count"].to_list()
    words = unit.replace("_", " ")
    table = pl.DataFrame({"From": slow["status"].to_list(), "To": slow["next_status"].to_list(), "n": counts,
                          **{f"{q} {words}": [_fmt(v, s_, n) for v, s_, n in zip(slow[c].to_list(), sup, counts,
                                                                                  strict=True)]
                             for q, c in (("median", med), ("p90", f"p90_{unit}"))}},
                         schema_overrides={"From": pl.String, "To": pl.String, "n": pl.Int64})
    fig.update_layout(height=520)
    fig.update_layout(title=_title(f"Bottlenecks: transitions (median {words} in hover)", as_of,
                                   int(dfg["count"].sum())), template="plotly_white", margin={"t": 90})
    return FigureWithTable(fig, table, f"Transitions, slowest median first ({words})")
