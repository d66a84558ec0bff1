"""M1 status intervals: the basis of every timing metric.

One row per stay in a status: entered, exited (null while open), next status, visit number,
calendar and business-day duration, and age for open stays. Consecutive duplicate entries are
merged (a re-save of the same status is not a new stay); zero-length stays are kept (they are real
transitions); events out of order and events after a terminal status are flagged, not dropped, so
the data-quality report can show them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

import polars as pl

from pcnb.analytics.asof import cut_events, resolve
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.roles import need

INTERVAL_SCHEMA = pl.Schema({
    "project_id": pl.String(), "status": pl.String(), "visit": pl.UInt32(), "entered": pl.Datetime("us", "UTC"),
    "exited": pl.Datetime("us", "UTC"), "next_status": pl.String(), "is_open": pl.Boolean(),
    "calendar_days": pl.Float64(), "business_days": pl.Int32(), "age_calendar_days": pl.Float64(),
    "age_business_days": pl.Int32(), "out_of_order": pl.Boolean(), "after_terminal": pl.Boolean(),
})


def status_intervals(events: pl.DataFrame, calendar: Calendar | None = None, as_of: datetime | None = None,
                     terminal: Iterable[str] | None = None, include_suppressed: bool = False) -> pl.DataFrame:
    """Stays in each status from ``events`` (project_id, seq, status, ts[, suppressed]: the
    frames.status_events schema) as the data stood at ``as_of`` (default now).

    Point in time: events stamped after ``as_of`` are left out, so a stay that ended later is open
    at ``as_of`` and its age runs to ``as_of`` (see :mod:`pcnb.analytics.asof`). History entries the
    program marks ReportAs = suppress are left out too (they are erroneous entries the program
    chose not to report); ``include_suppressed=True`` keeps them, for audits.
    ``terminal``: the program's final statuses (flags ``after_terminal``)."""
    terminal = need(terminal, "terminal", "status_intervals", "the program's final statuses")
    cal = calendar or Calendar()
    as_of = resolve(as_of)
    events = cut_events(events, as_of, include_suppressed)
    if events.height == 0:
        return pl.DataFrame(schema=INTERVAL_SCHEMA)
    terminal = list(terminal)
    # One sort, then neighbour logic by shift() with a same-project mask: no per-project window
    # groupings, and one time-zone conversion per column. This is what keeps 1M events < 1 s.
    ev = events.select("project_id", "seq", pl.col("status").cast(pl.String), "ts")
    if not _sorted(ev):  # frames.status_events delivers them in order (by project, oldest first) unless moved
        ev = ev.sort("project_id", "ts", "seq")
    same_prev = pl.col("project_id") == pl.col("project_id").shift(1)
    ev = ev.with_columns(
        # out of order: sorted by time, a row whose source position is before its predecessor's
        (same_prev & (pl.col("seq") < pl.col("seq").shift(1))).fill_null(False).alias("out_of_order"),
    ).filter(~(same_prev & (pl.col("status") == pl.col("status").shift(1))).fill_null(False))
    same_next = pl.col("project_id") == pl.col("project_id").shift(-1)
    is_term = pl.col("status").is_in(terminal).cast(pl.Int32)
    first_row = ~same_prev.fill_null(False)
    ev = ev.with_columns(
        pl.when(same_next).then(pl.col("ts").shift(-1)).alias("exited"),
        pl.when(same_next).then(pl.col("status").shift(-1)).alias("next_status"),
        _local_dates(ev, cal).alias("_d0"),
        (is_term.cum_sum() - is_term).alias("_before"),
        first_row.cast(pl.UInt32).cum_sum().alias("_project"),
    ).with_columns(
        (pl.col("_before") - pl.when(first_row).then(pl.col("_before")).forward_fill() > 0).alias("after_terminal"),
        pl.when(same_next).then(pl.col("_d0").shift(-1)).alias("_d1"),
    )
    as_of_lit = pl.lit(as_of).cast(pl.Datetime("us", "UTC"))
    as_of_day = as_of.astimezone(ZoneInfo(cal.timezone)).date()
    mask, hols = list(cal.week_mask), list(cal.holidays)

    def days(a: pl.Expr, b: pl.Expr) -> pl.Expr:
        return (b - a).dt.total_microseconds() / 86_400_000_000

    # one business-day count and one day difference per stay: to the exit for closed stays, to
    # as_of for open ones (split into the closed and the open columns after)
    until = pl.coalesce(pl.col("_d1"), pl.lit(as_of_day))
    out = ev.rename({"ts": "entered"}).with_columns(
        _visits(ev).alias("visit"), pl.col("exited").is_null().alias("is_open"),
        days(pl.col("entered"), pl.coalesce(pl.col("exited"), as_of_lit)).alias("_days"),
        pl.business_day_count("_d0", until, week_mask=mask, holidays=hols).alias("_bdays"),
    ).with_columns(
        pl.when(~pl.col("is_open")).then(pl.col("_days")).alias("calendar_days"),
        pl.when(~pl.col("is_open")).then(pl.col("_bdays")).alias("business_days"),
        pl.when(pl.col("is_open")).then(pl.col("_days")).alias("age_calendar_days"),
        pl.when(pl.col("is_open")).then(pl.col("_bdays")).alias("age_business_days"),
    )
    return out.select(list(INTERVAL_SCHEMA)).cast(INTERVAL_SCHEMA)


