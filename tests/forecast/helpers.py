"""Generated sandbox histories for the forecast tests: no HTTP, one fixed end relative to the run."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

import polars as pl

from benchmarks.forecast_backtest import events_of, program_of, tracks_of
from pcnb.forecast import Program
from pcnb.sandbox.generator import generate
from tests.conftest import END

#: forecasts are made three months before the history ends, so what happened next is known
AS_OF = END - timedelta(days=91)


@cache
def program_data(name: str = "residential", projects: int = 1500, seed: int = 3,
                 end: datetime = END) -> tuple[pl.DataFrame, Program, pl.DataFrame | None]:
    """(events, Program, tracks) of a generated sandbox program (cached per run)."""
    state = generate(projects, seed=seed, end=end, program=name)
    return events_of(state), program_of(state.program), tracks_of(state)
