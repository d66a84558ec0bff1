"""The backlog forecast: work in progress per status, week by week, and when today's backlog clears.

Built from the per-project model (:mod:`pcnb.forecast.simulate`) plus new arrivals
(:mod:`pcnb.forecast.arrivals`). World ``j`` is path ``j`` of every project open at ``as_of`` plus
world ``j``'s own arrivals; a status's work in progress at the end of a week is the number of
projects in it in that world. Across the worlds, the median and the 80 % (p10-p90) and 95 %
(p2.5-p97.5) bands. Week 0 is what the data shows at ``as_of``. The bands hold what is not known:
each project's own future, the arrivals (Poisson, with the rate's own uncertainty), and the model
itself: the worlds are split among ``BOOTSTRAPS`` models, each learned from a Poisson bootstrap of
the stays, since an error in a pool moves every project in it the same way.

Today's backlog is the projects open at ``as_of`` outside the draft statuses (submitted work the
utility owns) that the data supports; it is half, 90 % and all done on the first day that share of
them has reached a final status, in each world; the p50 and p90 of that day across worlds are the
dates. Capacity: the model assumes the time a step takes does not depend on how many projects wait
(see :data:`pcnb.forecast.run.ASSUMPTIONS`): arrivals add work, they never slow it down.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from pcnb.forecast.arrivals import Arrivals, learn_arrivals
from pcnb.forecast.days import NEVER, BusinessDays
from pcnb.forecast.model import StayModel
from pcnb.forecast.program import ForecastError, Program
from pcnb.forecast.run import Forecast, codes_of
from pcnb.forecast.simulate import simulate
from pcnb.forecast.state import Start
from pcnb.forecast.summary import support

WORLDS = 400
BOOTSTRAPS = 20  # models learned from bootstraps of the stays, each walked by a share of the worlds
TOTAL = "all but drafts"
SHARES = (0.5, 0.9, 1.0)
BANDS = {"p2_5": 2.5, "p10": 10, "p50": 50, "p90": 90, "p97_5": 97.5}


@dataclass
class Backlog:
    """``wip``: week, date, status (and the total ``all but drafts``), mean and the percentiles
    p2_5, p10, p50, p90, p97_5 across worlds; ``clears``: share of today's backlog, projects, the
    p50 and p90 dates it is done by; ``arrivals``: the model of new projects; ``weekly_arrivals``:
    week, date, expected new projects; ``notes``: what it rests on."""

    wip: pl.DataFrame
    clears: pl.DataFrame
    arrivals: Arrivals | None
    weekly_arrivals: pl.DataFrame
    as_of: datetime
    worlds: int
    surge: float
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        total = self.wip.filter(pl.col("status") == TOTAL)
        last = total.row(-1, named=True) if total.height else None
        lines = [f"backlog forecast as of {self.as_of:%Y-%m-%d %H:%M} UTC, {self.worlds} simulated worlds"
                 + (f", arrivals x{self.surge:g}" if self.surge != 1 else "")]
        if last is not None:
            lines.append(f"  work in progress ({TOTAL}) now {total['p50'][0]:,.0f}; on {last['date']}: median "
                         f"{last['p50']:,.0f}, 80 % {last['p10']:,.0f}-{last['p90']:,.0f}, 95 % "
                         f"{last['p2_5']:,.0f}-{last['p97_5']:,.0f}")
        for r in self.clears.iter_rows(named=True):
            lines.append(f"  {r['share']:.0%} of today's backlog ({r['projects']:,} projects) done by "
                         f"{r['p50'] or 'after the horizon'} (p50), {r['p90'] or 'after the horizon'} (p90)")
        lines += [f"  {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.describe()


def _int(value: object, name: str, low: int, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ForecastError(f"{name}={value!r} must be a whole number >= {low}", f"e.g. {example}")
    return int(value)


def backlog(fc: Forecast, weeks: int = 26, worlds: int = WORLDS, surge: float = 1.0, arrivals: bool = True,
            seed: int | None = None) -> Backlog:
    """Weekly work in progress per status for ``weeks`` weeks with 80 % and 95 % bands, and the
    dates today's backlog clears (see the module doc); ``surge`` scales the arrival rate (a what-if:
    2 = twice as many new projects); ``arrivals=False`` forecasts today's projects alone."""
    weeks = _int(weeks, "weeks", 1, "weeks=26")
    worlds = _int(worlds, "worlds", 10, "worlds=400")
    if isinstance(surge, bool) or not isinstance(surge, int | float) or not surge > 0:
        raise ForecastError(f"surge={surge!r} must be a number > 0", "e.g. surge=2 (twice the arrivals), 1 (as now)")
    model, start, days, prog, iv = fc._stays, fc._start, fc._days, fc.program, fc._intervals
    assert model is not None and start is not None and days is not None and prog is not None and iv is not None
    rng = np.random.default_rng([fc.seed if seed is None else seed, 7])
    dates = [days.day0 + timedelta(days=7 * w) for w in range(1, weeks + 1)]
    points = (days.index(np.array([d + timedelta(1) for d in dates])) - 1).astype(np.int64)
    end = max(fc._end, int(points[-1]) + 1)
    holders, exits = codes_of(prog, model.names)
    ok, _, _ = support(model, start, fc._totals)
    draft = np.array([model.names[c] in set(prog.draft) for c in start.status], dtype=bool)
    mine = ok & ~draft
    # the model's own error: groups of worlds each walk a model learned from a bootstrap of the stays
    groups = max(1, min(BOOTSTRAPS, worlds // 10))
    models = [model] + [fc._refit(rng) for _ in range(groups - 1)] if fc._refit is not None else [model]
    share = [np.arange(worlds)[np.arange(worlds) % len(models) == g] for g in range(len(models))]
    wip = np.zeros((worlds, len(model.names), points.size), dtype=np.int64)
    done = np.zeros((worlds, end + 1), dtype=np.int64)
    for m, ids in zip(models, share, strict=True):
        cur = simulate(m, start, [], days, end, ids.size, rng, holders, exits, points=points, count_done=mine,
                       world_ids=ids, n_worlds=worlds)
        assert cur.wip is not None and cur.done is not None
        wip += cur.wip
        done += cur.done
    notes = [f"{(~ok & ~draft).sum():,} open projects without a forecast (see their notes) stay where they are"
             if (~ok & ~draft).any() else ""]
    model_arr: Arrivals | None = None
    daily_idx = np.arange(days.today, int(points[-1]) + 1)
    expected = np.zeros((1, daily_idx.size))
    if arrivals:
        model_arr = learn_arrivals(iv, days, fc._segments)
        expected = model_arr.daily(days, daily_idx, surge, rng, worlds)
        new = _arrivals(model_arr, model, daily_idx, expected, worlds, rng)
        if new is not None:
            start_new, world = new
            for g, m in enumerate(models):
                sel = np.nonzero(world % len(models) == g)[0]
                arr = simulate(m, start_new.take(sel), [], days, int(points[-1]) + 1, worlds, rng, holders, exits,
                               points=points, worlds=world[sel])
                assert arr.wip is not None
                wip += arr.wip
        notes.append(model_arr.describe() + (f", scaled x{surge:g} (what-if)" if surge != 1 else ""))
    else:
        notes.append("no arrivals: today's projects only")
    notes.append("capacity: a step takes as long as it did before as_of whatever the work in progress "
                 "(arrivals add work, they do not slow it down)")
    frame = _wip_frame(wip, model.names, prog, start, days, dates)
    clears = _clears(done, int(mine.sum()), days)
    weekly = pl.DataFrame({"week": list(range(1, weeks + 1)), "date": dates,
                           "expected_arrivals": _weekly(expected.mean(axis=0), daily_idx, points)})
    return Backlog(frame, clears, model_arr, weekly, fc.as_of, worlds, float(surge), [n for n in notes if n])


def _arrivals(arr: Arrivals, model: StayModel, idx: np.ndarray, expected: np.ndarray, worlds: int,
              rng: np.random.Generator) -> tuple[Start, np.ndarray] | None:
    """New projects of every world: a Poisson count per business day, their first status and
    segment drawn from the recent arrivals' shares."""
    counts = rng.poisson(expected, size=(worlds, idx.size))
    n = int(counts.sum())
    if n == 0:
        return None
    world = np.repeat(np.repeat(np.arange(worlds), idx.size), counts.ravel())
    day = np.repeat(np.tile(idx, worlds), counts.ravel())
    names = [s for s in arr.starts if s in model.codes]
    if not names:
        return None
    status = np.array([model.codes[s] for s in names])[
        rng.choice(len(names), size=n, p=_norm([arr.starts[s] for s in names]))]
    segs = [s for s in arr.segments if s in model.seg_codes] or [model.segments[-1]]
    seg = np.array([model.seg_codes[s] for s in segs])[
        rng.choice(len(segs), size=n, p=_norm([arr.segments.get(s, 1.0) for s in segs]))]
    one = np.uint64(1)
    start = Start(np.zeros(n, dtype=np.int8), status.astype(np.int32), seg.astype(np.int32), day.astype(np.int32),
                  np.zeros(n, dtype=np.int32), np.zeros(n, dtype=bool), one << status.astype(np.uint64))
    return start, world


def _norm(weights: list[float]) -> np.ndarray:
    w = np.array(weights, dtype=np.float64)
    out: np.ndarray = w / w.sum()
    return out


def _wip_frame(wip: np.ndarray, names: list[str], prog: Program, start: Start, days: BusinessDays,
               dates: list[date]) -> pl.DataFrame:
    final, draft = set(prog.final), set(prog.draft)
    live = [i for i, n in enumerate(names) if n not in final]
    now = np.bincount(start.status, minlength=len(names))
    shown = [i for i in live if now[i] or wip[:, i, :].any()]
    rows = []
    series = [(names[i], wip[:, i, :], int(now[i])) for i in shown]
    total_codes = [i for i in live if names[i] not in draft]
    series.append((TOTAL, wip[:, total_codes, :].sum(axis=1), int(now[total_codes].sum())))
    day0 = days.day0
    for name, w, current in series:
        rows.append({"week": 0, "date": day0, "status": name, "mean": float(current),
                     **{k: float(current) for k in BANDS}})
        pct = np.percentile(w, list(BANDS.values()), axis=0)
        for j, d in enumerate(dates):
            rows.append({"week": j + 1, "date": d, "status": name, "mean": float(w[:, j].mean()),
                         **{k: float(pct[i, j]) for i, k in enumerate(BANDS)}})
    return pl.DataFrame(rows, schema={"week": pl.Int32, "date": pl.Date, "status": pl.String, "mean": pl.Float64,
                                      **dict.fromkeys(BANDS, pl.Float64)})


def _clears(done: np.ndarray, n: int, days: BusinessDays) -> pl.DataFrame:
    cum = np.cumsum(done, axis=1)
    rows = []
    for share in SHARES:
        need = max(1, math.ceil(share * n)) if n else 0
        reached = cum >= need
        day = np.where(reached.any(axis=1), reached.argmax(axis=1), NEVER) if n else np.zeros(done.shape[0])
        p50, p90 = (np.percentile(day, q, method="inverted_cdf") for q in (50, 90))
        rows.append({"share": share, "projects": need,
                     "p50": days.date(int(p50)) if p50 < done.shape[1] - 1 else None,
                     "p90": days.date(int(p90)) if p90 < done.shape[1] - 1 else None})
    return pl.DataFrame(rows, schema={"share": pl.Float64, "projects": pl.Int64, "p50": pl.Date, "p90": pl.Date})


def _weekly(expected: np.ndarray, idx: np.ndarray, points: np.ndarray) -> list[float]:
    week = np.searchsorted(points, idx, "left")
    return [float(expected[week == w].sum()) for w in range(points.size)]


__all__ = ["TOTAL", "WORLDS", "Backlog", "backlog"]
