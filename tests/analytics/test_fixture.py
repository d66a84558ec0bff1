"""The analytics issue's hand-computed fixture, and our own fixtures for each metric."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from pcnb.analytics import (
    Calendar,
    aging_wip,
    arrivals_net_flow,
    cycle_time,
    due_dates,
    sla_compliance,
    sla_summary,
    status_intervals,
    throughput,
    time_in_status,
    utility_held_time,
    wip_by_day,
)
from pcnb.analytics.time_in_status import inquiry_waits
from tests.conftest import FINAL

LA = ZoneInfo("America/Los_Angeles")
CAL = Calendar("America/Los_Angeles", holidays=(date(2024, 7, 4),))
AS_OF = datetime(2024, 7, 15, 12, tzinfo=LA).astimezone(UTC)


def _la(m, d, h):
    return datetime(2024, m, d, h, tzinfo=LA).astimezone(UTC)


def events(rows) -> pl.DataFrame:
    return pl.DataFrame([{"project_id": p, "seq": i, "status": s, "ts": t} for i, (p, s, t) in enumerate(rows)],
                        schema={"project_id": pl.String, "seq": pl.Int32, "status": pl.String,
                                "ts": pl.Datetime("us", "UTC")})


FIXTURE = events([
    ("P1", "Submitted", _la(7, 1, 16)), ("P1", "Under Review", _la(7, 2, 9)),
    ("P1", "Pending Applicant", _la(7, 5, 12)), ("P1", "Under Review", _la(7, 10, 10)),
    ("P1", "Approved", _la(7, 12, 15)),
])


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


def test_sla_counts_from_the_issue():
    s = sla_summary(completed=10, completed_late=2, open_late=3)
    assert s["pct_exceeding"] == pytest.approx(5 / 13) and s["on_time_rate"] == pytest.approx(0.8)
    assert sla_summary(0, 0, 0)["pct_exceeding"] is None
    with pytest.raises(ValueError):
        sla_summary(1, 2, 0)


def test_sla_compliance_on_intervals():
    rows = []
    for i, days in enumerate([1, 2, 3, 9, 12]):  # review closes after N calendar days (all weekdays in Jan)
        rows += [(f"P{i}", "Review", _la(1, 8, 9)), (f"P{i}", "Done", _la(1, 8 + days, 9))]
    rows += [("Q1", "Review", _la(1, 2, 9)), ("Q2", "Review", _la(1, 29, 9))]  # open: one late, one fresh
    iv = status_intervals(events(rows), CAL, _la(1, 31, 12), terminal=("Done",))
    assert sla_compliance(iv, {"Review": 5})["pct_exceeding"].to_list() == [None]  # A + C = 6 < 10: suppressed
    out = sla_compliance(iv, {"Review": 5}, min_n=6).row(0, named=True)
    # closed bdays: 1, 2, 3, 7 (9 days spans a weekend), 8 (12 days spans 2 weekends, incl. MLK day? no: 2024-01-15)
    assert (out["completed"], out["open_late"]) == (5, 1)
    assert out["completed_late"] == 2
    assert out["pct_exceeding"] == pytest.approx((2 + 1) / (5 + 1))


def test_merge_duplicates_zero_length_and_flags():
    t = _la(3, 4, 10)
    iv = status_intervals(events([
        ("A", "S1", t), ("A", "S1", _la(3, 4, 11)),  # consecutive duplicate: merged
        ("A", "S2", _la(3, 5, 10)), ("A", "S3", _la(3, 5, 10)),  # zero-length S2 kept
        ("A", "Withdrawn", _la(3, 6, 9)), ("A", "S2", _la(3, 7, 9)),  # after terminal: flagged
        ("B", "S1", _la(3, 6, 9)), ("B", "S2", _la(3, 5, 9)),  # out of source order: flagged
    ]), CAL, _la(3, 8, 12), terminal=FINAL)
    a = iv.filter(pl.col("project_id") == "A")
    assert a["status"].to_list() == ["S1", "S2", "S3", "Withdrawn", "S2"]
    assert a["calendar_days"][1] == 0.0
    assert a["after_terminal"].to_list() == [False, False, False, False, True]
    assert iv.filter(pl.col("project_id") == "B")["out_of_order"].any()


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


def test_throughput_flow_wip_and_aging():
    rows = [("A", "Sub", _la(7, 1, 9)), ("A", "Rev", _la(7, 2, 9)), ("A", "Sub", _la(7, 3, 9)),
            ("A", "Done", _la(7, 9, 9)), ("B", "Sub", _la(7, 8, 9)), ("C", "Sub", _la(6, 3, 9))]
    iv = status_intervals(events(rows), CAL, _la(7, 15, 12), terminal=("Done",))
    tp = throughput(iv, ["Sub"], "1w", calendar=CAL)
    assert tp["count"].to_list() == [1, 1, 1]  # first entries only: A's return to Sub is not output
    flow = arrivals_net_flow(iv, "Sub", ("Done",), "1w", CAL)
    assert flow["net_flow"].sum() == 2 and flow["cumulative_net"][-1] == 2
    wip = wip_by_day(iv, terminal=("Done",), calendar=CAL)
    day = lambda d, s: wip.filter((pl.col("date") == d) & (pl.col("status") == s))["wip"].item()  # noqa: E731
    assert day(date(2024, 7, 2), "Rev") == 1 and day(date(2024, 7, 2), "Sub") == 1
    assert day(date(2024, 7, 9), "Sub") == 2  # B and C open; A left on 07-09
    aging = aging_wip(iv, terminal=("Done",))
    assert aging.filter(pl.col("age_bucket") == "21-45")["count"].to_list() == [1]  # C: 06-03..07-15 = 29 bdays
    assert aging.filter(pl.col("age_bucket") == "0-5")["count"].to_list() == [1]  # B since 07-08
