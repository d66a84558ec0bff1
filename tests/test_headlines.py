"""Page 1's sentences (pcnb.headlines): each figure checked against the metric modules that draw the
tables and charts, the previous period as a point-in-time cut, and too little data said, not guessed."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from benchmarks.inference import inputs
from pcnb.analytics import Calendar
from pcnb.analytics.intervals import status_intervals
from pcnb.analytics.sla import sla_compliance
from pcnb.headlines import (
    Quarters,
    StatusFigures,
    complete_months,
    flow_sentences,
    period_figures,
    quarters,
    review_sentences,
    review_table,
    verdict_sentence,
)
from pcnb.reportview import in_short
from pcnb.sandbox.generator import generate
from tests.conftest import END, FINAL

REVIEW = ["Application Review", "Inspection Pending"]
DEADLINES = {"Application Review": 10.0, "Inspection Pending": 5.0}
CAL = Calendar.us_federal("America/Los_Angeles")


@pytest.fixture(scope="module")
def events() -> pl.DataFrame:
    return inputs(generate(2000, seed=7, end=END))["events"]


DL = {s: (d, "business_days") for s, d in DEADLINES.items()}


def test_each_sentence_states_the_figures_the_sla_table_computes(events):
    q = quarters(events, CAL, END, list(FINAL), DL)
    said = review_sentences(q, REVIEW, DL)
    assert len(said) == 2
    period = complete_months(END, CAL.timezone)
    window = status_intervals(events.filter(pl.col("ts") < period.end), CAL, period.end, terminal=FINAL).filter(
        (pl.col("entered") >= period.start) & (pl.col("entered") < period.end))
    sla = sla_compliance(window, {k: int(v) for k, v in DEADLINES.items()})
    months = period.words(ZoneInfo(CAL.timezone))
    for status, sentence in zip(REVIEW, said, strict=True):
        late = sla.filter(pl.col("status") == status)["pct_exceeding"].item()
        # which 3 months, in the program's days: the last 3 complete ones, as report 02 says them
        assert sentence.startswith(f"{status}, {months}: a median of "), sentence
        assert f" business days (deadline {DEADLINES[status]:g} business days)" in sentence, sentence
        counted = sla.filter(pl.col("status") == status).select(pl.col("completed") + pl.col("open_late")).item()
        assert f"{late:.0%} of the {counted:,} applications counted missed" in sentence, (sentence, late, counted)
        earlier = q.before.words(ZoneInfo(CAL.timezone), year=q.before.end.year != q.now.end.year)
        said_then = rf"(up|down) from \d+% in {earlier}\.|the same as in {earlier} \(\d+%\)\.$"
        assert re.search(said_then, sentence), sentence


def test_the_verdict_names_the_deadline_missed_most_and_what_got_worse(events):
    """Page 1 listed nine figures of equal weight and no conclusion (two reviewers): its first sentence
    is the bottom line, from the same quarter's figures the sentences below state."""
    q = quarters(events, CAL, END, list(FINAL), DL)
    said = verdict_sentence(q, REVIEW, {"Inspection Pending": "utility"})
    late = {s: round(q.figures_now[s].late * 100) for s in REVIEW}
    before = {s: round(q.figures_before[s].late * 100) for s in REVIEW}
    worst = max(REVIEW, key=lambda s: q.figures_now[s].late)
    whose = " (a step the utility holds)" if worst == "Inspection Pending" else ""
    months = q.now.words(ZoneInfo(CAL.timezone))
    assert said[0].startswith(f"Of the deadlines set on one status, the one missed most often in {months} was "
                              f"{worst}'s{whose}: "
                              f"{late[worst]}% of the applications counted missed it."), said
    up = [s for s in REVIEW if late[s] > before[s]]
    assert up and all(s in said[0].split("Missed more often than in")[1].split(";")[0] for s in up), said


def _quarters(now: dict[str, float | None], before: dict[str, float]) -> Quarters:
    """Quarters of given figures, at a fixed instant (not END, which moves with the tests' clock: the
    months named in the sentences are this test's data)."""
    at = datetime(2026, 12, 6, 15, tzinfo=UTC)
    period = complete_months(at, CAL.timezone)
    return Quarters(period, complete_months(at, CAL.timezone, back=1),
                    {s: StatusFigures(5.0, 100, v, 100) for s, v in now.items()},
                    {s: StatusFigures(5.0, 100, v, 100) for s, v in before.items()}, ZoneInfo(CAL.timezone))


def test_the_verdict_says_rises_falls_and_nothing_it_cannot_judge():
    q = _quarters({"A": 0.30, "B": 0.10, "C": 0.204, "D": None}, {"A": 0.20, "B": 0.15, "C": 0.196})
    said = verdict_sentence(q, ["A", "B", "C", "D"])[0]
    # C rounds to 20% both times: no change; D has no share: neither worst nor moved
    assert said.endswith("the one missed most often in September–November 2026 was A's: 30% of the applications "
                         "counted missed it. "
                         "Missed more often than in June–August: A; less often: B."), said
    one = verdict_sentence(_quarters({"B": 0.10}, {"B": 0.15}), ["B"])[0]
    assert one.endswith(", 10% of the applications counted missed B's deadline. Missed less often than in "
                        "June–August: B."), one
    assert verdict_sentence(_quarters({"D": None}, {}), ["D"]) == []


def test_the_quarter_is_the_last_3_complete_months_of_the_programs_calendar():
    zone = ZoneInfo("America/Los_Angeles")
    # 07:30 UTC on December 1st is still November 30th in Los Angeles: November is under way there
    assert complete_months(datetime(2026, 12, 1, 7, 30, tzinfo=UTC), zone.key).words(zone) == "August–October 2026"
    now = complete_months(datetime(2026, 12, 1, 9, tzinfo=UTC), zone.key)
    assert now.words(zone) == "September–November 2026"
    assert (now.start, now.end) == (datetime(2026, 9, 1, 7, tzinfo=UTC), datetime(2026, 12, 1, 8, tzinfo=UTC))
    assert complete_months(datetime(2027, 2, 10, tzinfo=UTC), zone.key).words(zone) == "November 2026–January 2027"
    assert complete_months(datetime(2027, 1, 15, tzinfo=UTC), zone.key, back=1).words(zone) == "July–September 2026"


def test_the_appendix_table_holds_every_figure_of_the_sentences(events):
    """A reviewer could not trace page 1's quarter to any table: each figure is in the table."""
    q = quarters(events, CAL, END, list(FINAL), DL)
    said, table = review_sentences(q, REVIEW, DL), review_table(q, REVIEW, DL)
    assert table.height == 4 and table["Status"].to_list() == [REVIEW[0]] * 2 + [REVIEW[1]] * 2
    zone = ZoneInfo(CAL.timezone)
    assert table["Entered in"].to_list()[:2] == [q.now.words(zone), q.before.words(zone)]
    for sentence, row, before in zip(said, table.rows(named=True)[::2], table.rows(named=True)[1::2], strict=True):
        assert f"median of {row['Median']} (deadline" in sentence and row["Median"].endswith(" business days")
        assert f"{row['Missed (share)']} of the {row['Counted for the deadline']} applications counted" in sentence
        assert before["Missed (share)"] in sentence.split("deadline", 2)[-1], (sentence, before)
        share = int(row["Missed"].replace(",", "")) / int(row["Counted for the deadline"].replace(",", ""))
        assert f"{share:.0%}" == row["Missed (share)"]


def test_a_calendar_day_deadline_is_judged_in_calendar_days(events):
    """Page 1 judged only business-day deadlines: a 30-calendar-day one had no quarter figure."""
    dl = {"Application Review": (10.0, "calendar_days")}
    q = quarters(events, CAL, END, list(FINAL), dl)
    said = review_sentences(q, ["Application Review"], dl)[0]
    window = status_intervals(events.filter(pl.col("ts") < q.now.end), CAL, q.now.end, terminal=FINAL).filter(
        (pl.col("entered") >= q.now.start) & (pl.col("entered") < q.now.end))
    sla = sla_compliance(window, {"Application Review": 10}, unit="calendar_days")
    business = sla_compliance(window, {"Application Review": 10})
    late = sla["pct_exceeding"].item()
    assert "(deadline 10 calendar days)" in said and f"; {late:.0%} of the " in said
    # its median in the deadline's unit: calendar days, never fewer than the business days
    assert re.search(r"a median of \d+ calendar days \(deadline", said), said
    in_days = q.figures_now["Application Review"]
    in_business_days = quarters(events, CAL, END, list(FINAL), DL).figures_now["Application Review"]
    assert in_days.unit == "calendar_days" and in_business_days.unit == "business_days"
    assert in_days.median is not None and in_business_days.median is not None
    assert in_days.median > in_business_days.median and in_days.stays == in_business_days.stays
    assert f"{late:.0%}" != f"{business['pct_exceeding'].item():.0%}"  # the unit changed the answer


def test_the_previous_period_is_what_the_data_said_then(events):
    before = complete_months(END, CAL.timezone, back=1)
    then = period_figures(events.filter(pl.col("ts") < before.end), CAL, before, list(FINAL), DL)
    now_cut = period_figures(events, CAL, before, list(FINAL), DL)  # later events must not leak in
    assert then == now_cut and then["Application Review"].stays > 0


def test_too_few_stays_are_said_and_no_median_is_made_up(events):
    few = events.filter(pl.col("project_id").is_in(events["project_id"].unique().sort().head(30).to_list()))
    said = review_sentences(quarters(few, CAL, END, list(FINAL), DL), REVIEW, DL)
    assert all("too few applications entered it (" in s and "median of" not in s for s in said), said


def test_in_short_escapes_what_it_is_given():
    block = in_short(["<b>Review</b> took 3 days."])
    assert "&lt;b&gt;Review&lt;/b&gt;" in block._repr_html_() and "In short" in repr(block)


def test_in_short_says_where_its_figures_are(monkeypatch):
    """In a report the box ends with its appendix table's number; on screen the table stands beneath."""
    from pcnb import appendix, reportview

    table = pl.DataFrame({"Status": ["Review"], "Median business days": ["7"]})
    monkeypatch.setattr(reportview, "PRINTED", False)
    screen = in_short(["Review took 7 days."], figures=appendix.behind(table, "The quarter", place="page 1"))
    assert screen._repr_html_().index("</div>") < screen._repr_html_().index("The quarter")
    monkeypatch.setattr(reportview, "PRINTED", True)
    monkeypatch.setattr(appendix, "HELD", [])
    paper = in_short(["Review took 7 days."], figures=appendix.behind(table, "The quarter", place="page 1",
                                                                       what="The figures of the first sentences"))
    markup = paper._repr_html_()
    assert "The figures of the first sentences: table A1 in the appendix." in markup
    assert markup.index("table A1") < markup.index("</div>") and reportview.REFERENCE_CLASS not in markup
    assert appendix.HELD[0].title() == "Table A1. The quarter (page 1)"


def _months(first: date, arrivals: list[int], departures: list[int]) -> pl.DataFrame:
    periods = pl.date_range(first, first.replace(year=first.year + 2), "1mo", eager=True)[:len(arrivals)]
    return pl.DataFrame({"period": periods, "arrivals": arrivals, "departures": departures}).with_columns(
        (pl.col("arrivals") - pl.col("departures")).alias("net_flow"))


def test_the_flow_sentences_leave_the_month_under_way_out_of_the_averages():
    months = _months(date(2026, 5, 1), [60, 60, 60, 90, 90, 96, 9], [50, 50, 50, 80, 85, 80, 30])
    # 07:30 UTC on December 1st... is still November 30th in Los Angeles: November is under way there
    said = flow_sentences(months, datetime(2026, 12, 1, 7, 30, tzinfo=UTC), "America/Los_Angeles", 123)
    assert said[0] == ("In October 2026, 96 applications arrived and 80 reached a final status: the submitted "
                       "work in progress grew by 16 that month. Open now: 123.")
    assert said[1].startswith("Over the last 3 complete months (August–October 2026), 92 applications arrived a "
                              "month on average, up from 60 in May–July 2026; 82 a month reached a final status.")
    assert said[2].startswith("November 2026 so far (30 days): 9 arrived, 30 reached a final status")
    # one application a month more or less of ~95 is no decline (a reviewer read "down from 96" as a trend)
    flat = flow_sentences(_months(date(2026, 5, 1), [96, 96, 96, 95, 95, 95], [90] * 6),
                          datetime(2026, 11, 2, 12, tzinfo=UTC), "America/Los_Angeles", 50)
    assert "95 applications arrived a month on average, about the same as in May–July 2026 (96);" in flat[1]
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
                       "work in progress held steady that month. Open now: 232 submitted, and 68 drafts not yet "
                       "submitted (300 in all).")
    assert said[1] == ("Over the last 12 complete months (December 2025–November 2026) the submitted work in "
                       "progress grew by 220: 100 arrived and 82 reached a final status a month on average.")


def test_every_deadline_gets_its_sentence_in_its_own_unit():
    """Page 1 left out span and calendar-day deadlines (a reviewer found 35 % missed nowhere on it)."""
    from pcnb.headlines import deadline_sentences

    sla = pl.DataFrame({"deadline": ["Review", "Review -> Paid", "Payment"], "track": ["all", "Fast", "all"],
                        "days": [5.0, 25.0, 30.0], "unit": ["business_days", "business_days", "calendar_days"],
                        "completed": [260, 103, 103], "completed_late": [63, 35, 1], "open_late": [3, 2, 0],
                        "pct_exceeding": [0.2481, 0.3524, None], "suppressed": [False, False, True],
                        "clock": ["elapsed", "utility", "elapsed"]})
    assert deadline_sentences(sla) == [
        "Counting the projects still open and already late as missed:",
        "Review: 25% missed its deadline of 5 business days (66 of 263).",
        # the clock as the chart says it (page 1 left out "utility's clock only", a reviewer found)
        "Review → Paid (Fast): 35% missed its deadline of 25 business days, counting the utility's days only "
        "(37 of 105).",
        "Payment: too few projects to judge (103)."]
    assert deadline_sentences(sla.clear()) == []


def test_deadline_sentences_say_their_window():
    """Page 1 said "28% missed" twice, for the last 3 months and for the whole period, and a reader
    could not tell which was which: the deadline sentences name the day they count from."""
    from datetime import date

    from pcnb.headlines import deadline_sentences

    sla = pl.DataFrame({"deadline": ["Review"], "track": ["all"], "days": [10.0], "unit": ["business_days"],
                        "completed": [1844], "completed_late": [500], "open_late": [15], "pct_exceeding": [0.2793],
                        "suppressed": [False]})
    assert deadline_sentences(sla, since=date(2024, 1, 1)) == [
        "Since Jan 1, 2024, counting the projects still open and already late as missed:",
        "Review: 28% missed its deadline of 10 business days (515 of 1,859)."]


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
    assert said == [f"Of the {total:,} submitted applications still open, {top['n']:,} ({top['n'] / total:.0%}) wait "
                    f"in {top['status']}, more than in any other status, for a median of {top['age']:,.0f} business "
                    "days so far."]
    assert total < open_now.height  # the drafts were there, and left out
    assert waiting_sentence(open_now.head(0)) == []
    # whose step it is: "400 wait in Funds Reserved" read as held up by the utility while the applicant installs
    for holder, words in (("applicant", "a step the applicant holds"), ("utility", "a step the utility holds")):
        held = waiting_sentence(open_now, leave_out=["Unsubmitted"], holders={top["status"]: holder})
        assert f"wait in {top['status']}, {words}, more than in any other status" in held[0]
    assert waiting_sentence(open_now, leave_out=["Unsubmitted"], holders={top["status"]: "none"}) == said


def test_the_open_work_table_holds_the_waiting_sentences_figures(events):
    """Page 1's "a median of 14 business days so far" was in no table (a reviewer set it against the
    time-in-status median of 25): the table behind the work-in-progress charts holds it, every status."""
    from pcnb.headlines import open_work_table, waiting_sentence

    iv = status_intervals(events, CAL, END, terminal=FINAL)
    open_now = iv.filter(pl.col("is_open") & ~pl.col("status").is_in(FINAL))
    table = open_work_table(open_now, leave_out=["Unsubmitted"], holders={"Application Review": "utility"})
    said = waiting_sentence(open_now, leave_out=["Unsubmitted"])[0]
    first = table.row(0, named=True)
    assert f", {first['Open now']} ({first['Share of the open work']}) wait in {first['Status']}, " in said
    assert said.endswith(f"for a median of {first['Median business days there so far']} business days so far.")
    submitted = open_now.filter(pl.col("status") != "Unsubmitted")
    assert "Unsubmitted" not in table["Status"].to_list()
    statuses, totals = table.head(-3), table.tail(3)
    assert set(statuses["Status"]) == set(submitted["status"].cast(pl.String))
    assert sum(int(n.replace(",", "")) for n in statuses["Open now"]) == submitted.height
    # page 1's totals: "of the 232 submitted", "300 are open now, 68 of them not yet submitted"
    drafts = open_now.height - submitted.height
    assert drafts > 0 and totals.select("Status", "Open now").rows() == [
        ("All submitted", f"{submitted.height:,}"), ("Not yet submitted (drafts)", f"{drafts:,}"),
        ("All open, drafts included", f"{open_now.height:,}")]
    no_drafts = open_work_table(submitted)
    assert no_drafts["Status"].to_list()[-1] == "All submitted"
    assert "Not yet submitted (drafts)" not in no_drafts["Status"]
    assert table.filter(pl.col("Status") == "Application Review")["Whose step"].item() == "the utility's"


def test_in_short_says_where_each_group_of_figures_is(monkeypatch):
    """Page 1 pointed only to the quarter's table; the deadlines since the period began and the open
    work were in other tables, unnamed (a reviewer): one line names each, in the appendix's numbers."""
    from pcnb import appendix, reportview

    quarter, deadlines = pl.DataFrame({"Status": ["Review"]}), pl.DataFrame({"Deadline on": ["Review"]})
    monkeypatch.setattr(appendix, "HELD", [])
    monkeypatch.setattr(reportview, "PRINTED", True)
    where = [appendix.behind(quarter, "The quarter", place="page 1's sentences", what="September–November 2026"),
             appendix.pointer(deadlines, "Each deadline's counts", place="page 1's sentences",
                              what="the deadlines since Jan 1, 2024")]
    later = appendix.behind(deadlines, "Each deadline's counts", chart="How often were the deadlines missed?")
    markup = in_short(["Review took 7 days."], figures=where)._repr_html_()
    assert ("In the appendix: September–November 2026, table A1; the deadlines since Jan 1, 2024, table A2."
            in markup) and repr(later).endswith("table A2 in the appendix.")
    monkeypatch.setattr(reportview, "PRINTED", False)  # on screen: the quarter beneath, no pointer
    screen = in_short(["Review took 7 days."], figures=[appendix.behind(quarter, "The quarter"),
                                                        appendix.pointer(deadlines, "x", place="p", what="w")])
    assert "The quarter" in screen._repr_html_() and "In the appendix" not in screen._repr_html_()
