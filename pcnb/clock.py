"""The one wall clock of pcnb: every "now" a user can see goes through :func:`now`.

Why one clock: a figure "as of now", a doctor window "the last 30 days", a sandbox whose history ends
"today" and a support ticket's time stamp must all agree, and a test must be able to move all of
them at once. Product code never calls ``datetime.now()`` itself; it calls :func:`now`, which reads
the machine's clock through ``datetime.now`` (so time-machine moves it, in this process and, with
the test suite's ``--clock``, in every child process) unless :func:`use` or :func:`frozen` set it.

Durations (timeouts, rate windows, ETAs) use ``time.monotonic`` and are not "now": no clock here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def _system() -> datetime:
    return datetime.now(UTC)


_clock: Clock = _system


def now() -> datetime:
    """The current instant, an aware UTC datetime."""
    return _clock().astimezone(UTC)


def midnight() -> datetime:
    """The start of the current UTC day (the sandbox's default end of history)."""
    return datetime.combine(now().date(), time(), UTC)


def use(clock: Clock | None) -> Clock:
    """Make ``clock`` the source of :func:`now` (``None``: the system clock again); returns the previous one."""
    global _clock
    previous, _clock = _clock, clock or _system
    return previous


@contextmanager
def frozen(instant: datetime) -> Iterator[datetime]:
    """:func:`now` answers ``instant`` (aware) inside the block."""
    if instant.tzinfo is None:
        raise ValueError("a frozen instant needs a time zone")
    previous = use(lambda: instant)
    try:
        yield instant
    finally:
        use(previous)


# ---- a point in time as a reader writes it ---------------------------------------------------------
def end_of_day(day: date, timezone: str) -> datetime:
    """The last instant of local ``day`` in ``timezone``, in UTC: what "as of 2025-09-30" means."""
    return datetime.combine(day, time.max, ZoneInfo(timezone)).astimezone(UTC)


def instant(text: str, timezone: str) -> datetime:
    """An as-of as users write it, in UTC: an ISO date is the end of that local day, a date-time is
    local unless it carries an offset. A ValueError when it is neither (callers say it in their words)."""
    if len(text) == 10:
        return end_of_day(date.fromisoformat(text), timezone)
    t = datetime.fromisoformat(text)
    return (t if t.tzinfo else t.replace(tzinfo=ZoneInfo(timezone))).astimezone(UTC)


# ---- how a time is said to a reader ------------------------------------------------------------
def local_time(at: datetime, timezone: str) -> str:
    """``2026-12-06 09:33 PST``: a time a reader of this program sees, its zone named."""
    local = at.astimezone(ZoneInfo(timezone))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def ago(seconds: float) -> str:
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.0f} h ago"
    return f"{seconds / 86400:.0f} days ago"
