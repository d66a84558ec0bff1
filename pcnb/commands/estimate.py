"""The estimate command: figures with 95 % intervals from the histories fetched so far.

During a long first sync (pcnb.cache.sample_order fetches histories as a stratified random
sample) ``%powerclerk estimate time-in-status`` answers from the sample, with ``n of N`` and an
interval on every figure; once every history of the cache's projects is fetched the figures are
exact and the intervals are empty (pcnb.analytics.estimates).
"""

from __future__ import annotations

import argparse
from typing import Any

import polars as pl

from pcnb import clock
from pcnb.commands.base import Command, CommandError, Session

KINDS = ("time-in-status", "deadlines", "throughput", "cohorts")
QUESTIONS = {"time-in-status": "How long do projects stay in each status?",
             "deadlines": "What share of stays runs past its deadline?",
             "throughput": "How many projects reached each status per month?",
             "cohorts": "How long does a month's cohort take from intake to completion?"}


def cmd_estimate(args: argparse.Namespace, session: Session) -> Any:
    from pcnb.analytics import estimates as est
    from pcnb.analytics.intervals import status_intervals
    from pcnb.chartkit import status_deadlines

    ws = session.require()
    events = ws.status_events()
    if events.height == 0:
        raise CommandError("the cache has no status history yet",
                           "run `%powerclerk sync` (`--max-calls N` stops it early with a sample)")
    prof = ws.profile
    prof.validate()
    cal, now = prof.calendar.calendar(), clock.now()
    final = prof.require("final")
    iv = status_intervals(events, cal, now, terminal=final)
    from pcnb.cache.scope import stored

    scope = stored(ws.store)  # the population is the cache's scope: a scoped sync samples inside it
    projects = ws.projects()
    design = est.sample_design(projects.filter(pl.col("project_id").is_in(scope.select(projects).implode())), events)
    label, unit = "status", args.unit
    if args.kind == "time-in-status":
        table = est.time_in_status_estimates(iv, design, final, unit=unit)
    elif args.kind == "deadlines":
        deadlines = {k: int(v) for k, v in status_deadlines(prof.deadlines).items()}
        if not deadlines:
            raise CommandError("the program profile has no deadline of a status in business days",
                               "add one under `deadlines` in the profile (`%powerclerk profile path` shows the file)")
        table, unit = est.deadline_estimates(iv, design, deadlines), "share of stays"
    elif args.kind == "throughput":
        statuses = [prof.require("intake"), prof.require("completion")]
        table = est.throughput_estimates(iv, design, [str(s) for s in statuses], every="1mo", calendar=cal)
        table = table.with_columns(pl.format("{} {}", pl.col("period").dt.strftime("%Y-%m"), "status").alias("month"),
                                   pl.lit("count").alias("statistic"))
        label, unit = "month", "projects"
    else:
        table = est.cohort_estimates(iv, design, str(prof.require("intake")), str(prof.require("completion")),
                                     calendar=cal, as_of=now)
        label = "cohort"
    table = table.with_columns(pl.lit(scope.describe()).alias("scope"))  # which projects N counts
    if not args.chart:
        return table
    from pcnb.chartestimates import estimate_chart

    return estimate_chart(table, label, QUESTIONS[args.kind], unit.replace("_", " "), now, cal,
                          scope=scope.describe())


def _estimate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", choices=KINDS)
    p.add_argument("--chart", action="store_true", help="draw the estimates with their interval bands")
    p.add_argument("--unit", choices=("business_days", "calendar_days"), default="business_days",
                   help="time in status: whole business days (default) or calendar days")


ESTIMATE = Command("estimate", "figures with confidence intervals from the histories synced so far",
                   f"One of: {', '.join(KINDS)}. During a first sync the histories fetched so far are a stratified "
                   "random sample of the listed projects; each figure shows `n of N` and its 95 % interval, "
                   "exact (no interval) once every history is cached. See docs/large-programs.md.",
                   cmd_estimate, _estimate_args)
