"""Histories are fetched as a stratified random sample of the listed projects."""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl

from pcnb.cache import frames
from pcnb.cache.sample_order import FIRST_PER_STRATUM, sample_keys
from pcnb.cache.store import Store
from pcnb.cache.sync import sync
from pcnb.sandbox import running
from tests.conftest import END, FAST


def test_every_prefix_is_proportional_within_one_per_stratum():
    strata = ["a"] * 500 + ["b"] * 300 + ["c"] * 190 + ["d"] * 10
    position = sample_keys(strata, seed=1)
    assert sorted(position.tolist()) == list(range(1000))
    order = np.argsort(position)
    for n in (8, 50, 200, 600):
        got = Counter(strata[i] for i in order[:n])
        for s, size in Counter(strata).items():
            want = max((n - 4 * FIRST_PER_STRATUM) * size / 1000, 0) + FIRST_PER_STRATUM
            assert abs(got[s] - want) <= FIRST_PER_STRATUM + 1, (n, s, got)


def test_the_order_is_random_within_a_stratum_and_set_by_the_seed():
    strata = ["a"] * 100
    assert (sample_keys(strata, 3) == sample_keys(strata, 3)).all()
    assert (sample_keys(strata, 3) != sample_keys(strata, 4)).any()
    firsts = [int(np.argmin(sample_keys(strata, seed))) for seed in range(300)]
    assert len(set(firsts)) > 80  # any project can come first


def test_a_budget_stopped_sync_holds_a_stratified_sample(make_client, tmp_path):
    with running(projects=400, seed=11, rate_limit=FAST, end=END) as sb:
        store = Store(tmp_path / "s.sqlite")
        part = sync(make_client(sb), store, sb.program_id, max_calls=101, progress=False, sample_seed=5)
        assert part.histories == 100 and part.inquiry_calls == 0  # histories come before inquiries
        projects = frames.projects(store)
        sampled = set(frames.status_events(store)["project_id"].unique().to_list())
        shares = projects.with_columns(pl.col("project_id").is_in(sampled).alias("s")).group_by("status").agg(
            pl.len().alias("N"), pl.col("s").sum().alias("n"))
        for size, n in zip(shares["N"], shares["n"], strict=True):
            assert n >= min(size, FIRST_PER_STRATUM)
            assert abs(n - 100 * size / 400) <= 2 * FIRST_PER_STRATUM + 1


def test_the_same_seed_fetches_the_same_sample(make_client, tmp_path):
    with running(projects=200, seed=12, rate_limit=FAST, end=END) as sb:
        got = []
        for name in ("a", "b"):
            store = Store(tmp_path / f"{name}.sqlite")
            sync(make_client(sb), store, sb.program_id, max_calls=41, inquiries=False, progress=False, sample_seed=9)
            got.append(set(frames.status_events(store)["project_id"].unique().to_list()))
        assert len(got[0]) == 40 and got[0] == got[1]


def test_every_prefix_follows_the_allocation_rates():
    strata = ["a"] * 500 + ["b"] * 300 + ["c"] * 200
    rates = {"a": 1.5, "b": 0.5, "c": 0.5}
    order = np.argsort(sample_keys(strata, seed=2, rates=rates))
    for n in (60, 300, 600):
        got = Counter(strata[i] for i in order[:n])
        weight = {s: Counter(strata)[s] * rates[s] for s in rates}
        for s, w in weight.items():
            want = (n - 3 * FIRST_PER_STRATUM) * w / sum(weight.values()) + FIRST_PER_STRATUM
            assert abs(got[s] - min(want, Counter(strata)[s])) <= FIRST_PER_STRATUM + 1, (n, s, got)


def test_a_focused_sync_samples_the_strata_past_the_deadlines_more(make_client, tmp_path):
    from pcnb.cache.sample_alloc import Focus

    with running(projects=400, seed=11, rate_limit=FAST, end=END) as sb:
        prog = sb.state.program
        names = {s.custom_id: s.name for s in prog.statuses}
        steps = [(names[a], names[st.to]) for a, out in prog.flow.items() for st in out if st.to]
        store = Store(tmp_path / "s.sqlite")
        sync(make_client(sb), store, sb.program_id, max_calls=101, inquiries=False, progress=False, sample_seed=5,
             sample_focus=Focus.of([names[d.status] for d in prog.deadlines if d.status], steps))
        projects = frames.projects(store).with_columns(pl.col("status").cast(pl.String))
        sampled = set(frames.status_events(store)["project_id"].unique().to_list())
        rate = projects.with_columns(pl.col("project_id").is_in(sampled).alias("s")).group_by("status").agg(
            pl.len().alias("N"), pl.col("s").mean().alias("f"))
        start = rate.filter(pl.col("status") == names[prog.start])
        assert start.height and rate.filter(pl.col("N") >= 20)["f"].max() > 1.3 * start["f"][0]
