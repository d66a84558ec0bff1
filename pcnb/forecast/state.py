"""Where each open project stands at ``as_of``: its stay, its path so far, and each deadline's clock.

A project is open when its last stay at ``as_of`` is in a status that is not final. Its start in the
simulation is that stay: status, the day it was entered, the business days it has lasted at least
(``m``, :mod:`pcnb.forecast.days`), whether it is a return to that status, and the statuses visited
before (a later return to one of them is drawn from the returns' pool).

Deadlines are counted as :mod:`pcnb.analytics.deadlines` counts them, per project: a status rule
judges the first stay in its status, a span rule runs from first entering ``start`` to first
entering ``end`` (on the utility's clock only the utility-held stays count). At ``as_of`` a rule
that applies to a project is ``ahead`` (its clock has not started), ``running``, already ``late``
(what ``deadline_compliance`` counts as open_late), or decided (the stay or span ended: history,
not a forecast; left out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from pcnb.analytics.deadlines import DeadlineRule
from pcnb.forecast.days import NEVER, BusinessDays
from pcnb.forecast.model import StayModel
from pcnb.forecast.program import ForecastError, Program, label

AHEAD, RUNNING, MET, LATE, MOOT = 0, 1, 2, 3, 4
STATES = {AHEAD: "ahead", RUNNING: "running", LATE: "late"}


@dataclass
class Start:
    """The first stay of each path: one row per project (arrays of equal length)."""

    project_id: np.ndarray  # (object) project ids
    status: np.ndarray  # status code
    segment: np.ndarray  # segment code
    entry: np.ndarray  # day index it was entered
    age: np.ndarray  # business days it has lasted at least (m)
    repeat: np.ndarray  # bool: a return to the status
    visited: np.ndarray  # uint64 bit mask of the status codes visited so far

    @property
    def size(self) -> int:
        return len(self.project_id)

    def take(self, idx: np.ndarray) -> Start:
        return Start(self.project_id[idx], self.status[idx], self.segment[idx], self.entry[idx], self.age[idx],
                     self.repeat[idx], self.visited[idx])


@dataclass
class Rule:
    """One deadline rule compiled for the simulation: codes instead of names."""

    rule: DeadlineRule
    status: int  # status code of a status rule, else -1
    start: int  # span start code, else -1
    end: int  # span end code, else -1
    counted: np.ndarray  # bool per status code: its stays count towards the span
    label: str
    state: np.ndarray  # per project: AHEAD, RUNNING, LATE, or -1 (not applicable / decided)
    rem: np.ndarray  # per project: what is left of the deadline (in its unit) when the clock runs
    late_day: np.ndarray  # per project: the day it went (or goes, if its step is still open then) late


def open_projects(intervals: pl.DataFrame, program: Program, model: StayModel, days: BusinessDays,
                  segments: pl.DataFrame | None, only: Sequence[str] | None = None) -> Start:
    """The open projects at ``as_of`` (``only`` these, if given) as simulation starts (see the module doc)."""
    final = list(program.final)
    last = intervals.filter(pl.col("is_open") & ~pl.col("status").is_in(final))
    if only is not None:
        last = last.filter(pl.col("project_id").is_in(list(only)))
    if segments is not None:
        last = last.join(segments.select("project_id", "segment"), on="project_id", how="left")
    else:
        last = last.with_columns(pl.lit(model.segments[0]).alias("segment"))
    last = last.with_columns(pl.col("segment").fill_null("unknown"),
                             days.local_dates("entered").alias("_day")).sort("project_id")
    codes = model.codes
    too_many = len(codes) > 63
    visited = intervals.filter(pl.col("project_id").is_in(last["project_id"].implode())).group_by("project_id").agg(
        pl.col("status").unique())
    bits = {pid: _mask(sts, codes, too_many) for pid, sts in visited.iter_rows()}
    ids = last["project_id"].to_list()
    entry = days.index(last["_day"].to_numpy())
    seg = np.array([model.seg_codes.get(s, model.seg_codes.get("unknown", 0)) for s in last["segment"].to_list()],
                   dtype=np.int32)
    return Start(np.array(ids, dtype=object), np.array([codes[s] for s in last["status"].to_list()], dtype=np.int32),
                 seg,
                 entry.astype(np.int32), np.maximum(days.today - entry, 0).astype(np.int32),
                 (last["visit"].to_numpy() > 1), np.array([bits[p] for p in ids], dtype=np.uint64))


def _mask(statuses: Sequence[str], codes: dict[str, int], too_many: bool) -> int:
    out = 0
    for s in statuses:
        c = codes.get(s)
        if c is not None and c < 63:
            out |= 1 << c
    return out


def measure(unit: str, days: BusinessDays, e: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A stay's length in ``unit`` from its entry and exit day indexes (business hours: whole
    business days at the calendar's working hours each; calendar days: between the local dates)."""
    out: np.ndarray
    if unit == "business_days":
        out = (x - e).astype(np.float64)
    elif unit == "business_hours":
        out = (x - e) * days.hours_per_day
    else:
        out = (days.ordinal(x) - days.ordinal(e)).astype(np.float64)
    return out


