"""whatif.py: a change beside the baseline, same seed; the capacity assumption said; refusals."""

from __future__ import annotations

import polars as pl
import pytest

from pcnb.forecast import ForecastError, whatif
from pcnb.forecast.whatif import CAPACITY, changed_deadlines
from tests.forecast.helpers import AS_OF, program_data


@pytest.fixture(scope="module")
def data():
    return program_data("residential")


def test_nothing_changed_is_the_baseline_exactly(data):
    ev, prog, _ = data
    w = whatif(ev, prog, as_of=AS_OF, paths=100, worlds=40, weeks=6)
    assert (w.table["baseline"] == w.table["scenario"]).all()
    assert w.changes == [] and CAPACITY in w.notes


def test_faster_reviews_and_a_longer_deadline_move_the_figures_the_right_way(data):
    ev, prog, _ = data
    w = whatif(ev, prog, as_of=AS_OF, paths=200, worlds=40, weeks=6, durations={"Application Review": 0.5},
               deadlines={"Application Review": 15})
    held = w.table.filter(pl.col("figure").str.starts_with("utility-held")).row(0, named=True)
    assert float(held["scenario"]) < float(held["baseline"])
    review = w.deadlines.filter(pl.col("deadline") == "Application Review").row(0, named=True)
    assert (review["days"], review["days_scenario"]) == (10, 15)
    assert review["on_time_share_scenario"] > review["on_time_share"] + 0.1
    other = w.deadlines.filter(pl.col("deadline") == "Inspection Pending").row(0, named=True)
    assert other["expected_breaches_scenario"] == pytest.approx(other["expected_breaches"], rel=0.1)
    assert "Application Review durations x0.5" in w.changes and "deadline Application Review = 15" in w.changes
    assert all(d.days == 10 for d in prog.deadlines if d.status == "Application Review")  # the profile's untouched


def test_a_surge_adds_work_in_progress_and_says_it_slows_nobody(data):
    ev, prog, _ = data
    w = whatif(ev, prog, as_of=AS_OF, paths=50, worlds=40, weeks=13, arrivals=2)
    last = w.table.filter(pl.col("figure").str.starts_with("work in progress")).row(0, named=True)
    median = lambda text: float(text.split()[0].replace(",", ""))  # noqa: E731 - "1,234 (1,100-1,300)"
    assert median(last["scenario"]) > 1.3 * median(last["baseline"])
    assert "slows nobody down" in w.notes[0]


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"durations": {"Application Reveiw": 0.5}}, "did you mean 'Application Review'"),
    ({"durations": {"Application Review": 0}}, "must be a number > 0"),
    ({"durations": {"Returned to Applicant": 0.5}}, "held by the applicant"),
    ({"arrivals": 0}, "arrivals=0"),
    ({"arrivals": -2}, "arrivals=-2"),
    ({"deadlines": {"Nope": 5}}, "no deadline 'Nope'"),
    ({"deadlines": {"Application Review": 0}}, "not a positive number"),
])
def test_bad_what_ifs_are_refused_with_the_fix(data, kwargs, words):
    ev, prog, _ = data
    with pytest.raises(ForecastError) as err:
        whatif(ev, prog, as_of=AS_OF, paths=10, worlds=10, weeks=2, **kwargs)
    assert words in str(err.value.message) and err.value.hint


def test_a_tracks_deadline_changes_alone():
    _, prog, _ = program_data("large-dg", 900)
    span = "Completeness Review -> Agreement Tendered"
    changed = changed_deadlines(prog, {(span, "Fast Track"): 100})
    assert sorted((d.track or "", d.days) for d in changed.deadlines if d.start) == [("", 150), ("Fast Track", 100)]


def test_ws_whatif(ws):
    w = ws.whatif(arrivals=1.5, paths=50, worlds=20, weeks=4)
    assert w.changes == ["arrivals x1.5"] and w.table.height > 5
