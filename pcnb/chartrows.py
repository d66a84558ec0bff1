"""The charts drawn as rows: time in status, aging, SLA compliance and bottlenecks.

Why rows: their categories are a program's own names -- statuses ("Interconnection Agreement Under
Review"), deadlines ("Review → Agreement: 25 business days, the utility's days only"),
transitions -- which as x labels were rotated 30 degrees and squashed the plot. As rows each name
reads level, with what the row counts (n, its deadline) beneath it, values are written beside the
bars, and deadlines are dashed lines on the row they belong to. pcnb.charts re-exports them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from statistics import median

import plotly.graph_objects as go
import polars as pl

from pcnb.analytics import minn
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.roles import need
from pcnb.analytics.time_in_status import time_in_status
from pcnb.bidi import visible_figure
from pcnb.chartkit import (
    deadline_ticks,
    finish,
    footnote,
    in_order,
    range_bars,
    range_legend,
    room,
    row_label,
    rows_height,
    title,
    unit_words,
)
from pcnb.palette import LATE, ON_TIME, Palette, for_names


class FigureWithTable(go.Figure):  # type: ignore[misc]  # plotly ships no type information
    """A figure whose table is shown beneath it as a grid (pcnb.grids), not as a plotly table
    trace: a plotly table has fixed row heights and cuts long cells, and cannot be sorted.
    ``.table`` is the frame; in a notebook both are displayed (in a report, the table in the
    appendix: pcnb.appendix), ``.show()`` draws the figure only."""

    def __init__(self, figure: go.Figure, table: pl.DataFrame, caption: str):
        super().__init__(visible_figure(figure))
        self._pcnb_table, self._pcnb_caption = table, caption

    @property
    def table(self) -> pl.DataFrame:
        out: pl.DataFrame = self._pcnb_table
        return out

    def _ipython_display_(self) -> None:
        from IPython.display import display

        from pcnb import appendix

        display(go.Figure(self))  # type: ignore[no-untyped-call]
        # in a report, the table goes to its appendix
        display(appendix.behind(self._pcnb_table, self._pcnb_caption, grid=True, chart=self))  # type: ignore[no-untyped-call]


def _fmt(value: float | None, suppressed: bool, n: int) -> str:
    """A table cell under the minimum-n rule: the value in whole days (the tables' other figures are
    whole days too; "36.8" read as false precision), or "too few (3)": a figure over so few is held
    back (the minimum-n rule), and the cell says so in words ("suppressed" read as hidden on purpose)."""
    if suppressed:
        return f"too few ({n})"
    return "-" if value is None else f"{value:.0f}"


def time_in_status_chart(intervals: pl.DataFrame, as_of: datetime, cal: Calendar,
                         statuses: list[str] | None = None, min_n: int = minn.MIN_N,
                         colors: Palette | None = None, deadlines: Mapping[str, float] | None = None,
                         unplotted: Mapping[str, str] | None = None) -> FigureWithTable:
    """One row per status: a bar from the median to the 90th percentile of finished stays (business
    days), the median marked and both values written, n finished and n open under the name, and the
    status's deadline (``deadlines``: status -> business days) as a dashed line where one applies;
    one in another unit (``unplotted``: status -> words, e.g. "30 calendar days") is said under the
    status's name instead, and left to the SLA chart.
    Beneath, a table (a grid, ``.table``) of both estimates: finished-stay percentiles and
    Kaplan-Meier quantiles (open stays censored). Why ranges, not box plots: a box plot's whiskers
    (a few stays of hundreds of days) set the scale and squash the middle, where the typical stay is.
    Statistics over fewer than ``min_n`` stays are held back: "too few ..." in the chart and the table."""
    tis = time_in_status(intervals, terminal=(), min_n=min_n)
    if statuses:
        tis = tis.filter(pl.col("status").is_in(statuses))
    pal = colors or for_names(statuses or tis["status"].to_list())
    order = [s for s in (statuses or in_order(tis["status"].to_list(), pal)) if s in set(tis["status"].to_list())]
    limits = dict(deadlines or {})
    fig, rows, labels = go.Figure(), [], []
    for status in order:
        r = tis.filter(pl.col("status") == status).row(0, named=True)
        n, n_open, sup, km_sup = r["n"], r["n_open"], r["suppressed"], r["km_suppressed"]
        rows.append((status, f"{n:,}", f"{n_open:,}", _fmt(r["median_bdays"], sup, n), _fmt(r["p85_bdays"], sup, n),
                     _fmt(r["p90_bdays"], sup, n), _fmt(r["p95_bdays"], sup, n),
                     _fmt(r["km_p50_bdays"], km_sup, n + n_open), _fmt(r["km_p90_bdays"], km_sup, n + n_open)))
        limit = (f" · deadline {unit_words('business_days', limits[status])}" if status in limits else
                 f" · deadline {(unplotted or {})[status]} (in the SLA chart)" if status in (unplotted or {}) else "")
        label = row_label(status, f"{n:,} finished, {n_open:,} open{limit}")
        labels.append(label)
        if sup:  # the minimum-n rule: no bar, the reason where the bar would be
            fig.add_scatter(x=[0], y=[label], mode="text", text=[f"  too few finished stays to state a time ({n})"],
                            textposition="middle right", name=f"{status} (suppressed, n={n})", showlegend=False,
                            textfont={"color": "#666666"})
            continue
        p50, p90 = float(r["median_bdays"]), float(r["p90_bdays"])
        range_bars(fig, [label], [p50], [p90], pal[status], status,
                   f"{status}<br>median {p50:.1f}, 90th percentile {p90:.1f} business days<br>{n:,} finished stays, "
                   f"{n_open:,} open<extra></extra>", clear=[limits.get(status)])
    range_legend(fig)
    deadline_ticks(fig, order, limits)
    # words a reader knows, on paper too, and one way of saying a share across the row (a reviewer read
    # "85 in 100" beside "9 in 10")
    header = ["Status", "Finished", "Open", "Median", "85% within", "90% within", "95% within",
              "Median, counting open", "90% within, counting open"]
    table = pl.DataFrame(rows, schema=dict.fromkeys(header, pl.String), orient="row")
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed", automargin=True,
                     ticklabelstandoff=8)
    ends = [*tis["p90_bdays"].drop_nulls().to_list(), *(limits[s] for s in order if s in limits)]
    fig.update_xaxes(rangemode="tozero", range=[0, room(ends)])
    fig.update_layout(height=rows_height(len(labels)), barmode="overlay")
    n_all = int(tis.select(pl.col("n").sum() + pl.col("n_open").sum()).item()) if tis.height else 0
    finish(fig, title("How long do projects stay in each status?", as_of, n_all, cal, counted="stays"),
            "Business days in the status (finished stays)", "")
    footnote(fig, "Finished stays only. The table of these figures also counts the stays still open, at their age "
                  "so far, so a status whose slow stays are still waiting does not look faster than it is.")
    return FigureWithTable(fig, table, "Business days in each status: of the finished stays, and counting the open "
                                       "ones at their age so far")


def _share_words(q: float) -> str:
    """A percentile as a legend says it: "the median", "the 95th percentile" (as the time-in-status
    chart's "to the 90th percentile")."""
    return "the median" if q == 0.5 else f"the {round(q * 100)}th percentile"


def aging_chart(intervals: pl.DataFrame, as_of: datetime, cal: Calendar,
                percentiles: Sequence[float] = (0.5, 0.9), terminal: Iterable[str] | None = None,
                min_n: int = minn.MIN_N, colors: Palette | None = None,
                deadlines: Mapping[str, float] | None = None) -> go.Figure:
    """Aging WIP: one row per status, a dot per open stay at its age, the historical percentiles of
    finished stays as grey ticks on the same row, and the status's deadline (``deadlines``: status ->
    business days) as a dashed line, so a dot right of the line is late and a dot right of the ticks
    older than most stays ever got. Rows, not rotated labels: status names are long.

    Only work in progress: stays in the final statuses ``terminal`` (finished projects) are left
    out. A status's percentile ticks are left out (suppressed) below ``min_n`` finished stays."""
    final = list(need(terminal, "terminal", "aging_chart", "the program's final statuses (roles.final)"))
    open_ = intervals.filter(pl.col("is_open") & pl.col("age_business_days").is_not_null()
                             & ~pl.col("status").is_in(final))
    pal = colors or for_names(open_["status"].unique().to_list())
    statuses = in_order(open_["status"].unique().to_list(), pal)
    limits = dict(deadlines or {})
    rows = {s: i for i, s in enumerate(statuses)}
    fig = go.Figure()
    for status in statuses:
        ages = open_.filter(pl.col("status") == status)["age_business_days"].sort().to_list()
        # a fixed spread around the row, so equal ages do not hide one another (no randomness: the
        # same data draws the same picture)
        jitter = [((k * 0.6180339887) % 1.0 - 0.5) * 0.5 for k in range(len(ages))]
        past = sum(1 for a in ages if a > limits[status]) if status in limits else 0
        late = f"<br> {past:,} past the deadline" if status in limits else ""  # a line of its own: the margin
        fig.add_scatter(x=ages, y=[rows[status] + j for j in jitter], mode="markers", name=status,
                        marker={"opacity": 0.65, "color": pal[status], "size": 7}, showlegend=False,
                        hovertemplate=f"{status}<br>open for %{{x}} business days<extra></extra>")
        # the median age too: page 1 says it of the status holding most of the open work (pcnb.headlines)
        middle = f", median {median(ages):,.0f}" if ages else ""  # whole days, as page 1 and the table say it
        fig.add_annotation(x=1, xref="paper", xanchor="left", y=rows[status], showarrow=False, align="left",
                           text=f" {len(ages):,} open{middle}{late}", font={"size": 11, "color": "#555555"})
    closed = intervals.filter(~pl.col("is_open") & pl.col("status").is_in(statuses))
    qs_list = sorted(percentiles)
    qs = closed.group_by("status").agg(pl.len().alias("n"), *(pl.col("business_days").quantile(q, "linear")
                                                              .alias(f"p{i}") for i, q in enumerate(qs_list)))
    qs = minn.apply(qs, "n", [f"p{i}" for i in range(len(qs_list))], min_n).filter(~pl.col("suppressed"))
    qs = qs.filter(pl.col("status").is_in(statuses))
    if qs.height and qs_list:  # the usual range of finished stays, drawn behind the dots
        lo, hi = qs["p0"].to_list(), qs[f"p{len(qs_list) - 1}"].to_list()
        words = " · ".join(f"p{round(q * 100)} %{{customdata[{i}]:.1f}}" for i, q in enumerate(qs_list))
        fig.add_bar(y=[rows[s] for s in qs["status"].to_list()], x=[h - low for low, h in zip(lo, hi, strict=True)],
                    base=lo, orientation="h", width=0.8, marker={"color": "#d9d9d9"},
                    customdata=qs.select([f"p{i}" for i in range(len(qs_list))]).rows(),
                    name=f"grey: usual time of finished stays, {_share_words(qs_list[0])} to "
                         f"{_share_words(qs_list[-1])}",
                    hovertemplate=f"finished stays, business days: {words}<extra></extra>")
        fig.data = (fig.data[-1], *fig.data[:-1])  # behind the dots
    deadline_ticks(fig, statuses, limits)
    fig.update_yaxes(tickvals=list(range(len(statuses))), ticktext=statuses,
                     range=[len(statuses) - 0.5, -0.5], zeroline=False, automargin=True, ticklabelstandoff=8,
                     showgrid=False)
    fig.update_xaxes(rangemode="tozero")
    fig.update_layout(height=rows_height(len(statuses)), margin={"r": 190})
    finish(fig, title("How long have open projects been in their current status?", as_of, open_.height, cal,
                      counted="open", note="finished projects left out"),
           "Business days in the current status", "")
    if limits:  # "15 past the deadline" here, "9 open and already late" in the SLA table: a reader compares them
        footnote(fig, "Past the deadline: every open stay counts, a second visit to a status too; the SLA chart "
                      "counts each project's first stay in a status only, so its open late ones can be fewer.", lines=2)
    return fig


_SLA_UNITS = {"deadline_bdays": "business_days", "deadline_days": "calendar_days", "deadline_hours": "business_hours"}


def _deadline_rows(sla: pl.DataFrame) -> list[tuple[str, str]]:
    """Each row's (name, detail): a status (sla_compliance), or a deadline with its days, unit, clock
    and track (deadline_compliance), e.g. ("Intake → Agreement", "60 business days, utility's clock
    only · Fast Track · n = 120, 80 counted"). n: the stays or spans the row counts; counted: those its
    bar is a share of (finished, or open and already late), the table's Finished + Open and already late."""
    out = []
    for row in sla.iter_rows(named=True):
        total = row["completed"] + row["open"] + row.get("exited", 0)
        n = f"{total:,}, {(row['completed'] or 0) + (row['open_late'] or 0):,} counted"
        if "deadline" not in sla.columns:  # sla_compliance: the limit's column names its unit
            col = next((c for c in _SLA_UNITS if c in row), None)
            limit = f"{unit_words(_SLA_UNITS[col], row[col])} · " if col and row[col] is not None else ""
            out.append((str(row["status"]), f"{limit}n = {n}"))
            continue
        name = str(row["deadline"]).replace(" -> ", " → ")
        if row["days"] is None:  # projects whose track no rule names: counted, not judged
            out.append((name, f"{row['track']} · n = {total:,}, none counted"))
            continue
        clock = ", the utility's days only" if row["clock"] == "utility" else ""
        track = f" · {row['track']}" if row["track"] != "all" else ""
        out.append((name, f"{unit_words(row['unit'], row['days'])}{clock}{track} · n = {n}"))
    return out


def _deadline_labels(sla: pl.DataFrame) -> list[str]:
    """The row labels of the SLA chart (name, then its deadline and n beneath)."""
    return [row_label(name, detail) for name, detail in _deadline_rows(sla)]


def _row_units(sla: pl.DataFrame) -> set[str]:
    """The units the rows' deadlines are counted in ("business_days", "calendar_days" ...)."""
    if "unit" in sla.columns:  # deadline_compliance: each rule its own unit (rows no rule judges have none)
        return {u for u, d in zip(sla["unit"].to_list(), sla["days"].to_list(), strict=True) if u and d is not None}
    return {_SLA_UNITS[c] for c in _SLA_UNITS if c in sla.columns}


def _days_counted(sla: pl.DataFrame, cal: Calendar) -> tuple[Calendar | None, str]:
    """What the subtitle says of the days counted: the business-day calendar only where a row counts
    business days (a calendar-day deadline counts every day, holidays too: the subtitle named the
    business calendar over such a row as if it were counted in it). Returns the calendar to name (None:
    none) and a note for the rows in calendar days."""
    units = _row_units(sla)
    business = {u for u in units if u.startswith("business")}
    if not units - business:
        return cal, ""
    if not business:
        return None, "calendar days: every day counts, weekends and holidays too"
    return cal, "where a row says calendar days, every day counts"


def sla_chart(sla: pl.DataFrame, as_of: datetime, cal: Calendar, target: float | None = None) -> go.Figure:
    """How often each deadline was missed: one row per deadline, a bar split into met / missed
    (finished late) / missed (still open, already late), as shares of what the metric counts
    (A + C: finished, or open and already late); the missed share is written at the bar's end, with
    the on-time rate of finished ones in the hover. ``target``: the share that should meet the
    deadline (e.g. 0.9), drawn as a dashed line. Rows whose rate is suppressed (minimum-n rule) get
    no bar, but "too few to judge (n)". Takes the frame of sla_compliance or of deadline_compliance."""
    fig = go.Figure()
    y = _deadline_labels(sla)
    a, b, c = (sla[k].fill_null(0).to_list() for k in ("completed", "completed_late", "open_late"))
    sup = sla["suppressed"].to_list() if "suppressed" in sla.columns else [False] * sla.height
    judged = [d is not None for d in (sla["days"].to_list() if "days" in sla.columns else [0] * sla.height)]
    counted = [a_ + c_ for a_, c_ in zip(a, c, strict=True)]
    show = [j and not s and n > 0 for j, s, n in zip(judged, sup, counted, strict=True)]

    def share(part: list[int]) -> list[float | None]:
        return [p / n if ok else None for p, n, ok in zip(part, counted, show, strict=True)]

    def pct(values: list[float | None]) -> list[str]:
        return [f"{v:.0%}" if v is not None and v >= 0.06 else "" for v in values]

    segments = (("met the deadline", [a_ - b_ for a_, b_ in zip(a, b, strict=True)], ON_TIME, ""),
                ("missed it: finished late", b, LATE, ""),
                ("missed it: still open and already late", c, LATE, "/"))
    for name, part, color, pattern in segments:
        values = share(part)
        fig.add_bar(y=y, x=values, name=name, orientation="h", marker_color=color, text=pct(values),
                    textposition="inside", insidetextanchor="middle", textfont={"color": "#ffffff", "size": 12},
                    marker_pattern={"shape": pattern, "fgcolor": "#ffffff", "solidity": 0.35} if pattern else None,
                    customdata=part, hovertemplate=f"{name}: %{{x:.0%}} (%{{customdata:,}})<extra></extra>")
    missed = [(b_ + c_) / n if ok else None for b_, c_, n, ok in zip(b, c, counted, show, strict=True)]
    notes = []
    for m, ok, s, j, n in zip(missed, show, sup, judged, counted, strict=True):
        if ok and m is not None:
            notes.append(f"  {m:.0%} missed")
        elif s:
            notes.append(f"  too few to judge ({n})")
        elif not j:
            notes.append("  not counted: no deadline for their track")
        else:
            notes.append("  nothing counted yet")
    fig.add_scatter(y=y, x=[1.0 if ok else 0.0 for ok in show], mode="text", text=notes, textposition="middle right",
                    showlegend=False, hoverinfo="skip", textfont={"size": 13, "color": "#333333"})
    if target is not None:
        fig.add_shape(type="line", x0=target, x1=target, y0=0, y1=1, yref="paper",
                      line={"color": "#000000", "dash": "dash", "width": 2})
        fig.add_scatter(x=[None], y=[None], mode="lines", name=f"target: {target:.0%} met",
                        line={"color": "#000000", "dash": "dash", "width": 2})
    fig.update_layout(barmode="stack", height=rows_height(len(y)), uniformtext={"minsize": 10, "mode": "hide"})
    fig.update_xaxes(tickformat=".0%", range=[0, 1.28], tickvals=[0, 0.25, 0.5, 0.75, 1.0])
    fig.update_yaxes(categoryorder="array", categoryarray=y, autorange="reversed", automargin=True,
                     ticklabelstandoff=8)
    # no n over all the deadlines: a project counted once per deadline added up to 5,250 "projects" on a
    # program of 2,000; each row says its own n and how many were counted, under its name ("judged" read as
    # jargon to a reviewer; page 1 and table A1 say "counted for the deadline")
    rows = f"{sla.height} deadline{'s' if sla.height != 1 else ''}"
    days, note = _days_counted(sla, cal)
    text = title("How often were the deadlines missed?", as_of, None, days,
                 counted=f"{rows}, each naming its projects (n) and how many were counted", note=note,
                 timezone=cal.timezone)
    finish(fig, text, "Share of the projects counted", "")
    return footnote(fig, "Counted: finished the step, or still in it and past the deadline (the table's Finished + "
                         "Open and already late).<br>Not counted: open and within the deadline, or left before the "
                         "end. Missed = finished late + open and late.", lines=2)


def bottleneck_chart(dfg: pl.DataFrame, as_of: datetime, unit: str = "business_days", top: int = 15,
                     colors: Palette | None = None, min_n: int = minn.MIN_N,
                     timezone: str = "UTC", ends: Sequence[str] = (),
                     holders: Mapping[str, str] | None = None) -> FigureWithTable:
    """Where work waits longest: the ``top`` transitions A → B with the slowest median time in A
    (business days unless ``unit``), one row each, coloured by A, the median written and the 90th
    percentile marked; above a grid (``.table``) of every transition, slowest median first (sortable,
    the suppressed ones too: ``min_n`` only names their threshold, ``dfg`` already applied it). Bars
    on paper, not a Sankey whose numbers were only in its hover. ``timezone``: the program's, for the
    as-of stamp. ``ends``: the statuses that end a project without completing it (withdrawn, rejected,
    expired: the profile's exits): a move into one is not work waiting to move on (an expiry after a
    180-day timer would top the chart), so it is left out of the bars and kept in the table. ``holders``
    (status -> utility/applicant, the profile's): whose step each row's wait is, under its name (the
    slowest row was an applicant's step a reviewer read as the utility's delay)."""
    med, p90 = f"median_{unit}", f"p90_{unit}"
    sup_col = pl.col("suppressed") if "suppressed" in dfg.columns else pl.lit(False)
    ending = pl.col("next_status").cast(pl.String).is_in(list(ends))
    # slowest first, then the most moves, then by name: one order, whatever order the grouping came in (the
    # table's rows of equal medians swapped places from one printing of a report to the next)
    by, desc = [med, "count", "status", "next_status"], [True, True, False, False]
    shown = dfg.filter(~sup_col & pl.col(med).is_not_null() & ~ending).sort(by, descending=desc).head(top)
    left_out = dfg.filter(ending).height
    pal = colors or for_names(set(dfg["status"].to_list()) | set(dfg["next_status"].to_list()))
    words = unit.replace("_", " ")
    whose = {"applicant": " · the applicant's step", "utility": " · the utility's step"}
    labels = [row_label(f"{a} → {b}", f"n = {n:,} moves{whose.get((holders or {}).get(a, ''), '')}") for a, b, n in
              zip(shown["status"].to_list(), shown["next_status"].to_list(), shown["count"].to_list(), strict=True)]
    fig = go.Figure()
    for status in in_order(shown["status"].unique().to_list(), pal):
        idx = [i for i, s in enumerate(shown["status"].to_list()) if s == status]
        range_bars(fig, [labels[i] for i in idx], [shown[med][i] for i in idx], [shown[p90][i] for i in idx],
                   pal[status], status, f"%{{y}}<br>median %{{x:.1f}}, 90th percentile %{{customdata:.1f}} {words}"
                                        "<extra></extra>")
    range_legend(fig)
    fig.update_yaxes(categoryorder="array", categoryarray=labels, autorange="reversed", automargin=True,
                     ticklabelstandoff=8)
    fig.update_xaxes(rangemode="tozero", range=[0, room(shown[p90].to_list())])
    fig.update_layout(height=rows_height(len(labels)), barmode="overlay")
    slow = dfg.sort(by, descending=desc, nulls_last=True)
    sup = slow["suppressed"].to_list() if "suppressed" in slow.columns else [False] * slow.height
    counts = slow["count"].to_list()
    table = pl.DataFrame({"From": slow["status"].to_list(), "To": slow["next_status"].to_list(),
                          "Moves": [f"{n:,}" for n in counts],
                          **{f"{q} ({words})": [_fmt(v, s_, n) for v, s_, n in zip(slow[c].to_list(), sup, counts,
                                                                                    strict=True)]
                             for q, c in (("Median", med), ("9 in 10 within", p90))}},
                         schema_overrides={"From": pl.String, "To": pl.String})
    rare = dfg.filter(~ending & (sup_col | pl.col(med).is_null())).height
    eligible = dfg.height - left_out - rare  # the moves that can be drawn: "the 7 slowest" of 7 read as a choice
    which = (f"drawn: every kind of move out of a working status ({shown.height})" if shown.height == eligible else
             f"drawn: the {shown.height} slowest of {eligible} kinds of move out of a working status")
    aside = [(f"the {left_out} that end{'s' if left_out == 1 else ''} a project without completing it"
              if left_out else ""),
             f"{rare} with fewer than {min_n} moves" if rare else ""]
    aside = [a for a in aside if a]
    note = which + (f"; in the table only: {' and '.join(aside)}" if aside else "")
    finish(fig, title("Where do projects wait longest before moving on?", as_of, int(dfg["count"].sum()),
                      counted="moves", note=note, timezone=timezone),
           f"{words.capitalize()} in the first status before the move", "")
    return FigureWithTable(fig, table, f"Transitions, slowest median first ({words})")
