"""``forecast()``: learn the model at ``as_of``, simulate every open project, summarise.

The steps, each its own module: the status intervals at ``as_of`` (:mod:`pcnb.analytics.intervals`,
the same point-in-time cut as every metric), the pools (:mod:`pcnb.forecast.model`), where each open
project stands (:mod:`pcnb.forecast.state`), the Monte Carlo (:mod:`pcnb.forecast.simulate`) and
the frames (:mod:`pcnb.forecast.summary`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from pcnb.analytics.asof import resolve
from pcnb.analytics.intervals import status_intervals
from pcnb.analytics.minn import MIN_N
from pcnb.forecast.days import BusinessDays
from pcnb.forecast.model import ALL, PRIOR, StayModel, learn, stays_table
from pcnb.forecast.program import ForecastError, Program, known_status
from pcnb.forecast.simulate import Totals, simulate
from pcnb.forecast.state import Rule, Start, deadline_states, open_projects
from pcnb.forecast.summary import deadlines_frame, model_frame, outcomes_frame, projects_frame

PATHS = 1000
HORIZON = 730  # calendar days: long enough for most programs' projects to finish

#: what the model assumes, said wherever its figures are shown
ASSUMPTIONS = (
    "Each project moves through the workflow as projects in the same status, segment and visit did before "
    "as_of (a semi-Markov model: the next status and the time to it depend on the status, the time already "
    "spent there and whether it is a return, not on how busy the utility is).",
    "Capacity is unchanged: the time a step takes does not grow with the work in progress (more arrivals add "
    "work, they do not slow anyone down), unless a what-if scales it.",
    "Open stays count as censored observations (at least as long as they have lasted), so the slow projects "
    "still open are not left out; a stay older than any that ended gets no forecast.",
)


@dataclass
class Forecast:
    """Per-project forecasts at ``as_of`` (see :func:`forecast`): ``projects`` (one row per open
    project), ``outcomes`` (per project and final status), ``deadlines`` (per project and rule),
    ``model`` (the pools drawn from), ``notes`` (what the figures rest on)."""

    projects: pl.DataFrame
    outcomes: pl.DataFrame
    deadlines: pl.DataFrame
    model: pl.DataFrame
    as_of: datetime
    horizon: date
    paths: int
    seed: int
    within: int
    notes: list[str] = field(default_factory=list)
    program: Program | None = None
    # what the backlog and the what-ifs build on (not for display)
    _stays: StayModel | None = field(default=None, repr=False)
    _start: Start | None = field(default=None, repr=False)
    _rules: list[Rule] = field(default_factory=list, repr=False)
    _days: BusinessDays | None = field(default=None, repr=False)
    _end: int = field(default=0, repr=False)
    _totals: Totals | None = field(default=None, repr=False)
    _intervals: pl.DataFrame | None = field(default=None, repr=False)
    _segments: pl.DataFrame | None = field(default=None, repr=False)
    _refit: Callable[[np.random.Generator], StayModel] | None = field(default=None, repr=False)

    def project(self, project_id: str) -> dict[str, Any]:
        """One project's forecast as a dict: its row, its outcomes and its deadlines."""
        row = self.projects.filter(pl.col("project_id") == project_id)
        if row.height == 0:
            raise ForecastError(f"project {project_id!r} is not open at as_of {self.as_of:%Y-%m-%d %H:%M} UTC",
                                "use a project_id of forecast.projects (final projects have no forecast)")
        return {**row.row(0, named=True),
                "outcomes": self.outcomes.filter(pl.col("project_id") == project_id).drop("project_id").to_dicts(),
                "deadlines": self.deadlines.filter(pl.col("project_id") == project_id).drop("project_id").to_dicts()}

    def describe(self) -> str:
        p = self.projects
        ok = p.filter(pl.col("supported"))
        lines = [f"forecast as of {self.as_of:%Y-%m-%d %H:%M} UTC to {self.horizon} ({self.paths:,} paths per "
                 f"project, seed {self.seed}): {p.height:,} open projects, {ok.height:,} with a forecast"]
        if ok.height and "p_completed" in ok.columns:
            lines.append(f"  expected to complete: {ok['p_completed'].sum():,.0f} of them")
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.describe()

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.describe())


