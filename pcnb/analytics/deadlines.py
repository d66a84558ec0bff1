"""Deadline compliance for every kind of deadline a tariff sets, not only "N days in a status".

A deadline rule (:class:`pcnb.profile.Deadline` is one; anything with these attributes will do) has
``days`` in a ``unit`` (business_days, calendar_days, business_hours) and either

- a ``status``: each stay in that status (the first visit only, unless told otherwise) must end
  within ``days``; or
- a span, ``start`` -> ``end``: from first entering ``start`` to first entering ``end`` afterwards.
  The span is the sum of the stays in between, so with ``clock="utility"`` only the stays in
  statuses the utility holds count: the clock stops while the applicant holds the project, which is
  how most interconnection rules count the utility's days.

A rule may belong to a ``track`` (e.g. "Fast Track", or a size bin): it then applies to the projects
whose track value (``tracks``: project_id, track) equals it; a track no project has is refused (a typo
would otherwise judge that track's projects by another rule). An untracked rule with the same target
applies to every project no tracked rule of that target covers, including those of unknown track;
without one, those projects get a row of their own (``days`` null: no rule covers them), so every
project that entered a span or a status is in exactly one row.

Counting as regulators report it (:mod:`pcnb.analytics.sla`): A = completed, B = completed late,
C = still open and already past the deadline; pct_exceeding = (B + C) / (A + C), on-time rate =
(A - B) / A, with the minimum-n rule. A span that ended in a final status other than ``end`` (a
withdrawal, a cancellation) never completed and is no longer open: it is counted in ``exited``, in
neither A nor C; likewise a stay that ended by entering a final status that is not one of
``completions`` (the step was not finished: a withdrawal, a cancellation). A span ended by a
rejection (a final status in ``completions`` other than ``end``) is finished, at the rejection: the
utility decided, as a rejection finishes a status's step. Stays are as they stood
at the ``as_of`` the intervals were built with; ``since`` keeps the stays, and the spans, that
started on or after that local day (a span is still measured from its first start).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

import polars as pl

from pcnb.analytics import minn
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.roles import need

#: unit -> (closed-stay column, open-stay age column) of the intervals
UNIT_COLUMNS = {"business_days": ("business_days", "age_business_days"),
                "calendar_days": ("calendar_days", "age_calendar_days"),
                "business_hours": ("business_hours", "age_business_hours")}
CLOCKS = ("elapsed", "utility")


class DeadlineRule(Protocol):
    days: float
    status: str | None
    start: str | None
    end: str | None
    unit: str
    track: str | None
    clock: str


def _target(rule: DeadlineRule) -> str:
    return rule.status or f"{rule.start} -> {rule.end}"


def _check(rules: Sequence[DeadlineRule], intervals: pl.DataFrame, tracks: pl.DataFrame | None) -> None:
    if not rules:
        raise ValueError("no deadlines given; a program's deadlines come from its profile (profile.deadlines)")
    for r in rules:
        if r.unit not in UNIT_COLUMNS:
            raise ValueError(f"deadline {_target(r)}: unknown unit {r.unit!r}; use one of {', '.join(UNIT_COLUMNS)}")
        if r.clock not in CLOCKS:
            raise ValueError(f"deadline {_target(r)}: unknown clock {r.clock!r}; use one of {', '.join(CLOCKS)}")
        if not r.days > 0:
            raise ValueError(f"deadline {_target(r)}: {r.days!r} must be a positive number of {r.unit}")
        if not r.status and not (r.start and r.end):
            raise ValueError("a deadline needs a status, or a start and an end status")
        if not r.status and r.start == r.end:
            raise ValueError(f"deadline {_target(r)}: the start and end are the same status; "
                             "a span runs from entering START to entering a later END")
        if r.unit == "business_hours" and "business_hours" not in intervals.columns:
            raise ValueError(f"deadline {_target(r)} is in business hours but the intervals have no business_hours "
                             "column; add it with with_business_hours(intervals, calendar, as_of)")
        if r.track is not None and tracks is None:
            raise ValueError(f"deadline {_target(r)} is for track {r.track!r}: pass tracks= (project_id, track)")


def _check_tracks(rules: Sequence[DeadlineRule], tracks: pl.DataFrame | None) -> None:
    """A rule's track must be a value some project has: a typo would silently judge that track's
    projects by the untracked rule."""
    if tracks is None:
        return
    known = sorted({t for t in tracks["track"].drop_nulls().to_list()})
    for r in rules:
        if r.track is not None and r.track not in known:
            close = difflib.get_close_matches(r.track.lower(), [k.lower() for k in known], n=1, cutoff=0.5)
            hint = next((k for k in known if close and k.lower() == close[0]), None)
            raise ValueError(f"deadline {_target(r)}: no project is on track {r.track!r}"
                             + (f" (did you mean {hint!r}?)" if hint else "")
                             + f"; the tracks are: {', '.join(known) or 'none yet'}")


def _tracked_by_target(rules: Sequence[DeadlineRule]) -> dict[str, set[str]]:
    """Per target (a status or "START -> END"), the tracks its rules name (empty: untracked only)."""
    out: dict[str, set[str]] = {}
    for r in rules:
        out.setdefault(_target(r), set()).update([r.track] if r.track is not None else [])
    return out


def _population(rule: DeadlineRule, tracked: set[str], tracks: pl.DataFrame | None) -> pl.Expr | None:
    """Which projects the rule covers, as a filter on project_id (None: all of them); ``tracked``:
    the tracks the rules of its target name."""
    if tracks is None:
        return None
    if rule.track is not None:
        return pl.col("project_id").is_in(tracks.filter(pl.col("track") == rule.track)["project_id"].implode())
    if not tracked:
        return None
    covered = tracks.filter(pl.col("track").is_in(list(tracked)))["project_id"]
    return ~pl.col("project_id").is_in(covered.implode())


@dataclass
class _Remainder:
    """The projects of a target that only tracked rules name and whose track has none: counted, not judged."""

    days: float
    status: str | None
    start: str | None
    end: str | None
    unit: str
    clock: str
    track: str | None = None


def _remainders(rules: Sequence[DeadlineRule]) -> list[DeadlineRule]:
    """One _Remainder per target that only tracked rules name."""
    untracked = {_target(r) for r in rules if r.track is None}
    first: dict[str, DeadlineRule] = {}
    for r in rules:
        first.setdefault(_target(r), r)
    return [_Remainder(math.nan, r.status, r.start, r.end, r.unit, r.clock)
            for target, r in first.items() if target not in untracked]


def _measure(iv: pl.DataFrame, unit: str) -> pl.DataFrame:
    closed, age = UNIT_COLUMNS[unit]
    return iv.with_columns(pl.coalesce(pl.col(closed).cast(pl.Float64), pl.col(age).cast(pl.Float64)).alias("_t"))


def _stays(iv: pl.DataFrame, rule: DeadlineRule, first_visit_only: bool, exits: list[str],
           since: Callable[[str], pl.Expr] | None) -> pl.DataFrame:
    """One row per stay: _t (elapsed), _done (the step was finished), _exited (the stay ended in a
    final status that finishes nothing: a withdrawal, a cancellation)."""
    stays = iv.filter(pl.col("status") == rule.status)
    if first_visit_only:
        stays = stays.filter(pl.col("visit") == 1)
    if since is not None:
        stays = stays.filter(since("entered"))
    exited = ~pl.col("is_open") & pl.col("next_status").is_in(exits)
    return stays.select("project_id", "_t", (~pl.col("is_open") & ~exited).alias("_done"), exited.alias("_exited"))


def _spans(iv: pl.DataFrame, rule: DeadlineRule, final: list[str], holders: Mapping[str, str],
           since: Callable[[str], pl.Expr] | None, decisions: Iterable[str] = ()) -> pl.DataFrame:
    """One row per project that entered ``start``: _t (the span's elapsed so far or in all), _done
    (reached ``end``, or one of ``decisions``: a rejection ends the span as the utility's decision,
    as it finishes a status's step), _exited (now in a final status other than those without
    reaching them: a withdrawal, a cancellation)."""
    ends = {rule.end, *decisions}
    t0 = iv.filter(pl.col("status") == rule.start).group_by("project_id").agg(pl.col("entered").min().alias("_t0"))
    if since is not None:  # spans that started on or after since, measured from their first start
        t0 = t0.filter(since("_t0"))
    d = iv.join(t0, on="project_id", how="inner").filter(pl.col("entered") >= pl.col("_t0"))
    t1 = d.filter(pl.col("status").is_in(ends)).group_by("project_id").agg(pl.col("entered").min().alias("_t1"))
    d = d.join(t1, on="project_id", how="left")
    window = d.filter(pl.col("_t1").is_null() | (pl.col("entered") < pl.col("_t1")))
    if rule.clock == "utility":
        held = [s for s, h in holders.items() if h == "utility"]
        window = window.with_columns(pl.when(pl.col("status").is_in(held)).then(pl.col("_t")).otherwise(0.0)
                                     .alias("_t"))
    last = d.sort("entered").group_by("project_id").agg(pl.col("status").last().alias("_now"))
    out = window.group_by("project_id").agg(pl.col("_t").sum(), pl.col("_t1").first().is_not_null().alias("_done"))
    out = out.join(last, on="project_id", how="left")
    return out.select("project_id", "_t", "_done",
                      (~pl.col("_done") & pl.col("_now").is_in(final) & ~pl.col("_now").is_in(ends)).alias("_exited"))


def deadline_compliance(intervals: pl.DataFrame, deadlines: Sequence[DeadlineRule], *,
                        terminal: Iterable[str] | None = None, completions: Iterable[str] = (),
                        holders: Mapping[str, str] | None = None, tracks: pl.DataFrame | None = None,
                        since: date | None = None, calendar: Calendar | None = None,
                        first_visit_only: bool = True, min_n: int = minn.MIN_N) -> pl.DataFrame:
    """One row per deadline rule: deadline (its status or "START -> END"), track, days, unit, clock,
    completed (A), completed_late (B), open_late (C), open, exited, pct_exceeding, on_time_rate and
    the suppression flags; plus, for a target that only tracked rules name, a row of the projects
    none covers (``days`` null). See the module doc for spans, clocks, tracks and exits.

    ``terminal``: the program's final statuses; ``completions``: those that finish a step (the
    completed and rejected exits: a rejection is the utility's decision) -- a stay ending in another
    final status is ``exited``; ``holders``: status -> utility/applicant/none, needed by
    ``clock="utility"`` rules; ``tracks``: project_id, track, needed by tracked rules; ``since``:
    the first local day (of ``calendar``) whose stays and spans count."""
    final = list(need(terminal, "terminal", "deadline_compliance", "the program's final statuses (roles.final)"))
    _check(deadlines, intervals, tracks)
    _check_tracks(deadlines, tracks)
    if any(r.clock == "utility" and not r.status for r in deadlines) and not holders:
        raise ValueError("a deadline with clock='utility' needs holders= (status -> utility/applicant/none)")
    if since is not None and (not isinstance(since, date) or isinstance(since, datetime)):
        raise ValueError(f"since={since!r} must be a date, e.g. datetime.date(2025, 1, 1) (a local day)")
    cal = calendar or Calendar()
    on_or_after = None if since is None else (lambda col: cal.local_date(col) >= since)
    decided = set(completions)
    exits = [s for s in final if s not in decided]
    rows = []
    tracked = _tracked_by_target(deadlines)
    for rule in [*deadlines, *_remainders(deadlines)]:
        iv = _measure(intervals, rule.unit)
        keep = _population(rule, tracked[_target(rule)], tracks)
        if keep is not None:
            iv = iv.filter(keep)
        units = (_stays(iv, rule, first_visit_only, exits, on_or_after) if rule.status
                 else _spans(iv, rule, final, holders or {}, on_or_after,
                             decisions=[s for s in final if s in decided and s != rule.end]))
        remainder = isinstance(rule, _Remainder)
        late = pl.lit(None, pl.Boolean) if remainder else pl.col("_t") > rule.days
        counts = units.select(
            pl.col("_done").sum().cast(pl.Int64).alias("completed"),
            (pl.col("_done") & late).sum().cast(pl.Int64).alias("completed_late"),
            (~pl.col("_done") & ~pl.col("_exited") & late).sum().cast(pl.Int64).alias("open_late"),
            (~pl.col("_done") & ~pl.col("_exited")).sum().cast(pl.Int64).alias("open"),
            pl.col("_exited").sum().cast(pl.Int64).alias("exited")).row(0)
        track = (rule.track if rule.track is not None else "no rule for their track" if remainder
                 else "other tracks" if tracked[_target(rule)] else "all")
        n_done, n_late, n_open_late, n_open, n_exited = (int(x or 0) for x in counts)
        if remainder and n_done + n_open + n_exited == 0:
            continue  # every project of the target is on a track that has a rule
        rows.append((_target(rule), track, None if remainder else float(rule.days), rule.unit, rule.clock,
                     n_done, None if remainder else n_late, None if remainder else n_open_late, n_open, n_exited))
    out = pl.DataFrame(rows, orient="row", schema={
        "deadline": pl.String, "track": pl.String, "days": pl.Float64, "unit": pl.String, "clock": pl.String,
        "completed": pl.Int64, "completed_late": pl.Int64, "open_late": pl.Int64, "open": pl.Int64,
        "exited": pl.Int64})
    a, b, c = pl.col("completed"), pl.col("completed_late"), pl.col("open_late")
    out = out.with_columns(pl.when(a + c > 0).then((b + c) / (a + c)).alias("pct_exceeding"),
                           pl.when(a > 0).then((a - b) / a).alias("on_time_rate"))
    out = minn.apply(out, a + c, ["pct_exceeding"], min_n)
    return minn.apply(out, a, ["on_time_rate"], min_n, flag="on_time_suppressed")


__all__ = ["CLOCKS", "UNIT_COLUMNS", "DeadlineRule", "deadline_compliance"]
