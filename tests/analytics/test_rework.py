"""rework.py: loops back, rounds, the days they add by holder, per loop and per segment."""

from __future__ import annotations

import polars as pl
import pytest

from pcnb.analytics import status_intervals
from pcnb.analytics.rework import rework_by, rework_pairs, rework_projects, rework_rounds
from tests.analytics.helpers import AS_OF, CAL
from tests.analytics.process_helpers import FINAL, HOLDERS, log, path

# b2: R Wed 3, Ret Thu 4 (holiday), R Fri 5, Ret Sat 6, R Sun 7, X Mon 8
# d1: a loop over two statuses: R A R A: A -> R loops back, R -> A again is part of the round
LOG = log(path("a1", ["U", "S", "R", "A", "I", "PTO"]), path("b1", ["U", "S", "R", "Ret", "R", "A"], 8),
          path("b2", ["U", "S", "R", "Ret", "R", "Ret", "R", "X"]), path("d1", ["S", "R", "A", "R", "A", "I"], 8))


@pytest.fixture
def iv():
    return status_intervals(LOG, CAL, AS_OF, terminal=FINAL)


def test_rounds_run_from_leaving_a_status_to_leaving_it_again(iv):
    r = rework_rounds(iv, HOLDERS, FINAL)
    assert r.select("project_id", "from_status", "to_status", "round").rows() == [
        ("b1", "Ret", "R", 1), ("b2", "Ret", "R", 1), ("b2", "Ret", "R", 2), ("d1", "A", "R", 1)]
    b1 = r.row(0, named=True)  # Ret Thu 11 -> R Fri 12 -> A Sat 13: 1 applicant + 1 utility day
    assert (b1["stays"], b1["rework_bdays"], b1["applicant_bdays"], b1["utility_bdays"]) == (2, 2, 1, 1)
    assert not b1["open"]
    b2 = r.filter(pl.col("project_id") == "b2")  # Ret on the holiday (0) + R Fri (1); Ret Sat (0) + R Sun (0)
    assert b2["rework_bdays"].to_list() == [1, 0] and b2["applicant_bdays"].to_list() == [0, 0]


def test_per_project_days_count_each_stay_once(iv):
    p = {r["project_id"]: r for r in rework_projects(iv, HOLDERS, FINAL).iter_rows(named=True)}
    assert (p["a1"]["rounds"], p["a1"]["rework_bdays"]) == (0, 0)
    assert (p["b2"]["rounds"], p["b2"]["loops"], p["b2"]["rework_bdays"]) == (2, 1, 1)
    # d1: S Mon 8, R Tue 9, A Wed 10, R Thu 11, A Fri 12, I Sat 13 (open): round = A Wed + R Thu = 2
    assert (p["d1"]["rounds"], p["d1"]["rework_bdays"], p["d1"]["applicant_bdays"], p["d1"]["utility_bdays"]) == (
        1, 2, 1, 1)
    assert set(p) == {"a1", "b1", "b2", "d1"}


def test_overlapping_rounds_are_counted_once_per_project():
    iv = status_intervals(log(path("o", ["S", "R", "A", "R", "A", "R", "A", "I"], 8)), CAL, AS_OF, terminal=FINAL)
    rounds = rework_rounds(iv, HOLDERS, FINAL)
    assert rounds["round"].to_list() == [1, 2]
    assert rework_projects(iv, HOLDERS, FINAL)["rework_bdays"].item() == rounds["rework_bdays"].sum()


def test_pairs_and_segments(iv):
    pairs = rework_pairs(iv, HOLDERS, FINAL, min_n=0)
    top = pairs.row(0, named=True)
    assert (top["loop"], top["projects"], top["of_projects"], top["rounds"], top["max_rounds"]) == (
        "Ret → R", 2, 4, 3, 2)
    assert top["rounds_per_project"] == 1.5 and top["total_bdays"] == 3
    assert top["applicant_share"] == pytest.approx(1 / 3)
    assert rework_pairs(iv, HOLDERS, FINAL)["suppressed"].all()  # min_n 10: medians and shares withheld
    attrs = pl.DataFrame({"project_id": ["a1", "b1", "b2", "d1"], "owner_name": ["Sun", "Sun", "Sun", "Bright"]})
    by = rework_by(rework_projects(iv, HOLDERS, FINAL), attrs, "owner_name", min_n=3)
    sun = by.row(0, named=True)
    assert (sun["owner_name"], sun["projects"], sun["reworked"], sun["rounds"], sun["rework_rate"]) == (
        "Sun", 3, 2, 3, pytest.approx(2 / 3))
    bright = by.row(1, named=True)
    assert (bright["projects"], bright["reworked"], bright["rework_rate"], bright["suppressed"]) == (1, 1, None, True)
    with pytest.raises(ValueError, match="no column 'installer'"):
        rework_by(rework_projects(iv, HOLDERS, FINAL), attrs, "installer")


def test_roles_are_the_callers(iv):
    with pytest.raises(ValueError, match="holders"):
        rework_rounds(iv, None, FINAL)
    assert rework_pairs(iv.clear(), HOLDERS, FINAL).height == 0
    assert rework_projects(iv.clear(), HOLDERS, FINAL).height == 0


def test_one_pass_gives_the_three_tables(iv):
    from pcnb.analytics.rework import rework

    r = rework(iv, HOLDERS, FINAL, min_n=0)
    assert r.rounds.equals(rework_rounds(iv, HOLDERS, FINAL))
    assert r.projects.equals(rework_projects(iv, HOLDERS, FINAL))
    assert r.pairs.equals(rework_pairs(iv, HOLDERS, FINAL, min_n=0))
