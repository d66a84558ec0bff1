"""What a listed change costs: the rules that decide which calls a sync makes for a project.

Why a module of its own: the sync (pcnb.cache.sync) applies these rules and the planner
(pcnb.cache.plan) replays them on a listing page to predict the calls before they are spent; one
copy of the rules keeps the prediction equal to the spending.

A project's copy in the cache is ``old = (StatusId, CurrentStatus µs, LastChangeTimestamp µs,
history_as_of µs)`` (None when it is new); the listing shows ``new = (StatusId, CurrentStatus µs,
LastChangeTimestamp µs)``.

Same-second changes: the API reports status and note times to the whole second, so a second status
move or note in the second of the cached one leaves CurrentStatus / LastNoteTimestamp unchanged.
LastChangeTimestamp (full precision, strictly increasing) still moves, so each cached history and
thread remembers since when it is known complete (``history_as_of`` / ``notes_as_of``), and a copy
not known complete past its last event's second + SETTLE_US is fetched again when its project changes.
"""

from __future__ import annotations

from typing import Any

SETTLE_US = 2_000_000  # whole-second timestamps (truncated or rounded) + clock margin

Old = tuple[Any, ...] | None  # (status_id, status_ts, last_change, history_as_of) or None
New = tuple[Any, int | None, int | None]  # (status_id, status_ts, last_change)


def unsettled(as_of: int | None, last_event: int | None) -> bool:
    """Could another event hide in the (whole-second) time of the cached last event? Yes unless the
    cached copy is known complete at least SETTLE_US past that time."""
    return as_of is None or last_event is None or as_of < last_event + SETTLE_US


def changed(old: Old, new: New) -> bool:
    """New, or LastChangeTimestamp moved: its inquiries (and forms) are fetched again."""
    return old is None or old[2] != new[2]


def history_reason(old: Old, new: New, refresh_histories: bool = False) -> str | None:
    """Why the project's status history is fetched (None: it is not)."""
    if old is None:
        return "new project"
    if old[:2] != new[:2]:
        return "status changed"
    if old[2] != new[2] and refresh_histories:
        return "project changed (refresh_histories)"
    if old[2] != new[2] and unsettled(old[3], new[1]):
        return "same-second check"
    return None


def thread_reason(cached: tuple[int | None, int | None] | None, last_note: int | None) -> str | None:
    """Why a listed thread's notes are fetched (None: they are not); ``cached`` is the cached
    thread's (LastNoteTimestamp, notes_as_of), None for a thread not cached."""
    if cached is None or cached[0] != last_note:
        return "thread changed"
    if last_note is not None and unsettled(cached[1], last_note):
        return "same-second check"
    return None


__all__ = ["SETTLE_US", "changed", "history_reason", "thread_reason", "unsettled"]
