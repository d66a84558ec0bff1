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


def process_checks(intervals: pl.DataFrame, order: Iterable[str] | None = None,
                   events: pl.DataFrame | None = None) -> pl.DataFrame:
    """The checks that decide whether variants, the process map, rework and conformance can say
    anything (same columns as :func:`data_quality`; rows with ``affected`` 0 say the check passed):
    fewer than two projects, projects with no move, statuses the profile lacks (``order``: its
    status names), events out of order and, with the raw ``events``, duplicated events (the same
    project, status and time twice; merged into one stay). :func:`process_statement` says the
    findings in a sentence each."""
    rows: list[dict[str, object]] = []
    n = intervals["project_id"].n_unique() if intervals.height else 0

    def add(check: str, affected: int, of: int, examples: list[str], why: str, unit: str = "projects") -> None:
        rows.append({"check": check, "unit": unit, "affected": affected, "of": of,
                     "share": affected / of if of else None, "examples": ", ".join(examples[:5]),
                     "why_it_matters": why})

    alone = intervals["project_id"].unique().sort().to_list() if n < 2 else []
    add("fewer than two projects", n if n < 2 else 0, n, alone,
        "one project's path is not a process: variants, shares, rework rates and the map need many")
    single = intervals.group_by("project_id").agg(pl.len().alias("k")).filter(pl.col("k") == 1)["project_id"].sort()
    add("projects with no move", single.len(), n, single.head(5).to_list(),
        "a project still in its first status has no transition: it is no edge of the map and no loop")
    if order is not None:
        known = set(order)
        seen = intervals["status"].unique().sort().to_list()
        missing = [s for s in seen if s not in known]
        add("statuses missing from the profile", len(missing), len(seen), missing,
            "they have no place in the workflow's order and no moves in the model: conformance counts every "
            "move into or out of them as unexpected; re-infer or edit the profile", unit="statuses")
    flagged = intervals.filter(pl.col("out_of_order")) if "out_of_order" in intervals.columns else intervals.clear()
    late = flagged["project_id"].unique().sort()
    add("status events out of order", late.len(), n, late.head(5).to_list(),
        "the history's order disagrees with its timestamps: paths follow the timestamps")
    if events is not None:
        dup = events.filter(pl.struct("project_id", "status", "ts").is_duplicated())["project_id"].unique().sort()
        add("duplicated status events", dup.len(), n, dup.head(5).to_list(),
            "the same status at the same time twice: counted once (one stay), so no variant gains a step")
    return pl.DataFrame(rows, schema=QUALITY_SCHEMA)


def process_statement(checks: pl.DataFrame) -> list[str]:
    """One sentence per finding of :func:`process_checks` that changes what the analyses can say
    (nothing when every check passed). Projects still in their first status are normal (drafts):
    they are said only when no project has moved, so that there is nothing to draw."""
    out = []
    found = checks.filter((pl.col("affected") > 0) & ((pl.col("check") != "projects with no move")
                                                      | (pl.col("affected") == pl.col("of"))))
    for r in found.iter_rows(named=True):
        some = f" (e.g. {r['examples']})" if r["examples"] else ""
        if r["check"] == "fewer than two projects":
            out.append(f"only {r['of']} project{'s' if r['of'] != 1 else ''} in the data{some}: {r['why_it_matters']}")
        else:
            out.append(f"{r['check']}: {r['affected']:,} of {r['of']:,} {r['unit']}{some}; {r['why_it_matters']}")
    return out
