"""``df.pc``: the analytics as a polars namespace, registered on ``import pcnb.analytics``.

``events.pc.intervals()`` -> intervals; ``intervals.pc.time_in_status()``, ``.pc.throughput()``,
``.pc.sla(...)``, ``.pc.bottlenecks()`` ... the same functions, for method chaining in notebooks.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from pcnb.analytics import cohorts, intervals, quality, sla, throughput, time_in_status


@pl.api.register_dataframe_namespace("pc")
class PowerClerkFrame:
    def __init__(self, df: pl.DataFrame):
        self._df = df

    def intervals(self, **kw: Any) -> pl.DataFrame:
        return intervals.status_intervals(self._df, **kw)

    def time_in_status(self, **kw: Any) -> pl.DataFrame:
        return time_in_status.time_in_status(self._df, **kw)

    def cycle_time(self, **kw: Any) -> pl.DataFrame:
        return time_in_status.cycle_time(self._df, **kw)

    def utility_held(self, **kw: Any) -> pl.DataFrame:
        return time_in_status.utility_held_time(self._df, **kw)

    def sla(self, deadlines: dict[str, int], **kw: Any) -> pl.DataFrame:
        return sla.sla_compliance(self._df, deadlines, **kw)

    def throughput(self, **kw: Any) -> pl.DataFrame:
        return throughput.throughput(self._df, **kw)

    def wip(self, **kw: Any) -> pl.DataFrame:
        return throughput.wip_by_day(self._df, **kw)

    def aging(self, **kw: Any) -> pl.DataFrame:
        return throughput.aging_wip(self._df, **kw)

    def bottlenecks(self, **kw: Any) -> pl.DataFrame:
        return cohorts.bottlenecks(self._df, **kw)

    def cohorts(self, **kw: Any) -> pl.DataFrame:
        return cohorts.cohort_cycle_times(self._df, **kw)

    def data_quality(self, **kw: Any) -> pl.DataFrame:
        return quality.data_quality(self._df, **kw)
