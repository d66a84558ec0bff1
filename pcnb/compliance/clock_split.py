"""Whose clock: for every project, the days of each step split by who held the project (the utility,
the applicant, a third party such as a transmission operator), the quantity regulators enforce and
disputes are about (``ws.clock_split()``).

With a rule file the steps are its steps (from entering one status to entering another, in its unit,
with its third-party statuses); without one each status the project stayed in is a step, in
business days, with the profile's holders. Stays still open count their age so far at ``as_of``; a
final status holds nothing.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from pcnb.compliance.cases import held_stays, stays_in_steps

HOLDERS = {"utility": "utility_days", "applicant": "applicant_days", "third party": "third_party_days"}


def clock_split(ws: Any, rules: str | Path | None = None, as_of: datetime | None = None) -> pl.DataFrame:
    """One row per (project, step): project_id, project_number, step, started, ended (null while
    open), utility_days, applicant_days, third_party_days, total_days (every day of the step)."""
    from pcnb import clock
    from pcnb.compliance.rules import calendar_for, for_profile

    prof = ws.profile
    at, events, final = as_of or clock.now(), ws.status_events(), prof.roles.final
    if rules is not None:
        rule_set = for_profile(rules, prof)
        stays = stays_in_steps(events, rule_set, calendar_for(rule_set, prof), at, final, prof.holders)
        if stays.height == 0:
            return _split(pl.DataFrame(schema={"step": pl.String, "project_id": pl.String, "holder": pl.String,
                                               "days": pl.Float64, "started": pl.Datetime("us", "UTC"),
                                               "ended": pl.Datetime("us", "UTC")}), ws)
        return _split(stays, ws)
    iv = held_stays(events, prof.calendar.calendar(), at, final, prof.holders)
    stays = iv.filter(~pl.col("status").is_in(list(final))).select(
        pl.col("status").cast(pl.String).alias("step"), "project_id", "holder", "days",
        pl.col("entered").alias("started"), pl.col("exited").alias("ended"))
    return _split(stays, ws)


def _split(stays: pl.DataFrame, ws: Any) -> pl.DataFrame:
    """Sum each (project, step)'s days by holder; a step's start and end are its first entry and its
    last exit (null while any stay of it is open)."""
    days = [pl.col("days").filter(pl.col("holder") == who).sum().alias(name) for who, name in HOLDERS.items()]
    out = stays.group_by("project_id", "step").agg(
        pl.col("started").min(), pl.when(pl.col("ended").is_null().any()).then(None)
        .otherwise(pl.col("ended").max()).alias("ended"), *days, pl.col("days").sum().alias("total_days"))
    numbers = ws.projects().select("project_id", "project_number")
    return (out.join(numbers, on="project_id", how="left")
            .select("project_id", "project_number", "step", "started", "ended", *HOLDERS.values(), "total_days")
            .sort("project_id", "started"))


__all__ = ["clock_split"]
