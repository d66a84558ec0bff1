"""time_in_status.py: time in status (closed percentiles beside Kaplan-Meier), cycle time, utility-held time,
inquiry waits, on hand-computed histories."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pcnb.analytics import (
    aging_wip,
    cycle_time,
    due_dates,
    status_intervals,
    time_in_status,
    utility_held_time,
    wip_by_day,
)
from pcnb.analytics.time_in_status import inquiry_waits
from tests.analytics.helpers import AS_OF, CAL, FIXTURE, _la, events
from tests.conftest import FINAL


def test_issue_fixture():
    iv = status_intervals(FIXTURE, CAL, AS_OF, terminal=())
    assert iv.height == 5 and iv.filter(pl.col("is_open"))["status"].to_list() == ["Approved"]
    review = iv.filter(pl.col("status") == "Under Review")
    assert review["visit"].to_list() == [1, 2]  # visited twice: not first-pass
    ct = cycle_time(iv, "Submitted", "Approved", CAL, AS_OF)
    assert ct["business_days"].to_list() == [8]
    held = utility_held_time(iv, "Submitted", "Approved", ("Pending Applicant",), calendar=CAL, as_of=AS_OF)
    assert held.select("total_bdays", "applicant_bdays", "utility_bdays").row(0) == (8, 3, 5)
    due = due_dates(iv, "Submitted", 10, CAL, AS_OF)
    assert due["due_date"].to_list() == [date(2024, 7, 16)]
    assert due["bdays_remaining"].to_list() == [1]  # Mon 07-15 -> Tue 07-16


def test_time_in_status_open_only_has_null_median_and_empty_inputs():
    iv = status_intervals(events([("A", "Review", _la(5, 1, 9)), ("B", "Review", _la(5, 2, 9))]), CAL,
                          _la(5, 10, 9), terminal=FINAL)
    row = time_in_status(iv, terminal=FINAL).row(0, named=True)
    assert row["n"] == 0 and row["median_bdays"] is None and row["n_open"] == 2
    empty = status_intervals(events([]), CAL, AS_OF, terminal=FINAL)
    assert empty.height == 0 and time_in_status(empty, terminal=FINAL).height == 0
    assert wip_by_day(empty, terminal=FINAL).height == 0 and aging_wip(empty, terminal=FINAL).height == 0


def test_time_in_status_percentiles():
    rows = []
    for i, d in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]):
        rows += [(f"P{i}", "Review", _la(4, 1, 9)), (f"P{i}", "Next", _la(4, 1 + d, 9))]
    iv = status_intervals(events(rows), CAL, _la(5, 1, 9), terminal=("Next",))
    r = time_in_status(iv, terminal=("Next",)).row(0, named=True)
    assert r["n"] == 10 and r["median_days"] == pytest.approx(5.5) and r["max_days"] == 10
    assert r["p85_days"] == pytest.approx(8.65) and r["p95_days"] == pytest.approx(9.55)


def test_inquiry_waits_are_subtracted_once():
    notes = pl.DataFrame({
        "thread_id": ["T"] * 3, "project_id": ["P1"] * 3, "seq": [0, 1, 2], "is_admin": [True, False, True],
        "ts": [_la(7, 2, 10), _la(7, 3, 10), _la(7, 5, 13)]}).cast({"ts": pl.Datetime("us", "UTC")})
    waits = inquiry_waits(notes, as_of=AS_OF)  # 07-02 -> 07-03, and 07-05 -> as_of (open thread)
    assert waits.height == 2
    iv = status_intervals(FIXTURE, CAL, AS_OF, terminal=())
    held = utility_held_time(iv, "Submitted", "Approved", ("Pending Applicant",), holds=waits, calendar=CAL,
                             as_of=AS_OF)
    # applicant: 07-02..07-03 (1) + union(07-05..07-10 status, 07-05..as_of inquiry) clipped to the
    # window end 07-12 = 07-05..07-12 (5, 8, 9, 10, 11 -> 5) = 6; utility = 8 - 6 = 2
    assert held.select("applicant_bdays", "utility_bdays").row(0) == (6, 2)


def test_time_in_status_offers_p90_and_km_beside_closed_only():
    rows = []
    for i, d in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]):  # closed after d calendar days (Apr 2024)
        rows += [(f"P{i}", "Review", _la(4, 1, 9)), (f"P{i}", "Next", _la(4, 1 + d, 9))]
    rows += [(f"O{i}", "Review", _la(4, 1, 9)) for i in range(4)]  # open, 21 business days at as_of
    iv = status_intervals(events(rows), CAL, _la(4, 30, 9), terminal=("Next",))
    r = time_in_status(iv, terminal=("Next",)).row(0, named=True)
    assert (r["n"], r["n_open"]) == (10, 4) and r["p90_days"] == pytest.approx(9.1)
    # closed bdays 1,2,3,4,5,5,5,6,7,8 (weekends); KM over 14 with 4 censored at 21: S(5) = 7/14 = 1/2
    assert r["median_bdays"] == 5 and r["km_p50_bdays"] == 5 and r["km_p85_bdays"] is None
    assert r["km_p50_bdays"] >= r["median_bdays"] and not r["suppressed"] and not r["km_suppressed"]
    small = time_in_status(iv, terminal=("Next",), min_n=11).row(0, named=True)
    assert small["suppressed"] and small["median_bdays"] is None and small["n"] == 10
    assert not small["km_suppressed"] and small["km_p50_bdays"] == 5  # 14 stays >= 11
