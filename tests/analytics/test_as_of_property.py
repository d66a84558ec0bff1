"""Issue #14 property: every metric at ``as_of`` on all the data equals the same metric on the data
as the API would have returned it at that instant.

"Truncated at as_of" is rebuilt here row by row from the generated program (plain Python, not
pcnb.analytics.asof): status events after as_of removed, the current status is then the last
remaining reported event (when the summary status was set later), projects with nothing by then
removed,
threads and notes created after as_of removed, a thread closed today counted as open then if it
had activity after as_of (V2 has no close time). The ReportAs flag is a present-day fact (V2 keeps
no history of it): both sides see today's flags.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcnb.analytics import (
    Calendar,
    aging_wip,
    arrivals_net_flow,
    cycle_time,
    due_dates,
    sla_compliance,
    status_intervals,
    throughput,
    time_in_status,
    utility_held_time,
    wip_by_day,
)
from pcnb.analytics.backlog import backlog_over_time, backlog_summary, response_summary, response_times, thread_state
from pcnb.analytics.cohorts import bottlenecks, cohort_cycle_times, cohort_outcomes, rework
from pcnb.analytics.quality import data_quality
from pcnb.analytics.time_in_status import inquiry_waits, time_to_outcome

try:  # the cache package of the layout change; before it, a top-level module
    from pcnb.cache.frames import (  # type: ignore[import-not-found,unused-ignore]
        NOTES_SCHEMA,
        PROJECTS_SCHEMA,
        STATUS_EVENTS_SCHEMA,
        THREADS_SCHEMA,
    )
except ImportError:
    from pcnb.frames import (  # type: ignore[no-redef,unused-ignore]
        NOTES_SCHEMA,
        PROJECTS_SCHEMA,
        STATUS_EVENTS_SCHEMA,
        THREADS_SCHEMA,
    )
from pcnb.sandbox.generator import generate
from tests.conftest import APPLICANT_HELD, COMPLETION, DRAFT, INTAKE, RETURNED, REVIEW

# This module's data is its own: fixed dates and explicit as_of everywhere (never now), so its hand-checked
# counts below hold on any day the suite runs.
END = datetime(2026, 11, 1, tzinfo=UTC)
START = END - timedelta(days=3 * 365)
CAL = Calendar.us_federal("America/Los_Angeles")
FINAL = ("Permission to Operate", "Withdrawn", "Rejected")
OUTCOMES = {"completed": ["Permission to Operate"], "ended": ["Withdrawn", "Rejected"]}


def _program() -> tuple[Any, dict[str, str], set[tuple[str, int]]]:
    state = generate(160, seed=31, end=END)
    names = {s.custom_id: s.name for s in state.program.statuses}
    rng = random.Random(5)
    suppressed = {(pid, i) for pid, p in state.projects.items() for i in range(len(p.history))
                  if i and rng.random() < 0.03}
    return state, names, suppressed


STATE, NAMES, SUPPRESSED = _program()


def frames_at(as_of: datetime | None) -> dict[str, pl.DataFrame]:
    """The four frames as the API would have returned them at ``as_of`` (None: today)."""
    cut = as_of or END + timedelta(days=3650)
    ev_rows, pj_rows, th_rows, no_rows = [], [], [], []
    for pid, p in STATE.projects.items():
        hist = [(i, e) for i, e in enumerate(p.history) if e.ts <= cut]
        reported = [e for i, e in hist if (pid, i) not in SUPPRESSED]
        if p.status_ts <= cut:
            status, status_ts = NAMES[p.status], p.status_ts
        elif reported:  # the status then, as the history reports it (suppressed entries left out)
            status, status_ts = NAMES[reported[-1].status], reported[-1].ts
        else:
            continue  # did not exist yet (or only as suppressed entries)
        pj_rows.append({"project_id": pid, "program_id": "P", "project_number": p.number, "status": status,
                        "status_ts": status_ts, "owner_name": p.owner_name})
        ev_rows += [{"project_id": pid, "seq": i, "status": NAMES[e.status], "ts": e.ts, "changed_by": e.changed_by,
                     "suppressed": (pid, i) in SUPPRESSED} for i, e in hist]
    for t in STATE.threads.values():
        if t.created > cut:
            continue
        notes = [n for n in t.notes if n.ts <= cut]
        activity = max([t.created, *(n.ts for n in t.notes)])
        status = "Open" if t.status == "Open" or activity > cut else t.status
        th_rows.append({"thread_id": t.thread_id, "project_id": t.project_id, "subject": t.subject,
                        "status": status, "created": t.created, "last_note": max((n.ts for n in notes), default=None)})
        no_rows += [{"note_id": n.note_id, "thread_id": t.thread_id, "project_id": t.project_id, "seq": i,
                     "author_name": n.author_name, "is_admin": n.is_admin, "text": n.text, "ts": n.ts}
                    for i, n in enumerate(notes)]
    return {"events": pl.DataFrame(ev_rows, schema=STATUS_EVENTS_SCHEMA),
            "projects": pl.DataFrame(pj_rows, schema=PROJECTS_SCHEMA),
            "threads": pl.DataFrame(th_rows, schema=THREADS_SCHEMA),
            "notes": pl.DataFrame(no_rows, schema=NOTES_SCHEMA)}


ALL = frames_at(None)


def metrics(f: dict[str, pl.DataFrame], as_of: datetime) -> dict[str, Any]:
    iv = status_intervals(f["events"], CAL, as_of, terminal=FINAL)
    th, no = f["threads"], f["notes"]
    state = thread_state(th, no, CAL, as_of, intervals=iv, final=FINAL)
    rt = response_times(no, CAL, 3, as_of, threads=th)
    holds = inquiry_waits(no, th, as_of)
    return {
        "intervals": iv,
        "time_in_status": time_in_status(iv, terminal=FINAL),
        "sla": sla_compliance(iv, {"Application Review": 10, "Application Submitted": 3}, min_n=0),
        "due": due_dates(iv, "Application Submitted", 10, CAL, as_of),
        "aging": aging_wip(iv, terminal=FINAL),
        "throughput": throughput(iv, calendar=CAL),
        "net_flow": arrivals_net_flow(iv, "Application Submitted", FINAL, calendar=CAL),
        "wip": wip_by_day(iv, terminal=FINAL, calendar=CAL),
        "cycle": cycle_time(iv, calendar=CAL, as_of=as_of, start=INTAKE, end=COMPLETION),
        "held": utility_held_time(iv, holds=holds, calendar=CAL, as_of=as_of, start=INTAKE, end=COMPLETION,
            applicant_statuses=APPLICANT_HELD),
        "cohorts": cohort_cycle_times(iv, calendar=CAL, as_of=as_of, min_completed=1, start=INTAKE, end=COMPLETION),
        "outcomes": cohort_outcomes(iv, calendar=CAL, min_n=0, start=INTAKE, outcomes=OUTCOMES),
        "time_to_outcome": time_to_outcome(iv, "Application Submitted", OUTCOMES, CAL, as_of, min_n=0),
        "rework": rework(iv, review=REVIEW, returned=RETURNED).sort("project_id"),
        "bottlenecks": bottlenecks(iv, min_n=0).sort("status", "next_status"),
        "thread_state": state,
        "backlog": backlog_summary(state, "group", min_n=0),
        "backlog_over_time": backlog_over_time(th, no, CAL, as_of),
        "responses": rt,
        "response_summary": response_summary(rt, min_n=0),
        "holds": holds.sort("project_id", "start"),
        "quality": data_quality(iv, f["projects"], th, no, as_of, final=FINAL, unsubmitted=DRAFT),
    }


def _assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    for name in a:
        x, y = a[name], b[name]
        assert x.equals(y), f"{name} differs:\n{x}\n{y}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=int((END - START).total_seconds() // 60) + 60 * 24 * 30))
def test_every_metric_on_all_data_equals_the_data_truncated_at_as_of(minutes: int) -> None:
    as_of = START + timedelta(minutes=minutes)
    truncated = frames_at(as_of)
    got_all, got_cut = metrics(ALL, as_of), metrics(truncated, as_of)
    _assert_same(got_all, got_cut)


def test_the_property_has_something_to_compare():
    """The cut points used above see real data on both sides (not an empty == empty pass)."""
    as_of = datetime(2025, 3, 31, 23, 59, tzinfo=UTC)
    m = metrics(ALL, as_of)
    assert m["intervals"].height == 221 and m["thread_state"].height == 14 and m["responses"].height == 26
    assert m["time_in_status"]["n_open"].sum() == 17 and m["sla"]["open"].sum() == 2
    assert ALL["events"]["suppressed"].sum() == 24
    # all data vs as_of: today's open stays are not the open stays at as_of
    today = status_intervals(ALL["events"], CAL, END, terminal=FINAL)
    assert (today.filter(pl.col("is_open")).height, m["intervals"].filter(pl.col("is_open")).height) == (160, 42)
    assert m["intervals"]["entered"].max() <= as_of


@pytest.mark.parametrize("as_of", [START - timedelta(days=1), END + timedelta(days=30)])
def test_before_the_first_and_after_the_last_event(as_of: datetime) -> None:
    _assert_same(metrics(ALL, as_of), metrics(frames_at(as_of), as_of))
