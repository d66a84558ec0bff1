"""M11-M15 on small hand-checked fixtures."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from pcnb.analytics import status_intervals
from pcnb.analytics.backlog import backlog_summary, response_summary, response_times, thread_state
from pcnb.analytics.cohorts import bottlenecks, cohort_cycle_times, cohort_outcomes, first_pass_yield, km_median, rework
from tests.analytics.helpers import CAL, FIXTURE, _la, events
from tests.conftest import COMPLETION, FINAL, INTAKE, OUTCOMES, RETURNED, REVIEW


def test_km_median_counts_censored():
    assert km_median([1, 2, 3, 4, 5], [True] * 5) == 3
    # two fast completions, three open with long ages: completed-only median (1.5) understates
    assert km_median([1, 2, 10, 10, 10], [True, True, False, False, False]) is None
    assert km_median([1, 2, 3, 10, 10], [True, True, True, False, False]) == 3
    assert km_median([], []) is None


def test_cohorts_suppress_small_and_use_km():
    rows = []
    for i in range(12):  # January cohort: 12 completed after i+1 business days... plus 1 open
        rows += [(f"J{i}", "Application Submitted", _la(1, 2, 9)), (f"J{i}", "Permission to Operate",
                                                                  _la(1, 3 + i, 9))]
    rows += [("F0", "Application Submitted", _la(2, 5, 9))]  # February: only 1 project, open
    iv = status_intervals(events(rows), CAL, _la(3, 1, 9), terminal=FINAL)
    out = cohort_cycle_times(iv, calendar=CAL, as_of=_la(3, 1, 9), start=INTAKE, end=COMPLETION)
    jan, feb = out.row(0, named=True), out.row(1, named=True)
    assert jan["completed"] == 12 and not jan["suppressed"] and jan["km_median_bdays"] is not None
    assert feb["suppressed"] and feb["median_bdays"] is None and feb["n"] == 1


def test_a_cohort_mostly_still_open_shows_no_flattering_median():
    """A reviewer read a recent cohort's finished-only median (45 days, 11 of 131 finished) as cycle
    time halving: with fewer than half finished there is no KM median, and the finished ones' median
    is not shown either; the caveat says how many finished."""
    rows = []
    for i in range(12):  # 12 finish in two days, 14 are still open weeks later
        rows += [(f"Q{i}", "Application Submitted", _la(1, 5, 9)), (f"Q{i}", "Permission to Operate", _la(1, 7, 9))]
    rows += [(f"W{i}", "Application Submitted", _la(1, 5, 9)) for i in range(14)]
    iv = status_intervals(events(rows), CAL, _la(3, 1, 9), terminal=FINAL)
    jan = cohort_cycle_times(iv, calendar=CAL, as_of=_la(3, 1, 9), start=INTAKE, end=COMPLETION).row(0, named=True)
    assert (jan["completed"], jan["n"], jan["suppressed"]) == (12, 26, False)
    assert jan["km_median_bdays"] is None and jan["median_bdays"] is None and jan["p85_bdays"] is None
    assert jan["caveat"] == "12 of 26 finished: too early for a median"


def test_outcomes_rework_and_bottlenecks():
    rows = [("A", "Application Submitted", _la(3, 4, 9)), ("A", "Application Review", _la(3, 5, 9)),
            ("A", "Returned to Applicant", _la(3, 6, 9)), ("A", "Application Review", _la(3, 8, 9)),
            ("A", "Permission to Operate", _la(3, 12, 9)),
            ("B", "Application Submitted", _la(3, 4, 9)), ("B", "Application Review", _la(3, 5, 9)),
            ("B", "Withdrawn", _la(3, 7, 9)),
            ("C", "Application Submitted", _la(3, 4, 9)), ("C", "Application Review", _la(3, 6, 9))]
    iv = status_intervals(events(rows), CAL, _la(3, 20, 9), terminal=FINAL)
    # n = 3 < 10
    assert cohort_outcomes(iv, calendar=CAL, start=INTAKE, outcomes=OUTCOMES).row(0, named=True)["suppressed"]
    oc = cohort_outcomes(iv, calendar=CAL, min_n=3, start=INTAKE, outcomes=OUTCOMES).row(0, named=True)
    assert oc["n"] == 3 and oc["reached_pto_rate"] == pytest.approx(1 / 3)
    assert oc["withdrawn_rate"] == pytest.approx(1 / 3) and oc["active_rate"] == pytest.approx(1 / 3)
    rw = rework(iv, review=REVIEW, returned=RETURNED).sort("project_id")
    assert rw["first_pass"].to_list() == [False, True, True] and first_pass_yield(
        iv, review=REVIEW, returned=RETURNED) == pytest.approx(2 / 3)
    b = bottlenecks(iv, unit="calendar_days", min_n=3)
    sub_rev = b.filter((pl.col("status") == "Application Submitted") & (pl.col("next_status") == "Application Review"))
    assert sub_rev["count"].item() == 3 and sub_rev["median_calendar_days"].item() == pytest.approx(1.0)


def _notes(rows):
    return pl.DataFrame([{"thread_id": t, "project_id": "P1", "seq": i, "is_admin": a, "ts": ts}
                         for i, (t, a, ts) in enumerate(rows)]).cast({"ts": pl.Datetime("us", "UTC"),
                                                                       "seq": pl.Int32})


def test_inquiry_backlog_and_response_times():
    notes = _notes([("T1", True, _la(7, 1, 9)), ("T1", False, _la(7, 3, 9)), ("T1", True, _la(7, 9, 9)),
                    ("T2", True, _la(7, 8, 9)), ("T2", True, _la(7, 9, 9)),
                    ("T3", False, _la(7, 2, 9))])
    threads = pl.DataFrame({"thread_id": ["T1", "T2", "T3"], "project_id": ["P1"] * 3,
                            "status": ["Closed", "Open", "Open"], "created": [_la(7, 1, 9), _la(7, 8, 9),
                                                                               _la(7, 2, 9)]}
                           ).cast({"created": pl.Datetime("us", "UTC")})
    st = thread_state(threads, notes, CAL, _la(7, 15, 9)).sort("thread_id")
    assert st["waiting_on"].to_list() == ["none", "applicant", "utility"]
    assert st["waiting_bdays"].to_list() == [None, 5, 8]  # T2 since 07-08; T3 since 07-02 (07-04 holiday)
    summary = backlog_summary(st)
    assert summary["open_threads"].to_list() == [1, 1] and summary["median_bdays"].is_null().all()
    assert backlog_summary(st, min_n=1)["median_bdays"].to_list() == [5, 8]
    rt = response_times(notes, CAL, as_of=_la(7, 15, 9), threads=threads)
    answered = rt.filter(pl.col("answered").is_not_null()).sort("answered")
    assert answered["responder"].to_list() == ["applicant", "utility"]
    assert answered["response_bdays"].to_list() == [2, 3]  # 07-01 -> 07-03; 07-03 -> 07-09 (holiday 07-04)
    assert answered["on_time"].to_list() == [True, True]
    # unanswered on open threads, already past 3 business days: late (the SLA's "C" term); T1 is closed
    waiting = rt.filter(pl.col("answered").is_null()).sort("thread_id")
    assert waiting.select("thread_id", "responder", "age_bdays", "late").rows() == [
        ("T2", "applicant", 5, True), ("T3", "utility", 8, True)]
    summary = response_summary(rt, min_n=0).sort("responder")
    assert summary.select("responder", "answered", "answered_late", "unanswered_late", "pct_late").rows() == [
        ("applicant", 1, 0, 1, 0.5), ("utility", 1, 0, 1, 0.5)]
    assert response_summary(rt)["suppressed"].all() and response_summary(rt)["pct_late"].is_null().all()


def test_fixture_intervals_feed_every_metric():
    iv = status_intervals(FIXTURE, CAL, datetime(2024, 7, 15, tzinfo=UTC), terminal=())
    assert bottlenecks(iv).height == 4