def breach_day(unit: str, days: BusinessDays, e: np.ndarray, rem: np.ndarray) -> np.ndarray:
    """The first day on which a clock entered on day ``e`` with ``rem`` left shows more than ``rem``:
    a stay still open on that day is late."""
    rem = np.maximum(rem, -1.0)
    out: np.ndarray
    if unit == "business_days":
        out = (e + np.floor(rem) + 1).astype(np.int64)
    elif unit == "business_hours":
        out = (e + np.floor(rem / days.hours_per_day) + 1).astype(np.int64)
    else:
        due = days.dates(e) + (np.floor(rem) + 1).astype("timedelta64[D]")
        out = days.index(due).astype(np.int64)
    return out


def deadline_states(intervals: pl.DataFrame, program: Program, model: StayModel, days: BusinessDays,
                    start: Start, tracks: pl.DataFrame | None) -> list[Rule]:
    """Each rule's clock per open project at ``as_of`` (see the module doc)."""
    rules = list(program.deadlines)
    if any(r.track is not None for r in rules) and tracks is None:
        bad = next(r for r in rules if r.track is not None)
        raise ForecastError(f"deadline {label(bad)} is for track {bad.track!r}: the forecast needs each project's "
                            "track", "pass tracks= (project_id, track); ws.forecast() reads them from the profile's "
                            "track field")
    ids = pl.DataFrame({"project_id": start.project_id.tolist(), "_i": np.arange(start.size)},
                       schema={"project_id": pl.String, "_i": pl.Int64})
    iv = intervals.join(ids, on="project_id", how="inner")
    holders = program.holders
    out = []
    for r in rules:
        state = np.full(start.size, -1, dtype=np.int8)
        rem = np.full(start.size, float(r.days))
        late_day = np.full(start.size, NEVER, dtype=np.int64)
        covered = _covered(r, rules, tracks, ids)
        if r.status:
            code = model.codes.get(r.status, -2)
            first = iv.filter((pl.col("status") == r.status) & (pl.col("visit") == 1)).select("_i", "is_open")
            seen = np.zeros(start.size, dtype=bool)
            seen[first["_i"].to_numpy()] = True
            running = (start.status == code) & ~start.repeat
            state[covered & ~seen] = AHEAD
            state[covered & running] = RUNNING
            counted = np.zeros(len(model.names), dtype=bool)
            span = (-1, -1)
        else:
            code = -1
            assert r.start is not None and r.end is not None
            counted = np.array([(holders.get(n) == "utility" if r.clock == "utility" else True)
                                and not model.is_final[i] for i, n in enumerate(model.names)])
            t0 = iv.filter(pl.col("status") == r.start).group_by("_i").agg(pl.col("entered").min().alias("_t0"))
            d = iv.join(t0, on="_i").filter(pl.col("entered") >= pl.col("_t0"))
            ended = d.filter(pl.col("status") == r.end)["_i"].unique().to_numpy()
            closed_col = {"business_days": "business_days", "calendar_days": "calendar_days"}.get(r.unit)
            length = (pl.col(closed_col).cast(pl.Float64) if closed_col else
                      pl.col("business_hours") if "business_hours" in d.columns else
                      pl.col("business_days").cast(pl.Float64) * days.hours_per_day)
            keep = ~pl.col("is_open")
            if r.clock == "utility":
                keep = keep & pl.col("status").is_in([s for s, h in holders.items() if h == "utility"])
            spent = d.filter(keep).group_by("_i").agg(length.sum().alias("_spent"))
            started = np.zeros(start.size, dtype=bool)
            started[t0["_i"].to_numpy()] = True
            done = np.zeros(start.size, dtype=bool)
            done[ended] = True
            rem[spent["_i"].to_numpy()] -= spent["_spent"].fill_null(0.0).to_numpy()
            state[covered & ~started] = AHEAD
            state[covered & started & ~done] = RUNNING
            span = (model.codes.get(r.start, -2), model.codes.get(r.end, -2))
        running = state == RUNNING
        counts_now = running & ((start.status == code) if r.status else counted[start.status])
        b = breach_day(r.unit, days, start.entry.astype(np.int64), rem)
        late = running & ((rem < 0) | (counts_now & (b <= 0)))
        state[late] = LATE
        late_day[late] = np.where(rem[late] < 0, 0, b[late])
        late_day[running & ~late & counts_now] = b[running & ~late & counts_now]
        out.append(Rule(r, code, span[0], span[1], counted, label(r), state, rem, late_day))
    return out


def _covered(rule: DeadlineRule, rules: Sequence[DeadlineRule], tracks: pl.DataFrame | None,
             ids: pl.DataFrame) -> np.ndarray:
    """Which open projects ``rule`` applies to (its track, or the projects no tracked rule of its
    target covers), as :mod:`pcnb.analytics.deadlines` decides."""
    if tracks is None:
        return np.ones(ids.height, dtype=bool)
    tracked = {r.track for r in rules if label(r) == label(rule) and r.track is not None}
    t = ids.join(tracks.select("project_id", "track"), on="project_id", how="left")["track"]
    if rule.track is not None:
        return (t == rule.track).fill_null(False).to_numpy()
    return (~t.is_in(list(tracked))).fill_null(True).to_numpy() if tracked else np.ones(ids.height, dtype=bool)


__all__ = ["AHEAD", "LATE", "MET", "MOOT", "RUNNING", "STATES", "Rule", "Start", "breach_day", "deadline_states",
           "measure", "open_projects"]