def _sorted(ev: pl.DataFrame) -> bool:
    """Whether ``ev`` is ordered by (project_id, ts, seq) already: one pass, cheaper than a sort."""
    pid, ts, seq = pl.col("project_id"), pl.col("ts"), pl.col("seq")
    same = pid == pid.shift(1)
    ok = pid.shift(1).is_null() | (pid > pid.shift(1)) | (same & ((ts > ts.shift(1)) | ((ts == ts.shift(1)) & (
        seq >= seq.shift(1)))))
    return ev.height == 0 or bool(ev.select(ok.fill_null(False).all()).item())


def _local_dates(ev: pl.DataFrame, cal: Calendar) -> pl.Series:
    """The local date of each ``ts``, converting each quarter hour once: UTC offsets and their
    changes fall on quarter hours in every zone of the tz database since 1972, so all instants
    of a UTC quarter hour share a local date; the events of 1M stays fall in ~100k quarter hours."""
    quarter = 900_000_000  # microseconds
    q = ev.select((pl.col("ts").dt.epoch("us") // quarter).alias("_q"))
    dates = q.unique().with_columns(cal.local_date((pl.col("_q") * quarter).cast(pl.Datetime("us", "UTC")))
                                    .alias("_d"))
    return q.join(dates, on="_q", how="left", maintain_order="left")["_d"]


def _visits(ev: pl.DataFrame) -> pl.Series:
    """``visit``: 1 for a project's first stay in a status, 2 for its second... in time order.

    An integer key (project ordinal, status code) sorted once in a two-column frame, and the visit
    numbers scattered back to their rows: ~4x faster than a window over two string columns, and
    twice as fast as sorting the whole frame by the key and back."""
    key = (pl.col("_project").cast(pl.UInt64) * (1 << 32)
           + pl.col("status").cast(pl.Categorical).to_physical().cast(pl.UInt64))
    d = ev.select(key.alias("_k"), pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i")).sort("_k", "_i")
    start = (pl.col("_k") != pl.col("_k").shift(1)).fill_null(True)
    pos = pl.int_range(pl.len(), dtype=pl.UInt32)
    visit = d.select((pos - pl.when(start).then(pos).forward_fill() + 1).alias("visit")).to_series()
    return pl.zeros(ev.height, pl.UInt32, eager=True).scatter(d["_i"], visit).alias("visit")


def with_business_hours(intervals: pl.DataFrame, calendar: Calendar | None = None,
                        as_of: datetime | None = None) -> pl.DataFrame:
    """Intervals plus ``business_hours`` (closed stays) and ``age_business_hours`` (open stays, to
    ``as_of``): working hours of the calendar (``Calendar.work_hours``), for deadlines in hours.
    Pass the same ``as_of`` the intervals were built with."""
    cal = calendar or Calendar()
    at = pl.lit(resolve(as_of)).cast(pl.Datetime("us", "UTC"))
    return intervals.with_columns(
        pl.when(~pl.col("is_open")).then(cal.business_hours(pl.col("entered"), pl.col("exited")))
        .alias("business_hours"),
        pl.when(pl.col("is_open")).then(cal.business_hours(pl.col("entered"), at)).alias("age_business_hours"))
