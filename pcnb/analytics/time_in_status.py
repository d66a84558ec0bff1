"""M2 time in status, M3 milestone cycle time, M6 utility-held time.

Percentiles are over closed stays; open stays are reported separately as current age, because
mixing them in would understate durations (they are censored). A status with only open stays has
a null median, not 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import polars as pl

from pcnb.analytics.calendar import Calendar
from pcnb.analytics.intervals import TERMINAL


def _stats(col: str, suffix: str) -> list[pl.Expr]:
    c = pl.col(col)
    return [c.median().alias(f"median_{suffix}"), c.quantile(0.85, "linear").alias(f"p85_{suffix}"),
            c.quantile(0.95, "linear").alias(f"p95_{suffix}"), c.mean().alias(f"mean_{suffix}"),
            c.max().cast(pl.Float64).alias(f"max_{suffix}")]


def time_in_status(intervals: pl.DataFrame, first_visit_only: bool = False,
                   terminal: Iterable[str] = TERMINAL, by: str | list[str] | None = None) -> pl.DataFrame:
    """Per status (and optional segment): n, median, p85, p95, mean, max in calendar and business days."""
    iv = intervals.filter(~pl.col("status").is_in(list(terminal)))
    if first_visit_only:
        iv = iv.filter(pl.col("visit") == 1)
    keys = ["status", *([by] if isinstance(by, str) else (by or []))]
    closed = iv.filter(~pl.col("is_open")).group_by(keys).agg(
        pl.len().alias("n"), *_stats("calendar_days", "days"), *_stats("business_days", "bdays"))
    opened = iv.filter(pl.col("is_open")).group_by(keys).agg(
        pl.len().alias("n_open"), pl.col("age_business_days").median().alias("median_open_age_bdays"),
        pl.col("age_business_days").max().alias("max_open_age_bdays"))
    out = closed.join(opened, on=keys, how="full", coalesce=True)
    return out.with_columns(pl.col("n").fill_null(0), pl.col("n_open").fill_null(0)).sort(keys)


def _first_entry(intervals: pl.DataFrame, status: str, name: str) -> pl.DataFrame:
    return intervals.filter(pl.col("status") == status).group_by("project_id").agg(pl.col("entered").min().alias(name))


def cycle_time(intervals: pl.DataFrame, start: str = "Application Submitted", end: str = "Permission to Operate",
               calendar: Calendar | None = None, as_of: datetime | None = None) -> pl.DataFrame:
    """M3: first entry into ``start`` -> first entry into ``end`` after it, per project.

    Incomplete projects keep a null duration and carry their age, for censored (KM) statistics.
    """
    cal = calendar or Calendar.us_federal()
    as_of_lit = pl.lit(as_of or datetime.now(UTC)).cast(pl.Datetime("us", "UTC"))
    s = _first_entry(intervals, start, "start")
    e = intervals.filter(pl.col("status") == end).select("project_id", pl.col("entered").alias("end_ts"))
    df = s.join(e, on="project_id", how="left").filter(
        pl.col("end_ts").is_null() | (pl.col("end_ts") >= pl.col("start"))
    ).group_by("project_id").agg(pl.col("start").first(), pl.col("end_ts").min().alias("end"))
    finish = pl.coalesce(pl.col("end"), as_of_lit)
    return df.with_columns(
        pl.col("end").is_not_null().alias("complete"),
        pl.when(pl.col("end").is_not_null()).then((pl.col("end") - pl.col("start")).dt.total_hours() / 24)
        .alias("calendar_days"),
        pl.when(pl.col("end").is_not_null()).then(cal.business_days(pl.col("start"), pl.col("end")))
        .alias("business_days"),
        cal.business_days(pl.col("start"), finish).alias("age_business_days"),
    ).sort("start")


def inquiry_waits(notes: pl.DataFrame, threads: pl.DataFrame | None = None,
                  as_of: datetime | None = None) -> pl.DataFrame:
    """Spans when an inquiry waits on the applicant: from a utility note to the next applicant note
    (or ``as_of`` while an open thread's last word is the utility's)."""
    as_of_lit = pl.lit(as_of or datetime.now(UTC)).cast(pl.Datetime("us", "UTC"))
    n = notes.sort("thread_id", "seq").with_columns(pl.col("ts").shift(-1).over("thread_id").alias("next_ts"))
    if threads is not None:
        n = n.join(threads.select("thread_id", pl.col("status").cast(pl.String).alias("thread_status")),
                   on="thread_id", how="left")
    else:
        n = n.with_columns(pl.lit("Open").alias("thread_status"))
    end = pl.when(pl.col("next_ts").is_not_null()).then(pl.col("next_ts")).when(
        pl.col("thread_status") == "Open").then(as_of_lit)
    return n.filter(pl.col("is_admin")).select("project_id", pl.col("ts").alias("start"), end.alias("end")) \
        .drop_nulls("end")


def _merge(holds: pl.DataFrame) -> pl.DataFrame:
    """Union overlapping [start, end) spans per project so no time is subtracted twice."""
    h = holds.sort("project_id", "start").with_columns(
        pl.col("end").cum_max().shift(1).over("project_id").alias("prev_end"))
    h = h.with_columns((pl.col("prev_end").is_null() | (pl.col("start") > pl.col("prev_end")))
                       .cast(pl.Int32).cum_sum().over("project_id").alias("grp"))
    return h.group_by("project_id", "grp").agg(pl.col("start").min(), pl.col("end").max())


def utility_held_time(intervals: pl.DataFrame, start: str = "Application Submitted",
                      end: str = "Permission to Operate",
                      applicant_statuses: Iterable[str] = ("Returned to Applicant",),
                      holds: pl.DataFrame | None = None, calendar: Calendar | None = None,
                      as_of: datetime | None = None) -> pl.DataFrame:
    """M6: business days of ``start -> end`` (or as_of) minus time held by the applicant.

    Applicant-held time = stays in ``applicant_statuses`` plus optional extra ``holds``
    (project_id, start, end), e.g. from :func:`inquiry_waits`, unioned and clipped to the window.
    """
    cal = calendar or Calendar.us_federal()
    ct = cycle_time(intervals, start, end, cal, as_of)
    as_of_lit = pl.lit(as_of or datetime.now(UTC)).cast(pl.Datetime("us", "UTC"))
    window = ct.select("project_id", pl.col("start").alias("w0"), pl.coalesce("end", as_of_lit).alias("w1"),
                       "complete")
    spans = intervals.filter(pl.col("status").is_in(list(applicant_statuses))).select(
        "project_id", pl.col("entered").alias("start"), pl.coalesce("exited", as_of_lit).alias("end"))
    if holds is not None and holds.height:
        spans = pl.concat([spans, holds.select("project_id", "start", "end").cast(spans.schema)])
    clipped = spans.join(window, on="project_id").select(
        "project_id", pl.max_horizontal("start", "w0").alias("start"), pl.min_horizontal("end", "w1").alias("end"),
    ).filter(pl.col("end") > pl.col("start"))
    held = _merge(clipped).group_by("project_id").agg(
        cal.business_days(pl.col("start"), pl.col("end")).sum().alias("applicant_bdays"))
    out = window.join(held, on="project_id", how="left").with_columns(
        cal.business_days(pl.col("w0"), pl.col("w1")).alias("total_bdays"),
        pl.col("applicant_bdays").fill_null(0))
    return out.with_columns((pl.col("total_bdays") - pl.col("applicant_bdays")).alias("utility_bdays")).rename(
        {"w0": "start", "w1": "end"}).sort("start")
