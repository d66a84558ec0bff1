"""The program's working calendar: time zone, week mask and holidays.

Business-day counts follow polars ``business_day_count`` semantics: local dates, half-open
``[start, end)``, so a step entered and left on the same day counts 0, and Mon -> Tue counts 1.
Regulatory timelines (e.g. "10 business days from a complete application") are written that way.
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
    timezone: str = "America/Los_Angeles"
    week_mask: tuple[bool, ...] = WEEKDAYS
    holidays: tuple[date, ...] = field(default_factory=tuple)

    @classmethod
    def us_federal(cls, timezone: str = "America/Los_Angeles", years: Iterable[int] = range(2015, 2036),
                   extra: Iterable[date] = (), week_mask: tuple[bool, ...] = WEEKDAYS) -> Calendar:
        """US federal holidays (observed dates, from the ``holidays`` package) plus your additions."""
        days = set(holidays_lib.US(years=list(years))) | set(extra)
        return cls(timezone, week_mask, tuple(sorted(days)))

    def __post_init__(self) -> None:
        if len(self.week_mask) != 7 or not any(self.week_mask):
            raise ValueError("week_mask needs 7 booleans (Mon..Sun) with at least one working day")

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
