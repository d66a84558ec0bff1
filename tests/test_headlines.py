"""Page 1's sentences (pcnb.headlines): each figure checked against the metric modules that draw the
tables and charts, the previous period as a point-in-time cut, and too little data said, not guessed."""

from __future__ import annotations

import re
from datetime import timedelta

import polars as pl
import pytest

from benchmarks.inference import inputs
from pcnb.analytics import Calendar
from pcnb.analytics.intervals import status_intervals
from pcnb.analytics.sla import sla_compliance
from pcnb.headlines import PERIOD, period_figures, review_sentences
from pcnb.reportview import in_short
from pcnb.sandbox.generator import generate
from tests.conftest import END, FINAL

REVIEW = ["Application Review", "Inspection Pending"]
DEADLINES = {"Application Review": 10.0, "Inspection Pending": 5.0}
CAL = Calendar.us_federal("America/Los_Angeles")


@pytest.fixture(scope="module")
def events() -> pl.DataFrame:
    return inputs(generate(2000, seed=7, end=END))["events"]


def test_each_sentence_states_the_figures_the_sla_table_computes(events):
    said = review_sentences(events, CAL, END, list(FINAL), REVIEW, DEADLINES)
    assert len(said) == 2
    window = status_intervals(events, CAL, END, terminal=FINAL).filter(pl.col("entered") >= END - PERIOD)
    sla = sla_compliance(window, {k: int(v) for k, v in DEADLINES.items()})
    for status, sentence in zip(REVIEW, said, strict=True):
        late = sla.filter(pl.col("status") == status)["pct_exceeding"].item()
        assert sentence.startswith(f"{status} took a median of ")
        assert f"(target {DEADLINES[status]:g})" in sentence
        counted = sla.filter(pl.col("status") == status).select(pl.col("completed") + pl.col("open_late")).item()
        assert f"{late:.0%} of the {counted:,} stays counted missed" in sentence, (sentence, late, counted)
        assert re.search(r"(up|down) from \d+%|the same as the 3 months before", sentence), sentence


def test_the_previous_period_is_what_the_data_said_then(events):
    earlier = END - PERIOD
    then = period_figures(events.filter(pl.col("ts") <= earlier), CAL, earlier, list(FINAL), DEADLINES)
    now_cut = period_figures(events, CAL, earlier, list(FINAL), DEADLINES)  # later events must not leak in
    assert then == now_cut and then["Application Review"].stays > 0


def test_too_few_stays_are_said_and_no_median_is_made_up(events):
    few = events.filter(pl.col("project_id").is_in(events["project_id"].unique().sort().head(30).to_list()))
    said = review_sentences(few, CAL, END, list(FINAL), REVIEW, DEADLINES)
    assert all("too few stays" in s and "median of" not in s for s in said), said


def test_in_short_escapes_what_it_is_given():
    block = in_short(["<b>Review</b> took 3 days."])
    assert "&lt;b&gt;Review&lt;/b&gt;" in block._repr_html_() and "In short" in repr(block)
    assert END - PERIOD < END - timedelta(days=90)
