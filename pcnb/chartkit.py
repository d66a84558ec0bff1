"""The drawing conventions every pcnb chart shares, so each chart reads as designed, not defaulted.

Why a module of its own: the issue (#26) found charts that spoke code ("MTWTF--, 255 holidays",
"exceeding (B+C)/(A+C)"), squashed long status names into 30-degree labels, drew a partial month
as a cliff, and binned waits so coarsely that a "within 3 business days" question could not be read.
The remedies are the same in every chart: say the calendar in words, lay long names out as rows,
mark targets with one line style, mark a partial period and keep it out of averages, bin by the
question. pcnb.charts draws the figures with these; nothing here knows a program's statuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import plotly.graph_objects as go

from pcnb import clock
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.deadlines import DeadlineRule
from pcnb.bidi import visible_figure
from pcnb.palette import TARGET, Palette

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ROW = 54  # pixels per row of a horizontal chart: two lines of label, a bar and air
FONT = "Arial, Helvetica, sans-serif"  # one font on screen, in reports and in the reference images


def week_words(mask: Sequence[bool]) -> str:
    """``(T, T, T, T, T, F, F)`` -> "Mon-Fri"; runs of three or more days are ranges, others listed."""
    on = [i for i, flag in enumerate(mask) if flag]
    runs: list[list[int]] = []
    for i in on:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    parts = [f"{_DAYS[r[0]]}-{_DAYS[r[-1]]}" if len(r) > 2 else ", ".join(_DAYS[i] for i in r) for r in runs]
    return ", ".join(parts)


def zone_words(timezone: str) -> str:
    """"America/Los_Angeles" -> "Los Angeles time" (a reader knows the city, not the IANA key)."""
    if timezone.upper() in ("UTC", "ETC/UTC", "GMT"):
        return "UTC"
    return f"{timezone.rsplit('/', 1)[-1].replace('_', ' ')} time"


def calendar_words(cal: Calendar, as_of: datetime) -> str:
    """The business-day calendar as a reader says it: "business days (Mon-Fri, 11 holidays a year,
    Los Angeles time)"; the holidays counted in the year of ``as_of`` (the calendar holds decades)."""
    year = as_of.year  # only holidays on working days: a Saturday holiday (and its Friday observance) is one day off
    n = sum(1 for d in cal.holidays if d.year == year and cal.week_mask[d.weekday()])
    holidays = "no holidays" if n == 0 else f"{n} holiday{'s' if n != 1 else ''} a year"
    return f"business days ({week_words(cal.week_mask)}, {holidays}, {zone_words(cal.timezone)})"


def unit_words(unit: str, days: float | None = None) -> str:
    """"business_days" -> "business days"; with ``days``: "10 business days" (1 -> "1 business day")."""
    words = unit.replace("_", " ")
    if days is None:
        return words
    return f"{days:g} {words[:-1] if days == 1 else words}"


def title(question: str, as_of: datetime, n: int | None, cal: Calendar | None = None, counted: str = "",
          note: str = "", timezone: str | None = None) -> str:
    """The question the chart answers, then one line of basis: as of (in the program's local time when
    the calendar is given, as the title block says it), n (and what n counts), the calendar in words,
    and a short ``note`` (what the chart leaves out). ``n`` None: ``counted`` says the counts itself
    (two counts of different things add up to nothing a reader can use)."""
    zone = timezone or (cal.timezone if cal is not None else None)
    when = clock.local_time(as_of, zone) if zone else f"{as_of:%Y-%m-%d %H:%M} UTC"
    basis = counted if n is None else f"n = {n:,}{f' {counted}' if counted else ''}"
    parts = [f"as of {when}", basis]  # the program's local time
    if cal is not None:
        parts.append(calendar_words(cal, as_of))
    line = " · ".join(parts)
    if note and len(line) + len(note) > 130:  # plotly does not wrap: a long note gets a line of its own
        return f"{question}<br><sup>{line}</sup><br><sup>{note}</sup>"
    return f"{question}<br><sup>{line}{f' · {note}' if note else ''}</sup>"


def footnote(fig: go.Figure, text: str, lines: int = 1) -> go.Figure:
    """A definition under the plot (what a bar's ends mean...), on the figure so a copy keeps it.
    Lines longer than the narrowest plot holds (long status names leave it ~550 px) are wrapped:
    plotly writes an annotation on one line, past the figure's edge."""
    import textwrap

    wrapped = [part for given in text.split("<br>") for part in textwrap.wrap(given, 86) or [""]]
    text, lines = "<br>".join(wrapped), max(lines, len(wrapped))
    # its first line under the axis title; the bottom margin grows with its lines (the text hangs down)
    fig.add_annotation(text=text, xref="paper", yref="paper", x=0, y=0, xanchor="left", yanchor="top",
                       yshift=-66, showarrow=False, align="left", font={"size": 12, "color": "#555555"})
    fig.update_layout(margin={"b": 90 + 16 * lines})
    return fig


