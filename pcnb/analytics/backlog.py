"""M14 inquiry backlog: who must answer, how long it has waited, response times.

A thread waits on the applicant when its last note is the utility's, and on the utility when the
last note is the applicant's (an open thread with no notes waits on the utility).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

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


def backlog_over_time(threads: pl.DataFrame, notes: pl.DataFrame, calendar: Calendar | None = None,
                      as_of: datetime | None = None) -> pl.DataFrame:
    """Open threads per local day by who must answer: date, waiting_on, threads.

    Each note starts a wait on the other side that lasts until the next note. An open thread's
    last wait runs to ``as_of``; a closed thread ends at its last note (V2 gives no close time). A
    thread with no notes waits on the utility from its creation. A thread counts on the days in
    [start, end) of its wait, so a same-day answer never shows as backlog.
    """
    cal = calendar or Calendar.us_federal()
    as_of = as_of or datetime.now(UTC)
    schema = {"date": pl.Date, "waiting_on": pl.String, "threads": pl.Int64}
    if threads.height == 0:
        return pl.DataFrame(schema=schema)
    t = threads.select("thread_id", pl.col("status").cast(pl.String), "created")
    n = notes.select("thread_id", "seq", "is_admin", "ts").sort("thread_id", "seq")
    waits = n.with_columns(pl.col("ts").shift(-1).over("thread_id").alias("end")).join(t, on="thread_id")
    open_end = pl.lit(as_of).cast(pl.Datetime("us", "UTC"))
    waits = waits.select(
        pl.when(pl.col("is_admin")).then(pl.lit("applicant")).otherwise(pl.lit("utility")).alias("waiting_on"),
        pl.col("ts").alias("start"),
        pl.coalesce("end", pl.when(pl.col("status") == "Open").then(open_end).otherwise(pl.col("ts"))).alias("end"))
    silent = t.join(n.select("thread_id").unique(), on="thread_id", how="anti").select(
        pl.lit("utility").alias("waiting_on"), pl.col("created").alias("start"),
        pl.when(pl.col("status") == "Open").then(open_end).otherwise(pl.col("created")).alias("end"))
    segs = pl.concat([waits, silent]).with_columns(cal.local_date("start").alias("d0"), cal.local_date("end").alias(
        "d1")).with_columns(
        pl.when(pl.col("end") >= open_end).then(pl.col("d1") + pl.duration(days=1)).otherwise(pl.col("d1"))
        .alias("d1")).filter(pl.col("d0") < pl.col("d1"))
    if segs.height == 0:
        return pl.DataFrame(schema=schema)
    deltas = pl.concat([segs.select("waiting_on", pl.col("d0").alias("date"), pl.lit(1).alias("d")),
                        segs.select("waiting_on", pl.col("d1").alias("date"), pl.lit(-1).alias("d"))])
    deltas = deltas.group_by("waiting_on", "date").agg(pl.col("d").sum())
    lo, hi = segs["d0"].min(), as_of.astimezone(ZoneInfo(cal.timezone)).date()
    days = pl.DataFrame({"date": pl.date_range(lo, max(hi, lo), "1d", eager=True)})
    grid = days.join(pl.DataFrame({"waiting_on": ["utility", "applicant"]}), how="cross")
    out = grid.join(deltas, on=["waiting_on", "date"], how="left").with_columns(pl.col("d").fill_null(0))
    return out.sort("waiting_on", "date").with_columns(
        pl.col("d").cum_sum().over("waiting_on").cast(pl.Int64).alias("threads")).select(list(schema)).sort(
        "date", "waiting_on")
