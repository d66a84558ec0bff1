"""How good were the forecasts on this program's own data? A hindcast.

Forecast at a past ``as_of`` (a :class:`pcnb.forecast.Forecast` whose horizon ends at ``until``),
then look at what the history up to ``until`` shows happened to each project forecast:

- coverage: the share of projects whose final status came between their ``done_p10`` and
  ``done_p90`` dates (target: about 80 %), among those whose p90 falls before ``until``, so the
  truth is known whichever way it went;
- the Brier score of P(outcome by ``until``) over the final statuses and "still open" (0 is
  perfect; lower is better), beside the naive answer's: every project given the shares of outcomes
  among the projects closed by ``as_of``, and "done" when its age passed their median duration.

The benchmark (benchmarks/forecast_backtest.py) does the same on every built-in program over six
month-ends, with reliability tables and the deadline figures; this is the quick check on yours.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from pcnb.analytics.asof import resolve
from pcnb.analytics.intervals import status_intervals
from pcnb.forecast.program import ForecastError
from pcnb.forecast.run import Forecast


def hindcast(fc: Forecast, events: pl.DataFrame, until: datetime) -> pl.DataFrame:
    """figure, value, n, target (see the module doc) for a forecast made before ``until``."""
    until = resolve(until)
    days, prog = fc._days, fc.program
    assert days is not None and prog is not None
    if until <= fc.as_of:
        raise ForecastError(f"until={until:%Y-%m-%d} is not after the forecast's as_of ({fc.as_of:%Y-%m-%d})",
                            "forecast at a past as_of, then check it against a later date")
    final = list(prog.final)
    full = status_intervals(events, prog.calendar, until, terminal=final)
    fin = (full.filter(pl.col("status").is_in(final) & (pl.col("entered") > fc.as_of))
           .group_by("project_id").agg(pl.col("entered").min().alias("_entered"),
                                       pl.col("status").sort_by("entered").first().alias("_final")))
    p = fc.projects.filter(pl.col("supported")).join(fin, on="project_id", how="left").with_columns(
        days.local_dates("_entered").alias("_done"))
    judged = p.filter(pl.col("done_p90").is_not_null())
    hits = judged.select(pl.col("_done").is_not_null() & (pl.col("_done") >= pl.col("done_p10"))
                         & (pl.col("_done") <= pl.col("done_p90"))).to_series()
    probs = fc.outcomes.pivot(on="outcome", index="project_id", values="probability")
    joined = p.select("project_id", pl.col("_final").fill_null("open").alias("_truth")).join(
        probs, on="project_id", how="left").fill_null(0.0)
    classes = [*final, "open"]
    pred = np.stack([joined[c].to_numpy() if c in joined.columns else np.zeros(joined.height) for c in final]
                    + [sum((joined[c].to_numpy() for c in ("open at the horizon", "beyond the data")
                            if c in joined.columns), np.zeros(joined.height))], axis=1)
    truth = np.stack([(joined["_truth"] == c).to_numpy() for c in classes], axis=1).astype(float)
    brier = float(((pred - truth) ** 2).sum(axis=1).mean()) if joined.height else float("nan")
    naive = _naive(fc, classes, truth)
    return pl.DataFrame({
        "figure": ["80 % completion-date intervals that held", "Brier score, outcome by then (model)",
                   "Brier score, outcome by then (naive: closed projects' shares and median)"],
        "value": [int(hits.sum()) / hits.len() if hits.len() else None, brier, naive],
        "n": [hits.len(), joined.height, joined.height],
        "target": ["about 0.8", "below the naive", "-"]})


def _naive(fc: Forecast, classes: list[str], truth: np.ndarray) -> float:
    """The spreadsheet answer's Brier score on the same projects (see the module doc)."""
    days, prog, iv = fc._days, fc.program, fc._intervals
    assert days is not None and prog is not None and iv is not None
    first = iv.group_by("project_id").agg(pl.col("entered").min().alias("_f"))
    closed = iv.filter(pl.col("is_open") & pl.col("status").is_in(list(prog.final))).join(first, on="project_id")
    if closed.height == 0 or truth.shape[0] == 0:
        return float("nan")
    dur = (days.index(closed.select(days.local_dates("entered")).to_series().to_numpy())
           - days.index(closed.select(days.local_dates("_f")).to_series().to_numpy()))
    share = dict(closed.group_by("status").len().with_columns(pl.col("len") / pl.col("len").sum()).iter_rows())
    ok = fc.projects.filter(pl.col("supported")).select("project_id").join(first, on="project_id", how="left")
    start = days.index(ok.select(days.local_dates("_f")).to_series().to_numpy())
    done = (np.median(dur) <= fc._end - 1 - start)
    pred = np.stack([np.where(done, share.get(c, 0.0), 0.0) for c in classes[:-1]] + [np.where(done, 0.0, 1.0)],
                    axis=1)
    return float(((pred - truth) ** 2).sum(axis=1).mean())


__all__ = ["hindcast"]
