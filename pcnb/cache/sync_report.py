"""What a sync run reports, and the run's own limits (max_calls, max_minutes).

Why apart from pcnb.cache.sync: the report is what the notebook, the background sync and the
planner's calibration read (``note_calls``, ``note_rechecks``), without the sync's machinery.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class SyncReport:
    run_id: str
    calls: int = 0
    pages: int = 0
    projects_seen: int = 0
    histories: int = 0
    inquiry_calls: int = 0  # inquiry thread lists and note lists together
    note_calls: int = 0  # of which note lists (pcnb.cache.plan predicts them from this ratio)
    rechecks: int = 0  # histories / threads re-fetched because a change could hide in the same second
    note_rechecks: int = 0  # of which note lists (known to the planner from the cache, pcnb.cache.plan)
    queue_left: int = 0
    complete: bool = False
    stopped_because: str | None = None
    watermark: datetime | None = None
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None
    notes: list[str] = field(default_factory=list)  # what the caller did after the sync (e.g. profile inferred)
    #: a resumed run lists nothing new: it completes the interrupted run, whose listing started here
    covers_until: datetime | None = None
    in_scope: int | None = None  # projects inside a scope other than all (pcnb.cache.scope)
    scope: str | None = None

    def __str__(self) -> str:
        state = "complete" if self.complete else f"paused ({self.stopped_because}); re-run to resume"
        if self.complete and self.covers_until is not None:
            state = (f"complete up to {self.covers_until.isoformat(timespec='seconds')} (it finished an interrupted "
                     "run; changes since then are fetched by the next sync)")
        tail = f" ({self.skipped})" if self.skipped else ""
        if self.in_scope is not None:
            tail += f"; scope: {self.scope} ({self.in_scope:,} projects)"
        return (f"sync {state}: {self.calls} calls, {self.pages} pages, {self.projects_seen} projects listed, "
                f"{self.histories} histories, {self.inquiry_calls} inquiry calls, {self.queue_left} queued{tail}"
                + "".join(f"\n{note}" for note in self.notes))


class RunBudget:
    """The run's own limits; calls spent are read from the transport, so retries count too."""

    def __init__(self, max_calls: int | None, max_minutes: float | None, spent: Callable[[], int]):
        self.max_calls, self.deadline = max_calls, None if max_minutes is None else time.monotonic() + max_minutes * 60
        self.spent = spent

    def exhausted(self) -> str | None:
        if self.max_calls is not None and self.spent() >= self.max_calls:
            return f"max_calls={self.max_calls} reached"
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return "max_minutes reached"
        return None


__all__ = ["RunBudget", "SyncReport"]
