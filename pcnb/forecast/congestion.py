"""A congestion model for the what-if: utility-held waiting that grows with work in progress per
reviewer, as a discrete-event simulation (simpy) fed by the program's own history.

The forecast proper assumes the time a step takes does not depend on how much work waits (its
``CAPACITY`` note). Here each utility-held status is a team that can carry ``capacity`` projects at
once: the most it carried on a day of the last 90 (a load at which the history's durations were
achieved). A project entering a busy status waits for a place, then
stays a duration drawn from that status's closed stays; applicant- and nobody-held statuses never
wait. Next statuses are drawn from the moves observed out of each status. Projects open at
``as_of`` start where they are (a remaining time drawn from the stays longer than their age), new
projects arrive as a Poisson stream at the recent rate times the surge. The same seed drives the
run without limits and the run with them, so the difference is the queue's.

What it assumes, plainly: a drawn duration is a historical stay, waiting at the historical load
included, so the model adds only the waiting beyond what the history already had; the team's size
is read from its past load (``reviewers`` scales it); projects are served first come, first served.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import simpy

from pcnb.analytics.intervals import status_intervals
from pcnb.forecast.program import ForecastError, Program

LOOKBACK_DAYS = 365
ARRIVAL_DAYS = 90  # calendar days of recent first entries that set the arrival rate


@dataclass
class Network:
    """What the simulation runs on (business days as its time unit): each status's closed stays
    and next-status shares, who holds it, the teams' capacities, the arrival rate and status."""

    stays: dict[str, np.ndarray]
    moves: dict[str, tuple[list[str], np.ndarray]]
    utility: frozenset[str]
    capacity: dict[str, int]
    arrival_rate: float  # new projects per business day
    start: str
    open_now: list[tuple[str, float]] = field(default_factory=list)  # (status, age in business days)


@dataclass
class Congestion:
    """``table``: per utility-held status, its capacity, mean time in it without and with the
    capacity limit (projects that entered within the horizon), the mean wait for a place, and the
    work in progress at the horizon; ``notes``: what it rests on."""

    table: pl.DataFrame
    horizon_days: int
    surge: float
    reviewers: float
    notes: list[str]


def learn(events: pl.DataFrame, program: Program, as_of: datetime) -> Network:
    """The network from the histories as they stood at ``as_of`` (the last year of stays)."""
    iv = status_intervals(events, program.calendar, as_of, terminal=program.final)
    recent = iv.filter(pl.col("entered") >= as_of - timedelta(days=LOOKBACK_DAYS))
    closed = recent.filter(~pl.col("is_open") & pl.col("next_status").is_not_null())
    if closed.height == 0:
        raise ForecastError("the congestion model found no closed stay in the year before as_of",
                            "sync the histories, or choose an as_of the data covers")
    stays = {s: g["business_days"].cast(pl.Float64).to_numpy() for (s,), g in closed.group_by("status")}
    moves = {}
    for (s,), g in closed.group_by("status"):
        counts = g["next_status"].value_counts(sort=True)
        moves[s] = (counts["next_status"].to_list(), counts["count"].to_numpy() / counts["count"].sum())
    utility = frozenset(s for s in stays if program.holder(s) == "utility")
    capacity = {s: max(1, int(math.ceil(_peak_load(recent.filter(pl.col("status") == s), as_of)))) for s in utility}
    first = iv.filter(pl.col("visit") == 1).sort("entered").group_by("project_id").agg(pl.col("status").first(),
                                                                                        pl.col("entered").first())
    new = first.filter(pl.col("entered") >= as_of - timedelta(days=ARRIVAL_DAYS))
    start = (first["status"].mode().sort().first() if first.height else None) or next(iter(stays))
    open_now = [(r["status"], float(r["age_business_days"] or 0)) for r in
                iv.filter(pl.col("is_open") & ~pl.col("status").is_in(list(program.final))).iter_rows(named=True)]
    return Network(stays, moves, utility, capacity, new.height / (ARRIVAL_DAYS * 5 / 7), str(start), open_now)


def _peak_load(stays: pl.DataFrame, as_of: datetime) -> float:
    """The most projects a status held at once on a day of the recent window (the arrival rate's):
    a load the team carried at the history's durations."""
    if stays.height == 0:
        return 1.0
    days = pl.datetime_range(as_of - timedelta(days=ARRIVAL_DAYS), as_of, "1d", time_zone="UTC", eager=True)
    entered = np.sort(stays["entered"].dt.epoch("us").to_numpy())
    left = np.sort(stays["exited"].fill_null(as_of).dt.epoch("us").to_numpy())
    at = days.dt.epoch("us").to_numpy()
    load = np.searchsorted(entered, at, side="right") - np.searchsorted(left, at, side="right")
    return float(load.max())


