"""M1 status intervals: the basis of every timing metric.

One row per stay in a status: entered, exited (null while open), next status, visit number,
calendar and business-day duration, and age for open stays. Consecutive duplicate entries are
merged (a re-save of the same status is not a new stay); zero-length stays are kept (they are real
transitions); events out of order and events after a terminal status are flagged, not dropped, so
the data-quality report can show them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import polars as pl

from pcnb.analytics.calendar import Calendar

TERMINAL = ("Permission to Operate", "Withdrawn", "Rejected")

INTERVAL_SCHEMA = {
    "project_id": pl.String, "status": pl.String, "visit": pl.UInt32, "entered": pl.Datetime("us", "UTC"),
    "exited": pl.Datetime("us", "UTC"), "next_status": pl.String, "is_open": pl.Boolean,
    "calendar_days": pl.Float64, "business_days": pl.Int32, "age_calendar_days": pl.Float64,
    "age_business_days": pl.Int32, "out_of_order": pl.Boolean, "after_terminal": pl.Boolean,
}


def status_intervals(events: pl.DataFrame, calendar: Calendar | None = None, as_of: datetime | None = None,
                     terminal: Iterable[str] = TERMINAL) -> pl.DataFrame:
    """events: project_id, seq, status, ts (the frames.status_events schema)."""
    cal = calendar or Calendar.us_federal()
    as_of = as_of or datetime.now(UTC)
    if events.height == 0:
        return pl.DataFrame(schema=INTERVAL_SCHEMA)
    terminal = list(terminal)
    ev = events.select("project_id", "seq", pl.col("status").cast(pl.String), "ts")
    ev = ev.with_columns(
        # out of order: a later source entry carries an earlier timestamp than one before it
        (pl.col("ts") < pl.col("ts").cum_max().over("project_id", order_by="seq")).alias("out_of_order"),
    ).sort("project_id", "ts", "seq")
    ev = ev.filter(
        pl.col("status") != pl.col("status").shift(1).over("project_id").fill_null("")
    ).with_columns(
        pl.col("ts").shift(-1).over("project_id").alias("exited"),
        pl.col("status").shift(-1).over("project_id").alias("next_status"),
        (pl.col("status").is_in(terminal).cast(pl.Int32).cum_sum().over("project_id")
         - pl.col("status").is_in(terminal).cast(pl.Int32) > 0).alias("after_terminal"),
    )
    as_of_lit = pl.lit(as_of).cast(pl.Datetime("us", "UTC"))
    days = lambda a, b: (b - a).dt.total_microseconds() / 86_400_000_000  # noqa: E731
    out = ev.rename({"ts": "entered"}).with_columns(
        pl.col("status").cum_count().over("project_id", "status").cast(pl.UInt32).alias("visit"),
        pl.col("exited").is_null().alias("is_open"),
        days(pl.col("entered"), pl.col("exited")).alias("calendar_days"),
        cal.business_days(pl.col("entered"), pl.col("exited")).alias("business_days"),
    ).with_columns(
        pl.when(pl.col("is_open")).then(days(pl.col("entered"), as_of_lit)).alias("age_calendar_days"),
        pl.when(pl.col("is_open")).then(cal.business_days(pl.col("entered"), as_of_lit)).alias("age_business_days"),
    )
    return out.select(list(INTERVAL_SCHEMA)).cast(INTERVAL_SCHEMA)  # type: ignore[arg-type]
