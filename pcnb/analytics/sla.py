"""M4 SLA compliance per step, M5 due dates and days remaining.

Counting as regulators report it: A = stays completed, B = completed late, C = still open and
already past the deadline. pct_exceeding = (B + C) / (A + C); the on-time rate = (A - B) / A.
Stays are counted as they stood at ``as_of`` (build the intervals with it): a stay that ended
after ``as_of`` is open then. Minimum-n: pct_exceeding is suppressed when A + C < ``min_n``, the
on-time rate when A < ``min_n`` (``suppressed`` / ``on_time_suppressed``; counts stay visible).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import polars as pl

from pcnb.analytics import minn
from pcnb.analytics.asof import lit, resolve
from pcnb.analytics.calendar import Calendar


def sla_summary(completed: int, completed_late: int, open_late: int) -> dict[str, float | int | None]:
    a, b, c = completed, completed_late, open_late
    if min(a, b, c) < 0 or b > a:
        raise ValueError("counts must be non-negative and completed_late <= completed")
    return {"completed": a, "completed_late": b, "open_late": c,
            "pct_exceeding": (b + c) / (a + c) if a + c else None,
            "on_time_rate": (a - b) / a if a else None}


def sla_compliance(intervals: pl.DataFrame, deadlines: dict[str, int], first_visit_only: bool = True,
                   by: str | list[str] | None = None, min_n: int = minn.MIN_N,
                   unit: Literal["business_days", "calendar_days", "business_hours"] = "business_days"
                   ) -> pl.DataFrame:
    """Per status with a deadline, and optional segment columns: A (completed), B (completed_late),
    C (open_late), open, pct_exceeding, on_time_rate (see the module doc).

    ``unit``: deadlines in whole business days (default), calendar days, or business hours (the
    intervals then need :func:`pcnb.analytics.intervals.with_business_hours`). Spans, tracks and the
    utility's clock: :func:`pcnb.analytics.deadlines.deadline_compliance`."""
    if not deadlines or any((not isinstance(v, int)) or v < 0 for v in deadlines.values()):
        raise ValueError(f"deadlines must map status names to non-negative whole {unit.replace('_', ' ')}")
    if unit not in intervals.columns:
        raise ValueError(f"intervals have no {unit} column; add it with with_business_hours(intervals, calendar, "
                         "as_of)")
    iv = intervals.filter(pl.col("status").is_in(list(deadlines)))
    if first_visit_only:
        iv = iv.filter(pl.col("visit") == 1)
    limit = pl.col("status").replace_strict(deadlines, return_dtype=pl.Int32)
    keys = ["status", *([by] if isinstance(by, str) else (by or []))]
    out = iv.group_by(keys).agg(
        (~pl.col("is_open")).sum().cast(pl.Int64).alias("completed"),
        ((~pl.col("is_open")) & (pl.col(unit) > limit)).sum().cast(pl.Int64).alias("completed_late"),
        (pl.col("is_open") & (pl.col(f"age_{unit}") > limit)).sum().cast(pl.Int64).alias("open_late"),
        pl.col("is_open").sum().cast(pl.Int64).alias("open"),
    ).with_columns(pl.col("status").replace_strict(deadlines, return_dtype=pl.Int32).alias(
        {"business_days": "deadline_bdays", "calendar_days": "deadline_days"}.get(unit, "deadline_hours")))
    a, b, c = pl.col("completed"), pl.col("completed_late"), pl.col("open_late")
    out = out.with_columns(
        pl.when(a + c > 0).then((b + c) / (a + c)).alias("pct_exceeding"),
        pl.when(a > 0).then((a - b) / a).alias("on_time_rate"),
    )
    out = minn.apply(out, a + c, ["pct_exceeding"], min_n)
    return minn.apply(out, a, ["on_time_rate"], min_n, flag="on_time_suppressed").sort(keys)


def due_dates(intervals: pl.DataFrame, start_status: str, deadline_bdays: int, calendar: Calendar | None = None,
              as_of: datetime | None = None, stop_status: str | None = None) -> pl.DataFrame:
    """M5: per project, the local due date ``deadline_bdays`` after first entering ``start_status``
    and business days remaining at ``as_of`` (negative when late); met if ``stop_status`` reached."""
    cal = calendar or Calendar()
    as_of_lit = lit(resolve(as_of))
    first = intervals.filter(pl.col("status") == start_status).group_by("project_id").agg(
        pl.col("entered").min().alias("start"))
    df = first.with_columns(cal.add_business_days(pl.col("start"), deadline_bdays).alias("due_date"))
    if stop_status:
        stop = intervals.filter(pl.col("status") == stop_status).group_by("project_id").agg(
            pl.col("entered").min().alias("met_at"))
        df = df.join(stop, on="project_id", how="left")
    today = cal.local_date(as_of_lit)
    days_left = pl.business_day_count(today, pl.col("due_date"), week_mask=list(cal.week_mask),
                                      holidays=list(cal.holidays))
    return df.with_columns(days_left.alias("bdays_remaining")).sort("due_date", "project_id")


__all__ = ["due_dates", "sla_compliance", "sla_summary"]