def run(net: Network, horizon: float, seed: int, *, limited: bool, surge: float = 1.0,
        reviewers: float = 1.0) -> dict[str, dict[str, float]]:
    """One simulation: per utility-held status, the mean time in it and the mean wait for a place
    (projects that entered within ``horizon``), and its work in progress at the end."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    teams = {s: simpy.Resource(env, capacity=max(1, round(net.capacity[s] * reviewers)) if limited else 10**9)
             for s in net.utility}
    spent: dict[str, list[float]] = {s: [] for s in net.utility}
    waited: dict[str, list[float]] = {s: [] for s in net.utility}
    wip = dict.fromkeys(net.utility, 0)

    def stay_in(status: str, age: float) -> float:
        pool = net.stays.get(status)
        if pool is None or len(pool) == 0:
            return 0.0
        if age <= 0:
            return float(pool[rng.integers(len(pool))])
        longer = pool[pool > age]
        return float(rng.choice(longer) - age) if len(longer) else 0.5

    def project(status: str, age: float) -> simpy.events.ProcessGenerator:
        first = True
        for _ in range(200):  # a loop-heavy history still ends
            if status not in net.moves:
                return  # a final status (or one never left in the history)
            entered = env.now
            duration = stay_in(status, age if first else 0.0)
            if status in teams:
                wip[status] += 1
                with teams[status].request() as place:
                    yield place
                    waited[status].append(env.now - entered)
                    yield env.timeout(duration)
                wip[status] -= 1
                spent[status].append(env.now - entered)
            else:
                yield env.timeout(duration)
            nexts, shares = net.moves[status]
            status, first = str(rng.choice(nexts, p=shares)), False

    def arrivals() -> simpy.events.ProcessGenerator:
        rate = net.arrival_rate * surge
        while rate > 0:
            yield env.timeout(float(rng.exponential(1 / rate)))
            env.process(project(net.start, 0.0))

    for status, age in net.open_now:
        env.process(project(status, age))
    env.process(arrivals())
    env.run(until=horizon)
    return {s: {"time": float(np.mean(spent[s])) if spent[s] else float("nan"),
                "wait": float(np.mean(waited[s])) if waited[s] else 0.0, "wip": float(wip[s])} for s in net.utility}


def congestion(events: pl.DataFrame, program: Program, as_of: datetime, *, surge: float = 1.0,
               reviewers: float = 1.0, weeks: int = 26, seed: int = 0,
               capacity: Mapping[str, int] | None = None) -> Congestion:
    """The utility-held statuses under a surge (and a team scaled by ``reviewers``), with and
    without the capacity limit (see the module doc). ``capacity`` overrides the learned teams."""
    for name, value in (("surge", surge), ("reviewers", reviewers)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ForecastError(f"congestion {name}={value!r} must be a number > 0", f"e.g. {name}=2")
    net = learn(events, program, as_of)
    if capacity:
        unknown = sorted(set(capacity) - net.utility)
        if unknown:
            raise ForecastError(f"congestion capacity: {', '.join(map(repr, unknown))} is no utility-held status "
                                "with stays in the last year", f"utility-held: {', '.join(sorted(net.utility))}")
        net.capacity.update(capacity)
    horizon = weeks * 5
    free = run(net, horizon, seed, limited=False, surge=surge)
    held = run(net, horizon, seed, limited=True, surge=surge, reviewers=reviewers)
    rows = [(s, max(1, round(net.capacity[s] * reviewers)), free[s]["time"], held[s]["time"], held[s]["wait"],
             int(free[s]["wip"]), int(held[s]["wip"])) for s in sorted(net.utility)]
    table = pl.DataFrame(rows, orient="row", schema={
        "status": pl.String, "capacity": pl.Int64, "days_without_limit": pl.Float64, "days_with_congestion": pl.Float64,
        "wait_for_a_place": pl.Float64, "wip_without_limit": pl.Int64, "wip_with_congestion": pl.Int64})
    notes = [f"congestion model (simpy): {horizon} business days from {as_of:%Y-%m-%d}, arrivals "
             f"{net.arrival_rate * surge:.2f} a business day (x{surge:g}), teams sized by their peak load of the "
             f"last {ARRIVAL_DAYS} days (x{reviewers:g}); a drawn stay already holds the history's own waiting"]
    return Congestion(table.with_columns(pl.col(pl.Float64).round(1)), horizon, float(surge), float(reviewers), notes)


__all__ = ["Congestion", "Network", "congestion", "learn", "run"]
