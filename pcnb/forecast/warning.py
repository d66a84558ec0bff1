"""Early warning: which open projects need attention now.

Two lists in one frame, a manager's Monday list:

- ``deadline``: the projects whose deadline clock is likely to run out within ``within`` business
  days (the forecast's ``p_breach_within`` at least ``threshold``), with who holds the project now
  (the one who can still act) and the day it goes late if the step is still open;
- ``stuck``: the projects that have been in their status longer than 95 % of stays there (the
  censoring-aware 95th percentile of their pool: status, segment and visit), whatever the deadline.
"""

from __future__ import annotations

import polars as pl

from pcnb.forecast.program import ForecastError
from pcnb.forecast.run import Forecast

COLUMNS = {"project_id": pl.String, "status": pl.String, "holder": pl.String, "age_bdays": pl.Int32,
           "reason": pl.String, "deadline": pl.String, "probability": pl.Float64, "late_on": pl.Date,
           "p95_bdays": pl.Float64, "done_p50": pl.Date, "note": pl.String}


def at_risk(fc: Forecast, threshold: float = 0.5, drafts: bool = False) -> pl.DataFrame:
    """The forecast's projects at risk (see the module doc): deadline rows first, most likely
    first; then the stuck ones, longest past their 95th percentile first. Projects in a draft
    status (not submitted: not the utility's backlog) are listed as stuck only with ``drafts=True``."""
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 < threshold <= 1:
        raise ForecastError(f"threshold={threshold!r} must be a probability in (0, 1]",
                            "e.g. threshold=0.5: at least an even chance")
    p = fc.projects.select("project_id", "status", "holder", "age_bdays", "p95_bdays", "done_p50", "note")
    soon = fc.deadlines.filter(pl.col("state").is_in(["running", "ahead"])
                               & (pl.col("p_breach_within") >= threshold))
    deadline = soon.join(p, on="project_id").select(
        "project_id", "status", "holder", "age_bdays", pl.lit("deadline").alias("reason"),
        (pl.col("deadline") + pl.when(pl.col("track").is_not_null()).then(" (" + pl.col("track") + ")")
         .otherwise(pl.lit(""))).alias("deadline"),
        pl.col("p_breach_within").alias("probability"), "late_on", "p95_bdays", "done_p50",
        pl.format("{}% chance it goes late within {} business days", (pl.col("p_breach_within") * 100).round(0)
                  .cast(pl.Int64), pl.lit(fc.within)).alias("note"))
    draft = list(fc.program.draft) if fc.program is not None and not drafts else []
    stuck = p.filter(pl.col("p95_bdays").is_not_null() & (pl.col("age_bdays") > pl.col("p95_bdays"))
                     & ~pl.col("status").is_in(draft)).select(
        "project_id", "status", "holder", "age_bdays", pl.lit("stuck").alias("reason"),
        pl.lit(None, pl.String).alias("deadline"), pl.lit(None, pl.Float64).alias("probability"),
        pl.lit(None, pl.Date).alias("late_on"), "p95_bdays", "done_p50",
        pl.format("{} business days in its status; 95 % of stays there ended within {}", "age_bdays",
                  pl.col("p95_bdays").cast(pl.Int64)).alias("note"))
    out = pl.concat([deadline.cast(COLUMNS), stuck.cast(COLUMNS)])  # type: ignore[arg-type]
    order = pl.when(pl.col("reason") == "deadline").then(-pl.col("probability")).otherwise(
        1 - pl.col("age_bdays") / pl.col("p95_bdays"))
    return out.sort(pl.col("reason") != "deadline", order, "project_id")


__all__ = ["at_risk"]