def in_order(names: Iterable[str], pal: Palette, order: Sequence[str] | None = None) -> list[str]:
    """``names`` in the program's order: ``order`` if given, else the palette's (the profile's status
    order, so a chart lists statuses as the process runs, not alphabetically); unknown ones last, sorted."""
    known = list(order) if order else list(pal.mapping())
    rank = {name: i for i, name in enumerate(known)}
    return sorted(set(names), key=lambda s: (rank.get(s, len(rank)), s))


def rows_height(rows: int, extra: int = 0) -> int:
    """The height of a horizontal chart of ``rows`` rows: every label readable, never squashed."""
    return max(400, 260 + ROW * rows + extra)


def deadline_ticks(fig: go.Figure, rows: Sequence[str], deadlines: dict[str, float], name: str = "deadline") -> int:
    """A dashed black tick at each row's deadline (x) on a horizontal chart whose y categories are
    ``rows``, plus one legend entry; returns how many rows have one."""
    drawn = 0
    for i, row in enumerate(rows):
        if row in deadlines:
            fig.add_shape(type="line", x0=deadlines[row], x1=deadlines[row], y0=i - 0.42, y1=i + 0.42,
                          xref="x", yref="y", line={"color": TARGET, "width": 2, "dash": "dash"}, layer="above")
            drawn += 1
    if drawn:
        fig.add_scatter(x=[None], y=[None], mode="lines", name=name, line={"color": TARGET, "width": 2, "dash": "dash"})
    return drawn


def status_deadlines(rules: Iterable[DeadlineRule]) -> dict[str, float]:
    """Status -> its deadline in business days, for the charts that draw time in one status against
    it (a deadline per track, over a span, or in another unit is the SLA chart's, not a line there)."""
    return {r.status: float(r.days) for r in rules if r.status and r.track is None and r.unit == "business_days"}


def unplotted_deadlines(rules: Iterable[DeadlineRule]) -> dict[str, str]:
    """Status -> its deadline in words when it is not in business days (a time-in-status chart in
    business days cannot draw 30 calendar days as a line): the row says it instead of leaving it out."""
    return {r.status: unit_words(r.unit, float(r.days)) for r in rules
            if r.status and r.track is None and r.unit != "business_days"}


def range_bars(fig: go.Figure, rows: Sequence[str], mid: Sequence[float], high: Sequence[float], color: str,
               name: str, hover: str, clear: Sequence[float | None] | None = None) -> None:
    """Rows of a typical-to-long range: a solid bar to the median ``mid`` and a light one on to
    ``high`` (the 90th percentile), both values written after the bar -- or after ``clear`` (a
    deadline line on the row) when that lies further right, so the line never crosses the words.
    Why not a box plot: its whiskers (a few stays of hundreds of days) set the scale and squash the
    middle, where most are."""
    fig.add_bar(y=list(rows), x=list(mid), orientation="h", name=name, marker_color=color, showlegend=False,
                width=0.5, hovertemplate=hover, customdata=list(high))
    fig.add_bar(y=list(rows), x=[max(h - m, 0) for m, h in zip(mid, high, strict=True)], base=list(mid),
                orientation="h", name=name, marker={"color": color, "opacity": 0.35}, showlegend=False, width=0.5,
                hovertemplate=hover, customdata=list(high))
    at = [max(h, c or 0) for h, c in zip(high, clear or [None] * len(high), strict=True)]
    fig.add_scatter(y=list(rows), x=at, mode="text", textposition="middle right", showlegend=False, hoverinfo="skip",
                    text=[f" median {days_text(m)} · 9 in 10 within {days_text(h)}" for m, h in
                          zip(mid, high, strict=True)], textfont={"size": 12, "color": "#333333"}, cliponaxis=False,
                    name=name)


def range_legend(fig: go.Figure) -> None:
    """The two legend entries that say what a range bar's parts mean, in words (short: one legend row)."""
    fig.add_bar(x=[None], y=[None], orientation="h", name="solid: median (half took less)", marker_color="#777777")
    # the light part as its own colour: a legend draws a bar's symbol without its opacity (both read dark grey)
    fig.add_bar(x=[None], y=[None], orientation="h", name="light: to the 90th percentile (9 in 10 took less)",
                marker_color="#cfcfcf")


def days_text(value: float) -> str:
    """A number of days as a label: whole from 10 on, one decimal below (7.5), never "7.0"."""
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")


def step_of(periods: Sequence[date]) -> str:
    """What the periods of a throughput frame are: "month", "week", "quarter", "year" or "day"
    (from their starts: local dates truncated by ``every``), "period" when they do not say."""
    if not periods:
        return "period"
    days = sorted(set(periods))
    gaps = {(b - a).days for a, b in zip(days, days[1:], strict=False)}
    if all(d.day == 1 for d in days):
        if all(d.month == 1 for d in days) and (not gaps or min(gaps) >= 365):
            return "year"
        if all(d.month in (1, 4, 7, 10) for d in days) and (not gaps or min(gaps) >= 90):
            return "quarter"
        if not gaps or min(gaps) >= 28:
            return "month"
    if gaps and all(g % 7 == 0 for g in gaps) and len({d.weekday() for d in days}) == 1:
        return "week"
    return "day" if gaps and min(gaps) == 1 else "period"


