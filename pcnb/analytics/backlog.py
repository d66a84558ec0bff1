"""M14 inquiry backlog: who must answer, how long it has waited, response times.

A thread waits on the applicant when its last note is the utility's, and on the utility when the
last note is the applicant's (an open thread with no notes waits on the utility).
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from pcnb.analytics.calendar import Calendar


def thread_state(threads: pl.DataFrame, notes: pl.DataFrame, calendar: Calendar | None = None,
                 as_of: datetime | None = None) -> pl.DataFrame:
    """Per thread: waiting_on (utility/applicant/none), age of the oldest unanswered note in bdays."""
    cal = calendar or Calendar.us_federal()
    as_of_lit = pl.lit(as_of or datetime.now(UTC)).cast(pl.Datetime("us", "UTC"))
    n = notes.sort("thread_id", "seq").with_columns(
        (pl.col("is_admin") != pl.col("is_admin").shift(1).over("thread_id")).fill_null(True).alias("turn"))
    # the unanswered run: notes after the last change of side
    last_side = n.group_by("thread_id").agg(pl.col("is_admin").last().alias("last_admin"),
                                           pl.col("ts").filter(pl.col("turn")).last().alias("waiting_since"))
    t = threads.with_columns(pl.col("status").cast(pl.String)).join(last_side, on="thread_id", how="left")
    waiting = (pl.when(pl.col("status") != "Open").then(pl.lit("none"))
               .when(pl.col("last_admin").is_null() | ~pl.col("last_admin")).then(pl.lit("utility"))
               .otherwise(pl.lit("applicant")))
    since = pl.coalesce("waiting_since", "created")
    return t.with_columns(waiting.alias("waiting_on")).with_columns(
        pl.when(pl.col("waiting_on") != "none").then(cal.business_days(since, as_of_lit)).alias("waiting_bdays"))


def backlog_summary(state: pl.DataFrame) -> pl.DataFrame:
    """Open threads by who must answer, with the oldest wait."""
    return state.filter(pl.col("waiting_on") != "none").group_by("waiting_on").agg(
        pl.len().alias("open_threads"), pl.col("waiting_bdays").max().alias("oldest_bdays"),
        pl.col("waiting_bdays").median().alias("median_bdays")).sort("waiting_on")


def response_times(notes: pl.DataFrame, calendar: Calendar | None = None, within_bdays: int = 3) -> pl.DataFrame:
    """Each change of side is a response; its time is business days since the other side's first
    unanswered note. Returns responses with ``responder`` and ``on_time`` (<= within_bdays)."""
    cal = calendar or Calendar.us_federal()
    n = notes.sort("thread_id", "seq").with_columns(
        (pl.col("is_admin") != pl.col("is_admin").shift(1).over("thread_id")).fill_null(True).alias("turn"))
    n = n.with_columns(pl.col("turn").cum_sum().over("thread_id").alias("run"))
    runs = n.group_by("thread_id", "run").agg(pl.col("is_admin").first(), pl.col("ts").min().alias("start"),
                                             pl.col("project_id").first())
    runs = runs.sort("thread_id", "run").with_columns(pl.col("start").shift(1).over("thread_id").alias("asked"))
    out = runs.filter(pl.col("asked").is_not_null()).with_columns(
        pl.when(pl.col("is_admin")).then(pl.lit("utility")).otherwise(pl.lit("applicant")).alias("responder"),
        cal.business_days(pl.col("asked"), pl.col("start")).alias("response_bdays"))
    return out.with_columns((pl.col("response_bdays") <= within_bdays).alias("on_time")).select(
        "thread_id", "project_id", "responder", "asked", pl.col("start").alias("answered"), "response_bdays",
        "on_time")
