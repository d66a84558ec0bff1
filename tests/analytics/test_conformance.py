"""conformance.py: each kind of deviation from the workflow model, per project, over time, impact."""

from __future__ import annotations

from types import SimpleNamespace

import polars as pl
import pytest

from pcnb.analytics import status_intervals
from pcnb.analytics.conformance import ProcessModel, conformance, conformance_over_time, deviation_impact, deviations
from tests.analytics.helpers import AS_OF, CAL
from tests.analytics.process_helpers import FINAL, MODEL, MOVES, ORDER, log, path

LOG = log(path("ok", ["U", "S", "R", "Ret", "R", "A", "I", "PTO"]),
          path("skip", ["U", "S", "A", "I", "PTO"]),              # R left out
          path("swap", ["U", "S", "A", "R", "I", "PTO"]),         # R and A swapped: one step out of order
          path("exit", ["U", "S", "R", "A", "X"]),                # rejected from A: the model has no such move
          path("again", ["U", "S", "R", "A", "R", "A", "I"]),     # back into R with no move for it
          path("new", ["U", "S", "Zed", "R"]),                    # a status the model lacks
          path("noreview", ["U", "S", "R", "Ret", "A"]),          # Ret -> A: the second review skipped
          path("after", ["U", "S", "W", "R"]))                    # moved on after a final status


@pytest.fixture
def found():
    return deviations(status_intervals(LOG, CAL, AS_OF, terminal=FINAL), MODEL)


def test_each_kind_is_found_once_where_it_happened(found):
    got = set(found.select("project_id", "kind", "from_status", "to_status", "detail").iter_rows())
    assert got == {
        ("skip", "skipped step", "S", "A", "R"),
        ("swap", "out of order", "A", "R", "A before R"),
        ("exit", "unexpected transition", "A", "X", "the model has no move from A to X"),
        ("again", "re-entry", "A", "R", "back into R"),
        ("new", "unexpected transition", "S", "Zed", "Zed is not in the model"),
        ("new", "unexpected transition", "Zed", "R", "Zed is not in the model"),
        ("noreview", "skipped step", "Ret", "A", "R"),
        ("after", "unexpected transition", "W", "R", "after the final status W"),
    }
    swap = found.filter(pl.col("project_id") == "swap").row(0, named=True)
    assert swap["position"] == 3 and swap["impact_bdays"] == 1  # A Wed 3 -> R Thu 4


def test_per_project_counts_rate_and_impact(found):
    iv = status_intervals(LOG, CAL, AS_OF, terminal=FINAL)
    per = conformance(iv, MODEL, found)
    assert per.filter(pl.col("conforming"))["project_id"].to_list() == ["ok"]
    rows = {r["project_id"]: r for r in per.iter_rows(named=True)}
    assert (rows["new"]["deviations"], rows["new"]["unexpected"]) == (2, 2)
    assert (rows["swap"]["out_of_order"], rows["swap"]["skipped"]) == (1, 0)
    assert per.equals(conformance(iv, MODEL))  # the deviations are computed when not given
    over = conformance_over_time(per, CAL, min_n=0)
    assert over.select("projects", "conforming", "skipped", "unexpected").row(0) == (8, 1, 2, 3)
    assert over["rate"].item() == pytest.approx(1 / 8)
    impact = {r["kind"]: r for r in deviation_impact(per, found, min_n=0).iter_rows(named=True)}
    # ok: U Mon 1 .. PTO Mon 8 = 4 business days (holiday, weekend); skip: .. PTO Fri 5 = 3
    assert impact["skipped step"]["conforming_median_bdays"] == 4.0
    assert (impact["skipped step"]["deviations"], impact["skipped step"]["projects"]) == (2, 2)
    assert impact["skipped step"]["impact_bdays"] == -1.0 and impact["re-entry"]["suppressed"]
    assert deviation_impact(per, found)["suppressed"].all()  # min_n 10


def test_a_model_with_alternative_routes_and_a_swapped_pair_counted_once():
    # B or B2 lead from A to C: leaving both out is a skipped step with no single status to name
    model = ProcessModel.from_moves(["A", "B", "B2", "C", "D"], [("A", "B"), ("A", "B2"), ("B", "C"), ("B2", "C"),
                                                                ("C", "D")], final=["D"], completion="D")
    iv = status_intervals(log(path("p", ["A", "C", "D"]), path("q", ["A", "C", "B", "D"])), CAL, AS_OF, terminal=["D"])
    d = deviations(iv, model)
    assert d.select("project_id", "kind", "detail").rows() == [
        ("p", "skipped step", "a route's steps"), ("q", "skipped step", "a route's steps"),
        ("q", "out of order", "C before B")]  # B -> D: C was done (out of order), nothing more to count


def test_the_model_from_a_profile_leaves_rare_moves_out():
    statuses = [SimpleNamespace(name=s) for s in ORDER]
    workflow = [(a, b, 100) for a, b in MOVES if (a, b) != ("R", "X")] + [("R", "X", 1), ("I", "A", 0), ("S", "S", 9)]
    prof = SimpleNamespace(statuses=statuses, workflow=workflow,
                           roles=SimpleNamespace(final=FINAL, completion="PTO"))
    model = ProcessModel.from_profile(prof)
    assert ("R", "X") not in model.allowed and ("I", "A") in model.allowed and ("S", "S") not in model.allowed
    assert model.exits == {"W", "X"} and "1 rarer than 1%" in model.basis
    assert ("R", "X") in ProcessModel.from_profile(prof, min_share=0).allowed
    with pytest.raises(ValueError, match="not in its order"):
        ProcessModel.from_moves(["A"], [("A", "B")])


def test_must_pass_statuses_and_empty_input():
    reach, via = MODEL.paths()
    assert set(via.filter((pl.col("_a") == "S") & (pl.col("_b") == "I"))["_x"]) == {"R", "A"}
    assert ("U", "PTO") in set(reach.iter_rows())
    empty = status_intervals(LOG.clear(), CAL, AS_OF, terminal=FINAL)
    assert deviations(empty, MODEL).height == 0 and conformance(empty, MODEL).height == 0
