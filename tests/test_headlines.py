"""Page 1's sentences (pcnb.headlines): each figure checked against the metric modules that draw the
tables and charts, the previous period as a point-in-time cut, and too little data said, not guessed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from benchmarks.inference import inputs
from pcnb.analytics import Calendar
from pcnb.analytics.intervals import status_intervals
from pcnb.analytics.sla import sla_compliance
from pcnb.headlines import PERIOD, flow_sentences, period_figures, review_sentences
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
        assert f"; deadline {DEADLINES[status]:g})" in sentence
        counted = sla.filter(pl.col("status") == status).select(pl.col("completed") + pl.col("open_late")).item()
        assert f"{late:.0%} of the {counted:,} applications counted missed" in sentence, (sentence, late, counted)
        # which 3 months, in the program's days (it said "the last 3 months", read as the complete ones)
        assert f"in the 3 months to {END.astimezone(ZoneInfo(CAL.timezone)):%b %-d} (entered from " in sentence
        assert re.search(r"(up|down) from \d+%|the same as the 3 months before", sentence), sentence


def test_the_previous_period_is_what_the_data_said_then(events):
    earlier = END - PERIOD
    then = period_figures(events.filter(pl.col("ts") <= earlier), CAL, earlier, list(FINAL), DEADLINES)
    now_cut = period_figures(events, CAL, earlier, list(FINAL), DEADLINES)  # later events must not leak in
    assert then == now_cut and then["Application Review"].stays > 0


def test_too_few_stays_are_said_and_no_median_is_made_up(events):
    few = events.filter(pl.col("project_id").is_in(events["project_id"].unique().sort().head(30).to_list()))
    said = review_sentences(few, CAL, END, list(FINAL), REVIEW, DEADLINES)
    assert all("too few applications in the 3 months" in s and "median of" not in s for s in said), said


def test_in_short_escapes_what_it_is_given():
    block = in_short(["<b>Review</b> took 3 days."])
    assert "&lt;b&gt;Review&lt;/b&gt;" in block._repr_html_() and "In short" in repr(block)
    assert END - PERIOD < END - timedelta(days=90)


def _months(first: date, arrivals: list[int], departures: list[int]) -> pl.DataFrame:
    periods = pl.date_range(first, first.replace(year=first.year + 2), "1mo", eager=True)[:len(arrivals)]
    return pl.DataFrame({"period": periods, "arrivals": arrivals, "departures": departures}).with_columns(
        (pl.col("arrivals") - pl.col("departures")).alias("net_flow"))


def test_the_flow_sentences_leave_the_month_under_way_out_of_the_averages():
    months = _months(date(2026, 5, 1), [60, 60, 60, 90, 90, 96, 9], [50, 50, 50, 80, 85, 80, 30])
    # 07:30 UTC on December 1st... is still November 30th in Los Angeles: November is under way there
    said = flow_sentences(months, datetime(2026, 12, 1, 7, 30, tzinfo=UTC), "America/Los_Angeles", 123)
    assert said[0] == ("In October 2026, 96 applications arrived and 80 reached a final status: the submitted "
                       "work in progress grew by 16 (123 in progress now).")
    assert said[1].startswith("Over the last 3 complete months, 92 applications arrived a month on average, up "
                              "from 60 the 3 months before; 82 a month reached a final status.")
    assert said[2].startswith("November 2026 so far (30 days): 9 arrived, 30 reached a final status")
    later = flow_sentences(months, datetime(2026, 12, 1, 9, 0, tzinfo=UTC), "America/Los_Angeles", 123)
    assert later[0].startswith("In November 2026, 9 applications arrived") and len(later) == 2  # December: no row


def test_the_flow_sentences_on_a_synced_program_state_its_flow_frame(events):
    import pcnb.analytics  # noqa: F401 - registers df.pc

    iv = status_intervals(events, CAL, END, terminal=FINAL)
    months = iv.pc.flow(arrival="Application Submitted", exits=list(FINAL), every="1mo", calendar=CAL)
    said = flow_sentences(months, END, CAL.timezone, 7)
    last = months.filter(pl.col("period") < END.astimezone(ZoneInfo(CAL.timezone)).date().replace(day=1)).row(
        -1, named=True)
    assert f"{last['arrivals']:,} applications arrived and {last['departures']:,} reached" in said[0], said


def test_the_flow_sentences_say_the_year_and_the_drafts_apart():
    """A flat last month does not hide a year of growth, and the in-progress figure names the drafts
    the charts count (a reviewer found 300 on page 1 against 232 in the table)."""
    months = _months(date(2025, 10, 1), [100] * 14 + [5], [80] * 13 + [100, 1])
    said = flow_sentences(months, datetime(2026, 12, 6, 12, tzinfo=UTC), "America/Los_Angeles", 300, drafts=68)
    # "submitted": the work-in-progress chart holds the drafts too, and rose by more over the year
    assert said[0] == ("In November 2026, 100 applications arrived and 100 reached a final status: the submitted "
                       "work in progress held steady (300 open now, 68 of them not yet submitted).")
    assert said[1] == ("Over the last 12 complete months the submitted work in progress grew by 220: 100 arrived "
                       "and 82 reached a final status a month on average.")


def test_every_deadline_gets_its_sentence_in_its_own_unit():
    """Page 1 left out span and calendar-day deadlines (a reviewer found 35 % missed nowhere on it)."""
    from pcnb.headlines import deadline_sentences

    sla = pl.DataFrame({"deadline": ["Review", "Review -> Paid", "Payment"], "track": ["all", "Fast", "all"],
                        "days": [5.0, 25.0, 30.0], "unit": ["business_days", "business_days", "calendar_days"],
                        "completed": [260, 103, 103], "completed_late": [63, 35, 1], "open_late": [3, 2, 0],
                        "pct_exceeding": [0.2481, 0.3524, None], "suppressed": [False, False, True],
                        "clock": ["elapsed", "utility", "elapsed"]})
    assert deadline_sentences(sla) == [
        "Review: 25% missed the deadline of 5 business days (66 of 263, counting those still open and already late).",
        # the clock as the chart says it (page 1 left out "utility's clock only", a reviewer found)
        "Review → Paid (Fast): 35% missed the deadline of 25 business days, counting the utility's days only "
        "(37 of 105, counting those still open and already late).",
        "Payment: too few projects to judge (103)."]


def test_deadline_sentences_say_their_window():
    """Page 1 said "28% missed" twice, for the last 3 months and for the whole period, and a reader
    could not tell which was which: the deadline sentences name the day they count from."""
    from datetime import date

    from pcnb.headlines import deadline_sentences

    sla = pl.DataFrame({"deadline": ["Review"], "track": ["all"], "days": [10.0], "unit": ["business_days"],
                        "completed": [1844], "completed_late": [500], "open_late": [15], "pct_exceeding": [0.2793],
                        "suppressed": [False]})
    assert deadline_sentences(sla, since=date(2024, 1, 1)) == [
        "Review: 28% missed the deadline of 10 business days since Jan 1, 2024 (515 of 1,859, counting those "
        "still open and already late)."]


def test_the_waiting_sentence_names_where_the_open_work_is(events):
    """Page 1 says where the open applications wait, with the figures the aging chart draws: the
    status holding most of them, their count and median age, drafts left out."""
    from pcnb.headlines import waiting_sentence

    iv = status_intervals(events, CAL, END, terminal=FINAL)
    open_now = iv.filter(pl.col("is_open") & ~pl.col("status").is_in(FINAL))
    said = waiting_sentence(open_now, leave_out=["Unsubmitted"])
    counted = (open_now.filter(pl.col("status") != "Unsubmitted").group_by(pl.col("status").cast(pl.String))
               .agg(pl.len().alias("n"), pl.col("age_business_days").median().alias("age")).sort("n", descending=True))
    top = counted.row(0, named=True)
    total = int(counted["n"].sum())
    assert said == [f"Most of the open work waits in {top['status']}: {top['n']:,} of the {total:,} submitted ones "
                    "still open "
                    f"({top['n'] / total:.0%}), there for a median of {top['age']:,.0f} business days so far."]
    assert total < open_now.height  # the drafts were there, and left out
    assert waiting_sentence(open_now.head(0)) == []
    # whose step it is: "400 wait in Funds Reserved" read as held up by the utility while the applicant installs
    for holder, words in (("applicant", "a step the applicant holds"), ("utility", "a step the utility holds")):
        held = waiting_sentence(open_now, leave_out=["Unsubmitted"], holders={top["status"]: holder})
        assert held[0].startswith(f"Most of the open work waits in {top['status']}, {words}: {top['n']:,} of ")
    assert waiting_sentence(open_now, leave_out=["Unsubmitted"], holders={top["status"]: "none"}) == said
