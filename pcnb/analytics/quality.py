"""M18 data-quality report: what in the data would make the other metrics misleading.

Every check counts affected projects (or threads), their share, and up to five example ids, with a
sentence on why it matters. Nothing is dropped or corrected here: the analyst decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import polars as pl

from pcnb.analytics.asof import OPEN_THREAD, cut_notes, cut_threads, lit, projects_at, resolve
from pcnb.analytics.roles import need

QUALITY_SCHEMA = {"check": pl.String, "unit": pl.String, "affected": pl.Int64, "of": pl.Int64, "share": pl.Float64,
                  "examples": pl.String, "why_it_matters": pl.String}


def data_quality(intervals: pl.DataFrame, projects: pl.DataFrame | None = None,
                 threads: pl.DataFrame | None = None, notes: pl.DataFrame | None = None,
                 as_of: datetime | None = None, events: pl.DataFrame | None = None,
                 synced_at: datetime | None = None, final: Iterable[str] | None = None,
                 unsubmitted: Iterable[str] | None = None) -> pl.DataFrame:
    """One row per check; pass the frames you have (intervals alone gives the history checks).

    Point in time: ``intervals`` must be built at ``as_of``; projects, threads and notes are taken
    as they stood at ``as_of`` (:mod:`pcnb.analytics.asof`), so each check gives at any ``as_of``
    what it would have given then. The one exception is "timestamps in the future", a fact about
    the data's clock, not the program's state: it needs the raw ``events`` and counts projects
    with an event stamped after ``synced_at`` (default now), whatever ``as_of``.
    ``final``: the program's final statuses; ``unsubmitted``: statuses before the first submit."""
    finished: Iterable[str] = ()
    draft: Iterable[str] = ()
    if projects is not None:  # the project checks need the program's roles; the history checks do not
        finished = need(final, "final", "data_quality", "the program's final statuses (roles.final)")
        draft = need(unsubmitted, "unsubmitted", "data_quality", "the draft statuses (roles.draft)")
    at = resolve(as_of)
    iv = intervals
    if projects is not None:
        projects = projects_at(projects, iv, at)
    n_projects = projects.height if projects is not None else iv["project_id"].n_unique()
    rows: list[dict[str, object]] = []

    def add(check: str, ids: pl.Series, of: int, why: str, unit: str = "projects") -> None:
        ids = ids.drop_nulls().unique().sort()
        rows.append({"check": check, "unit": unit, "affected": ids.len(), "of": of,
                     "share": ids.len() / of if of else None, "examples": ", ".join(ids.head(5).to_list()),
                     "why_it_matters": why})

    add("status events out of order", iv.filter(pl.col("out_of_order"))["project_id"], n_projects,
        "the history's source order disagrees with its timestamps; durations use the timestamps")
    add("events after a terminal status", iv.filter(pl.col("after_terminal"))["project_id"], n_projects,
        "a project left a final status; cycle times end at the first final entry")
    add("zero-length stays", iv.filter(~pl.col("is_open") & (pl.col("calendar_days") == 0))["project_id"],
        n_projects, "two status changes in the same instant; they count as visits with 0 days")
    if events is not None:
        clock = lit(resolve(synced_at))
        add("timestamps in the future", events.filter(pl.col("ts") > clock)["project_id"], n_projects,
            "clock or time-zone errors (after the sync time); left out of every metric until their time comes")
    if projects is not None:
        seen = iv.select("project_id").unique()
        add("projects without status history", projects.join(seen, on="project_id", how="anti")["project_id"],
            n_projects, "not synced yet (or non-admin credentials): they are missing from every timing metric")
        last = iv.filter(pl.col("is_open")).select("project_id", pl.col("status").alias("history_status"))
        both = projects.select("project_id", "status").join(last, on="project_id")
        add("current status differs from the history", both.filter(pl.col("status") != pl.col("history_status"))[
            "project_id"], n_projects, "the summary and the history disagree: re-sync these projects")
        add("submitted but no project number", projects.filter(
            pl.col("project_number").is_null() & ~pl.col("status").is_in(list(draft)))["project_id"],
            n_projects, "numbers are assigned on first submit; joins by number will miss these")
    if threads is not None and notes is not None:
        threads = cut_threads(threads, notes, at)
        notes = cut_notes(notes, at)
        n_threads = threads.height
        with_notes = notes.select("thread_id").unique()
        add("threads without notes", threads.join(with_notes, on="thread_id", how="anti")["thread_id"], n_threads,
            "no one has written yet, or notes were not synced; backlog treats them as waiting on the utility",
            unit="threads")
        first = notes.group_by("thread_id").agg(pl.col("ts").min().alias("first_note"))
        early = threads.join(first, on="thread_id").filter(pl.col("first_note") < pl.col("created"))
        add("notes older than their thread", early["thread_id"], n_threads,
            "response times measured from the thread's creation would be negative", unit="threads")
        if projects is not None:
            ended = projects.filter(pl.col("status").is_in(list(finished))).select("project_id")
            dangling = threads.filter(pl.col("status").cast(pl.String) == OPEN_THREAD).join(ended, on="project_id")
            add("open threads on finished projects", dangling["thread_id"], n_threads,
                "they inflate the inquiry backlog; close them or filter them out", unit="threads")
    return pl.DataFrame(rows, schema=QUALITY_SCHEMA)
