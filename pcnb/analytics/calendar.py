"""The program's working calendar: time zone, week mask and holidays.

Business-day counts follow polars ``business_day_count`` semantics: local dates, half-open
``[start, end)``, so a step entered and left on the same day counts 0, and Mon -> Tue counts 1.
Regulatory timelines (e.g. "10 business days from a complete application") are written that way.

Business hours, for programs whose deadlines are in hours: the working hours ``work_hours``
(default 8-17 local) of business days between two instants, counted to the second (returned in
hours); time outside those hours, on weekends and holidays counts 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

import holidays as holidays_lib
import polars as pl

WEEKDAYS = (True, True, True, True, True, False, False)


@dataclass(frozen=True)
class Calendar:
    timezone: str = "UTC"  # no program's zone by default: pass the profile's calendar
    week_mask: tuple[bool, ...] = WEEKDAYS
    holidays: tuple[date, ...] = field(default_factory=tuple)
    work_hours: tuple[float, float] = (8.0, 17.0)

    @classmethod
    def us_federal(cls, timezone: str, years: Iterable[int] = range(2015, 2036),
                   extra: Iterable[date] = (), week_mask: tuple[bool, ...] = WEEKDAYS) -> Calendar:
        """US federal holidays (observed dates, from the ``holidays`` package) plus your additions."""
        days = set(holidays_lib.country_holidays("US", years=list(years))) | set(extra)
        return cls(timezone, week_mask, tuple(sorted(days)))

    def __post_init__(self) -> None:
        if len(self.week_mask) != 7 or not any(self.week_mask):
            raise ValueError("week_mask needs 7 booleans (Mon..Sun) with at least one working day")
        if not 0 <= self.work_hours[0] < self.work_hours[1] <= 24:
            raise ValueError("work_hours needs (start, end) local hours with 0 <= start < end <= 24")

    def describe(self) -> str:
        days = "".join(d if on else "-" for d, on in zip("MTWTFSS", self.week_mask, strict=True))
        return f"{self.timezone}, {days}, {len(self.holidays)} holidays"

    def local_date(self, col: str | pl.Expr) -> pl.Expr:
        expr = pl.col(col) if isinstance(col, str) else col
        return expr.dt.convert_time_zone(self.timezone).dt.date()

    def business_days(self, start: pl.Expr, end: pl.Expr) -> pl.Expr:
        """Business days between two tz-aware datetime expressions (local dates, [start, end))."""
        return pl.business_day_count(self.local_date(start), self.local_date(end),
                                     week_mask=list(self.week_mask), holidays=list(self.holidays))

    def add_business_days(self, start: pl.Expr, n: int | pl.Expr) -> pl.Expr:
        """Due date: the local date ``n`` business days after ``start``."""
        return self.local_date(start).dt.add_business_days(n, week_mask=list(self.week_mask),
                                                           holidays=list(self.holidays), roll="forward")

    def business_hours(self, start: pl.Expr, end: pl.Expr) -> pl.Expr:
        """Working hours between two tz-aware datetime expressions (float hours, see the module doc)."""
        h0, h1 = self.work_hours
        mask, hols = list(self.week_mask), list(self.holidays)
        a, b = start.dt.convert_time_zone(self.timezone), end.dt.convert_time_zone(self.timezone)
        d0, d1 = a.dt.date(), b.dt.date()

        def clock(x: pl.Expr) -> pl.Expr:  # local time of day in hours, clipped to the working hours
            tod = x.dt.hour() + x.dt.minute() / 60 + x.dt.second() / 3600
            return tod.clip(h0, h1)

        def working(d: pl.Expr) -> pl.Expr:
            return pl.business_day_count(d, d + pl.duration(days=1), week_mask=mask, holidays=hols).cast(pl.Float64)

        between = pl.business_day_count(d0 + pl.duration(days=1), d1, week_mask=mask, holidays=hols)
        same_day = working(d0) * (clock(b) - clock(a)).clip(0, None)
        spans = (working(d0) * (h1 - clock(a)) + working(d1) * (clock(b) - h0)
                 + between.clip(0, None).cast(pl.Float64) * (h1 - h0))
        return pl.when(end < start).then(None).when(d0 == d1).then(same_day).otherwise(spans)