def _horizon_days(horizon: int | timedelta) -> int:
    if isinstance(horizon, timedelta):
        horizon = horizon.days
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer):
        raise ForecastError(f"horizon={horizon!r} is not a number of days", "give calendar days, e.g. horizon=365")
    if horizon <= 0:
        raise ForecastError(f"horizon={horizon} must be a positive number of calendar days",
                            "e.g. horizon=365 (a year ahead)")
    return int(horizon)


def check_scale(scale: Mapping[str, float] | None, statuses: list[str], what: str = "scale") -> dict[str, float]:
    out = {}
    for status, factor in (scale or {}).items():
        name = known_status(status, statuses, what)
        if isinstance(factor, bool) or not isinstance(factor, int | float) or not factor > 0:
            raise ForecastError(f"{what}: factor {factor!r} for {status!r} must be a number > 0",
                                "e.g. 0.5 halves the time, 2 doubles it")
        out[name] = float(factor)
    return out


def forecast(events: pl.DataFrame, program: Program, *, as_of: datetime | None = None,
             horizon: int | timedelta = HORIZON, paths: int = PATHS, seed: int = 0, min_n: int = MIN_N,
             segments: pl.DataFrame | None = None, tracks: pl.DataFrame | None = None, within: int = 5,
             scale: Mapping[str, float] | None = None, censoring: bool = True, prior: float = PRIOR,
             projects: Sequence[str] | None = None,
             backlog_points: np.ndarray | None = None) -> Forecast:
    """Forecast every project open at ``as_of`` (default now) from the status ``events`` up to then.

    Per project (``.projects``): the probability of each kind of outcome (``p_completed``,
    ``p_withdrawn``...; ``p_open``: not final by the horizon), the local dates by which it reaches
    a final status in 10 / 50 / 90 % of its futures (``done_p10/p50/p90``), the expected business
    days the utility and the applicant will still hold it (``utility_bdays``, ``applicant_bdays``),
    the pool it was drawn from (``basis``) and, when the data cannot support a forecast, no figures
    and a ``note`` saying why. ``.outcomes``: per final status; ``.deadlines``: per rule that applies
    (P(meet), P(breach), P(breach within ``within`` business days)).

    ``horizon``: calendar days ahead (or a timedelta); ``paths``: futures per project; ``seed``: the
    random stream (same input + seed = same forecast); ``min_n``: ended stays a pool needs;
    ``segments``: project_id, segment (a track or size bin) to learn per segment; ``tracks``:
    project_id, track for tracked deadlines; ``scale``: status -> factor on its durations (a what-if);
    ``prior``: stays of the wider pool mixed into a segment's or visit's own (shrinkage; 0: none);
    ``censoring=False`` drops open stays from the fit (the biased estimate, for comparison);
    ``projects``: forecast only these (project ids; the model still learns from every project)."""
    days_ahead = _horizon_days(horizon)
    if isinstance(paths, bool) or not isinstance(paths, int) or paths < 1:
        raise ForecastError(f"paths={paths!r} must be a whole number >= 1", "e.g. paths=1000")
    if isinstance(within, bool) or not isinstance(within, int) or within < 1:
        raise ForecastError(f"within={within!r} must be a whole number of business days >= 1", "e.g. within=5")
    try:
        at = resolve(as_of)
    except ValueError as exc:
        raise ForecastError(str(exc), "pass an aware datetime, or as_of=None for now") from None
    if events.height == 0:
        raise ForecastError("there is no status history to learn from", "sync the program first (`%powerclerk sync`)")
    first = events["ts"].min()
    if not isinstance(first, datetime):
        raise ForecastError("the status events have no times", "sync the program again (`%powerclerk sync --full`)")
    if at < first:
        raise ForecastError(f"as_of {at:%Y-%m-%d %H:%M} UTC is before any data (the first status event is "
                            f"{first.date().isoformat()})", "choose an as_of after the first status event")
    final = list(program.final)
    cal = program.calendar
    iv = status_intervals(events, cal, at, terminal=final)
    days = BusinessDays(cal, at)
    names = list(dict.fromkeys([*iv["status"].unique().sort().to_list(),
                                *iv["next_status"].drop_nulls().unique().sort().to_list(), *final]))
    factors = check_scale(scale, [n for n in names if n not in final])
    segs = _segments(segments)
    if segments is not None:
        segments = segments.select("project_id", pl.col("segment").cast(pl.String)).unique("project_id")
    table = stays_table(iv, final, days.today, segments, censoring)

    def fit(counts: pl.DataFrame) -> StayModel:
        m = learn(counts, names, final, segs, min_n, prior)
        for i, pool in enumerate(m.pools):
            if pool is not None and pool.status in factors:
                m.scale[i] = factors[pool.status]
        return m

    def refit(rng: np.random.Generator) -> StayModel:
        """The model learned again from a Poisson bootstrap of the stays: one draw of what the
        model could have been (the backlog's worlds use several, so its bands know the model's error)."""
        drawn = table.with_columns(pl.Series("w", rng.poisson(table["w"].to_numpy()), dtype=pl.UInt32))
        return fit(drawn.filter(pl.col("w") > 0))

    model = fit(table)
    if isinstance(projects, str):
        projects = [projects]
    start = open_projects(iv, program, model, days, segments, projects)
    if projects is not None:
        start = _only(start, projects, at)
    rules = deadline_states(iv, program, model, days, start, tracks)
    end = days.horizon(days_ahead)
    holders, exits = codes_of(program, names)
    totals = simulate(model, start, rules, days, end, paths, np.random.default_rng(seed), holders, exits, within,
                      points=backlog_points)
    notes = list(ASSUMPTIONS)
    if segments is None:
        notes.append("segments: none given, every project is learned from all projects' stays")
    missing = sorted({w.split("'")[1] for w in model.why.values() if "'" in w})
    if missing:
        notes.append(f"not enough ended stays (min_n={min_n}) to forecast from: {', '.join(missing)}")
    if factors:
        notes.append("what-if: durations scaled in " + ", ".join(f"{s} x{f:g}" for s, f in factors.items()))
    if not start.size:
        notes.append(f"no project is open at as_of {at:%Y-%m-%d %H:%M} UTC: nothing to forecast")
    return Forecast(projects_frame(model, start, program, days, end, totals),
                    outcomes_frame(model, start, program, totals),
                    deadlines_frame(model, start, rules, days, totals, within), model_frame(model), at,
                    days.date(end - 1), paths, seed, within, notes, program, model, start, rules, days, end, totals,
                    iv, segments, refit)


