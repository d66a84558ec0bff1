"""Time in the forecast: business days of the program calendar as integers, day 0 = the ``as_of`` day.

A stay's length in business days is counted as everywhere in pcnb (local dates, half-open
``[entered, exited)``, :mod:`pcnb.analytics.calendar`), so a stay entered on day ``e`` and left on
day ``x`` lasted ``x - e`` business days, and the simulation adds and compares plain integers.
``index(d)`` is numpy's ``busday_count(as_of_day, d)`` (negative before it) and ``date(i)`` its
inverse (``busday_offset``): the same week mask and holidays, in the program's time zone.

``today`` is the first day on which a stay open at ``as_of`` can still end: day 0 while the
``as_of`` day's working hours run, else the next business day (a cut at 23:59 has seen the whole
day, so nothing open then ends that day). An open stay entered on day ``e`` has therefore lasted at
least ``today - e`` business days: its censoring bound, in the fit and in the forecast alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

from pcnb.analytics.calendar import Calendar

#: "never within the horizon": a day index beyond any horizon (fits int32 with room to add)
NEVER = 1 << 28


class BusinessDays:
    """Day indexes of one calendar around one ``as_of`` (see the module doc)."""

    def __init__(self, calendar: Calendar, as_of: datetime):
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.timezone)
        local = as_of.astimezone(self.zone)
        self.day0: date = local.date()
        self.mask = np.array(calendar.week_mask, dtype=bool)
        self.holidays = np.array(sorted(calendar.holidays), dtype="datetime64[D]")
        self.cal = np.busdaycalendar(weekmask=self.mask, holidays=self.holidays)
        self._d0 = np.datetime64(self.day0, "D")
        working = bool(np.is_busday(self._d0, busdaycal=self.cal))
        hours = local.hour + local.minute / 60 + local.second / 3600
        self.today = 0 if working and hours < calendar.work_hours[1] else (1 if working else 0)
        self.hours_per_day = calendar.work_hours[1] - calendar.work_hours[0]

    def index(self, days: np.ndarray | Sequence[date] | date) -> np.ndarray:
        """Business-day index of local dates (day 0 = the as_of day, or the next business day)."""
        arr = np.asarray(days, dtype="datetime64[D]")
        return np.busday_count(self._d0, arr, busdaycal=self.cal).astype(np.int32)

    def dates(self, index: np.ndarray) -> np.ndarray:
        """Local dates (datetime64[D]) of day indexes."""
        return np.busday_offset(self._d0, np.asarray(index, dtype=np.int64), roll="forward", busdaycal=self.cal)

    def date(self, index: int) -> date:
        return self.dates(np.array([index]))[0].astype(date)  # type: ignore[no-any-return]

    def ordinal(self, index: np.ndarray) -> np.ndarray:
        """Calendar day number (days since 1970-01-01) of day indexes: calendar-day deadlines count these."""
        return self.dates(index).astype(np.int64)

    def horizon(self, days: int) -> int:
        """The first day index after the local date ``as_of`` + ``days``: the forecast sees what
        happens before it (up to and including that date)."""
        return int(self.index(self.day0 + timedelta(days=days + 1)))

    def local_dates(self, col: str) -> pl.Expr:
        return self.calendar.local_date(col)


__all__ = ["NEVER", "BusinessDays"]
