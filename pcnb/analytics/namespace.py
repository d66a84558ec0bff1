"""``df.pc``: the analytics as a polars namespace, registered on ``import pcnb.analytics``.

``events.pc.intervals()`` -> intervals; ``intervals.pc.time_in_status()``, ``.pc.throughput()``,
``.pc.sla(...)``, ``.pc.bottlenecks()`` ... the same functions, for method chaining in notebooks.
Each method has the function's own parameters (``iv.pc.sla?`` shows them); the docstring is the
function's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Literal

import polars as pl

from pcnb.analytics import (
    cohorts,
    conformance,
    intervals,
    minn,
    process_map,
    quality,
    rework,
    sla,
    throughput,
    time_in_status,
    variants,
)
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.throughput import AGING_BUCKETS


@pl.api.register_dataframe_namespace("pc")
class PowerClerkFrame:
    def __init__(self, df: pl.DataFrame):
        self._df = df

    def __getattr__(self, name: str) -> None:
        if name == "forecast":  # registered by the forecasting package, which builds on these analytics
            raise AttributeError("df.pc.forecast comes with `import pcnb.forecast` (ws.forecast() imports it)")
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def intervals(self, calendar: Calendar | None = None, as_of: datetime | None = None,
                  terminal: Iterable[str] | None = None, include_suppressed: bool = False) -> pl.DataFrame:
        return intervals.status_intervals(self._df, calendar, as_of, terminal, include_suppressed)

    def business_hours(self, calendar: Calendar | None = None, as_of: datetime | None = None) -> pl.DataFrame:
        return intervals.with_business_hours(self._df, calendar, as_of)

    def time_in_status(self, first_visit_only: bool = False, terminal: Iterable[str] | None = None,
                       by: str | list[str] | None = None,
                       percentiles: Sequence[float] = time_in_status.PERCENTILES,
                       min_n: int = minn.MIN_N) -> pl.DataFrame:
        return time_in_status.time_in_status(self._df, first_visit_only, terminal, by, percentiles, min_n)

    def cycle_time(self, start: str | None = None, end: str | None = None,
                   calendar: Calendar | None = None, as_of: datetime | None = None) -> pl.DataFrame:
        return time_in_status.cycle_time(self._df, start, end, calendar, as_of)

    def time_to_outcome(self, start: str, outcomes: dict[str, Iterable[str]], calendar: Calendar | None = None,
                        as_of: datetime | None = None, min_n: int = minn.MIN_N) -> pl.DataFrame:
        return time_in_status.time_to_outcome(self._df, start, outcomes, calendar, as_of, min_n)

    def utility_held(self, start: str | None = None, end: str | None = None,
                     applicant_statuses: Iterable[str] | None = None,
                     holds: pl.DataFrame | None = None, calendar: Calendar | None = None,
                     as_of: datetime | None = None) -> pl.DataFrame:
        return time_in_status.utility_held_time(self._df, start, end, applicant_statuses, holds, calendar, as_of)

    def sla(self, deadlines: dict[str, int], first_visit_only: bool = True, by: str | list[str] | None = None,
            min_n: int = minn.MIN_N,
            unit: Literal["business_days", "business_hours"] = "business_days") -> pl.DataFrame:
        return sla.sla_compliance(self._df, deadlines, first_visit_only, by, min_n, unit)

    def due_dates(self, start_status: str, deadline_bdays: int, calendar: Calendar | None = None,
                  as_of: datetime | None = None, stop_status: str | None = None) -> pl.DataFrame:
        return sla.due_dates(self._df, start_status, deadline_bdays, calendar, as_of, stop_status)

    def throughput(self, statuses: Iterable[str] | None = None, every: str = "1w", by: str | None = None,
                   calendar: Calendar | None = None) -> pl.DataFrame:
        return throughput.throughput(self._df, statuses, every, by, calendar)

    def flow(self, arrival: str | None = None, exits: Iterable[str] | None = None, every: str = "1w",
             calendar: Calendar | None = None) -> pl.DataFrame:
        return throughput.arrivals_net_flow(self._df, arrival, exits, every, calendar)

    def wip(self, terminal: Iterable[str] | None = None, calendar: Calendar | None = None, start: date | None = None,
            end: date | None = None) -> pl.DataFrame:
        return throughput.wip_by_day(self._df, terminal, calendar, start, end)

    def aging(self, terminal: Iterable[str] | None = None,
              buckets: Sequence[tuple[int, int | None, str]] = AGING_BUCKETS,
              by: str | list[str] | None = None) -> pl.DataFrame:
        return throughput.aging_wip(self._df, terminal, buckets, by)

    def bottlenecks(self, unit: str = "business_days", min_n: int = minn.MIN_N) -> pl.DataFrame:
        return cohorts.bottlenecks(self._df, unit, min_n)

    def cohorts(self, start: str | None = None, end: str | None = None, every: str = "1mo",
                min_completed: int = minn.MIN_N, calendar: Calendar | None = None,
                as_of: datetime | None = None) -> pl.DataFrame:
        return cohorts.cohort_cycle_times(self._df, start, end, every, min_completed, calendar, as_of)

    def outcomes(self, start: str | None = None, outcomes: dict[str, Iterable[str]] | None = None,
                 every: str = "1mo", calendar: Calendar | None = None, min_n: int = minn.MIN_N) -> pl.DataFrame:
        return cohorts.cohort_outcomes(self._df, start, outcomes, every, calendar, min_n)

    def data_quality(self, projects: pl.DataFrame | None = None, threads: pl.DataFrame | None = None,
                     notes: pl.DataFrame | None = None, as_of: datetime | None = None,
                     events: pl.DataFrame | None = None, synced_at: datetime | None = None,
                     final: Iterable[str] | None = None, unsubmitted: Iterable[str] | None = None) -> pl.DataFrame:
        return quality.data_quality(self._df, projects, threads, notes, as_of, events, synced_at, final, unsubmitted)

    def variants(self, terminal: Iterable[str] | None = None, repeats: variants.Repeats = "keep",
                 outcomes: Mapping[str, Iterable[str]] | None = None, share: float | None = None,
                 k: int | None = None, min_n: int = minn.MIN_N, order: Sequence[str] | None = None) -> pl.DataFrame:
        return variants.variants(self._df, terminal, repeats, outcomes, share, k, min_n, order)

    def process_map(self, order: Sequence[str] | None = None, min_count: int = 0, min_share: float = 0.0,
                    min_n: int = minn.MIN_N) -> process_map.ProcessMap:
        return process_map.process_map(self._df, order, min_count, min_share, min_n)

    def rework(self, holders: Mapping[str, str] | None = None, terminal: Iterable[str] | None = None,
               min_n: int = minn.MIN_N) -> pl.DataFrame:
        return rework.rework_pairs(self._df, holders, terminal, min_n)

    def deviations(self, model: conformance.ProcessModel) -> pl.DataFrame:
        return conformance.deviations(self._df, model)

    def conformance(self, model: conformance.ProcessModel, found: pl.DataFrame | None = None) -> pl.DataFrame:
        return conformance.conformance(self._df, model, found)


_SOURCES = {"intervals": intervals.status_intervals, "business_hours": intervals.with_business_hours,
            "time_in_status": time_in_status.time_in_status, "cycle_time": time_in_status.cycle_time,
            "time_to_outcome": time_in_status.time_to_outcome, "utility_held": time_in_status.utility_held_time,
            "sla": sla.sla_compliance, "due_dates": sla.due_dates, "throughput": throughput.throughput,
            "flow": throughput.arrivals_net_flow, "wip": throughput.wip_by_day, "aging": throughput.aging_wip,
            "bottlenecks": cohorts.bottlenecks, "cohorts": cohorts.cohort_cycle_times,
            "outcomes": cohorts.cohort_outcomes, "data_quality": quality.data_quality,
            "variants": variants.variants, "process_map": process_map.process_map, "rework": rework.rework_pairs,
            "deviations": conformance.deviations, "conformance": conformance.conformance}
for _name, _fn in _SOURCES.items():
    getattr(PowerClerkFrame, _name).__doc__ = _fn.__doc__
