"""Page 1 of a report in sentences: the answer to the notebook's question, with the change since the
period before, in the words a program manager forwards ("Review took a median of 7
business days in September–November 2026 (deadline 10 business days), up from 6 in June–August").

A period is complete months of the program's calendar, the last 3 before the report's month (report 02's
"last 3 complete months" too), so a month under way is never part of one. Each figure is what the data
said at the end of its period (a point-in-time cut, pcnb.analytics.asof
semantics): the previous period's figures are what a report run then would have shown, so "up from"
compares like with like. Medians are Kaplan-Meier medians (stays still open count, censored at their
age), so a period whose slow stays are still open is not flattered. Figures over fewer than ``min_n``
stays are not stated.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from pcnb.analytics.intervals import status_intervals
from pcnb.analytics.sla import sla_compliance
from pcnb.analytics.survival import km_quantiles
from pcnb.analytics.time_in_status import time_in_status

#: months in a period of the sentences: a quarter, as most tariffs report
MONTHS = 3


@dataclass(frozen=True)
class Period:
    """Complete local months as UTC instants [start, end), and how a reader names them."""

    start: datetime
    end: datetime

    def words(self, zone: ZoneInfo, year: bool = True) -> str:
        """``September–November 2026``, in the program's months (``year=False``: ``June–August`` where
        the months are of one year, said beside a period that names it)."""
        return month_span(self.start.astimezone(zone).date(), (self.end - timedelta(seconds=1)).astimezone(zone).date(),
                          year)


def month_span(first: date, last: date, year: bool = True) -> str:
    """``September–November 2026``; the first year too when the months span two."""
    if first.year != last.year:
        return f"{first:%B %Y}–{last:%B %Y}"
    return f"{first:%B}–{last:%B %Y}" if year else f"{first:%B}–{last:%B}"


def complete_months(as_of: datetime, timezone: str, back: int = 0) -> Period:
    """The last ``MONTHS`` complete months of the program's calendar before ``as_of`` (``back=1``: the
    ``MONTHS`` before those), so page 1's quarter is report 02's "last 3 complete months" and a month
    under way (6 days old) is never half a period."""
    zone = ZoneInfo(timezone)
    first = as_of.astimezone(zone).date().replace(day=1)

    def month(k: int) -> datetime:  # the first instant of the local month k months before ``first``
        y, m = divmod(first.year * 12 + first.month - 1 - k, 12)
        return datetime(y, m + 1, 1, tzinfo=zone).astimezone(UTC)

    return Period(month(MONTHS * (back + 1)), month(MONTHS * back))


@dataclass(frozen=True)
class StatusFigures:
    """One status over one period: median business days (Kaplan-Meier), stays counted, share late."""

    median: float | None
    stays: int
    late: float | None  # (B + C) / (A + C), as the SLA table counts it: finished late or open and already late
    counted: int = 0  # A + C: the first stays the share is over
    missed: int = 0  # B + C
    unit: str = "business_days"  # of the median: its deadline's where that is in calendar days


#: a deadline as page 1 judges it: (days, unit), the unit business_days or calendar_days
Deadline = tuple[float, str]


def period_figures(events: pl.DataFrame, calendar: Any, period: Period, final: list[str],
                   deadlines: dict[str, Deadline], min_n: int = 10) -> dict[str, StatusFigures]:
    """Per status: the figures of stays entered in ``period``, as the data stood at its end (events
    after it are not seen: what a report run then would have said)."""
    end = period.end
    iv = status_intervals(events.filter(pl.col("ts") < end), calendar, end, terminal=final)
    iv = iv.filter((pl.col("entered") >= period.start) & (pl.col("entered") < end))
    if iv.height == 0:
        return {}
    tis = time_in_status(iv, terminal=final, min_n=min_n)
    late_by: dict[str, tuple[float | None, int, int]] = {}
    for unit in ("business_days", "calendar_days"):  # (B + C) / (A + C) as the SLA table counts it; whole days,
        limits = {k: math.floor(d) for k, (d, u) in deadlines.items() if u == unit}  # so > 2.5 is > 2
        if limits:
            sla = sla_compliance(iv, limits, min_n=min_n, unit=unit)
            late_by |= {r["status"]: (r["pct_exceeding"], r["completed"] + r["open_late"],
                                      r["completed_late"] + r["open_late"]) for r in sla.iter_rows(named=True)}
    # a status whose deadline is in calendar days: its median in calendar days too, or "a median of 11
    # business days (deadline 30 calendar days)" set two units side by side (a reviewer)
    calendar_medians = _calendar_medians(iv, [k for k, (_, u) in deadlines.items() if u == "calendar_days"])
    out = {}
    for row in tis.iter_rows(named=True):
        status = row["status"]
        stays = int(row["n"] or 0) + int(row["n_open"] or 0)
        median = None if row.get("km_suppressed") or row["km_p50_bdays"] is None else float(row["km_p50_bdays"])
        unit = "business_days"
        if status in calendar_medians and median is not None:
            median, unit = calendar_medians[status], "calendar_days"
        late, counted, missed = late_by.get(status, (None, 0, 0))
        out[status] = StatusFigures(median, stays, late, counted, missed, unit)
    return out


def _calendar_medians(iv: pl.DataFrame, statuses: list[str]) -> dict[str, float | None]:
    """Kaplan-Meier medians in calendar days (open stays censored at their age), as time_in_status
    gives them in business days."""
    if not statuses:
        return {}
    stays = iv.filter(pl.col("status").is_in(statuses)).select(
        pl.col("status").cast(pl.String), pl.coalesce("calendar_days", "age_calendar_days").alias("_t"),
        (~pl.col("is_open")).alias("_event"))
    km = km_quantiles(stays, ["status"], "_t", "_event", (0.5,), prefix="p")
    return {r["status"]: r["p50"] for r in km.iter_rows(named=True)}


@dataclass(frozen=True)
class Quarters:
    """The last complete quarter and the one before, each status's figures in each: what page 1's
    review sentences say and the appendix table they are traced to."""

    now: Period
    before: Period
    figures_now: dict[str, StatusFigures]
    figures_before: dict[str, StatusFigures]
    zone: ZoneInfo

    def months(self) -> tuple[str, str]:
        """The two quarters as the sentences name them: "September–November 2026", "June–August" (the
        earlier one's year only where it differs)."""
        year = self.before.end.astimezone(self.zone).year != self.now.end.astimezone(self.zone).year
        return self.now.words(self.zone), self.before.words(self.zone, year=year)


def quarters(events: pl.DataFrame, calendar: Any, as_of: datetime, final: list[str],
             deadlines: dict[str, Deadline], min_n: int = 10) -> Quarters:
    """:func:`period_figures` for the last complete quarter before ``as_of`` and the one before it."""
    now, before = complete_months(as_of, calendar.timezone), complete_months(as_of, calendar.timezone, back=1)
    return Quarters(now, before, period_figures(events, calendar, now, final, deadlines, min_n),
                    period_figures(events, calendar, before, final, deadlines, min_n), ZoneInfo(calendar.timezone))


def review_sentences(q: Quarters, review: list[str], deadlines: dict[str, Deadline]) -> list[str]:
    """One sentence per review status: its median against its deadline and the share that missed the
    deadline, each with the change since the quarter before; a status with too few stays says so."""
    window, earlier = q.months()
    out = []
    for status in review:
        cur, prev = q.figures_now.get(status), q.figures_before.get(status)
        if cur is None or cur.median is None:
            out.append(f"{status}, {window}: too few applications entered it ({cur.stays if cur else 0}) to "
                       "state a median.")
            continue
        days, unit = deadlines.get(status, (0.0, ""))
        target = f" (deadline {days:g} {unit.replace('_', ' ')})" if unit else ""
        # the status and its months first, each figure then once: page 1 holds every sentence (a longer
        # wording pushed the box onto page 2 of the rebate program's report)
        text = (f"{status}, {window}: a median of {cur.median:.0f} {cur.unit.replace('_', ' ')}{target}"
                f"{_change(cur.median, prev.median if prev else None, '{:.0f}', earlier)}")
        if cur.late is not None:
            text += (f"; {cur.late:.0%} of the {cur.counted:,} applications counted missed the deadline"
                     f"{_change(cur.late, prev.late if prev else None, '{:.0%}', earlier)}")
        out.append(text + ".")
    return out


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def verdict_sentence(q: Quarters, review: list[str], holders: dict[str, str] | None = None) -> list[str]:
    """Page 1's bottom line, before its figures (reviewers: "nine figures of equal weight, no
    conclusion"): the deadline missed most often in the last quarter, whose step it is, and which shares
    missed rose or fell against the quarter before, as the sentences below round them."""
    judged = [(s, q.figures_now[s], q.figures_before.get(s)) for s in review
              if s in q.figures_now and q.figures_now[s].late is not None]
    if not judged:
        return []
    window, earlier = q.months()
    worst, cur, _ = max(judged, key=lambda t: t[1].late or 0.0)
    whose = HOLDER_WORDS.get((holders or {}).get(worst, ""), "")
    # "of the deadlines set on one status": a span's deadline since the period began, further down, missed
    # by more read as a contradiction (a reviewer)
    head = (f"Of the deadlines set on one status, the one missed most often in {window} was {worst}'s"
            f"{f' ({whose})' if whose else ''}: {cur.late:.0%} of the applications counted missed it."
            if len(judged) > 1 else
            f"In {window}, {cur.late:.0%} of the applications counted missed {worst}'s deadline.")

    def pct(f: StatusFigures | None) -> int | None:
        return None if f is None or f.late is None else round(f.late * 100)

    shares = [(s, pct(c) or 0, pct(p)) for s, c, p in judged]
    up = [s for s, now, before in shares if before is not None and now > before]
    down = [s for s, now, before in shares if before is not None and now < before]
    moved = [f"more often than in {earlier}: {_names(up)}" if up else "",
             (f"less often: {_names(down)}" if up else f"less often than in {earlier}: {_names(down)}") if down else ""]
    said = "; ".join(m for m in moved if m)
    return [head + (f" Missed {said}." if said else "")]


def review_table(q: Quarters, review: list[str], deadlines: dict[str, Deadline]) -> pl.DataFrame:
    """The figures of :func:`review_sentences`, a row per status and quarter, so each one on page 1
    can be found in the appendix (a reviewer could not trace them)."""
    rows = []
    for status in review:
        for period, figures in ((q.now, q.figures_now), (q.before, q.figures_before)):
            f = figures.get(status, StatusFigures(None, 0, None))
            days, unit = deadlines.get(status, (None, ""))
            rows.append({"Status": status, "Entered in": period.words(q.zone), "Stays entered": f"{f.stays:,}",
                         "Median": "-" if f.median is None else f"{f.median:.0f} {f.unit.replace('_', ' ')}",
                         "Deadline": "-" if days is None else f"{days:g} {unit.replace('_', ' ')}",
                         "Counted for the deadline": f"{f.counted:,}" if f.late is not None else "-",
                         "Missed": f"{f.missed:,}" if f.late is not None else "-",
                         "Missed (share)": "-" if f.late is None else f"{f.late:.0%}"})
    return pl.DataFrame(rows, schema=dict.fromkeys(
        ["Status", "Entered in", "Stays entered", "Median", "Deadline", "Counted for the deadline",
         "Missed", "Missed (share)"], pl.String))


def _change(now: float, before: float | None, fmt: str, earlier: str, close: float = 0.0) -> str:
    """", up from 6 in June–August": the change from ``before``. Rounded alike, "the same as"; within
    ``close`` (a share of ``before``), "about the same as": "95 a month, down from 96" read as a decline."""
    if before is None:
        return f", with no figure for {earlier} to compare"
    if fmt.format(now) == fmt.format(before):
        return f", the same as in {earlier} ({fmt.format(before)})"
    if before and abs(now - before) <= close * abs(before):
        return f", about the same as in {earlier} ({fmt.format(before)})"
    word = "up" if now > before else "down"
    return f", {word} from {fmt.format(before)} in {earlier}"


def for_profile(prof: Any, events: pl.DataFrame, as_of: datetime) -> tuple[list[str], pl.DataFrame]:
    """:func:`review_sentences` and :func:`review_table` for a program profile: its calendar, final
    statuses, and its review statuses with every status that has a deadline of its own, in business or
    calendar days (business hours, spans and tracked rules are in the SLA table and its sentences)."""
    deadlines = {d.status: (d.days, d.unit) for d in prof.deadlines
                 if d.status and d.track is None and d.unit in ("business_days", "calendar_days")}
    # the review statuses and every other status with a deadline of its own, in the process's order (a
    # reviewer asked why page 1 compared the quarters of two statuses and left out a third's 17% missed)
    judged = {*(prof.roles.review or []), *(s for s in deadlines if s not in prof.roles.final)}
    order = [s.name for s in prof.statuses]
    review = sorted(judged, key=lambda s: (order.index(s) if s in order else len(order), s))
    q = quarters(events, prof.calendar.calendar(), as_of, prof.roles.final, deadlines)
    return (verdict_sentence(q, review, prof.holders) + review_sentences(q, review, deadlines),
            review_table(q, review, deadlines))


def deadline_sentences(sla: pl.DataFrame, since: date | None = None) -> list[str]:
    """One sentence per deadline of the profile (every unit, spans and tracks: the SLA table's rows,
    :meth:`Workspace.deadline_compliance`), so page 1 leaves none out: the share that missed it, of
    how many judged, and the days allowed in their unit. Rows held back for too few projects say so.
    ``since``: the first local day the table counts from, said in each sentence (beside a "last 3
    months" sentence of the same status, a reader must tell the two windows apart)."""
    window = f"Since {since:%b} {since.day}, {since.year}, c" if since else "C"
    out = [f"{window}ounting the projects still open and already late as missed:"] if sla.height else []
    for r in sla.iter_rows(named=True):
        track = f" ({r['track']})" if r.get("track") not in (None, "all") else ""
        name = str(r["deadline"]).replace(" -> ", " → ")  # a span's key, drawn as the charts draw it
        unit = str(r["unit"]).replace("_", " ")
        judged = int(r["completed"]) + int(r["open_late"])
        if r.get("suppressed") or r["pct_exceeding"] is None:
            out.append(f"{name}{track}: too few projects to judge ({judged}).")
            continue
        late = int(r["completed_late"]) + int(r["open_late"])
        clock = ", counting the utility's days only" if r.get("clock") == "utility" else ""  # as the chart says it
        out.append(f"{name}{track}: {r['pct_exceeding']:.0%} missed its deadline of {r['days']:g} {unit}{clock} "
                   f"({late:,} of {judged:,}).")
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
        # the month's change, then the total apart: "grew by 16 (300 open now)" read as "grew to 300"; the
        # submitted ones first, then the drafts: "held steady; 692 are open now" beside a chart of 692 that
        # rose (its drafts) read as a contradiction (reviewers)
        now = (f" Open now: {in_progress - drafts:,} submitted, and {drafts:,} drafts not yet submitted "
               f"({in_progress:,} in all)." if drafts else f" Open now: {in_progress:,}.")
        out.append(f"In {last['period']:%B %Y}, {last['arrivals']:,} applications arrived and {last['departures']:,} "
                   f"reached a final status: the submitted work in progress {change} that month.{now}")
    if done.height >= 12:
        year = done.tail(12)
        net = int(year["net_flow"].sum())
        trend = f"grew by {net:,}" if net > 0 else f"shrank by {-net:,}" if net < 0 else "held steady"
        came, left = (year[c].cast(pl.Float64).mean() for c in ("arrivals", "departures"))
        assert isinstance(came, float) and isinstance(left, float)
        # "submitted": the chart of work in progress holds the drafts too, and rose by more (a reviewer)
        span = month_span(year["period"][0], year["period"][-1])
        out.append(f"Over the last 12 complete months ({span}) the submitted work in progress {trend}: {came:,.0f} "
                   f"arrived and {left:,.0f} reached a final status a month on average.")
    if done.height >= 6:
        recent, before = done.tail(3), done.tail(6).head(3)
        a_now, a_before = recent["arrivals"].mean(), before["arrivals"].mean()
        d_now = recent["departures"].mean()
        assert isinstance(a_now, float) and isinstance(a_before, float) and isinstance(d_now, float)
        span, earlier = (month_span(p["period"][0], p["period"][-1]) for p in (recent, before))
        out.append(f"Over the last 3 complete months ({span}), {a_now:,.0f} applications arrived a month on average"
                   f"{_change(a_now, a_before, '{:,.0f}', earlier, close=0.02)}; {d_now:,.0f} a month reached a "
                   "final status.")
    current = months.filter(pl.col("period") == month_start)
    if current.height:
        row = current.row(0, named=True)
        out.append(f"{month_start:%B %Y} so far ({today.day} day{'s' if today.day != 1 else ''}): "
                   f"{row['arrivals']:,} arrived, {row['departures']:,} reached a final status; a month under way "
                   "is left out of the averages.")
    return out or ["No complete month in the period yet: nothing to state."]


def _waiting_by_status(open_stays: pl.DataFrame, leave_out: Iterable[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The open stays less ``leave_out`` (drafts), and per status their count (n) and median age in
    business days (age), most first: what the waiting sentence and the open work table both say."""
    waiting = open_stays.filter(~pl.col("status").cast(pl.String).is_in(list(leave_out)))
    by = (waiting.group_by(pl.col("status").cast(pl.String)).agg(pl.len().alias("n"),
                                                                  pl.col("age_business_days").median().alias("age"))
          .sort(["n", "status"], descending=[True, False]))
    return waiting, by


def open_work_table(open_stays: pl.DataFrame, leave_out: Iterable[str] = (),
                    holders: dict[str, str] | None = None) -> pl.DataFrame:
    """Where the open work waits, a row per status, most first: what :func:`waiting_sentence` says of
    the first row, for every status (a reviewer found page 1's "a median of 14 business days so far" in
    no table), then the totals: all submitted, and where ``leave_out`` held any, the drafts and all open.
    Columns as a manager reads them; the ages are of the open stays only, so they are not the
    time-in-status medians, which count finished stays too."""
    waiting, by = _waiting_by_status(open_stays, leave_out)
    total = max(waiting.height, 1)
    whose = {"applicant": "the applicant's", "utility": "the utility's"}
    rows = [{"Status": r["status"], "Open now": f"{r['n']:,}", "Share of the open work": f"{r['n'] / total:.0%}",
             "Median business days there so far": "-" if r["age"] is None else f"{r['age']:,.0f}",
             "Whose step": whose.get((holders or {}).get(r["status"], ""), "-")} for r in by.iter_rows(named=True)]
    # the totals page 1 says ("232 submitted ones", "300 are open now, 68 of them not yet submitted")
    drafts = open_stays.height - waiting.height
    rows.append({"Status": "All submitted", "Open now": f"{waiting.height:,}", "Share of the open work": "100%",
                 "Median business days there so far": "-", "Whose step": ""})
    if drafts:
        rows += [{"Status": "Not yet submitted (drafts)", "Open now": f"{drafts:,}", "Share of the open work": "-",
                  "Median business days there so far": "-", "Whose step": ""},
                 {"Status": "All open, drafts included", "Open now": f"{open_stays.height:,}",
                  "Share of the open work": "-", "Median business days there so far": "-", "Whose step": ""}]
    return pl.DataFrame(rows, schema=dict.fromkeys(["Status", "Open now", "Share of the open work",
                                                    "Median business days there so far", "Whose step"], pl.String))


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
    waiting, by = _waiting_by_status(open_stays, leave_out)
    if waiting.height == 0:
        return []
    top = by.row(0, named=True)
    age = "" if top["age"] is None else f", for a median of {top['age']:,.0f} business days so far"
    which = ("submitted applications still open" if waiting.height < open_stays.height  # drafts out
             else "open applications")
    whose = HOLDER_WORDS.get((holders or {}).get(top["status"], ""), "")
    # the base first, and "more than in any other status", not "most": 132 of 232 said after "300 are open
    # now" read as a false majority (a reviewer)
    return [f"Of the {waiting.height:,} {which}, {top['n']:,} ({top['n'] / waiting.height:.0%}) wait in "
            f"{top['status']}{f', {whose}' if whose else ''}, more than in any other status{age}."]