def codes_of(program: Program, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per status code: its holder (0 none, 1 utility, 2 applicant), and whether it is a final
    status that does not finish a step (an exit)."""
    holders = np.array([{"utility": 1, "applicant": 2}.get(program.holder(n), 0) for n in names])
    exits = np.array([n in program.final and n not in set(program.completions) for n in names])
    return holders, exits


def _only(start: Start, projects: Sequence[str], at: datetime) -> Start:
    where = {p: i for i, p in enumerate(start.project_id)}
    missing = [p for p in projects if p not in where]
    if missing:
        raise ForecastError(f"project {missing[0]!r} is not open at as_of {at:%Y-%m-%d %H:%M} UTC (not in the "
                            "history, or already in a final status)", "forecast a project that is still open")
    return start.take(np.array([where[p] for p in projects], dtype=np.int64))


def _segments(segments: pl.DataFrame | None) -> list[str]:
    if segments is None:
        return [ALL]
    if not {"project_id", "segment"} <= set(segments.columns):
        raise ForecastError(f"segments has columns {segments.columns}", "pass a frame with project_id and segment")
    values = sorted({str(v) for v in segments["segment"].drop_nulls().to_list()})
    return [*values, "unknown"] if "unknown" not in values else values


__all__ = ["ASSUMPTIONS", "HORIZON", "PATHS", "Forecast", "check_scale", "codes_of", "forecast"]
