"""When will it be done? Per-project forecasts, early warning, backlog forecasts and what-ifs.

A semi-Markov Monte Carlo through the program's workflow, learned from the status histories up to
``as_of`` (so every forecast can be back-tested against what happened next):

    days      business days as integers (the program calendar), day 0 = the as_of day
    program   what the forecast needs from the profile (outcomes, holders, deadlines), ForecastError
    model     the learned pools: stay length and next status per status / segment / visit, censoring-aware
    state     where each open project stands at as_of, and each deadline's clock
    simulate  the vectorised Monte Carlo (numpy, one seeded Generator)
    summary   the frames: per project, per outcome, per deadline
    run       forecast(): the steps above, the Forecast it returns
    warning   at_risk(): deadlines likely to run out soon, projects stuck past the 95th percentile
    arrivals  the arrivals model: recent rate, monthly seasonality, Poisson draws
    backlog   backlog(): weekly work in progress per status with bands, when today's backlog clears
    whatif    whatif(): arrivals, a utility-held status's durations, deadlines changed, beside the baseline
    calibration  hindcast(): how a past forecast did on this program's own data

``import pcnb.forecast`` also adds ``df.pc.forecast`` to status-event frames.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from pcnb.analytics.namespace import PowerClerkFrame
from pcnb.forecast.backlog import Backlog, backlog
from pcnb.forecast.calibration import hindcast
from pcnb.forecast.program import ForecastError, Program
from pcnb.forecast.run import ASSUMPTIONS, Forecast, forecast
from pcnb.forecast.warning import at_risk
from pcnb.forecast.whatif import WhatIf, whatif


def _pc_forecast(self: PowerClerkFrame, program: Program, **options: Any) -> Forecast:
    df: pl.DataFrame = self._df
    return forecast(df, program, **options)


_pc_forecast.__doc__ = "``events.pc.forecast(program, ...)``: " + (forecast.__doc__ or "")
setattr(PowerClerkFrame, "forecast", _pc_forecast)  # noqa: B010 - registered on import, like df.pc itself

__all__ = ["ASSUMPTIONS", "Backlog", "Forecast", "ForecastError", "Program", "WhatIf", "at_risk", "backlog",
           "forecast", "hindcast", "whatif"]
