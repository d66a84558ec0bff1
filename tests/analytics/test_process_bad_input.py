"""Process analyses on bad input: a statement and a data-quality row, never a traceback."""

from __future__ import annotations

import polars as pl
import pytest

from pcnb.analytics import status_intervals
from pcnb.analytics.conformance import conformance, deviations
from pcnb.analytics.process_map import process_map
from pcnb.analytics.quality import process_checks, process_statement
from pcnb.analytics.rework import rework_pairs, rework_projects
from pcnb.analytics.variants import variants
from tests.analytics.helpers import AS_OF, CAL, _la, events
from tests.analytics.process_helpers import FINAL, HOLDERS, MODEL, ORDER, log, path


def _all(ev: pl.DataFrame) -> pl.DataFrame:
    """Every analysis runs; returns the checks."""
    iv = status_intervals(ev, CAL, AS_OF, terminal=FINAL)
    variants(iv, FINAL)
    process_map(iv, order=ORDER)
    rework_pairs(iv, HOLDERS, FINAL)
    rework_projects(iv, {}, FINAL)  # no holders known: days count in the total only
    conformance(iv, MODEL, deviations(iv, MODEL))
    return process_checks(iv, ORDER, ev)


def _row(checks: pl.DataFrame, name: str) -> dict:
    return checks.filter(pl.col("check") == name).row(0, named=True)


def test_one_project():
    checks = _all(log(path("only", ["U", "S", "R", "A"])))
    assert _row(checks, "fewer than two projects")["affected"] == 1
    assert process_statement(checks)[0].startswith("only 1 project in the data (e.g. only)")


def test_no_transitions():
    ev = log(path("a", ["U"]), path("b", ["S"]))
    checks = _all(ev)
    assert _row(checks, "projects with no move")["affected"] == 2
    iv = status_intervals(ev, CAL, AS_OF, terminal=FINAL)
    assert process_map(iv, order=ORDER).edges.height == 0 and deviations(iv, MODEL).height == 0
    assert any(s.startswith("projects with no move: 2 of 2") for s in process_statement(checks))


def test_statuses_missing_from_the_profile():
    checks = _all(log(path("a", ["U", "S", "Mystery", "R"]), path("b", ["U", "S"])))
    row = _row(checks, "statuses missing from the profile")
    assert (row["affected"], row["unit"], row["examples"]) == (1, "statuses", "Mystery")
    iv = status_intervals(log(path("a", ["U", "S", "Mystery", "R"])), CAL, AS_OF, terminal=FINAL)
    assert process_map(iv, order=ORDER).nodes["status"].to_list()[-1] == "Mystery"  # after the profile's order


def test_events_out_of_order_and_duplicated():
    ev = events([("a", "U", _la(7, 1, 9)), ("a", "R", _la(7, 3, 9)), ("a", "S", _la(7, 2, 9)),  # R written first
                 ("b", "U", _la(7, 1, 9)), ("b", "U", _la(7, 1, 9)), ("b", "S", _la(7, 2, 9)),
                 ("b", "S", _la(7, 2, 9))])
    checks = _all(ev)
    assert _row(checks, "status events out of order")["examples"] == "a"
    assert _row(checks, "duplicated status events")["examples"] == "b"
    iv = status_intervals(ev, CAL, AS_OF, terminal=FINAL)
    assert set(variants(iv, FINAL, min_n=0)["variant"]) == {"U → S → R", "U → S"}  # time order; one stay each
    assert len(process_statement(checks)) == 2


def test_clean_data_has_nothing_to_say():
    checks = _all(log(path("a", ["U", "S", "R"]), path("b", ["U", "S"])))
    assert process_statement(checks) == [] and checks["affected"].sum() == 0


@pytest.mark.parametrize("bad", [pl.DataFrame({"project_id": ["a"]}), pl.DataFrame()])
def test_a_frame_that_is_not_intervals_is_named(bad):
    with pytest.raises(ValueError, match="needs intervals"):
        variants(bad, FINAL)
