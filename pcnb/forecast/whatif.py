"""What-if: the forecast and the deadline figures under a change, beside the baseline.

Three levers, alone or together:

- ``arrivals``: the arrival rate scaled (2 = a surge to twice as many new projects);
- ``durations``: a utility-held status's durations scaled (0.5 = reviews take half as long, e.g.
  with twice the reviewers; 1.5 = half again as long);
- ``deadlines``: a deadline's days changed (``{"STATUS": 15}``, or for one track
  ``{("START -> END", "Fast Track"): 100}``).

Both runs use the same seed (common random numbers), so a difference is the change's, not the
dice's. What the model assumes about capacity, plainly: the time a step takes comes from history
and does not depend on how much work is waiting. A surge therefore adds work in progress but slows
nobody down, and more reviewers act only through the duration factor you give; if the utility's
reviewers are the bottleneck, a surge will lengthen reviews and these figures are optimistic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import polars as pl

from pcnb.forecast.backlog import TOTAL, Backlog, backlog
from pcnb.forecast.congestion import Congestion
from pcnb.forecast.congestion import congestion as run_congestion
from pcnb.forecast.program import ForecastError, Program, label
from pcnb.forecast.run import Forecast, check_scale, forecast

CAPACITY = ("capacity: the time a step takes comes from history and does not grow with the work waiting; a surge "
            "adds work in progress but slows nobody down, and more (or fewer) reviewers act only through the "
            "duration factor given. If reviewers are the bottleneck, a surge lengthens reviews: these figures are "
            "then optimistic (congestion=True runs the congestion model beside them).")

DeadlineChange = Mapping[str | tuple[str, str | None], float]


@dataclass
class WhatIf:
    """``table``: figure, baseline, scenario, change; ``deadlines``: per rule, both sides;
    ``base`` / ``scenario``: the two forecasts and backlogs."""

    table: pl.DataFrame
    deadlines: pl.DataFrame
    base: Forecast
    scenario: Forecast
    base_backlog: Backlog
    scenario_backlog: Backlog
    changes: list[str]
    notes: list[str] = field(default_factory=list)
    #: the congestion model's answer (``congestion=True``): utility-held days with and without a team's limit
    congestion: Congestion | None = None

    def describe(self) -> str:
        lines = [f"what-if ({'; '.join(self.changes) or 'no change'}) against the baseline, "
                 f"as of {self.base.as_of:%Y-%m-%d %H:%M} UTC"]
        for r in self.table.iter_rows(named=True):
            lines.append(f"  {r['figure']}: {r['baseline']} -> {r['scenario']}")
        if self.congestion is not None:
            lines.append("  with congestion (a team carries at most its recent peak at once):")
            for r in self.congestion.table.iter_rows(named=True):
                lines.append(f"    {r['status']} (capacity {r['capacity']}): {r['days_without_limit']} -> "
                             f"{r['days_with_congestion']} business days, {r['wait_for_a_place']} of them waiting")
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.describe()


@dataclass
class Changed:
    """A copy of a deadline rule (the profile's own are never edited by a what-if)."""

    days: float
    status: str | None
    start: str | None
    end: str | None
    unit: str
    track: str | None
    clock: str


def changed_deadlines(program: Program, deadlines: DeadlineChange | None) -> Program:
    """``program`` with the deadlines' days changed (a key is a rule's label, for all its tracks, or
    (label, track)); an unknown rule or a days <= 0 is a ForecastError naming the rules."""
    if not deadlines:
        return program
    rules = list(program.deadlines)
    labels = sorted({label(r) for r in rules})
    out = [Changed(float(r.days), r.status, r.start, r.end, r.unit, r.track, r.clock) for r in rules]
    for key, days in deadlines.items():
        name, track = (key, None) if isinstance(key, str) else key
        hit = [r for r in out if label(r) == name and (isinstance(key, str) or r.track == track)]
        if not hit:
            raise ForecastError(f"what-if deadline: the program has no deadline {name!r}"
                                + (f" for track {track!r}" if not isinstance(key, str) else ""),
                                f"its deadlines are: {', '.join(labels) or 'none (set them in the profile)'}")
        if isinstance(days, bool) or not isinstance(days, int | float) or not days > 0:
            raise ForecastError(f"what-if deadline {name!r}: {days!r} is not a positive number of days",
                                "give the new deadline's days, e.g. 15")
        for r in hit:
            r.days = float(days)
    return replace(program, deadlines=out)


def whatif(events: pl.DataFrame, program: Program, *, as_of: datetime | None = None, arrivals: float = 1.0,
           durations: Mapping[str, float] | None = None, deadlines: DeadlineChange | None = None, weeks: int = 26,
           worlds: int = 200, congestion: bool = False, reviewers: float = 1.0, **options: Any) -> WhatIf:
    """The baseline and the scenario side by side (see the module doc); ``options`` go to
    :func:`pcnb.forecast.forecast` for both (paths, seed, segments, tracks...). ``congestion``: also
    run the congestion model (:mod:`pcnb.forecast.congestion`) at the scenario's arrivals, with the
    utility's teams scaled by ``reviewers``, to show what the capacity assumption hides."""
    if isinstance(arrivals, bool) or not isinstance(arrivals, int | float) or not arrivals > 0:
        raise ForecastError(f"what-if arrivals={arrivals!r} must be a number > 0",
                            "e.g. arrivals=2 (twice as many new projects), 1 (as now)")
    statuses = sorted(set(events["status"].cast(pl.String).unique().to_list()))
    scale = check_scale(durations, statuses, "what-if durations")
    for status in scale:
        holder = program.holder(status)
        if holder != "utility":
            utility = sorted(s for s in statuses if program.holder(s) == "utility")
            who = "the " + holder if holder != "none" else "no one"
            raise ForecastError(f"what-if durations: {status!r} is held by {who}, so the utility's reviewers "
                                "do not set its pace",
                                f"scale a utility-held status: {', '.join(utility)}")
    scenario_program = changed_deadlines(program, deadlines)
    if "scale" in options:
        raise ForecastError("what-if: give durations=, not scale=", "e.g. durations={'STATUS': 0.5}")
    base = forecast(events, program, as_of=as_of, **options)
    alt = forecast(events, scenario_program, as_of=base.as_of, scale=scale, **options)
    b_back = backlog(base, weeks, worlds)
    s_back = backlog(alt, weeks, worlds, surge=arrivals)
    changes = ([f"arrivals x{arrivals:g}"] if arrivals != 1 else []) + [
        f"{s} durations x{f:g}" for s, f in scale.items()] + [
        f"deadline {k if isinstance(k, str) else f'{k[0]} ({k[1]})'} = {v:g}" for k, v in (deadlines or {}).items()]
    jam = (run_congestion(events, program, base.as_of, surge=arrivals, reviewers=reviewers, weeks=weeks,
                          seed=int(options.get("seed", 0))) if congestion else None)
    notes = [CAPACITY, *(jam.notes if jam else [])]
    return WhatIf(_table(base, alt, b_back, s_back), _deadlines(base, alt), base, alt, b_back, s_back, changes,
                  notes, jam)


def _table(base: Forecast, alt: Forecast, b_back: Backlog, s_back: Backlog) -> pl.DataFrame:
    rows: list[tuple[str, object, object]] = []
    ok_b, ok_s = (f.projects.filter(pl.col("supported")) for f in (base, alt))
    rows.append(("open projects with a forecast", ok_b.height, ok_s.height))
    if "p_completed" in ok_b.columns:
        rows.append(("expected to complete (of today's open projects)", round(ok_b["p_completed"].sum(), 1),
                     round(ok_s["p_completed"].sum(), 1)))
    rows.append(("median of the projects' median finish dates", _median_date(ok_b["done_p50"]),
                 _median_date(ok_s["done_p50"])))
    held = [ok["utility_bdays"].fill_null(0.0).to_numpy().mean() if ok.height else 0.0 for ok in (ok_b, ok_s)]
    rows.append(("utility-held business days still to come, mean per project", round(float(held[0]), 1),
                 round(float(held[1]), 1)))
    for share in (0.5, 0.9, 1.0):
        b = b_back.clears.filter(pl.col("share") == share).row(0, named=True)
        s = s_back.clears.filter(pl.col("share") == share).row(0, named=True)
        rows.append((f"{share:.0%} of today's backlog done by (p50 / p90)", f"{b['p50']} / {b['p90']}",
                     f"{s['p50']} / {s['p90']}"))
    last = {k: bk.wip.filter((pl.col("status") == TOTAL) & (pl.col("week") == pl.col("week").max()))
            .row(0, named=True) for k, bk in (("b", b_back), ("s", s_back))}
    rows.append((f"work in progress ({TOTAL}) on {last['b']['date']}: median (80 % band)",
                 f"{last['b']['p50']:,.0f} ({last['b']['p10']:,.0f}-{last['b']['p90']:,.0f})",
                 f"{last['s']['p50']:,.0f} ({last['s']['p10']:,.0f}-{last['s']['p90']:,.0f})"))
    return pl.DataFrame({"figure": [r[0] for r in rows], "baseline": [str(r[1]) for r in rows],
                         "scenario": [str(r[2]) for r in rows]})


def _median_date(s: pl.Series) -> date | None:
    values = sorted(d for d in s.to_list() if d is not None)
    return values[len(values) // 2] if values else None


def _deadlines(base: Forecast, alt: Forecast) -> pl.DataFrame:
    """Per rule (and track, "all" for an untracked rule): days, the clocks still running or ahead
    (pending), their expected meets and breaches (sums of the probabilities), the breaches expected
    within the forecast's ``within`` business days, and the on-time share among decided clocks:
    the baseline's, then the scenario's (``_scenario``)."""
    def per_rule(f: Forecast) -> pl.DataFrame:
        d = f.deadlines.filter((pl.col("state") != "late") & pl.col("p_meet").is_not_null())
        d = d.with_columns(pl.col("track").fill_null("all"))
        return d.group_by("deadline", "track").agg(
            pl.col("days").first(), pl.len().alias("pending"), pl.col("p_meet").sum().alias("expected_met"),
            pl.col("p_breach").sum().alias("expected_breaches"),
            pl.col("p_breach_within").sum().alias("breaches_within"),
            (pl.col("p_meet").sum() / (pl.col("p_meet").sum() + pl.col("p_breach").sum())).alias("on_time_share"))
    b, s = per_rule(base), per_rule(alt)
    out = b.join(s, on=["deadline", "track"], how="full", coalesce=True, suffix="_scenario")
    return out.sort("deadline", "track")


__all__ = ["CAPACITY", "WhatIf", "changed_deadlines", "whatif"]
