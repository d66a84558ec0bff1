"""The forecasts prove themselves: a back-test (benchmarks/forecast_backtest.py) on a small program.

The history has a fixed end and every as_of is given, so the figures do not depend on the day the
suite runs (nothing here asks the clock)."""

from __future__ import annotations

import numpy as np

from benchmarks.forecast_backtest import END, Scores, backtest, reliability

SEEDS = (1, 2, 3, 4)


def test_80_percent_intervals_cover_75_to_85_percent_over_several_seeds_and_beat_the_naive_answer():
    pooled = {k: Scores() for k in ("model", "naive", "closed stays only")}
    per_seed = []
    for seed in SEEDS:
        one = backtest("residential", 800, seed=seed, cuts=(11, 9, 7), paths=300, end=END)
        per_seed.append(one["model"].coverage())
        for name, sc in one.items():
            for f in ("hits", "outcome", "brier", "meet", "breach"):
                getattr(pooled[name], f).extend(getattr(sc, f))
    model, naive = pooled["model"], pooled["naive"]
    assert len(model.hits) > 600
    assert 0.75 <= model.coverage() <= 0.85, (model.coverage(), per_seed)
    assert all(0.70 <= c <= 0.90 for c in per_seed), per_seed
    # the model beats the spreadsheet answer on every score
    assert np.mean(model.brier) < np.mean(naive.brier)
    assert Scores.brier_of(model.meet) < Scores.brier_of(naive.meet)
    assert Scores.brier_of(model.breach) < Scores.brier_of(naive.breach)
    # and its probabilities mean what they say: each well-filled bin within 0.1 of what happened
    for pairs in (model.outcome, model.meet, model.breach):
        bins = reliability(pairs)
        assert any(n >= 50 for _, n, _, _ in bins), bins  # the check below is not vacuous
        for _, n, predicted, observed in bins:
            assert n < 50 or abs(predicted - observed) < 0.1, (predicted, observed, n)
