"""The process analyses equal pm4py's on a small log: the directly-follows graph with its frequencies,
start and end activities and median times, the variants, and footprint conformance on the
workflow's allowed moves and token-based replay on a Petri net of them (the projects that fit, and
the moves that do not).

pm4py (in the test extra) is the reference process-mining library; it reads a pandas log with its
standard column names. The log is a generated residential program with deviations injected, so
conformance has something to find."""

from __future__ import annotations

import contextlib
import io

import polars as pl
import pytest

from benchmarks.process import model_of, petri_net, pm4py_frame
from pcnb.analytics import Calendar, status_intervals
from pcnb.analytics.conformance import conformance, deviations
from pcnb.analytics.process_map import process_map
from pcnb.analytics.stays import SEP
from pcnb.analytics.variants import variants
from pcnb.sandbox.generator import generate
from tests.conftest import END
from tests.sandbox.test_deviations import ASK, events_of

with contextlib.redirect_stdout(io.StringIO()):  # pm4py greets on import
    import pm4py


@pytest.fixture(scope="module")
def log():
    state = generate(300, seed=9, end=END, deviations=ASK)
    ev = events_of(state)
    prog = state.program
    final = [s.name for s in prog.statuses if s.custom_id in prog.terminal]
    iv = status_intervals(ev, Calendar(prog.timezone), END, terminal=final)
    pdf = pm4py_frame(ev)
    return ev, iv, pdf, model_of(prog, "Permission to Operate"), final


def test_directly_follows_graph_equals_pm4pys(log):
    _, iv, pdf, _, _ = log
    dfg, starts, ends = pm4py.discover_dfg(pdf)
    pm = process_map(iv, min_n=0)
    ours = {(r["source"], r["target"]): r["count"] for r in pm.edges.iter_rows(named=True)}
    assert ours == dict(dfg) and len(ours) > 10
    assert {r["status"]: r["starts"] for r in pm.nodes.iter_rows(named=True) if r["starts"]} == dict(starts)
    assert {r["status"]: r["ends"] for r in pm.nodes.iter_rows(named=True) if r["ends"]} == dict(ends)
    perf = pm4py.discover_performance_dfg(pdf)[0]
    for r in pm.edges.iter_rows(named=True):
        theirs = perf[(r["source"], r["target"])]
        theirs = theirs["median"] if isinstance(theirs, dict) else theirs
        edge = (r["source"], r["target"])
        assert r["median_calendar_days"] * 86_400 == pytest.approx(theirs, rel=1e-9, abs=1e-6), edge


def test_variants_equal_pm4pys(log):
    _, iv, pdf, _, final = log
    theirs = pm4py.get_variants(pdf)
    theirs = {k: (v if isinstance(v, int) else len(v)) for k, v in theirs.items()}
    v = variants(iv, final, min_n=0)
    ours = {tuple(r["variant"].split(SEP)): r["projects"] for r in v.iter_rows(named=True)}
    assert ours == theirs and len(ours) > 5


def test_conformance_equals_pm4pys_footprints_on_the_allowed_moves(log):
    """pm4py's footprint conformance with the model's moves as its sequence relation names, per trace,
    every directly-follows pair the model lacks; a project fits there exactly when it conforms here,
    and every deviation here is one of those pairs (the moves around a step done out of order are
    pairs there, not deviations of their own here)."""
    ev, iv, pdf, model, _ = log
    from pm4py.algo.conformance.footprints import algorithm as fp_conformance
    from pm4py.algo.discovery.footprints import algorithm as fp_discovery

    fp_model = {"sequence": set(model.allowed), "parallel": set(), "activities": set(model.order)}
    traces = pm4py.convert_to_event_log(pdf)
    per_trace = fp_conformance.apply(fp_discovery.apply(traces, variant=fp_discovery.Variants.TRACE_BY_TRACE),
                                     fp_model, variant=fp_conformance.Variants.TRACE_EXTENSIVE)
    cases = [t.attributes["concept:name"] for t in traces]
    theirs = {case: set(r["footprints"]) for case, r in zip(cases, per_trace, strict=True)}
    found = deviations(iv, model)
    per = conformance(iv, model, found)
    assert {c for c, bad in theirs.items() if not bad} == set(per.filter(pl.col("conforming"))["project_id"])
    mine: dict[str, set] = {}
    for r in found.iter_rows(named=True):
        mine.setdefault(r["project_id"], set()).add((r["from_status"], r["to_status"]))
    assert all(pairs <= theirs[p] for p, pairs in mine.items())
    around = {p: theirs[p] - pairs for p, pairs in mine.items() if theirs[p] - pairs}
    assert set(around) == set(found.filter(pl.col("kind") == "out of order")["project_id"])
    assert per.filter(~pl.col("conforming")).height == sum(ASK.values())


def test_conformance_equals_pm4pys_token_based_replay(log):
    """Token-based replay on a Petri net of the allowed moves (benchmarks/process.py builds it): a
    trace fits there exactly when the project conforms here."""
    _, iv, pdf, model, _ = log
    net, im, fm = petri_net(model, "Unsubmitted")
    with contextlib.redirect_stderr(io.StringIO()):  # its progress bar
        diag = pm4py.conformance_diagnostics_token_based_replay(pdf, net, im, fm, return_diagnostics_dataframe=True)
    fit = set(diag.loc[diag["is_fit"], "case_id"])
    assert fit == set(conformance(iv, model).filter(pl.col("conforming"))["project_id"]) and len(fit) > 200
