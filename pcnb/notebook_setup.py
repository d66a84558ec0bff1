"""What every prebuilt notebook does first, in one call: connect, sync (with a progress bar), read the
profile, fix the point in time and the period, and build the stays every metric starts from.

The notebooks used to open with 30 lines of this before any result; a reader of notebook 01 saw code
for a screen and a silent minute. Now the first code cell is three lines and its output is the
progress of the sync, then the title block.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from pcnb import clock
from pcnb.analytics.intervals import status_intervals
from pcnb.cache import frames
from pcnb.cache.sync import SyncReport
from pcnb.errors import ConfigError
from pcnb.profile import ProgramProfile
from pcnb.workspace import Workspace


@dataclass
class NotebookSetup:
    """The names the notebooks use (``ws``, ``prof``, ``cal``, ``final`` ...), built once."""

    ws: Workspace
    report: SyncReport | str  # the sync's report, or what was read without one (``sync=False``)
    prof: ProgramProfile
    cal: Any  # pcnb.analytics.calendar.Calendar
    as_of_ts: dt.datetime
    start_day: dt.date
    events: pl.DataFrame
    intervals: pl.DataFrame
    in_period: pl.DataFrame

    def names(self) -> dict[str, Any]:
        """For ``globals().update(...)``: the names the notebooks' cells read."""
        p = self.prof
        return {"ws": self.ws, "report": self.report, "prof": p, "cal": self.cal,
                "local": ZoneInfo(self.cal.timezone), "final": p.roles.final, "intake": p.roles.intake,
                "completion": p.roles.completion, "as_of_ts": self.as_of_ts, "start_day": self.start_day,
                "events": self.events, "intervals": self.intervals, "in_period": self.in_period}


def as_of_instant(as_of: str, timezone: str) -> dt.datetime:
    """The notebooks' ``as_of`` parameter as a UTC instant: empty is now (pcnb.clock), a date is the end
    of that local day, a date-time is local unless it carries an offset."""
    if not as_of:
        return clock.now()
    try:
        return clock.instant(as_of, timezone)
    except ValueError:
        raise ConfigError(f"as_of {as_of!r} is not a date or date-time",
                          "use yyyy-mm-dd (the end of that day, local) or yyyy-mm-ddTHH:MM, or leave it empty "
                          "for now") from None


def setup(environment: str, program: str | None, start_date: str, as_of: str = "",
          progress: bool = True, sync: bool = True) -> NotebookSetup:
    """Connect, sync (a progress bar while it runs; later syncs fetch only what changed), and build the
    stays at ``as_of`` from ``start_date`` (the program's local midnight). ``sync=False`` reads the
    cache as it is: a compliance pack's report must show what its tables were built from."""
    try:
        start_day = dt.date.fromisoformat(start_date)
    except ValueError:
        raise ConfigError(f"start_date {start_date!r} is not a date", "use yyyy-mm-dd, e.g. 2024-01-01") from None
    ws = Workspace.open(environment, program)
    # two notebooks opened together (or `pcnb demo`'s reports) take turns on the cache instead of failing
    report: SyncReport | str = (ws.sync(progress=progress, wait_for_lock=300) if sync else
                                f"not synced: the cache as it was (change generation {ws.store.generation()})")
    # the two frames every notebook reads, at once: a cold cache (no snapshot of this generation yet, as
    # after sync=False on a changed store) reads both in the time of the longer (pcnb.cache.snapshots)
    events = frames.load(ws.store, "status_events", "projects")[0]
    prof = ws.profile  # the program's roles, calendar and deadlines (`%powerclerk profile` shows and edits it)
    cal = prof.calendar.calendar()
    as_of_ts = as_of_instant(as_of, cal.timezone)
    intervals = status_intervals(events, cal, as_of_ts, terminal=prof.roles.final)
    in_period = intervals.filter(cal.local_date("entered") >= start_day)
    return NotebookSetup(ws, report, prof, cal, as_of_ts, start_day, events, intervals, in_period)
