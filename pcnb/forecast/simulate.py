"""The Monte Carlo: ``paths`` futures per open project through the learned model, all at once.

Every path of every project is one row of flat numpy arrays; one step draws the next stay of every
path still running (one ``searchsorted`` over all pools, :meth:`StayModel.draw`), so the Python loop
runs once per *step* (a project's remaining stays, a few dozen at most), never once per path.
Projects are simulated in chunks of about ``CHUNK`` paths to bound memory; a chunk's results are
reduced to per-project figures before the next one.

Path ``j`` of every project makes world ``j``: the projects are independent given the model, so
the work in progress of world ``j`` (summed over projects) is one draw of the program's backlog.

Draws come from one seeded :class:`numpy.random.Generator`: the same input, seed and ``paths`` give
the same forecast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pcnb.forecast.days import NEVER, BusinessDays
from pcnb.forecast.model import TAIL, StayModel
from pcnb.forecast.state import AHEAD, LATE, MET, MOOT, RUNNING, Rule, Start, breach_day, measure

CHUNK = 2_000_000
MAX_STEPS = 200  # a path still moving after this many stays stops (counted open at the horizon)
OPEN, BEYOND = -1, -2  # outcome codes besides a final status's code


@dataclass
class Totals:
    """What the simulation reduces to. Per project (rows in Start order): ``outcomes`` (n, codes+2)
    counts of each final status, then open at the horizon, then beyond the data; ``quantiles`` of
    the day it reaches a final status; held days; per rule (met, late, moot, late within ``within``)
    counts. Per world: ``wip`` (paths, codes, points) stays covering each point; ``done`` (paths,
    horizon+1) projects of ``count_done`` reaching a final status on each day."""

    outcomes: np.ndarray
    quantiles: np.ndarray
    utility: np.ndarray
    applicant: np.ndarray
    rules: list[np.ndarray]
    wip: np.ndarray | None
    done: np.ndarray | None
    paths: int
    q: tuple[float, ...] = (0.1, 0.5, 0.9)
    notes: list[str] = field(default_factory=list)


def simulate(model: StayModel, start: Start, rules: list[Rule], days: BusinessDays, end: int, paths: int,
             rng: np.random.Generator, holders: np.ndarray, exits: np.ndarray, within: int = 5,
             points: np.ndarray | None = None, count_done: np.ndarray | None = None,
             q: tuple[float, ...] = (0.1, 0.5, 0.9), worlds: np.ndarray | None = None,
             world_ids: np.ndarray | None = None, n_worlds: int | None = None) -> Totals:
    """Run ``paths`` futures of every project of ``start`` up to day ``end`` (exclusive).

    ``holders``: per status code 0 none / 1 utility / 2 applicant; ``exits``: per code, a final
    status that does not finish a step (a stay ending there is ``moot`` for its deadline);
    ``points``: day indexes at which to count work in progress (per world and status);
    ``count_done``: per project, whether its finishing day counts in ``done`` (the backlog);
    ``worlds``: per project, the one world it belongs to (new arrivals: one path each, ``paths`` is
    then the number of worlds); ``world_ids``: the world of each of the ``paths`` paths (default
    path j is world j) out of ``n_worlds`` (default ``paths``)."""
    n, codes = start.size, len(model.names)
    n_worlds = n_worlds or paths
    out = Totals(np.zeros((n, codes + 2), dtype=np.int64), np.full((n, len(q)), NEVER, dtype=np.int64),
                 np.zeros(n), np.zeros(n), [np.zeros((n, 4), dtype=np.int64) for _ in rules],
                 np.zeros((n_worlds, codes, len(points)), dtype=np.int64) if points is not None else None,
                 np.zeros((n_worlds, end + 1), dtype=np.int64) if count_done is not None else None, paths, q)
    per_project = 1 if worlds is not None else paths
    per = max(1, CHUNK // per_project)
    for lo in range(0, n, per):
        idx = np.arange(lo, min(n, lo + per))
        _chunk(model, start.take(idx), [_take(r, idx) for r in rules], days, end, per_project, rng, holders, exits,
               within, points, None if count_done is None else count_done[idx], out, idx,
               worlds[idx] if worlds is not None else None if world_ids is None else np.tile(world_ids, idx.size),
               n_worlds)
    return out


def _take(rule: Rule, idx: np.ndarray) -> Rule:
    return Rule(rule.rule, rule.status, rule.start, rule.end, rule.counted, rule.label, rule.state[idx],
                rule.rem[idx], rule.late_day[idx])


def _chunk(model: StayModel, st: Start, rules: list[Rule], days: BusinessDays, end: int, paths: int,
           rng: np.random.Generator, holders: np.ndarray, exits: np.ndarray, within: int,
           points: np.ndarray | None, count_done: np.ndarray | None, out: Totals, rows: np.ndarray,
           worlds: np.ndarray | None = None, n_worlds: int | None = None) -> None:
    n = st.size
    total = n * paths
    proj = np.repeat(np.arange(n, dtype=np.int64), paths)
    world = np.tile(np.arange(paths, dtype=np.int64), n) if worlds is None else worlds.astype(np.int64)
    n_worlds = n_worlds or paths
    status = np.repeat(st.status, paths).astype(np.int64)
    seg = np.repeat(st.segment, paths).astype(np.int64)
    entry = np.repeat(st.entry, paths).astype(np.int64)
    age = np.repeat(st.age, paths).astype(np.int64)
    repeat = np.repeat(st.repeat, paths)
    visited = np.repeat(st.visited, paths)
    finish = np.full(total, NEVER, dtype=np.int64)
    outcome = np.full(total, OPEN, dtype=np.int64)
    r_state = [np.repeat(r.state, paths).astype(np.int8) for r in rules]
    r_rem = [np.repeat(r.rem, paths) for r in rules]
    r_day = [np.full(total, NEVER, dtype=np.int64) for _ in rules]
    util, appl = np.zeros(n), np.zeros(n)
    n_points = 0 if points is None else points.size
    wip_flat = np.zeros(n_worlds * len(model.names) * (n_points + 1), dtype=np.int64) if points is not None else None
    act = np.arange(total)
    is_final = model.is_final
    one = np.uint64(1)
    for _ in range(MAX_STEPS):
        if not act.size:
            break
        s, e = status[act], entry[act]
        t, k = model.draw(model.pool_of(s, seg[act], repeat[act]), age[act], rng)
        x = np.where(k == TAIL, NEVER, e + t)
        held = np.maximum(np.minimum(x, end) - np.maximum(e, days.today), 0).astype(np.float64)
        h = holders[s]
        util += np.bincount(proj[act], weights=held * (h == 1), minlength=n)
        appl += np.bincount(proj[act], weights=held * (h == 2), minlength=n)
        if wip_flat is not None and points is not None:
            a, b = np.searchsorted(points, e, "left"), np.searchsorted(points, x, "left")
            cover = a < b
            base = (world[act][cover] * len(model.names) + s[cover]) * (n_points + 1)
            wip_flat += np.bincount(base + a[cover], minlength=wip_flat.size)
            wip_flat -= np.bincount(base + b[cover], minlength=wip_flat.size)
        final_k = (k >= 0) & is_final[np.maximum(k, 0)]
        for r, state, rem, day in zip(rules, r_state, r_rem, r_day, strict=True):
            rule_step(r, state, rem, day, act, s, e, x, k, repeat[act], final_k, exits, days, end)
        stop = final_k | (k == TAIL) | (x >= end)
        ended = stop & final_k & (x < end)
        finish[act[ended]] = x[ended]
        outcome[act[ended]] = k[ended]
        close_rules(r_state, act[ended])
        outcome[act[stop & (k == TAIL)]] = BEYOND
        go = ~stop
        nxt = act[go]
        kk = k[go]
        bit = one << kk.astype(np.uint64)
        repeat[nxt] = (visited[nxt] & bit) != 0
        visited[nxt] |= bit
        status[nxt], entry[nxt], age[nxt] = kk, x[go], 0
        act = nxt
    codes = len(model.names)
    oc = np.where(outcome >= 0, outcome, codes - 1 - outcome)  # OPEN -> codes, BEYOND -> codes + 1
    out.outcomes[rows] += np.bincount(proj * (codes + 2) + oc, minlength=n * (codes + 2)).reshape(n, codes + 2)
    f = finish.reshape(n, paths)
    out.quantiles[rows] = np.quantile(f, out.q, axis=1, method="inverted_cdf").T.astype(np.int64)
    out.utility[rows] += util / paths
    out.applicant[rows] += appl / paths
    soon = days.today + within
    for i, (state, day) in enumerate(zip(r_state, r_day, strict=True)):
        cnt = np.stack([np.bincount(proj, weights=(state == MET), minlength=n),
                        np.bincount(proj, weights=(state == LATE), minlength=n),
                        np.bincount(proj, weights=(state == MOOT), minlength=n),
                        np.bincount(proj, weights=(state == LATE) & (day < soon), minlength=n)], axis=1)
        out.rules[i][rows] += cnt.astype(np.int64)
    if wip_flat is not None and out.wip is not None:
        out.wip += np.cumsum(wip_flat.reshape(n_worlds, codes, n_points + 1), axis=2)[:, :, :n_points]
    if count_done is not None and out.done is not None:
        mine = np.repeat(count_done, paths) & (finish < end)
        out.done += np.bincount(world[mine] * (end + 1) + finish[mine], minlength=n_worlds * (end + 1)).reshape(
            n_worlds, end + 1)


def close_rules(states: list[np.ndarray], gone: np.ndarray) -> None:
    """Paths ``gone`` reached a final status: a clock that had not started, or not ended, is moot."""
    for state in states:
        state[gone[(state[gone] == AHEAD) | (state[gone] == RUNNING)]] = MOOT


def rule_step(r: Rule, state: np.ndarray, rem: np.ndarray, day: np.ndarray, act: np.ndarray, s: np.ndarray,
               e: np.ndarray, x: np.ndarray, k: np.ndarray, repeat: np.ndarray, final_k: np.ndarray,
               exits: np.ndarray, days: BusinessDays, end: int) -> None:
    """One stay (status ``s`` from day ``e`` to ``x``, then ``k``) of the active paths, for one rule
    (:mod:`pcnb.forecast.state` says how each kind of rule is counted)."""
    st = state[act]
    unit = r.rule.unit
    if r.status >= 0:  # a status rule: the first stay in its status decides it
        judge = ((st == AHEAD) & (s == r.status) & ~repeat) | ((st == RUNNING) & (s == r.status))
        if not judge.any():
            return
        j = np.nonzero(judge)[0]
        b = breach_day(unit, days, e[j], rem[act[j]])
        late = (x[j] >= b) & (b < end)
        ended = (x[j] < b) & (x[j] < end)
        moot = ended & final_k[j] & exits[np.maximum(k[j], 0)]
        rows = act[j]
        state[rows] = np.where(late, LATE, np.where(ended, np.where(moot, MOOT, MET), RUNNING))
        day[rows[late]] = b[late]
        return
    start = (st == AHEAD) & (s == r.start)
    if start.any():
        state[act[start]] = RUNNING
        rem[act[start]] = float(r.rule.days)
        st = state[act]
    run = st == RUNNING
    if not run.any():
        return
    j = np.nonzero(run & r.counted[s])[0]
    if j.size:
        rows = act[j]
        b = breach_day(unit, days, e[j], rem[rows])
        late = (x[j] >= b) & (b < end)
        state[rows[late]] = LATE
        day[rows[late]] = b[late]
        ok = x[j] < b
        rem[rows[ok]] -= measure(unit, days, e[j][ok], x[j][ok])
    st = state[act]
    closes = (st == RUNNING) & (x < end)
    state[act[closes & (k == r.end)]] = MET
    state[act[closes & (k != r.end) & final_k]] = MOOT


__all__ = ["BEYOND", "CHUNK", "OPEN", "Totals", "close_rules", "rule_step", "simulate"]
