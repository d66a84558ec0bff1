"""Compliance cases on a program built by hand, each figure computed by hand below (issue 30's edge
cases): a holiday inside a step, applicant-held time inside a step, a third party's study, a step
re-entered after a deficiency, a project open and late at quarter end that finishes after it, one
open within its days, a withdrawal, and a step finished before the period. The period and dates are
data: the code under test reads no clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from pcnb.analytics import Calendar
from pcnb.compliance import period
from pcnb.compliance.cases import cases, stays_in_steps, table
from pcnb.compliance.rules import RulesError, from_dict
from pcnb.errors import ConfigError

NY = ZoneInfo("America/New_York")
CAL = Calendar.us_federal("America/New_York")
STATUSES = ["Submitted", "Review", "Deficiency", "Study", "Approved", "Withdrawn", "Done"]
HOLDERS = {"Submitted": "utility", "Review": "utility", "Deficiency": "applicant", "Study": "utility",
           "Approved": "utility", "Withdrawn": "none", "Done": "none"}
FINAL = ["Withdrawn", "Done"]
HISTORIES = {  # every move at noon, New York time
    "P1": [("Submitted", "2025-07-02"), ("Review", "2025-07-03"), ("Approved", "2025-07-14")],
    "P2": [("Submitted", "2025-07-07"), ("Review", "2025-07-08"), ("Deficiency", "2025-07-15"),
           ("Review", "2025-08-05"), ("Approved", "2025-08-07")],
    "P3": [("Submitted", "2025-08-04"), ("Review", "2025-08-05"), ("Study", "2025-08-11"), ("Review", "2025-08-25"),
           ("Approved", "2025-09-08")],
    "P4": [("Submitted", "2025-09-08"), ("Review", "2025-09-09"), ("Approved", "2025-10-02")],
    "P5": [("Submitted", "2025-09-22"), ("Review", "2025-09-23")],
    "P6": [("Submitted", "2025-07-21"), ("Review", "2025-07-22"), ("Withdrawn", "2025-07-24")],
    "P7": [("Submitted", "2025-06-02"), ("Review", "2025-06-03"), ("Approved", "2025-06-09")],
}
RULES = {"name": "Review timeline", "source": "a test tariff", "period": "quarter", "clock": "utility",
         "third_party": ["Study"],
         "steps": [{"name": "Review", "start": "role:intake", "end": "Approved", "days": 10}]}


@pytest.fixture(scope="module")
def events() -> pl.DataFrame:
    rows = [(pid, i, status, datetime.combine(date.fromisoformat(day), datetime.min.time().replace(hour=12),
                                              NY).astimezone(ZoneInfo("UTC")))
            for pid, moves in HISTORIES.items() for i, (status, day) in enumerate(moves, 1)]
    return pl.DataFrame(rows, orient="row", schema={"project_id": pl.String, "seq": pl.Int64, "status": pl.String,
                                                    "ts": pl.Datetime("us", "UTC")})


def _cases(events: pl.DataFrame, label: str = "2025Q3", tiers: pl.DataFrame | None = None,
           **change: object) -> pl.DataFrame:
    rules = from_dict({**RULES, **change}, STATUSES, {"intake": "Submitted"})
    first, last = period.parse(label)
    return cases(events, rules, CAL, (first, last), period.end_instant(last, CAL.timezone), FINAL, HOLDERS, tiers)


def test_each_case_by_hand(events):
    got = {r["project_id"]: r for r in _cases(events).iter_rows(named=True)}
    assert set(got) == {"P1", "P2", "P3", "P4", "P5", "P6"}  # P7 finished in June: not a case of Q3
    # P1: Submitted 1 day + Review Jul 3 - Jul 14: Thu 3, (Fri 4 is Independence Day), 7-11 = 6
    assert (got["P1"]["counted_days"], got["P1"]["verdict"]) == (7, "completed")
    # P2: 1 + 5 (Jul 8-14) + 2 (Aug 5-6); the deficiency Jul 15 - Aug 4 is the applicant's 15 days
    assert (got["P2"]["counted_days"], got["P2"]["applicant_days"], got["P2"]["verdict"]) == (8, 15, "completed")
    # P3: 1 + 4 (Aug 5-8) + 9 (Aug 25-29, Sep 2-5: Labor Day off); the study's 10 days are a third party's
    assert (got["P3"]["counted_days"], got["P3"]["third_party_days"], got["P3"]["verdict"]) == (14, 10, "late")
    # P4: open at quarter end (approved Oct 2, after it): 1 + 15 (Sep 9-29) > 10
    assert (got["P4"]["counted_days"], got["P4"]["verdict"], got["P4"]["ended"]) == (16, "open late", None)
    assert (got["P5"]["counted_days"], got["P5"]["verdict"]) == (6, "open")  # 1 + Sep 23-29 (5)
    assert got["P6"]["verdict"] == "exited"


def test_the_table_by_hand(events):
    rules = from_dict(RULES, STATUSES, {"intake": "Submitted"})
    row = table(_cases(events), rules).row(0, named=True)
    assert (row["A"], row["B"], row["C"], row["open_within"], row["exited"]) == (3, 1, 1, 1, 1)
    assert row["D"] == pytest.approx(29 / 3, abs=0.01) and row["E"] == 0.5  # (B + C) / (A + C) = 2 / 4


def test_every_day_counts_on_an_elapsed_clock(events):
    got = {r["project_id"]: r for r in _cases(events, clock="elapsed").iter_rows(named=True)}
    assert (got["P2"]["counted_days"], got["P2"]["verdict"]) == (23, "late")  # 1 + 5 + 15 + 2
    assert (got["P3"]["counted_days"], got["P3"]["verdict"]) == (24, "late")  # 1 + 4 + 10 + 9


def test_the_next_quarter_sees_the_late_finish(events):
    got = {r["project_id"]: r for r in _cases(events, "2025Q4").iter_rows(named=True)}
    # P4 finished Oct 2: 1 + Sep 9 - Oct 1 (17) = 18, late; P5 still open; P1-P3, P6 are Q3's
    assert set(got) == {"P4", "P5"} and (got["P4"]["counted_days"], got["P4"]["verdict"]) == (18, "late")


def test_the_audit_detail_names_each_stay_and_its_holder(events):
    rules = from_dict(RULES, STATUSES, {"intake": "Submitted"})
    stays = stays_in_steps(events, rules, CAL, period.end_instant(date(2025, 9, 30), CAL.timezone), FINAL, HOLDERS)
    p2 = stays.filter(pl.col("project_id") == "P2")
    assert p2["status"].to_list() == ["Submitted", "Review", "Deficiency", "Review"]
    assert p2["holder"].to_list() == ["utility", "utility", "applicant", "utility"]
    assert p2["days"].to_list() == [1, 5, 15, 2]


TIERS = pl.DataFrame({"project_id": ["P1", "P2", "P3", "P4"], "tier": ["Simplified", "Standard", "Standard",
                                                                       "Expedited"]})


def test_each_tier_is_judged_by_its_own_days(events):
    step = {"name": "Review", "start": "role:intake", "end": "Approved", "days": {"Simplified": 5, "Standard": 10}}
    rules = from_dict({**RULES, "tier_by": "track", "steps": [step]}, STATUSES, {"intake": "Submitted"})
    found = _cases(events, tiers=TIERS, tier_by="track", steps=[step])
    got = {r["project_id"]: (r["tier"], r["allowed_days"], r["verdict"]) for r in found.iter_rows(named=True)}
    assert got["P1"] == ("Simplified", 5, "late")  # 7 counted > 5
    assert got["P2"] == ("Standard", 10, "completed") and got["P3"] == ("Standard", 10, "late")
    assert got["P4"][2] == got["P5"][2] == got["P6"][2] == "no rule for its tier"  # Expedited, unknown, unknown
    rows = {r["tier"]: r for r in table(found, rules).iter_rows(named=True)}
    assert (rows["Simplified"]["A"], rows["Simplified"]["B"]) == (1, 1)
    assert (rows["Standard"]["A"], rows["Standard"]["B"], rows["Standard"]["D"]) == (2, 1, 11.0)
    assert rows["other"]["days_allowed"] is None and rows["other"]["no_rule"] == 3

    with_other = {**step, "days": {**step["days"], "other": 20}}
    again = {r["project_id"]: r["verdict"] for r in _cases(events, tiers=TIERS, tier_by="track",
                                                           steps=[with_other]).iter_rows(named=True)}
    assert (again["P4"], again["P5"], again["P6"]) == ("open", "open", "exited")  # P4: 16 of 20 so far


def test_days_per_tier_need_tier_by_and_tiers(events):
    step = {"name": "Review", "start": "role:intake", "end": "Approved", "days": {"Simplified": 5}}
    with pytest.raises(RulesError, match="tier_by: track"):
        from_dict({**RULES, "steps": [step]}, STATUSES, {"intake": "Submitted"})
    with pytest.raises(ConfigError, match="segments.track"):
        _cases(events, tier_by="track", steps=[step])


def test_the_tariffs_own_holidays_count(events):
    """A rule file's `calendar` block names the tariff's holidays where they are not the program's:
    Massachusetts' Patriots' Day (April 21, 2025) is no business day under it, and counted without it."""
    from types import SimpleNamespace

    from pcnb.compliance.rules import calendar_for
    from pcnb.profile import CalendarSpec

    april = pl.DataFrame([("Q1", 1, "Submitted", datetime(2025, 4, 17, 16, tzinfo=UTC)),
                          ("Q1", 2, "Review", datetime(2025, 4, 18, 16, tzinfo=UTC)),
                          ("Q1", 3, "Approved", datetime(2025, 4, 25, 16, tzinfo=UTC))], orient="row",
                         schema={"project_id": pl.String, "seq": pl.Int64, "status": pl.String,
                                 "ts": pl.Datetime("us", "UTC")})
    prof = SimpleNamespace(calendar=CalendarSpec(timezone="America/New_York"))
    first, last = period.parse("2025Q2")
    days = {}
    for block in ({}, {"subdivision": "MA"}):
        rules = from_dict({**RULES, **({"calendar": block} if block else {})}, STATUSES, {"intake": "Submitted"})
        cal = calendar_for(rules, prof)
        found = cases(april, rules, cal, (first, last), period.end_instant(last, cal.timezone), FINAL, HOLDERS)
        days[bool(block)] = found["counted_days"][0]
    # Submitted Apr 17 (1) + Review Apr 18-24: Fri 18, Mon 21, Tue 22, Wed 23, Thu 24 = 6; 5 without the 21st
    assert days == {False: 6, True: 5}


def test_a_calendar_the_holidays_package_lacks_is_refused():
    from types import SimpleNamespace

    from pcnb.compliance.rules import calendar_for
    from pcnb.profile import CalendarSpec

    rules = from_dict({**RULES, "calendar": {"subdivision": "XX"}}, STATUSES, {"intake": "Submitted"})
    with pytest.raises(RulesError) as err:
        calendar_for(rules, SimpleNamespace(calendar=CalendarSpec(timezone="America/New_York")))
    assert "'XX' is not a subdivision of US" in str(err.value) and "leave `calendar` out" in str(err.value)
    with pytest.raises(RulesError, match="calendar"):
        from_dict({**RULES, "calendar": {"state": "MA"}}, STATUSES, {"intake": "Submitted"})
