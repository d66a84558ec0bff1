"""Sample-based estimates: exact once the scope is complete, honest intervals before (over many seeds)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pcnb.analytics import estimates as est
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.intervals import status_intervals
from pcnb.analytics.sla import sla_compliance
from pcnb.analytics.throughput import throughput
from pcnb.analytics.time_in_status import time_in_status
from pcnb.api.auth import Credentials
from pcnb.api.client import PowerClerkClient
from pcnb.cache import frames
from pcnb.cache.sample_order import sample_keys
from pcnb.cache.store import Store
from pcnb.cache.sync import sync
from pcnb.config import Settings
from pcnb.sandbox import running
from tests.conftest import END, FAST


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    """A randomly seeded 600-project program, fully synced: (projects, events, intervals, final, deadlines)."""
    path = tmp_path_factory.mktemp("estimates")
    with running(projects=600, seed=int(np.random.default_rng(20261206).integers(1000)), rate_limit=FAST,
                 end=END) as sb:
        c = sb.credentials("admin")
        client = PowerClerkClient(Settings(environment="sandbox", base_url=sb.base_url, token_url=sb.token_url,
                                           rate_limit=100_000), Credentials.from_dict(c, "sandbox"))
        store = Store(path / "s.sqlite")
        sync(client, store, sb.program_id, inquiries=False, progress=False)
        prog = sb.state.program
    names = {s.custom_id: s.name for s in prog.statuses}
    final = [s.name for s in prog.statuses if not prog.flow.get(s.custom_id)]
    deadlines = {names[d.status]: int(d.days) for d in prog.deadlines if d.status and d.unit == "business_days"}
    cal = Calendar.us_federal(prog.timezone)
    events = frames.status_events(store)
    iv = status_intervals(events, cal, as_of=END, terminal=final)
    return frames.projects(store), events, iv, final, deadlines, cal


def _sample(program, seed: int, n: int):
    projects, events, iv, *_ = program
    take = projects["project_id"].filter(pl.Series(sample_keys(projects["status_id"].to_list(), seed) < n))
    inside = pl.col("project_id").is_in(take.implode())
    return est.sample_design(projects, events.filter(inside)), iv.filter(inside)


def test_complete_scope_gives_the_exact_figures_and_no_interval(program):
    projects, events, iv, final, deadlines, cal = program
    design = est.sample_design(projects, events)
    assert design.complete and design.label == "600 of 600"
    tis = est.time_in_status_estimates(iv, design, final)
    exact = time_in_status(iv, terminal=final, min_n=0).select(pl.col("status").cast(pl.String), "median_bdays",
                                                               "p90_bdays")
    both = tis.pivot("statistic", index="status", values="estimate").join(exact, on="status")
    assert both.height >= 4 and both.filter((pl.col("median") != pl.col("median_bdays"))
                                            | (pl.col("p90") != pl.col("p90_bdays"))).height == 0
    assert tis["lo"].null_count() == tis.height
    dl = est.deadline_estimates(iv, design, deadlines).filter(pl.col("statistic") == "pct_exceeding")
    sla = sla_compliance(iv, deadlines, min_n=0).select(pl.col("status").cast(pl.String), "pct_exceeding")
    joined = dl.join(sla, on="status")
    assert joined.height == len(deadlines) and (joined["estimate"] - joined["pct_exceeding"]).abs().max() < 1e-12
    tp = est.throughput_estimates(iv, design, every="1mo", calendar=cal)
    exact_tp = throughput(iv, every="1mo", calendar=cal).with_columns(pl.col("status").cast(pl.String))
    joined = tp.join(exact_tp, on=["period", "status"])
    assert joined.height == exact_tp.height and (joined["estimate"] - joined["count"]).abs().max() < 1e-9


def test_intervals_cover_the_exact_figures_over_many_seeds(program):
    projects, events, iv, final, deadlines, cal = program
    full = est.sample_design(projects, events)
    exact_q = est.time_in_status_estimates(iv, full, final, unit="calendar_days").select(
        "status", "statistic", pl.col("estimate").alias("exact"))
    exact_r = est.deadline_estimates(iv, full, deadlines).select("status", "statistic",
                                                                 pl.col("estimate").alias("exact"))
    exact_t = est.throughput_estimates(iv, full, every="1mo", calendar=cal).filter(pl.col("estimate") >= 20).select(
        "period", "status", pl.col("estimate").alias("exact"))
    covered = {"quantile": [], "ratio": [], "total": []}
    widths = []
    for seed in range(40):
        design, sub = _sample(program, seed, 150)
        assert design.n == 150 and not design.complete
        q = est.time_in_status_estimates(sub, design, final, unit="calendar_days").filter(pl.col("n") >= 30)
        r = est.deadline_estimates(sub, design, deadlines).filter(pl.col("n") >= 30)
        t = est.throughput_estimates(sub, design, every="1mo", calendar=cal)
        for kind, got, exact, keys in (("quantile", q, exact_q, ["status", "statistic"]),
                                       ("ratio", r, exact_r, ["status", "statistic"]),
                                       ("total", t, exact_t, ["period", "status"])):
            j = exact.join(got, on=keys, how="left").with_columns(pl.col("lo").fill_null(0.0),
                                                                  pl.col("hi").fill_null(0.0))
            covered[kind] += ((j["lo"] <= j["exact"]) & (j["exact"] <= j["hi"])).to_list()
        widths += ((q["hi"] - q["lo"]) / q["estimate"]).to_list()
    for kind, hits in covered.items():
        assert len(hits) > 100 and 0.88 <= float(np.mean(hits)) <= 1.0, (kind, np.mean(hits))
    assert float(np.median(widths)) < 0.6  # intervals that say something, not [0, inf)


def test_a_stratum_without_a_sampled_project_is_reported(program):
    projects, events, *_ = program
    smallest = projects.group_by("status_id").len().sort("len")["status_id"][0]
    kept = events.filter(~pl.col("project_id").is_in(
        projects.filter(pl.col("status_id") == smallest)["project_id"].implode()))
    design = est.sample_design(projects, kept)
    assert design.unrepresented == projects.filter(pl.col("status_id") == smallest).height > 0
    assert not design.complete


def test_an_unequal_allocation_keeps_the_estimates_unbiased_and_the_intervals_honest(program):
    """The strata now in a deadline status (their open stays may be past it) sampled at 4 times the
    rate of the rest (pcnb.cache.sample_alloc's rates, pushed far): the weights N_h / n_h undo the
    allocation. Over many samples the shares average to the exact figure (the
    unweighted share of the same samples does not) and the intervals keep their coverage."""
    projects, events, iv, final, deadlines, cal = program
    full = est.sample_design(projects, events)
    exact = est.deadline_estimates(iv, full, deadlines).filter(pl.col("statistic") == "pct_exceeding").select(
        "status", pl.col("estimate").alias("exact"))
    rates = {s: (4.0 if name in deadlines else 1.0) for s, name in projects.select(
        "status_id", pl.col("status").cast(pl.String)).unique().iter_rows()}
    got, naive, hits = [], [], []
    for seed in range(40):
        keys = sample_keys(projects["status_id"].to_list(), seed, rates)
        take = projects["project_id"].filter(pl.Series(keys < 150))
        inside = pl.col("project_id").is_in(take.implode())
        design, sub = est.sample_design(projects, events.filter(inside)), iv.filter(inside)
        r = exact.join(est.deadline_estimates(sub, design, deadlines).filter(pl.col("statistic") == "pct_exceeding"),
                       on="status")
        got.append(r["estimate"].to_numpy())
        hits += ((r["lo"] <= r["exact"]) & (r["exact"] <= r["hi"])).to_list()
        unweighted = est.deadline_estimates(sub, est.sample_design(projects.with_columns(pl.lit("one").alias(
            "status_id")), events.filter(inside)), deadlines).filter(pl.col("statistic") == "pct_exceeding")
        naive.append(exact.join(unweighted, on="status")["estimate"].to_numpy())
    truth = exact["exact"].to_numpy()
    bias = np.abs(np.mean(got, axis=0) - truth)
    spread = np.std(got, axis=0) / np.sqrt(len(got))
    assert (bias <= 3 * spread + 1e-9).all(), (bias, spread)
    assert (np.abs(np.mean(naive, axis=0) - truth) > 3 * spread).any()  # the allocation does skew an unweighted share
    assert 0.88 <= float(np.mean(hits)) <= 1.0
