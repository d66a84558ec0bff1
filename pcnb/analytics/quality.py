"""M18 data-quality report: what in the data would make the other metrics misleading.

Every check counts affected projects (or threads), their share, and up to five example ids, with a
sentence on why it matters. Nothing is dropped or corrected here: the analyst decides.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from pcnb.analytics.intervals import TERMINAL

QUALITY_SCHEMA = {"check": pl.String, "unit": pl.String, "affected": pl.Int64, "of": pl.Int64, "share": pl.Float64,
                  "examples": pl.String, "why_it_matters": pl.String}


def data_quality(intervals: pl.DataFrame, projects: pl.DataFrame | None = None,
                 threads: pl.DataFrame | None = None, notes: pl.DataFrame | None = None,
                 as_of: datetime | None = None) -> pl.DataFrame:
    """One row per check; pass the frames you have (intervals alone gives the history checks)."""
    as_of_lit = pl.lit(as_of or datetime.now(UTC)).cast(pl.Datetime("us", "UTC"))
    n_projects = projects.height if projects is not None else intervals["project_id"].n_unique()
    rows: list[dict] = []

    def add(check: str, ids: pl.Series, of: int, why: str, unit: str = "projects") -> None:
        ids = ids.drop_nulls().unique().sort()
        rows.append({"check": check, "unit": unit, "affected": ids.len(), "of": of,
                     "share": ids.len() / of if of else None, "examples": ", ".join(ids.head(5).to_list()),
                     "why_it_matters": why})

    iv = intervals
    add("status events out of order", iv.filter(pl.col("out_of_order"))["project_id"], n_projects,
        "the history's source order disagrees with its timestamps; durations use the timestamps")
    add("events after a terminal status", iv.filter(pl.col("after_terminal"))["project_id"], n_projects,
        "a project left PTO/Withdrawn/Rejected; cycle times end at the first terminal entry")
    add("zero-length stays", iv.filter(~pl.col("is_open") & (pl.col("calendar_days") == 0))["project_id"],
        n_projects, "two status changes in the same instant; they count as visits with 0 days")
    add("timestamps in the future", iv.filter(pl.col("entered") > as_of_lit)["project_id"], n_projects,
        "clock or time-zone errors; ages and WIP at as_of are off")
    if projects is not None:
        seen = iv.select("project_id").unique()
        add("projects without status history", projects.join(seen, on="project_id", how="anti")["project_id"],
            n_projects, "not synced yet (or non-admin credentials): they are missing from every timing metric")
        last = iv.filter(pl.col("is_open")).select("project_id", pl.col("status").alias("history_status"))
        both = projects.select("project_id", pl.col("status").cast(pl.String)).join(last, on="project_id")
        add("current status differs from the history", both.filter(pl.col("status") != pl.col("history_status"))[
            "project_id"], n_projects, "the summary and the history disagree: re-sync these projects")
        add("submitted but no project number", projects.filter(
            pl.col("project_number").is_null() & (pl.col("status").cast(pl.String) != "Unsubmitted"))["project_id"],
            n_projects, "numbers are assigned on first submit; joins by number will miss these")
    if threads is not None and notes is not None:
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
            ended = projects.filter(pl.col("status").cast(pl.String).is_in(list(TERMINAL))).select("project_id")
            dangling = threads.filter(pl.col("status").cast(pl.String) == "Open").join(ended, on="project_id")
            add("open threads on finished projects", dangling["thread_id"], n_threads,
                "they inflate the inquiry backlog; close them or filter them out", unit="threads")
    return pl.DataFrame(rows, schema=QUALITY_SCHEMA)
