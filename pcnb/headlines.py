"""Page 1 of a report in sentences: the answer to the notebook's question, with the change since the
period before, in the words a program manager forwards ("Review took a median of 7
business days in the 3 months to Dec 6 (entered from Sep 6; deadline 10), up from 6 ...").

Each figure is what the data said at the end of its period (a point-in-time cut, pcnb.analytics.asof
semantics): the previous period's figures are what a report run then would have shown, so "up from"
compares like with like. Medians are Kaplan-Meier medians (stays still open count, censored at their
age), so a period whose slow stays are still open is not flattered. Figures over fewer than ``min_n``
stays are not stated.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from pcnb.analytics.intervals import status_intervals
from pcnb.analytics.sla import sla_compliance
from pcnb.analytics.time_in_status import time_in_status

#: A period of the sentences: the last quarter, as most tariffs report.
PERIOD = timedelta(days=91)


@dataclass(frozen=True)
class StatusFigures:
    """One status over one period: median business days (Kaplan-Meier), stays counted, share late."""

    median: float | None
    stays: int
    late: float | None  # (B + C) / (A + C), as the SLA table counts it: finished late or open and already late
    counted: int = 0  # A + C: the first stays the share is over


def period_figures(events: pl.DataFrame, calendar: Any, end: datetime, final: list[str],
                   deadlines: dict[str, float], min_n: int = 10) -> dict[str, StatusFigures]:
    """Per status: the figures of stays entered in the ``PERIOD`` before ``end``, as the data stood at
    ``end`` (events after it are not seen)."""
    start = end - PERIOD
    iv = status_intervals(events.filter(pl.col("ts") <= end), calendar, end, terminal=final)
    iv = iv.filter(pl.col("entered") >= start)
    if iv.height == 0:
        return {}
    tis = time_in_status(iv, terminal=final, min_n=min_n)
    late_by: dict[str, tuple[float | None, int]] = {}
    if deadlines:  # (B + C) / (A + C) as the SLA table counts it; business days are whole, so > 2.5 is > 2
        sla = sla_compliance(iv, {k: math.floor(v) for k, v in deadlines.items()}, min_n=min_n)
        late_by = {r["status"]: (r["pct_exceeding"], r["completed"] + r["open_late"])
                   for r in sla.iter_rows(named=True)}
    out = {}
    for row in tis.iter_rows(named=True):
        status = row["status"]
        stays = int(row["n"] or 0) + int(row["n_open"] or 0)
        median = None if row.get("km_suppressed") or row["km_p50_bdays"] is None else float(row["km_p50_bdays"])
        late, counted = late_by.get(status, (None, 0))
        out[status] = StatusFigures(median, stays, late, counted)
    return out


def review_sentences(events: pl.DataFrame, calendar: Any, as_of: datetime, final: list[str],
                     review: list[str], deadlines: dict[str, float], unit: str = "business days",
                     min_n: int = 10) -> list[str]:
    """One sentence per review status: its median against its deadline and the share that missed the
    deadline, each with the change since the quarter before; a status with too few stays says so."""
    now = period_figures(events, calendar, as_of, final, deadlines, min_n)
    before = period_figures(events, calendar, as_of - PERIOD, final, deadlines, min_n)
    # which 3 months, in the program's days: "the last 3 months" read as the last 3 complete months
    zone = ZoneInfo(calendar.timezone)
    first, last = ((as_of - PERIOD).astimezone(zone).date(), as_of.astimezone(zone).date())
    window, entered = f"in the 3 months to {last:%b} {last.day}", f"entered from {first:%b} {first.day}"
    out = []
    for status in review:
        cur, prev = now.get(status), before.get(status)
        if cur is None or cur.median is None:
            out.append(f"{status}: too few applications {window} ({cur.stays if cur else 0} {entered}) to "
                       "state a median.")
            continue
        target = f"; deadline {deadlines[status]:g}" if status in deadlines else ""
        text = (f"{status} took a median of {cur.median:.0f} {unit} {window} ({entered}{target})"
                f"{_change(cur.median, prev.median if prev else None, '{:.0f}')}.")
        if cur.late is not None:
            per = unit[:-1].replace(" ", "-")  # business days -> a 10-business-day deadline
            text += (f" {cur.late:.0%} of the {cur.counted:,} applications counted missed the "
                     f"{deadlines[status]:g}-{per} deadline"
                     f"{_change(cur.late, prev.late if prev else None, '{:.0%}')}.")
        out.append(text)
    return out


def _change(now: float, before: float | None, fmt: str) -> str:
    if before is None:
        return ", with no figure for the 3 months before to compare"
    if fmt.format(now) == fmt.format(before):
        return f", the same as the 3 months before ({fmt.format(before)})"
    word = "up" if now > before else "down"
    return f", {word} from {fmt.format(before)} the 3 months before"


def for_profile(prof: Any, events: pl.DataFrame, as_of: datetime) -> list[str]:
    """:func:`review_sentences` for a program profile: its calendar, final and review statuses, and
    the per-status deadlines counted in business days (other units and tracked rules are in the
    SLA table)."""
    deadlines = {d.status: d.days for d in prof.deadlines
                 if d.status and d.track is None and d.unit == "business_days"}
    review = prof.roles.review or [s for s in deadlines if s not in prof.roles.final]
    return review_sentences(events, prof.calendar.calendar(), as_of, prof.roles.final, review, deadlines)


def deadline_sentences(sla: pl.DataFrame, since: date | None = None) -> list[str]:
    """One sentence per deadline of the profile (every unit, spans and tracks: the SLA table's rows,
    :meth:`Workspace.deadline_compliance`), so page 1 leaves none out: the share that missed it, of
    how many judged, and the days allowed in their unit. Rows held back for too few projects say so.
    ``since``: the first local day the table counts from, said in each sentence (beside a "last 3
    months" sentence of the same status, a reader must tell the two windows apart)."""
    window = f" since {since:%b} {since.day}, {since.year}" if since else ""
    out = []
    for r in sla.iter_rows(named=True):
        track = f" ({r['track']})" if r.get("track") not in (None, "all") else ""
        name = str(r["deadline"]).replace(" -> ", " → ")  # a span's key, drawn as the charts draw it
        unit = str(r["unit"]).replace("_", " ")
        judged = int(r["completed"]) + int(r["open_late"])
        if r.get("suppressed") or r["pct_exceeding"] is None:
            out.append(f"{name}{track}: too few projects to judge ({judged}).")
            continue
        late = int(r["completed_late"]) + int(r["open_late"])
        # the clock as the chart says it
        clock = (f", counting the utility's days only{',' if window else ''}" if r.get("clock") == "utility"
                 else "")
        out.append(f"{name}{track}: {r['pct_exceeding']:.0%} missed the deadline of {r['days']:g} {unit}{clock}"
                   f"{window} ({late:,} of {judged:,}, counting those still open and already late).")
    return out


def flow_sentences(months: pl.DataFrame, as_of: datetime, timezone: str, in_progress: int,
                   drafts: int = 0) -> list[str]:
    """Notebook 02's answer from its monthly flow frame (pcnb.analytics.throughput.flow: period,
    arrivals, departures, net_flow): the last complete month, the last 12 complete months' change (so
    a flat month does not hide a growing backlog), the average of the last 3 complete months against
    the 3 before, and the month under way, which is named as partial and left out of every average
    (a month 6 days old is not a slump). ``in_progress``: projects open now outside the final
    statuses, ``drafts`` of them not yet submitted (said apart, so the figure matches the charts)."""
    from zoneinfo import ZoneInfo

    today = as_of.astimezone(ZoneInfo(timezone)).date()
    month_start = today.replace(day=1)
    done = months.filter(pl.col("period") < month_start).sort("period")
    out = []
    if done.height:
        last = done.row(-1, named=True)
        grew = last["net_flow"]
        change = (f"grew by {grew:,}" if grew > 0 else f"shrank by {-grew:,}" if grew < 0 else "held steady")
        now = (f"{in_progress:,} open now, {drafts:,} of them not yet submitted" if drafts else
               f"{in_progress:,} in progress now")
        out.append(f"In {last['period']:%B %Y}, {last['arrivals']:,} applications arrived and {last['departures']:,} "
                   f"reached a final status: the submitted work in progress {change} ({now}).")
    if done.height >= 12:
        year = done.tail(12)
        net = int(year["net_flow"].sum())
        trend = f"grew by {net:,}" if net > 0 else f"shrank by {-net:,}" if net < 0 else "held steady"
        came, left = (year[c].cast(pl.Float64).mean() for c in ("arrivals", "departures"))
        assert isinstance(came, float) and isinstance(left, float)
        # "submitted": the chart of work in progress holds the drafts too, and rose by more (a reviewer)
        out.append(f"Over the last 12 complete months the submitted work in progress {trend}: {came:,.0f} arrived and "
                   f"{left:,.0f} reached a final status a month on average.")
    if done.height >= 6:
        recent, before = done.tail(3), done.tail(6).head(3)
        a_now, a_before = recent["arrivals"].mean(), before["arrivals"].mean()
        d_now = recent["departures"].mean()
        assert isinstance(a_now, float) and isinstance(a_before, float) and isinstance(d_now, float)
        out.append(f"Over the last 3 complete months, {a_now:,.0f} applications arrived a month on average"
                   f"{_change(a_now, a_before, '{:,.0f}')}; {d_now:,.0f} a month reached a final status.")
    current = months.filter(pl.col("period") == month_start)
    if current.height:
        row = current.row(0, named=True)
        out.append(f"{month_start:%B %Y} so far ({today.day} day{'s' if today.day != 1 else ''}): "
                   f"{row['arrivals']:,} arrived, {row['departures']:,} reached a final status; a month under way "
                   "is left out of the averages.")
    return out or ["No complete month in the period yet: nothing to state."]


#: whose move it is in a status, as page 1 says it (the profile's holders)
HOLDER_WORDS = {"applicant": "a step the applicant holds", "utility": "a step the utility holds"}


def waiting_sentence(open_stays: pl.DataFrame, leave_out: Iterable[str] = (),
                     holders: dict[str, str] | None = None) -> list[str]:
    """Where the open work waits (a reviewer found both reports' first page silent on it): the status
    holding the most open applications (``open_stays``: the open rows of pcnb.analytics.intervals,
    final statuses already left out; ``leave_out``: drafts, not yet anyone's work), its share of them
    and their median age there so far in business days. Nothing when nothing is open. ``holders``
    (status -> utility/applicant, the profile's): whose step it is, said, as "400 wait in Funds
    Reserved" read as 400 held up by the utility when the applicant is installing."""
    waiting = open_stays.filter(~pl.col("status").cast(pl.String).is_in(list(leave_out)))
    if waiting.height == 0:
        return []
    by = (waiting.group_by(pl.col("status").cast(pl.String)).agg(pl.len().alias("n"),
                                                                  pl.col("age_business_days").median().alias("age"))
          .sort(["n", "status"], descending=[True, False]))
    top = by.row(0, named=True)
    age = "" if top["age"] is None else f", there for a median of {top['age']:,.0f} business days so far"
    which = "submitted ones still open" if waiting.height < open_stays.height else "open applications"  # drafts out
    whose = HOLDER_WORDS.get((holders or {}).get(top["status"], ""), "")
    return [f"Most of the open work waits in {top['status']}{f', {whose}' if whose else ''}: {top['n']:,} of the "
            f"{waiting.height:,} {which} ({top['n'] / waiting.height:.0%}){age}."]
