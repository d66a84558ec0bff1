"""Point-in-time cuts: every metric at ``as_of`` sees only what the data said at that instant.

A report "as of the end of Q1" must give the figures it would have given if run then. Each metric
therefore applies the same cut before computing (``status_intervals`` does it for everything built
on intervals):

- status events stamped after ``as_of`` are dropped (events without a timestamp are kept: they
  cannot be placed in time); a stay whose exit came later is open at ``as_of``;
- inquiry threads created after ``as_of`` and notes written after it are dropped;
- a thread that is closed today counts as closed from its last note (or its creation when it has
  no notes), V2 gives no close time: if that moment is after ``as_of`` the thread was open then;
- a project exists at ``as_of`` when its summary status was set by then (or has no time) or it
  has a status event by then; its status at ``as_of`` is the summary status if that was set by
  then, else the last status event by then.

Present-day facts are *not* rolled back, because V2 keeps no history of them: the ReportAs
(suppress) flag of a history entry, project numbers, owners, thread subjects. A suppressed entry is
therefore left out at every ``as_of`` (an audit passes ``include_suppressed=True``).

``as_of=None`` means now (UTC). A naive datetime is refused: its meaning depends on the machine.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from pcnb import clock

TS = pl.Datetime("us", "UTC")

#: inquiry thread status meaning "still open" (a V2 contract value, not a program's name)
OPEN_THREAD = "Open"


def resolve(as_of: datetime | None) -> datetime:
    """``as_of`` as an aware UTC datetime (``None`` = now)."""
    if as_of is None:
        return clock.now()
    if not isinstance(as_of, datetime):
        raise ValueError(f"as_of={as_of!r} must be a datetime with a time zone (e.g. datetime(2025, 3, 31, 23, 59, "
                         f"tzinfo=ZoneInfo(program_tz))), not a {type(as_of).__name__}")
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a time zone (e.g. datetime(2025, 3, 31, 23, 59, tzinfo=ZoneInfo(program_tz)))")
    return as_of.astimezone(UTC)


def lit(as_of: datetime) -> pl.Expr:
    return pl.lit(as_of).cast(TS)


def cut_events(events: pl.DataFrame, as_of: datetime, include_suppressed: bool = False) -> pl.DataFrame:
    """Status events known at ``as_of``; entries flagged ``suppressed`` are dropped unless asked for."""
    keep = pl.col("ts").is_null() | (pl.col("ts") <= lit(as_of))
    if not include_suppressed and "suppressed" in events.columns:
        keep = keep & ~pl.col("suppressed").fill_null(False)
    if events.height and events.select(keep.all()).item():
        return events  # nothing to cut (the usual case at as_of = now): no copy of a million rows
    return events.filter(keep)


def cut_notes(notes: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    return notes.filter(pl.col("ts").is_null() | (pl.col("ts") <= lit(as_of)))


def cut_threads(threads: pl.DataFrame, notes: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Threads that existed at ``as_of`` with their status and last note then (see the module doc)."""
    at = lit(as_of)
    last = notes.group_by("thread_id").agg(pl.col("ts").max().alias("_last_any"),
                                           pl.col("ts").filter(pl.col("ts") <= at).max().alias("_last_then"))
    t = threads.filter(pl.col("created").is_null() | (pl.col("created") <= at)).join(last, on="thread_id",
                                                                                        how="left")
    closed_at = pl.max_horizontal("created", "_last_any")
    status = (pl.when(pl.col("status").cast(pl.String) == OPEN_THREAD).then(pl.lit(OPEN_THREAD))
              .when(closed_at > at).then(pl.lit(OPEN_THREAD)).otherwise(pl.col("status").cast(pl.String)))
    out = t.with_columns(status.cast(threads.schema["status"]).alias("status"))
    if "last_note" in threads.columns:
        out = out.with_columns(pl.col("_last_then").cast(threads.schema["last_note"]).alias("last_note"))
    return out.select(threads.columns)


def projects_at(projects: pl.DataFrame, intervals: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Projects that existed at ``as_of`` with ``status`` (a string) as it was then.

    ``intervals`` must be cut at the same ``as_of`` (``status_intervals`` does that)."""
    at = lit(as_of)
    last = intervals.filter(pl.col("is_open")).group_by("project_id").agg(
        pl.col("status").last().alias("_hist_status"), pl.col("entered").last().alias("_hist_ts"))
    p = projects.with_columns(pl.col("status").cast(pl.String)).join(last, on="project_id", how="left")
    known = pl.col("status_ts").is_null() | (pl.col("status_ts") <= at)  # no time: cannot be placed later
    p = p.filter(known | pl.col("_hist_status").is_not_null())
    return p.with_columns(pl.when(known).then(pl.col("status")).otherwise(pl.col("_hist_status")).alias("status"),
                          pl.when(known).then(pl.col("status_ts")).otherwise(pl.col("_hist_ts")).alias("status_ts")
                          ).drop("_hist_status", "_hist_ts")


__all__ = ["OPEN_THREAD", "cut_events", "cut_notes", "cut_threads", "projects_at", "resolve"]
