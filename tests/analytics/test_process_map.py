"""process_map.py: the directly-follows graph with counts and business-day times, ordered, filtered."""

from __future__ import annotations

import polars as pl
import pytest

from pcnb.analytics import status_intervals
from pcnb.analytics.process_map import process_map
from tests.analytics.helpers import AS_OF, CAL
from tests.analytics.process_helpers import FINAL, ORDER, log, path

LOG = log(path("a1", ["U", "S", "R", "A", "I", "PTO"]), path("a2", ["U", "S", "R", "A", "I", "PTO"], 2),
          path("b1", ["U", "S", "R", "Ret", "R", "A"]), path("b2", ["U", "S", "R", "Ret", "R", "Ret", "R", "X"]),
          path("c1", ["U", "S", "W"]))


@pytest.fixture
def pm():
    return process_map(status_intervals(LOG, CAL, AS_OF, terminal=FINAL), order=ORDER, min_n=0)


def test_nodes_in_the_workflow_order_with_counts_and_times(pm):
    assert pm.nodes["status"].to_list() == ["U", "S", "R", "Ret", "A", "I", "PTO", "W", "X"]
    r = pm.nodes.row(2, named=True)  # R: 2 + 3 + 4 stays... of 5 projects less c1
    assert (r["projects"], r["stays"], r["starts"], r["ends"], r["n_closed"]) == (4, 7, 0, 0, 7)
    u = pm.nodes.row(0, named=True)
    assert (u["starts"], u["median_bdays"]) == (5, 1.0)
    assert pm.nodes.filter(pl.col("status") == "PTO")["ends"].item() == 2
    assert pm.order[:3] == ("U", "S", "R")


def test_edges_count_projects_share_direction_and_time(pm):
    e = {(r["source"], r["target"]): r for r in pm.edges.iter_rows(named=True)}
    assert e[("R", "Ret")]["count"] == 3 and e[("R", "Ret")]["projects"] == 2
    assert e[("Ret", "R")]["direction"] == "back" and e[("R", "A")]["direction"] == "forward"
    assert e[("S", "R")]["share_of_source"] == pytest.approx(4 / 5)
    # a1: R Wed 3 -> A Thu 4 (holiday) = 1; a2: R Thu 4 -> A Fri 5 = 0 (the holiday is no business day)
    assert (e[("R", "A")]["count"], e[("R", "A")]["median_calendar_days"]) == (3, 1.0)
    assert sum(r["count"] for r in e.values()) == pm.moves == 5 + 5 + 5 + 7 + 2
    assert list(zip(pm.edges["source"], pm.edges["target"], strict=True))[:3] == [("U", "S"), ("S", "R"), ("S", "W")]


def test_rare_edges_are_hidden_and_counted():
    iv = status_intervals(LOG, CAL, AS_OF, terminal=FINAL)
    pm = process_map(iv, order=ORDER, min_count=2, min_n=0)
    assert pm.edges["count"].min() >= 2
    assert (pm.hidden_edges, pm.hidden_moves) == (2, 2)  # S -> W and R -> X, once each
    shared = process_map(iv, order=ORDER, min_share=0.1, min_n=0)  # under 2.4 of 24 moves: A -> I, I -> PTO too
    assert (shared.hidden_edges, shared.hidden_moves, shared.edges.height) == (4, 6, 5)


def test_small_counts_are_suppressed_and_nothing_is_plain():
    iv = status_intervals(LOG, CAL, AS_OF, terminal=FINAL)
    pm = process_map(iv, order=ORDER)  # min_n 10: every time suppressed, counts kept
    assert pm.edges["suppressed"].all() and pm.edges["median_bdays"].null_count() == pm.edges.height
    assert pm.edges["count"].sum() == 24
    empty = process_map(iv.clear(), order=ORDER)
    assert empty.nodes.height == 0 and empty.edges.height == 0 and empty.moves == 0
