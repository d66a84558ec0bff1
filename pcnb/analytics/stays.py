"""Ordered stays per project: the shared basis of variants, the process map, rework and conformance.

Intervals (:func:`pcnb.analytics.intervals.status_intervals`) are one row per stay; process mining
needs them as each project's path: in time order, numbered, with the project as an integer (a
group-by over an integer is several times faster than over the 12-character id) and statuses as
integer codes. Everything here is one pass of vectorised polars over the whole frame: no Python
loop per project.

Business days add up over a project's consecutive stays (``[start, end)`` local dates: the count
from A to B plus the count from B to C is the count from A to C), so a project's cycle time to its
last entry is the sum of its closed stays' business days; no second calendar pass is needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import polars as pl

#: The arrow between statuses in a path written as text.
SEP = " → "

#: Columns the process analyses need from the intervals.
NEEDED = ("project_id", "status", "visit", "entered", "exited", "is_open", "business_days", "calendar_days")


def check(intervals: pl.DataFrame, function: str) -> None:
    missing = [c for c in NEEDED if c not in intervals.columns]
    if missing:
        raise ValueError(f"{function}() needs intervals (status_intervals / events.pc.intervals()), a frame with "
                         f"{', '.join(NEEDED)}; this one lacks {', '.join(missing)}")


def ordered(intervals: pl.DataFrame, function: str = "process") -> pl.DataFrame:
    """The stays in time order per project, with ``_pid`` (project ordinal, UInt32), ``_pos`` (the
    stay's place in its project's path, 0-based) and ``_first``/``_last`` (first and last stay of
    the project). status_intervals already delivers this order; it is checked in one pass and the
    frame is sorted (stably) only when it is not."""
    check(intervals, function)
    iv = intervals.select(*NEEDED, *(pl.col(c) if c in intervals.columns else pl.lit(None, t).alias(c)
                                     for c, t in (("age_business_days", pl.Int32), ("next_status", pl.String))))
    first = (pl.col("project_id") != pl.col("project_id").shift(1)).fill_null(True).alias("_first")
    iv = iv.with_columns(first)
    if iv.height and not _in_order(iv):
        iv = iv.sort("project_id", "entered", maintain_order=True, nulls_last=True).with_columns(first)
    last = pl.col("_first").shift(-1).fill_null(True)
    pos = pl.int_range(pl.len(), dtype=pl.UInt32)
    return iv.with_columns(last.alias("_last")).with_columns(
        (pl.col("_first").cast(pl.UInt32).cum_sum() - 1).set_sorted().alias("_pid"),  # group-bys take the fast path
        (pos - pl.when(pl.col("_first")).then(pos).forward_fill()).alias("_pos"))


def _in_order(iv: pl.DataFrame) -> bool:
    """The ids in order (polars' own check, or their sorted flag), then the stays in time order
    within each project (its first row marked ``_first``)."""
    if not iv["project_id"].is_sorted():
        return False
    ts = pl.col("entered")
    return not bool(iv.select((~pl.col("_first") & (ts < ts.shift(1)).fill_null(False)).any()).item())


def codes(statuses: Iterable[str], order: Sequence[str] | None = None) -> list[str]:
    """Every status, in the program's ``order`` first (its profile's status order), then the others
    sorted: a status's code is its place in this list."""
    seen = set(statuses)
    known = [s for s in (order or []) if s in seen]
    return known + sorted(seen - set(known))


def coded(iv: pl.DataFrame, names: list[str]) -> pl.Expr:
    """The status as its UInt32 code in ``names``."""
    return pl.col("status").replace_strict(names, list(range(len(names))), return_dtype=pl.UInt32)


def held_days(final: Iterable[str]) -> pl.Expr:
    """Business days a stay took: closed stays' count, open stays' age (to as_of), 0 for a stay in a
    final status (open for ever: it is where the project ended, not time it spent)."""
    days = pl.coalesce(pl.col("business_days"), pl.col("age_business_days"))
    return pl.when(pl.col("status").is_in(list(final))).then(0).otherwise(days.fill_null(0)).cast(pl.Int64)


def per_project(iv: pl.DataFrame, final: Iterable[str]) -> pl.DataFrame:
    """One row per project (``_pid`` order): project_id, first (entered its first status), last
    status, ``finished`` (its last status is final), ``cycle_bdays``/``cycle_days`` (first entry to
    the entry of the last status: its closed stays; null while the project is not finished) and
    ``age_bdays`` (the same to ``as_of`` for unfinished ones: closed stays plus the open stay's age).

    No group-by: the stays are in project order, so a project's sums are differences of running
    sums at its last and first stays, and its first and last values are those rows'."""
    final = list(final)
    closed = ~pl.col("is_open")
    run = iv.select(
        "_pid", "project_id", "entered", "status", "age_business_days", "_first", "_last",
        pl.when(closed).then(pl.col("business_days")).otherwise(0).cast(pl.Int64).cum_sum().alias("_cb"),
        pl.when(closed).then(pl.col("calendar_days")).otherwise(0.0).cum_sum().alias("_cd"),
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"))
    first = run.filter(pl.col("_first"))
    last = run.filter(pl.col("_last"))
    start_b = pl.concat([pl.Series([0], dtype=pl.Int64), last["_cb"].head(last.height - 1)])
    start_d = pl.concat([pl.Series([0.0]), last["_cd"].head(last.height - 1)])
    out = last.select(
        "_pid", "project_id", pl.lit(first["entered"]).alias("first"), pl.col("entered").alias("last_entered"),
        pl.col("status").alias("last_status"), (pl.col("_cb") - pl.lit(start_b)).alias("_closed_bdays"),
        (pl.col("_cd") - pl.lit(start_d)).alias("_closed_days"), pl.col("age_business_days").alias("_age"),
        (pl.col("_row") - pl.lit(first["_row"]) + 1).alias("stays"))
    done = pl.col("last_status").is_in(final)
    return out.with_columns(done.alias("finished")).with_columns(
        pl.when(done).then(pl.col("_closed_bdays")).alias("cycle_bdays"),
        pl.when(done).then(pl.col("_closed_days")).alias("cycle_days"),
        pl.when(~done).then(pl.col("_closed_bdays") + pl.col("_age").fill_null(0)).alias("age_bdays"),
    ).drop("_closed_bdays", "_closed_days", "_age")
