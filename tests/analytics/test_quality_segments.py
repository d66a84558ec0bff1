"""M18 data quality, backlog over time, segmentation, and every metric on empty input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from pcnb.analytics import (
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
from pcnb.analytics.backlog import backlog_over_time, backlog_summary, response_times, thread_state
from pcnb.analytics.cohorts import bottlenecks, cohort_cycle_times, cohort_outcomes, first_pass_yield, rework
from pcnb.analytics.intervals import INTERVAL_SCHEMA
from pcnb.analytics.quality import data_quality
from pcnb.analytics.segments import project_attributes, segmented, size_bin
from pcnb.cache.frames import NOTES_SCHEMA, PROJECTS_SCHEMA, STATUS_EVENTS_SCHEMA, THREADS_SCHEMA
from tests.analytics.helpers import CAL, _la, events
from tests.conftest import APPLICANT_HELD, COMPLETION, DRAFT, FINAL, INTAKE, OUTCOMES, RETURNED, REVIEW

AS_OF = _la(7, 15, 12)


def _projects(rows) -> pl.DataFrame:
    base = {c: None for c in PROJECTS_SCHEMA}
    return pl.DataFrame([{**base, **r} for r in rows], schema=PROJECTS_SCHEMA)


def test_data_quality_counts_each_problem():
    ev = events([
        ("A", "Application Submitted", _la(7, 1, 9)), ("A", "Application Review", _la(7, 1, 9)),  # zero-length
        ("A", "Permission to Operate", _la(7, 3, 9)), ("A", "Application Review", _la(7, 5, 9)),  # after terminal
        ("B", "Application Review", _la(7, 3, 9)), ("B", "Application Submitted", _la(7, 2, 9)),  # out of order
        ("C", "Application Submitted", _la(7, 20, 9)),  # in the future at AS_OF
    ])
    iv = status_intervals(ev, CAL, AS_OF, terminal=FINAL)
    projects = _projects([
        {"project_id": "A", "project_number": "N-1", "status": "Application Review"},
        {"project_id": "B", "project_number": None, "status": "Approved to Install"},  # mismatch + no number
        {"project_id": "C", "project_number": "N-3", "status": "Application Submitted",
         "status_ts": _la(7, 20, 9)},  # did not exist yet at AS_OF
        {"project_id": "D", "project_number": None, "status": "Unsubmitted"},  # no history, no number is fine
        {"project_id": "E", "project_number": "N-5", "status": "Withdrawn"},
    ])
    threads = pl.DataFrame([
        {"thread_id": "T1", "project_id": "E", "subject": "s", "status": "Open", "created": _la(7, 2, 9)},
        {"thread_id": "T2", "project_id": "A", "subject": "s", "status": "Closed", "created": _la(7, 2, 9)},
        {"thread_id": "T3", "project_id": "C", "subject": "s", "status": "Open", "created": _la(7, 2, 9)},
    ], schema={k: v for k, v in THREADS_SCHEMA.items() if k in ("thread_id", "project_id", "subject", "status",
                                                                  "created")})
    notes = pl.DataFrame([
        {"note_id": "n1", "thread_id": "T1", "project_id": "E", "seq": 0, "is_admin": True, "ts": _la(7, 3, 9)},
        {"note_id": "n2", "thread_id": "T2", "project_id": "A", "seq": 0, "is_admin": True, "ts": _la(7, 1, 9)},
    ], schema={k: v for k, v in NOTES_SCHEMA.items() if k in ("note_id", "thread_id", "project_id", "seq",
                                                                "is_admin", "ts")})
    q = data_quality(iv, projects, threads, notes, AS_OF, events=ev, synced_at=AS_OF, final=FINAL, unsubmitted=DRAFT)
    got = {r["check"]: (r["affected"], r["examples"]) for r in q.iter_rows(named=True)}
    assert got["status events out of order"] == (1, "B")
    assert got["events after a terminal status"] == (1, "A")
    assert got["zero-length stays"] == (1, "A")
    assert got["timestamps in the future"] == (1, "C")
    assert got["projects without status history"] == (2, "D, E")
    assert got["current status differs from the history"] == (1, "B")
    assert got["submitted but no project number"] == (1, "B")
    assert got["threads without notes"] == (1, "T3")
    assert got["notes older than their thread"] == (1, "T2")
    assert got["open threads on finished projects"] == (1, "T1")
    assert q.filter(pl.col("unit") == "projects")["of"].unique().to_list() == [4]  # C came later
    assert q["why_it_matters"].str.len_chars().min() > 20


def test_backlog_over_time_by_hand():
    """T1: utility asks Mon 07-01 09:00, applicant answers Wed 07-03 09:00, utility again Thu 07-05
    (holiday 07-04 is irrelevant to calendar days), still open at AS_OF. T2: created Tue 07-02, no
    notes, closed -> never counts."""
    threads = pl.DataFrame({"thread_id": ["T1", "T2"], "status": ["Open", "Closed"],
                            "created": [_la(7, 1, 8), _la(7, 2, 9)]},
                           schema={"thread_id": pl.String, "status": pl.String, "created": pl.Datetime("us", "UTC")})
    notes = pl.DataFrame({"thread_id": ["T1"] * 3, "seq": [0, 1, 2], "is_admin": [True, False, True],
                          "ts": [_la(7, 1, 9), _la(7, 3, 9), _la(7, 5, 9)]},
                         schema={"thread_id": pl.String, "seq": pl.Int32, "is_admin": pl.Boolean,
                                 "ts": pl.Datetime("us", "UTC")})
    out = backlog_over_time(threads, notes, CAL, AS_OF)
    by = {(r["date"], r["waiting_on"]): r["threads"] for r in out.iter_rows(named=True)}
    assert by[(date(2024, 7, 1), "applicant")] == 1 and by[(date(2024, 7, 2), "applicant")] == 1
    assert by[(date(2024, 7, 3), "applicant")] == 0 and by[(date(2024, 7, 3), "utility")] == 1
    assert by[(date(2024, 7, 4), "utility")] == 1 and by[(date(2024, 7, 5), "utility")] == 0
    assert by[(date(2024, 7, 15), "applicant")] == 1  # open through as_of
    assert out["date"].max() == date(2024, 7, 15) and out["threads"].min() == 0


def test_backlog_over_time_leaves_finished_projects_threads_out_from_the_day_they_finish():
    """T1 (project A): the utility asks Mon 07-01, the applicant answers Wed 07-03, nobody answers
    after that; A reaches a final status Mon 07-08 10:00. Nobody will answer a finished project's
    thread, so from the end of 07-08 it is not backlog (default), its own group, or counted as before."""
    threads = pl.DataFrame({"thread_id": ["T1"], "project_id": ["A"], "status": ["Open"], "created": [_la(7, 1, 8)]},
                           schema={"thread_id": pl.String, "project_id": pl.String, "status": pl.String,
                                   "created": pl.Datetime("us", "UTC")})
    notes = pl.DataFrame({"thread_id": ["T1"] * 2, "seq": [0, 1], "is_admin": [True, False],
                          "ts": [_la(7, 1, 9), _la(7, 3, 9)]},
                         schema={"thread_id": pl.String, "seq": pl.Int32, "is_admin": pl.Boolean,
                                 "ts": pl.Datetime("us", "UTC")})
    iv = status_intervals(events([("A", INTAKE, _la(7, 1, 8)), ("A", COMPLETION, _la(7, 8, 10))]), CAL, AS_OF,
                          terminal=FINAL)

    def by(out: pl.DataFrame) -> dict[tuple[date, str], int]:
        return {(r["date"], r["waiting_on"]): r["threads"] for r in out.iter_rows(named=True)}

    out = by(backlog_over_time(threads, notes, CAL, AS_OF, intervals=iv, final=FINAL))
    assert out[(date(2024, 7, 2), "applicant")] == 1 and out[(date(2024, 7, 5), "utility")] == 1
    assert out[(date(2024, 7, 7), "utility")] == 1 and out[(date(2024, 7, 8), "utility")] == 0
    assert out[(date(2024, 7, 15), "utility")] == 0 and "finished project" not in {k[1] for k in out}
    grouped = by(backlog_over_time(threads, notes, CAL, AS_OF, intervals=iv, final=FINAL, finished="group"))
    assert grouped[(date(2024, 7, 8), "utility")] == 0 and grouped[(date(2024, 7, 8), "finished project")] == 1
    assert grouped[(date(2024, 7, 7), "finished project")] == 0
    assert grouped[(date(2024, 7, 15), "finished project")] == 1
    included = by(backlog_over_time(threads, notes, CAL, AS_OF, intervals=iv, final=FINAL, finished="include"))
    assert included[(date(2024, 7, 8), "utility")] == 1 and included[(date(2024, 7, 15), "utility")] == 1


def test_segments_size_bins_and_by():
    kw = pl.DataFrame({"kw": [None, 0.5, 10.0, 10.01, 25.0, 99.9, 1000.0, 1000.1]})
    assert kw.select(size_bin(pl.col("kw")).alias("kw"))["kw"].cast(pl.String).to_list() == [
        "unknown", "<= 10 kW", "<= 10 kW", "10-25 kW", "10-25 kW", "25-100 kW", "100 kW-1 MW", "> 1 MW"]
    projects = _projects([{"project_id": "P1", "program_id": "G", "owner_name": "Sun Co"},
                          {"project_id": "P2", "program_id": "G", "owner_name": "Volt"}])
    fv = pl.DataFrame({"project_id": ["P1", "P1"], "form_id": ["F", "F"], "field": ["SYSTEM_SIZE_KW", "TECHNOLOGY"],
                       "name": ["s", "t"], "value": ["7.5", "Solar PV"]})
    attrs = project_attributes(projects, fv, size_field="SYSTEM_SIZE_KW", technology_field="TECHNOLOGY")
    assert attrs.sort("project_id").select("technology", pl.col("size_bin").cast(pl.String)).rows() == [
        ("Solar PV", "<= 10 kW"), ("unknown", "unknown")]
    ev = events([("P1", "Application Review", _la(7, 1, 9)), ("P1", "Approved to Install", _la(7, 12, 9)),
                 ("P2", "Application Review", _la(7, 1, 9))])
    iv = segmented(status_intervals(ev, CAL, AS_OF, terminal=FINAL), attrs, "size_bin", "owner_name")
    sla = sla_compliance(iv, {"Application Review": 5}, by="size_bin")
    assert sla.select(pl.col("size_bin").cast(pl.String), "completed", "completed_late", "open_late").rows() == [
        ("<= 10 kW", 1, 1, 0), ("unknown", 0, 0, 1)]
    aging = aging_wip(iv, by="owner_name", terminal=FINAL)
    assert aging.filter(pl.col("owner_name") == "Volt")["count"].to_list() == [1]
    assert time_in_status(iv, by="owner_name", terminal=FINAL).select("status", "owner_name", "n", "n_open").rows() == [
        ("Application Review", "Sun Co", 1, 0), ("Application Review", "Volt", 0, 1),
        ("Approved to Install", "Sun Co", 0, 1)]
    with pytest.raises(ValueError, match="unknown segment"):
        segmented(iv, attrs, "colour")


def test_every_metric_accepts_empty_input():
    ev = pl.DataFrame(schema=STATUS_EVENTS_SCHEMA)
    iv = status_intervals(ev, CAL, AS_OF, terminal=FINAL)
    assert iv.schema == pl.Schema(INTERVAL_SCHEMA) and iv.height == 0
    threads, notes = pl.DataFrame(schema=THREADS_SCHEMA), pl.DataFrame(schema=NOTES_SCHEMA)
    frames = {
        "time_in_status": time_in_status(iv, terminal=FINAL), "cycle_time": cycle_time(iv, calendar=CAL,
            as_of=AS_OF, start=INTAKE, end=COMPLETION),
        "utility_held_time": utility_held_time(iv, calendar=CAL, start=INTAKE, end=COMPLETION,
            applicant_statuses=APPLICANT_HELD), "sla": sla_compliance(iv, {"Application Review": 5}),
        "due_dates": due_dates(iv, "Application Submitted", 10, CAL, AS_OF),
        "throughput": throughput(iv, calendar=CAL), "net_flow": arrivals_net_flow(iv, calendar=CAL,
            arrival=INTAKE, exits=FINAL),
        "aging": aging_wip(iv, terminal=FINAL), "cohorts": cohort_cycle_times(iv, calendar=CAL, as_of=AS_OF,
            start=INTAKE, end=COMPLETION),
        "outcomes": cohort_outcomes(iv, calendar=CAL, start=INTAKE, outcomes=OUTCOMES), "rework": rework(iv,
            review=REVIEW, returned=RETURNED), "bottlenecks": bottlenecks(iv),
        "thread_state": thread_state(threads, notes, CAL, AS_OF), "response_times": response_times(notes, CAL),
        "backlog_over_time": backlog_over_time(threads, notes, CAL, AS_OF),
        "quality": data_quality(iv, pl.DataFrame(schema=PROJECTS_SCHEMA), threads, notes, AS_OF, events=ev,
            final=FINAL, unsubmitted=DRAFT),
    }
    for name, df in frames.items():
        assert isinstance(df, pl.DataFrame), name
        if name != "quality":
            assert df.height == 0, name
    assert backlog_summary(frames["thread_state"]).height == 0
    assert frames["quality"]["affected"].sum() == 0 and frames["quality"]["share"].null_count() == 10
    assert first_pass_yield(iv, review=REVIEW, returned=RETURNED) is None
    assert wip_by_day(iv, calendar=CAL, start=date(2024, 7, 1), end=date(2024, 7, 2), terminal=FINAL).height == 0


def test_wip_range_defaults_do_not_crash_on_one_open_stay():
    iv = status_intervals(events([("P", "Application Review", datetime(2024, 7, 1, 16, tzinfo=UTC))]), CAL,
                          datetime(2024, 7, 1, 16, tzinfo=UTC) + timedelta(days=3), terminal=FINAL)
    assert wip_by_day(iv, calendar=CAL, terminal=FINAL)["wip"].max() == 1
