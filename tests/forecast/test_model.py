"""model.py: the censoring-aware pools (Aalen-Johansen by hand), conditional draws, fallbacks."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import polars as pl
import pytest

from pcnb.analytics.survival import cumulative_incidence
from pcnb.forecast.model import TAIL, StayModel, fit_pool, learn


def _fit(closed: list[tuple[int, int]], open_bounds: list[int]):
    t = np.array([c[0] for c in closed]), np.array([c[1] for c in closed])
    m = np.array(open_bounds, dtype=np.int64)
    return fit_pool(t[0], t[1], np.ones(len(closed)), m, np.ones(m.size))


def test_masses_are_the_aalen_johansen_incidence_of_survival_py():
    # ended stays (days, next status 0 or 1) and open ones known to last at least m days
    closed = [(1, 0), (2, 0), (2, 1), (3, 0), (5, 1), (5, 0), (8, 0)]
    open_bounds = [3, 6, 9]
    fit = _fit(closed, open_bounds)
    # survival.py counts a censored stay at risk through its censoring time c: T >= m is c = m - 1
    cif = cumulative_incidence([d for d, _ in closed] + [m - 1 for m in open_bounds],
                               [k for _, k in closed] + [None] * len(open_bounds))
    mass = {(int(t), int(k)): float(p) for t, k, p in zip(fit.t, fit.k, fit.mass, strict=True)}
    for k, steps in cif.items():
        prev = Fraction(0)
        for t, value in steps:
            assert mass.get((int(t), k), 0.0) == pytest.approx(float(value - prev)), (t, k)
            prev = value
    # what is left after the longest ended stay (8 days; one stay open at >= 9) is the tail
    total = float(sum(v[-1][1] for v in cif.values()))
    assert fit.k[-1] == TAIL and fit.mass[-1] == pytest.approx(1 - total) and fit.t[-1] == 9


def test_open_stays_lengthen_the_estimate():
    # the slow stays are the ones still open: dropping them (closed only) understates durations
    closed = [(2, 0)] * 20 + [(10, 0)] * 5
    with_open = _fit(closed, [12] * 15)
    closed_only = _fit(closed, [])
    mean = lambda f: float((f.t * f.mass).sum())  # noqa: E731 - the tail counted at its lower bound
    assert mean(with_open) > mean(closed_only) + 2
    assert with_open.p95 is None and closed_only.p95 == 10  # 15 of 40 still open past the longest ended stay


def _model(closed: list[tuple[int, int]], open_bounds: list[int]) -> StayModel:
    rows = [("A", "all", False, True, t, ["B", "C"][k]) for t, k in closed] + \
           [("A", "all", False, False, m, None) for m in open_bounds]
    table = pl.DataFrame(rows, orient="row", schema={"status": pl.String, "segment": pl.String,
                                                      "repeat": pl.Boolean, "closed": pl.Boolean, "t": pl.Int32,
                                                      "next_status": pl.String}).with_columns(pl.lit(1).alias("w"))
    return learn(table.group_by(table.columns[:-1]).agg(pl.col("w").sum()), ["A", "B", "C"], ["B", "C"], ["all"],
                 min_n=5)


def test_a_draw_given_the_time_spent_never_ends_before_it():
    # quick stays lead to B, the slow ones to C (a timer): a stay already 6 days old will go to C
    model = _model([(1, 0)] * 30 + [(2, 0)] * 30 + [(8, 1)] * 10 + [(9, 1)] * 10, [])
    rng = np.random.default_rng(0)
    pool = np.zeros(20_000, dtype=np.int64) + model.lookup[0, 0, 0]
    fresh_t, fresh_k = model.draw(pool, np.zeros(pool.size, dtype=np.int64), rng)
    old_t, old_k = model.draw(pool, np.full(pool.size, 6), rng)
    assert fresh_t.min() == 1 and (fresh_k == 2).mean() == pytest.approx(0.25, abs=0.02)  # codes: B 1, C 2
    assert old_t.min() >= 8 and (old_k == 2).all()  # code 2 = C
    assert (old_t == 8).mean() == pytest.approx(0.5, abs=0.02)


def test_a_status_never_left_has_no_pool_and_says_why():
    model = _model([(3, 0)] * 4, [5, 6])
    assert model.lookup[0, 0, 0] == 0 and "only 4 stays" in model.why[(0, 0, 0)]
    t, k = model.draw(np.zeros(3, dtype=np.int64), np.zeros(3, dtype=np.int64), np.random.default_rng(0))
    assert (k == TAIL).all()  # a path entering it stays there: beyond the data


def test_what_if_scale_stretches_what_is_still_to_come():
    model = _model([(4, 0)] * 50 + [(10, 0)] * 50, [])
    pool = np.full(1000, model.lookup[0, 0, 0], dtype=np.int64)
    model.scale[pool[0]] = 2.0
    t, _ = model.draw(pool, np.zeros(1000, dtype=np.int64), np.random.default_rng(0))
    assert set(t.tolist()) == {8, 20}  # a new stay: all of it twice as long
    t, _ = model.draw(pool, np.full(1000, 6), np.random.default_rng(0))
    assert set(t.tolist()) == {6 + 2 * (10 - 6)}  # six days spent: the four still to come take eight
    model.scale[pool[0]] = 0.5
    t, _ = model.draw(pool, np.full(1000, 6), np.random.default_rng(0))
    assert set(t.tolist()) == {6 + 2}  # and twice as fast: two
