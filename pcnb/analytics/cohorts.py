"""M11 cohort percentiles with a Kaplan-Meier median, M12 cohort outcomes, M13 rework and first-pass
yield, M15 bottleneck transitions (performance DFG).

Why Kaplan-Meier: the newest cohorts are mostly still open, so the median of *completed* projects
alone looks fast. KM counts open applications as censored at their current age.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import cast

import polars as pl

from pcnb.analytics import minn
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.roles import need
from pcnb.analytics.survival import km_median
from pcnb.analytics.time_in_status import cycle_time


def cohort_cycle_times(intervals: pl.DataFrame, start: str | None = None,
                       end: str | None = None, every: str = "1mo", min_completed: int = 10,
                       calendar: Calendar | None = None, as_of: datetime | None = None) -> pl.DataFrame:
    """M11: per submission cohort, percentiles of completed business-day cycle times plus the KM
    median counting open applications as censored. Cohorts with < ``min_completed`` completions
    are suppressed (statistics left null, ``suppressed`` true). A cohort of which fewer than half
    have finished has no KM median yet, and the median of its finished ones would flatter it (the
    fast ones finish first): those figures are left null too, with a ``caveat`` saying why."""
    cal = calendar or Calendar()
    ct = cycle_time(intervals, start, end, cal, as_of).with_columns(
        cal.local_date("start").dt.truncate(every).alias("cohort"))
    rows = []
    for (cohort,), g in ct.group_by(["cohort"], maintain_order=True):
        done = g.filter(pl.col("complete"))["business_days"]
        ok = done.len() >= min_completed
        dur = g.select(pl.coalesce("business_days", "age_business_days")).to_series().to_list()
        km = km_median(dur, g["complete"].to_list()) if ok else None
        early = ok and km is None  # fewer than half finished: only the fast ones are in
        rows.append({"cohort": cohort, "n": g.height, "completed": done.len(), "suppressed": not ok,
                     "median_bdays": cast(float, done.median()) if ok and not early else None,
                     "p85_bdays": done.quantile(0.85, "linear") if ok and not early else None,
                     "km_median_bdays": km,
                     "caveat": (f"{done.len()} of {g.height} finished: too early for a median" if early else "")})
    schema = {"cohort": pl.Date, "n": pl.Int64, "completed": pl.Int64, "suppressed": pl.Boolean,
              "median_bdays": pl.Float64, "p85_bdays": pl.Float64, "km_median_bdays": pl.Float64,
              "caveat": pl.String}
    return pl.DataFrame(rows, schema=schema).sort("cohort")


def cohort_outcomes(intervals: pl.DataFrame, start: str | None = None,
                    outcomes: dict[str, Iterable[str]] | None = None, every: str = "1mo",
                    calendar: Calendar | None = None, min_n: int = minn.MIN_N) -> pl.DataFrame:
    """M12: share of each submission cohort that reached each outcome (ever, by ``as_of`` of the
    intervals), or is still active. Rates of cohorts under ``min_n`` projects are suppressed."""
    cal = calendar or Calendar()
    start = need(start, "start", "cohort_outcomes", "the status a cohort is counted from (roles.intake)")
    outcomes = need(outcomes, "outcomes", "cohort_outcomes", "{label: statuses}, e.g. from roles.exits")
    first = intervals.filter(pl.col("status") == start).group_by("project_id").agg(
        cal.local_date(pl.col("entered").min()).dt.truncate(every).alias("cohort"))
    reached = intervals.group_by("project_id").agg(pl.col("status").alias("seen"))
    df = first.join(reached, on="project_id")
    flags = [pl.col("seen").list.eval(pl.element().is_in(list(v))).list.any().alias(k) for k, v in outcomes.items()]
    df = df.with_columns(flags).with_columns((~pl.any_horizontal(list(outcomes))).alias("active"))
    cols = [*outcomes, "active"]
    out = df.group_by("cohort").agg(pl.len().cast(pl.Int64).alias("n"),
                                    *[pl.col(c).mean().alias(f"{c}_rate") for c in cols]).sort("cohort")
    return minn.apply(out, "n", [f"{c}_rate" for c in cols], min_n)


def rework(intervals: pl.DataFrame, review: str | None = None, returned: str | None = None) -> pl.DataFrame:
    """M13 per project: review visits, returns, first-pass (reviewed once, never returned)."""
    review = need(review, "review", "rework", "the review status a project returns to")
    returned = need(returned, "returned", "rework", "the status a project is returned to the applicant in")
    g = intervals.group_by("project_id").agg(
        (pl.col("status") == review).sum().alias("review_visits"),
        (pl.col("status") == returned).sum().alias("returns"))
    g = g.filter(pl.col("review_visits") > 0)
    return g.with_columns(((pl.col("review_visits") == 1) & (pl.col("returns") == 0)).alias("first_pass"))


def first_pass_yield(intervals: pl.DataFrame, **kw: str) -> float | None:
    r = rework(intervals, **kw)
    return cast(float, r["first_pass"].mean()) if r.height else None


def bottlenecks(intervals: pl.DataFrame, unit: str = "business_days", min_n: int = minn.MIN_N) -> pl.DataFrame:
    """M15 performance DFG: per transition A -> B, count, median and p90 of time spent in A.

    Medians in calendar days equal pm4py's ``discover_performance_dfg`` edge medians (checked by
    benchmarks/analytics.py)."""
    col = pl.col(unit)
    out = intervals.filter(pl.col("next_status").is_not_null()).group_by("status", "next_status").agg(
        pl.len().cast(pl.Int64).alias("count"), col.median().alias(f"median_{unit}"),
        col.quantile(0.9, "linear").alias(f"p90_{unit}")).sort(f"median_{unit}", descending=True)
    return minn.apply(out, "count", [f"median_{unit}", f"p90_{unit}"], min_n)