def next_start(start: date, step: str) -> date | None:
    """The first day after the period that starts at ``start`` (None for an unknown step)."""
    if step in ("month", "quarter", "year"):
        months = {"month": 1, "quarter": 3, "year": 12}[step]
        m = start.month - 1 + months
        return date(start.year + m // 12, m % 12 + 1, 1)
    return {"week": start + timedelta(days=7), "day": start + timedelta(days=1)}.get(step)


def period_start(day: date, step: str) -> date | None:
    """The start of the ``step`` period holding ``day`` (None for an unknown step)."""
    if step == "month":
        return day.replace(day=1)
    if step == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if step == "year":
        return date(day.year, 1, 1)
    return {"week": day - timedelta(days=day.weekday()), "day": day}.get(step)


def current_period(periods: Sequence[date], step: str, as_of: datetime, timezone: str = "UTC") -> date | None:
    """The period running at ``as_of`` when it is the last of ``periods`` or directly follows it (a
    month with nothing yet is still this month, drawn empty, not left out); else None."""
    if not periods:
        return None
    start = period_start(as_of.astimezone(ZoneInfo(timezone)).date(), step)
    last = max(periods)
    return start if start is not None and (start == last or next_start(last, step) == start) else None


def wait_bins(within: int) -> list[tuple[int, int | None, str]]:
    """Buckets of business days for "answered within ``within`` business days": the first is exactly
    the target (0-3), the rest widen (4-5, 6-10, 11-20, 21+), so the chart answers its question."""
    edges = [within, *[e for e in (5, 10, 20) if e > within]]
    if len(edges) == 1:
        edges.append(2 * within)
    out: list[tuple[int, int | None, str]] = []
    low = 0
    for high in edges:
        out.append((low, high, f"{low}-{high}" if high > low else f"{low}"))
        low = high + 1
    out.append((low, None, f"{low}+"))
    return out


def base_layout(fig: go.Figure) -> go.Figure:
    """The look all charts share: white template, one font, legend above the plot (it never steals
    the plot's width from long names), titles left-aligned like a report's."""
    fig.update_layout(template="plotly_white", font={"family": FONT, "size": 13}, legend_title_text="",
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "xanchor": "left", "x": 0,
                              "traceorder": "normal"},
                      title={"x": 0.01, "xanchor": "left", "yref": "container", "y": 1, "yanchor": "top",
                             "pad": {"t": 16}}, hoverlabel={"namelength": -1})
    return fig


def finish(fig: go.Figure, title_text: str, x: str, y: str) -> go.Figure:
    """Title, axes and the shared look; room above the plot for a one-row legend; the program's
    names (statuses, deadlines, tracks) shown safely (pcnb.bidi)."""
    base_layout(fig)
    fig.update_layout(title_text=title_text, xaxis_title=x, yaxis_title=y)
    names = [t.name or "" for t in fig.data if t.showlegend is not False]
    rows = legend_rows(names) if fig.layout.showlegend is not False and len(names) > 1 else 0
    more = 20 * max(title_text.count("<br>") - 1, 0)  # a subtitle of two lines pushes the plot down
    fig.update_layout(margin={"t": max(76 + 24 * rows + more, fig.layout.margin.t or 0)})
    return visible_figure(fig)


def legend_rows(names: Sequence[str], width: int = 860) -> int:
    """How many rows a horizontal legend of ``names`` takes on a plot about ``width`` pixels wide
    (13 px type: ~7 px a character, 40 px for the swatch): the room above the plot it needs, so it
    never climbs into the title."""
    rows, used = 1, 0
    for name in names:
        item = 40 + 7 * len(name)
        if used and used + item > width:
            rows, used = rows + 1, 0
        used += item
    return rows


def row_label(name: str, detail: str) -> str:
    """A row of a horizontal chart: the name, and beneath it in small grey what the row counts."""
    return f"{name}<br><span style='font-size:12px;color:#555555'>{detail}</span>"


def room(ends: Sequence[float]) -> float:
    """The x range of a range-bar chart: the longest bar plus room for its label after it."""
    return max([*ends, 1.0]) * 1.45


def say(fig: go.Figure, lines: Sequence[str], headline: str) -> go.Figure:
    """Put the reason there is nothing to draw in the middle of the plot, in words."""
    import textwrap

    text = "<br>".join([f"<b>{headline}</b>", *(part for line in lines for part in textwrap.wrap(line, 90))])
    fig.add_annotation(text=text, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False, align="center",
                       font={"size": 14, "color": "#333333"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig
