"""Frames as people read them (pcnb.frameview): local times, worded metric tables, the held-back
figures said in a note, and the raw frame untouched."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from pcnb.analytics import Calendar
from pcnb.analytics.intervals import status_intervals
from pcnb.analytics.sla import sla_compliance
from pcnb.analytics.time_in_status import time_in_status
from pcnb.frameview import for_managers, for_people, outcome_times, status_times
from tests.conftest import COMPLETION, FINAL, INTAKE

CAL = Calendar.us_federal("America/Los_Angeles")


def test_an_sla_table_reads_in_words(ws):
    iv = status_intervals(ws.status_events(), CAL, ws.status_events()["ts"].max(), terminal=FINAL)
    sla = sla_compliance(iv, {"Application Review": 10, "Returned to Applicant": 2})
    shown = for_managers(sla)
    assert "pct_exceeding" not in shown.columns and "suppressed" not in shown.columns
    assert {"Missed the deadline", "Finished late", "Open and already late"} <= set(shown.columns)
    # no column that says nothing: no tracks here, nothing held back (a reviewer read "all" and blanks)
    assert "Track" not in shown.columns and "Note" not in shown.columns and not sla["suppressed"].any()
    row = shown.filter(pl.col("Status") == "Application Review").row(0, named=True)
    raw = sla.filter(pl.col("status") == "Application Review").row(0, named=True)
    assert row["Missed the deadline"] == f"{raw['pct_exceeding']:.0%}" and row["Finished"] == f"{raw['completed']:,}"
    assert shown.height == sla.height and all(t == pl.String for t in shown.schema.values()), shown.schema
    assert "pct_exceeding" in sla.columns  # the analyst's frame keeps its names and digits
    # "open" counts the open ones late or not (a reviewer added it to "open and already late" and found
    # the rows did not add up under its old name "Open, not late yet"); on time is of the finished only
    assert raw["open"] >= raw["open_late"] and row["Still open (late or not)"] == f"{raw['open']:,}"
    # the chart's share only: an on-time rate of the finished ones (another base) read as contradicting it
    assert "On time, of those finished" not in shown.columns and "on_time_rate" in sla.columns


def test_held_back_figures_are_a_note_not_a_true_false_column():
    frame = pl.DataFrame({"status": ["A", "B"], "n": [3, 1200], "median_bdays": [None, 7.4],
                          "suppressed": [True, False], "km_suppressed": [True, False]})
    shown = for_managers(frame)
    assert shown["Note"].to_list() == ["too few to state these figures", ""]
    assert shown["Projects"].to_list() == ["3", "1,200"] and shown["Median business days (finished)"].to_list() == [
        "-", "7"]


def test_months_and_clocks_in_words():
    frame = pl.DataFrame({"period": [date(2026, 11, 1)] * 2, "arrivals": [1234, 1], "unit": ["business_days"] * 2,
                          "clock": ["utility", "elapsed"], "net_flow": [-5, 0]})
    shown = for_managers(frame)
    assert shown.row(0) == ("November 2026", "1,234", "business days", "stops while the applicant holds it", "-5")
    # the clock's rule, not "whose days count: the utility's and the applicant's" (read as applicant days
    # held against the utility)
    assert shown["Clock"].to_list()[1] == "runs throughout the step"


def test_status_times_and_local_times(ws):
    iv = status_intervals(ws.status_events(), CAL, ws.status_events()["ts"].max(), terminal=FINAL)
    tis = time_in_status(iv, terminal=FINAL)
    shown = status_times(tis)
    assert shown.columns[0] == "Status" and "km_p50_bdays" not in shown.columns and shown.height == tis.height
    people = for_people(pl.DataFrame({"project_id": ["x"], "ts": [datetime(2026, 7, 1, 19, tzinfo=UTC)]}),
                        "America/Los_Angeles")
    assert people.columns == ["ts (PDT)", "project_id"] and people.row(0)[0] == "2026-07-01 12:00"


def test_a_column_of_names_under_a_metric_name_stays_text_and_capacity_is_worded():
    """A rule file's counts table names its decisions in a column called `count`: formatted as a
    number it failed (`Cannot specify ',' with 's'`); it stays text, and summed sizes read as capacity."""
    import polars as pl

    from pcnb.frameview import for_managers

    table = pl.DataFrame({"count": ["Received", "Approved"], "tier": ["Level 1", "Level 2"], "projects": [1234, 5],
                          "capacity_kW": [20702.14, 0.0]})
    shown = for_managers(table)
    assert shown.columns == ["Count", "Tier", "Projects", "Capacity (kW)"]
    assert shown.row(0) == ("Received", "Level 1", "1,234", "20,702.1")


def test_the_month_by_installer_grid_keeps_names_zeros_and_totals():
    """Every month a row (zeros too), the named installers as they are spelled, the rest summed, a
    total that adds up: what the report showed instead of the last 10 rows of a long table."""
    from datetime import date

    import polars as pl

    from pcnb.frameview import for_managers, top_grid

    done = pl.DataFrame({"period": [date(2026, 1, 1), date(2026, 1, 1), date(2026, 3, 1)],
                         "owner_name": ["SunnyDay Solar", "Other Co", "SunnyDay Solar"], "count": [2, 5, 1]})
    grid = top_grid(done, "owner_name", ["SunnyDay Solar", "Bright Energy"], [date(2026, m, 1) for m in (1, 2, 3)])
    shown = for_managers(grid)
    assert shown.columns == ["Month", "SunnyDay Solar", "Bright Energy", "All others", "Total"]
    assert shown.rows() == [("January 2026", "2", "0", "5", "7"), ("February 2026", "0", "0", "0", "0"),
                            ("March 2026", "1", "0", "0", "1")]


def test_a_caveat_and_a_held_back_figure_share_one_note_column():
    """The cohort table printed a Caveat column beside a Note column, saying much the same in two
    places: one Note now, the caveat's words first."""
    cohorts = pl.DataFrame({"cohort": ["2026-09-01", "2026-10-01", "2026-11-01"], "n": [90, 40, 8],
                            "median_bdays": [50.0, None, None], "suppressed": [False, False, True],
                            "caveat": ["", "18 of 40 finished: too early for a median", ""]},
                           schema_overrides={"cohort": pl.Date})
    shown = for_managers(cohorts)
    assert "Caveat" not in shown.columns
    assert shown["Note"].to_list() == ["", "18 of 40 finished: too early for a median",
                                       "too few to state these figures"]


def test_time_to_outcome_reads_as_one_question_per_outcome():
    """The median to any outcome and each outcome's day when half of all applications had reached it
    are one column (a reviewer read two "median" columns side by side); a blank says why."""
    tto = pl.DataFrame({"outcome": ["any", "completed", "withdrawn", "rejected"], "n": [1932] * 4,
                        "events": [1700, 1413, 195, 92], "km_median_bdays": [44.0, None, None, None],
                        "share": [None, 0.84, 0.11, 0.05], "half_bdays": [None, 52.4, None, None],
                        "suppressed": [False, False, False, True]})
    shown = outcome_times(tto)
    assert shown.columns == ["Outcome", "Ended so far", "Expected share, open ones included",
                             "Business days until half of all applications reached it", "Note"]
    assert shown.row(0) == ("Any final status", "1,700 of 1,932", "-", "44", "")  # a dash, not a blank
    assert shown.row(1) == ("Completed", "1,413 of 1,932", "84%", "52", "")
    assert shown.row(2)[3:] == ("-", "fewer than half are expected to end this way")
    assert shown.row(3)[4] == "too few applications to say"


def test_time_to_outcome_on_a_real_program(ws):
    from pcnb.analytics.time_in_status import time_to_outcome

    iv = status_intervals(ws.status_events(), CAL, ws.status_events()["ts"].max(), terminal=FINAL)
    tto = time_to_outcome(iv, INTAKE, {"completed": [COMPLETION], "withdrawn": ["Withdrawn"]},
                          calendar=CAL)
    shown = outcome_times(tto)
    assert shown.height == tto.height == 3
    assert shown["Outcome"].to_list() == ["Any final status", "Completed", "Withdrawn"]
    half = tto.filter(pl.col("outcome") == "completed")["half_bdays"].item()
    assert half is not None and shown.row(1)[3] == str(round(half))


def test_the_month_under_way_is_marked_partial_and_only_it():
    from pcnb.frameview import partial_month

    shown = for_managers(pl.DataFrame({"period": [date(2026, 11, 1), date(2026, 12, 1)], "arrivals": [90, 16]}))
    marked = partial_month(shown, date(2026, 12, 6))
    assert marked["Month"].to_list() == ["November 2026", "December 2026 (to Dec 6, partial)"]
    assert partial_month(shown, date(2027, 1, 2))["Month"].to_list() == ["November 2026", "December 2026"]


def test_a_captioned_table_names_itself_above_its_rows():
    """On paper a table its chart pushed onto the next page still says what it is (a reviewer found
    the monthly table alone at the top of a page, unnamed); the analyst keeps the frame."""
    from pcnb.frameview import captioned

    table = for_managers(pl.DataFrame({"period": [date(2026, 11, 1)], "arrivals": [1234]}))
    shown = captioned(table, "Arrivals <by> month")
    page = shown._repr_html_()
    assert page.index("Arrivals &lt;by&gt; month") < page.index("<table") and "1,234" in page
    assert shown.frame is table and repr(shown).startswith("Arrivals <by> month\n")


def test_a_column_reads_as_figures_only_when_every_cell_is_one():
    from pcnb.frameview import figure_columns, reads_as_figures

    assert reads_as_figures(["1,920", "17%", "-", "321 of 1,885", "", "-3", "12.5"])
    assert reads_as_figures(["25", "24", "too few (4)"])  # a figure held back stays in its column
    for words in (["Application Review"], ["-", ""], ["December 2026"], ["2026-12-01"], ["1,920", "n/a"],
                  ["3 business days"], ["", "", "18 of 98 finished: too early for a median"]):
        assert not reads_as_figures(words), words
    frame = pl.DataFrame({"a": ["x"], "b": ["1,000"], "c": [1.5], "d": [None]}, schema_overrides={"d": pl.String})
    assert figure_columns(frame) == [1, 2]
