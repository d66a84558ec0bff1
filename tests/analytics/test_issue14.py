"""Issue #14's four bugs, each with the numbers from its description."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest

from pcnb.analytics import arrivals_net_flow, sla_compliance, status_intervals, time_in_status
from pcnb.analytics.backlog import thread_state
from pcnb.analytics.cohorts import km_median
from pcnb.analytics.time_in_status import time_to_outcome
from tests.analytics.test_fixture import CAL, _la, events
from tests.conftest import FINAL

EXITS = ("Permission to Operate", "Withdrawn", "Rejected")


def test_bug1_net_flow_is_signed():
    # one week: 73 arrivals, 83 departures of projects that never arrived in the window
    rows = [(f"A{i}", "Application Submitted", _la(7, 9, 9)) for i in range(73)]
    rows += [r for i in range(83) for r in ((f"D{i}", "Unsubmitted", _la(7, 1, 9)), (f"D{i}", "Withdrawn",
                                                                                      _la(7, 10, 9)))]
    iv = status_intervals(events(rows), CAL, _la(7, 20, 9), terminal=EXITS)
    flow = arrivals_net_flow(iv, "Application Submitted", EXITS, "1w", CAL)
    week = flow.filter(pl.col("arrivals") > 0).row(0, named=True)
    assert (week["arrivals"], week["departures"]) == (73, 83)
    assert week["net_flow"] == -10
    assert flow["cumulative_net"].to_list()[-1] == -10
    assert flow.schema["net_flow"] == pl.Int64 and flow.schema["cumulative_net"] == pl.Int64


def test_bug2_km_median_exact_at_one_half():
    # S(6) = 8/10 * 7/8 * 6/7 * 5/6 = 1/2 exactly: the smallest t with S(t) <= 0.5 is 6
    assert km_median([2, 2, 3, 5, 6, 6, 7, 11, 12, 12], [1, 1, 1, 1, 0, 1, 1, 1, 1, 1]) == 6


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


def test_bug4_frames_carry_the_report_as_flag(tmp_path):
    try:  # the cache package of the layout change; before it, top-level modules
        from pcnb.cache import frames  # type: ignore[import-not-found,unused-ignore]
        from pcnb.cache.store import Store  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from pcnb.store import Store  # type: ignore[no-redef,unused-ignore]

        from pcnb import frames  # type: ignore[no-redef,unused-ignore]

    store = Store(tmp_path / "s.sqlite")
    entries = [  # newest first, as V2 sends them
        {"StatusId": "s3", "Name": "Application Review", "Timestamp": "2024-07-03T10:00:00-07:00",
         "ReportAs": "normal"},
        {"StatusId": "s9", "Name": "Rejected", "Timestamp": "2024-07-03T09:00:00-07:00", "ReportAs": "suppress"},
        {"StatusId": "s2", "Name": "Application Review", "Timestamp": "2024-07-02T09:00:00-07:00"},
    ]
    with store.tx() as conn:
        Store.replace_history(conn, "P1", entries)
    ev = frames.status_events(store, wait=True)
    assert ev.sort("seq")["suppressed"].to_list() == [False, True, False]
    iv = status_intervals(ev, CAL, _la(7, 15, 9), terminal=EXITS)
    assert iv.select("status", "visit").rows() == [("Application Review", 1)]
    store.close()


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


def test_time_to_outcome_competing_risks():
    rows = []
    for i in range(6):  # completed after i+1 business days (Mon 2024-06-03 + i + 1)
        rows += [(f"C{i}", "Submitted", _la(6, 3, 9)), (f"C{i}", "PTO", _la(6, 4 + i, 9))]
    rows += [r for i in range(3) for r in ((f"W{i}", "Submitted", _la(6, 3, 9)), (f"W{i}", "Withdrawn",
                                                                                  _la(6, 5, 9)))]
    rows += [(f"O{i}", "Submitted", _la(6, 3, 9)) for i in range(3)]  # open
    iv = status_intervals(events(rows), CAL, _la(6, 28, 9), terminal=("PTO", "Withdrawn"))
    out = time_to_outcome(iv, "Submitted", {"completed": ["PTO"], "withdrawn": ["Withdrawn"]}, CAL, _la(6, 28, 9))
    got = {r["outcome"]: r for r in out.iter_rows(named=True)}
    # completions at 1, 2, 3, 4, 5, 5 bdays (06-08/09 fall on the weekend), withdrawals at 2, open at 19:
    # S(1) = 11/12, S(2) = 11/12 * 7/11 = 7/12, S(3) = 7/12 * 6/7 = 1/2 -> median 3
    assert got["any"]["km_median_bdays"] == 3 and got["any"]["events"] == 9 and got["any"]["n"] == 12
    assert got["completed"]["share"] == pytest.approx(6 / 12) and got["withdrawn"]["share"] == pytest.approx(3 / 12)
    assert got["completed"]["half_bdays"] == 5 and got["withdrawn"]["half_bdays"] is None
    assert time_to_outcome(iv, "Submitted", {"completed": ["PTO"]}, CAL, _la(6, 28, 9), min_n=13)["suppressed"].all()


def test_business_hours_and_an_sla_in_hours():
    from pcnb.analytics.intervals import with_business_hours

    rows = [("A", "Review", _la(7, 1, 16)), ("A", "Done", _la(7, 2, 9)),  # 1 h Mon + 1 h Tue = 2
            ("B", "Review", _la(7, 3, 16)), ("B", "Done", _la(7, 5, 9)),  # 07-04 holiday: 2
            ("C", "Review", _la(7, 5, 18)), ("C", "Done", _la(7, 8, 8)),  # outside hours, weekend: 0
            ("D", "Review", _la(7, 1, 7)), ("D", "Done", _la(7, 8, 17)),  # 5 working days x 9 h = 45
            ("E", "Review", _la(7, 8, 12))]  # open: 12-17 Mon + 8-10 Tue at as_of = 7
    as_of = _la(7, 9, 10)
    iv = with_business_hours(status_intervals(events(rows), CAL, as_of, terminal=("Done",)), CAL, as_of)
    review = iv.filter(pl.col("status") == "Review").sort("project_id")
    assert review["business_hours"].to_list() == [2.0, 2.0, 0.0, 45.0, None]
    assert review["age_business_hours"].to_list()[-1] == 7.0
    sla = sla_compliance(iv, {"Review": 4}, unit="business_hours", min_n=0).row(0, named=True)
    assert (sla["completed"], sla["completed_late"], sla["open_late"], sla["deadline_hours"]) == (4, 1, 1, 4)
    with pytest.raises(ValueError, match="with_business_hours"):
        sla_compliance(status_intervals(events(rows), CAL, as_of, terminal=FINAL), {"Review": 4}, unit="business_hours")


def test_departures_once_per_exit():
    rows = [("A", "Application Submitted", _la(7, 1, 9)), ("A", "Rejected", _la(7, 2, 9)),
            ("A", "Withdrawn", _la(7, 3, 9)),  # exit -> exit: still one departure
            ("B", "Application Submitted", _la(7, 1, 9)), ("B", "Withdrawn", _la(7, 2, 9)),
            ("B", "Application Review", _la(7, 9, 9)), ("B", "Withdrawn", _la(7, 10, 9))]  # re-opened, exits twice
    iv = status_intervals(events(rows), CAL, _la(7, 20, 9), terminal=EXITS)
    flow = arrivals_net_flow(iv, "Application Submitted", EXITS, "1w", CAL)
    assert flow.select("arrivals", "departures", "reopened", "net_flow").rows() == [(2, 2, 0, 0), (0, 1, 1, 0)]
    assert flow["cumulative_net"].to_list() == [0, 0]


def test_namespace_methods_have_the_functions_signatures():
    import inspect

    from pcnb.analytics.namespace import _SOURCES, PowerClerkFrame

    for name, fn in _SOURCES.items():
        method = getattr(PowerClerkFrame, name)
        ours = list(inspect.signature(method).parameters.values())[1:]  # without self
        theirs = list(inspect.signature(fn).parameters.values())[1:]  # without the frame
        assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs], name
        assert not any(p.kind is p.VAR_KEYWORD for p in ours) and method.__doc__ == fn.__doc__
    sla = pl.DataFrame().pc.sla
    assert "deadlines" in inspect.signature(sla).parameters and "min_n" in inspect.signature(sla).parameters


def test_bug4_report_as_change_is_seen_after_the_next_sync(ws):
    """A ReportAs change only moves LastChangeTimestamp: the default sync (one call per status change)
    does not refetch the history; refresh_histories=True does, at one call per changed project."""
    pid = ws.status_events().group_by("project_id").len().filter(pl.col("len") >= 3)["project_id"][0]
    entry = ws.client.status_history(ws.program, pid)["StatusHistory"][1]  # newest first: not the current one
    ws.client.set_status_report_as(ws.program, pid, entry["StatusId"], entry["Timestamp"], "suppress")
    report = ws.sync(progress=False, refresh_histories=True)
    assert report.histories == 1  # just the changed project's history
    ev = ws.status_events().filter(pl.col("project_id") == pid)
    assert ev["suppressed"].sum() == 1
