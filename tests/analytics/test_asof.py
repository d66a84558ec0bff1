"""asof.py: point-in-time cuts and suppressed (ReportAs) history entries."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from pcnb.analytics import (
    arrivals_net_flow,
    sla_compliance,
    status_intervals,
    time_in_status,
)
from pcnb.analytics.backlog import thread_state
from tests.analytics.helpers import CAL, EXITS, _la, events

AS_OF = _la(7, 5, 12)


def test_bug3_as_of_is_a_point_in_time_cut():
    ev = events([("P1", "Review", _la(7, 1, 9)), ("P1", "Approved", _la(7, 10, 9)),  # ended after as_of
                  ("P2", "Review", _la(7, 2, 9)), ("P2", "Approved", _la(7, 3, 9)),  # ended before
                  ("P3", "Review", _la(7, 8, 9))])  # entered after as_of
    iv = status_intervals(ev, CAL, AS_OF, terminal=("Approved",))
    assert iv.filter(pl.col("is_open") & (pl.col("status") == "Review"))["project_id"].to_list() == ["P1"]
    assert iv["entered"].max() <= AS_OF and iv.filter(pl.col("project_id") == "P1").height == 1
    assert iv.filter(pl.col("project_id") == "P1")["age_business_days"].to_list() == [3]  # 07-01..07-05, 07-04 off
    tis = time_in_status(iv, terminal=("Approved",)).row(0, named=True)
    assert (tis["n"], tis["n_open"]) == (1, 1)
    sla = sla_compliance(iv, {"Review": 2}).row(0, named=True)
    assert (sla["completed"], sla["completed_late"], sla["open_late"]) == (1, 0, 1)


def test_bug3_inquiry_backlog_at_as_of():
    notes = pl.DataFrame({"thread_id": ["T1", "T1", "T2"], "project_id": ["P1"] * 3, "seq": [0, 1, 0],
                          "is_admin": [False, True, False],
                          "ts": [_la(7, 1, 9), _la(7, 9, 9), _la(7, 8, 9)]}).cast(
        {"ts": pl.Datetime("us", "UTC"), "seq": pl.Int32})
    threads = pl.DataFrame({"thread_id": ["T1", "T2"], "project_id": ["P1", "P1"], "status": ["Closed", "Open"],
                            "created": [_la(7, 1, 9), _la(7, 8, 9)]}).cast({"created": pl.Datetime("us", "UTC")})
    st = thread_state(threads, notes, CAL, AS_OF)
    # T2 did not exist yet; T1 was open then, waiting on the utility since 07-01 (answered 07-09)
    assert st["thread_id"].to_list() == ["T1"]
    assert st.select("waiting_on", "waiting_bdays").row(0) == ("utility", 3)


def _with_suppressed(rows: list[tuple[str, str, datetime, bool]]) -> pl.DataFrame:
    ev = events([r[:3] for r in rows])
    return ev.with_columns(pl.Series("suppressed", [r[3] for r in rows]))


def test_bug4_suppressed_history_entries_are_left_out():
    ev = _with_suppressed([
        ("P1", "Application Submitted", _la(7, 1, 9), False), ("P1", "Application Review", _la(7, 2, 9), False),
        ("P1", "Rejected", _la(7, 3, 9), True),  # erroneous, marked ReportAs = suppress
        ("P1", "Application Review", _la(7, 3, 10), False), ("P1", "Approved to Install", _la(7, 8, 9), False)])
    iv = status_intervals(ev, CAL, _la(7, 15, 9), terminal=EXITS)
    assert iv["status"].to_list() == ["Application Submitted", "Application Review", "Approved to Install"]
    review = iv.filter(pl.col("status") == "Application Review")
    assert review["visit"].to_list() == [1] and review["business_days"].to_list() == [3]
    assert not iv["after_terminal"].any()
    flow = arrivals_net_flow(iv, "Application Submitted", EXITS, "1w", CAL)
    assert flow["departures"].sum() == 0
    audit = status_intervals(ev, CAL, _la(7, 15, 9), terminal=EXITS, include_suppressed=True)
    assert "Rejected" in audit["status"].to_list() and audit["after_terminal"].sum() == 2
