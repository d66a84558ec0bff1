"""M1 status intervals: the basis of every timing metric.

One row per stay in a status: entered, exited (null while open), next status, visit number,
calendar and business-day duration, and age for open stays. Consecutive duplicate entries are
merged (a re-save of the same status is not a new stay); zero-length stays are kept (they are real
transitions); events out of order and events after a terminal status are flagged, not dropped, so
the data-quality report can show them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
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
    ev = in_order(events, as_of, include_suppressed)
    if ev.height == 0:
        return pl.DataFrame(schema=INTERVAL_SCHEMA)
    terminal = list(terminal)
    same_next = ~pl.col("_first").shift(-1).fill_null(True)
    is_term = pl.col("status").is_in(terminal).cast(pl.Int32)
    first_row = pl.col("_first")
    ev = ev.with_columns(
        pl.when(same_next).then(pl.col("ts").shift(-1)).alias("exited"),
        pl.when(same_next).then(pl.col("status").shift(-1)).alias("next_status"),
        _local_days(ev["ts"], cal.timezone, as_of).alias("_d0"),
        (is_term.cum_sum() - is_term).alias("_before"),
        first_row.cast(pl.UInt32).cum_sum().alias("_project"),
    ).with_columns(
        (pl.col("_before") - pl.when(first_row).then(pl.col("_before")).forward_fill() > 0).alias("after_terminal"),
        pl.when(same_next).then(pl.col("_d0").shift(-1)).alias("_d1"),
    )
    as_of_lit = pl.lit(as_of).cast(pl.Datetime("us", "UTC"))
    as_of_day = (as_of.astimezone(ZoneInfo(cal.timezone)).date() - date(1970, 1, 1)).days

    def days(a: pl.Expr, b: pl.Expr) -> pl.Expr:
        return (b - a).dt.total_microseconds() / 86_400_000_000

    # one business-day count and one day difference per stay: to the exit for closed stays, to
    # as_of for open ones (split into the closed and the open columns after)
    until = pl.coalesce(pl.col("_d1"), pl.lit(as_of_day))
    first = min(int(ev["_d0"].min() or as_of_day), as_of_day)  # type: ignore[arg-type]
    index = pl.lit(_business_index(first, as_of_day + 1, cal))
    out = ev.rename({"ts": "entered"}).with_columns(
        _visits(ev).alias("visit"), pl.col("exited").is_null().alias("is_open"),
        days(pl.col("entered"), pl.coalesce(pl.col("exited"), as_of_lit)).alias("_days"),
        (index.gather(until - first) - index.gather(pl.col("_d0") - first)).cast(pl.Int32).alias("_bdays"),
    ).with_columns(
        pl.when(~pl.col("is_open")).then(pl.col("_days")).alias("calendar_days"),
        pl.when(~pl.col("is_open")).then(pl.col("_bdays")).alias("business_days"),
        pl.when(pl.col("is_open")).then(pl.col("_days")).alias("age_calendar_days"),
        pl.when(pl.col("is_open")).then(pl.col("_bdays")).alias("age_business_days"),
    )
    return out.select(list(INTERVAL_SCHEMA)).cast(INTERVAL_SCHEMA)


def in_order(events: pl.DataFrame, as_of: datetime, include_suppressed: bool = False) -> pl.DataFrame:
    """The events known at ``as_of`` (pcnb.analytics.asof), in time order per project, a re-save of
    the same status dropped (no new stay): project_id, seq, status (String), ``_code`` (its integer
    code), ts, ``_first`` (a project's first row) and ``out_of_order`` (its source position is before
    its predecessor's). One sort at most, then neighbour logic by shift(): no per-project window.
    The first half of :func:`status_intervals`, for analyses that need the path, not every stay."""
    events = cut_events(events, as_of, include_suppressed)
    # statuses also as integer codes (free when they come categorical, as frames.status_events
    # gives them): neighbours and visits compare integers, not strings
    ev = events.select("project_id", "seq", pl.col("status").cast(pl.String),
                       pl.col("status").cast(pl.Categorical).to_physical().alias("_code"), "ts")
    first = (pl.col("project_id") != pl.col("project_id").shift(1)).fill_null(True).alias("_first")
    ev = ev.with_columns(first)
    if not _sorted(ev):  # frames.status_events delivers them in order (by project, oldest first) unless moved
        ev = ev.sort("project_id", "ts", "seq").with_columns(first)
    same_prev = ~pl.col("_first")
    repeat = same_prev & (pl.col("_code") == pl.col("_code").shift(1))
    ev = ev.with_columns(
        (same_prev & (pl.col("seq") < pl.col("seq").shift(1))).fill_null(False).alias("out_of_order"),
        repeat.fill_null(False).alias("_repeat"))
    if ev["_repeat"].any():
        ev = ev.filter(~pl.col("_repeat"))
    return ev.drop("_repeat")


def _sorted(ev: pl.DataFrame) -> bool:
    """Whether ``ev`` (with its ``_first`` rows marked) is ordered by (project_id, ts, seq) already:
    the ids checked by polars in one pass (or by their sorted flag), then time and source order
    within each project."""
    if ev.height == 0 or not ev["project_id"].is_sorted():
        return ev.height == 0
    ts, seq = pl.col("ts"), pl.col("seq")
    same = ~pl.col("_first")  # the project starts, marked already
    ahead = ((ts > ts.shift(1)) | ((ts == ts.shift(1)) & (seq >= seq.shift(1)))).fill_null(False)  # no time: sort
    return not bool(ev.select((same & ~ahead).any()).item())


DAY_US = 86_400_000_000


def _offsets(timezone: str, lo: int, hi: int) -> tuple[list[int], list[int]]:
    """(from, offset): the zone's UTC offset in microseconds from each instant on, over [lo, hi] (epoch
    seconds). The zone is asked once a day and, where its offset changed, bisected to the second:
    a few thousand look-ups for years of data, not one per event."""
    from datetime import UTC

    zone = ZoneInfo(timezone)

    def off(sec: int) -> int:
        delta = datetime.fromtimestamp(sec, UTC).astimezone(zone).utcoffset()
        return int(delta.total_seconds()) * 1_000_000 if delta is not None else 0

    starts, offsets = [lo * 1_000_000], [off(lo)]
    t = lo
    while t < hi:
        nxt = min(t + 86_400, hi)
        if off(nxt) != offsets[-1]:
            a, b = t, nxt  # off(a) is the last offset, off(b) the new one
            while b - a > 1:
                mid = (a + b) // 2
                a, b = (mid, b) if off(mid) == offsets[-1] else (a, mid)
            starts.append(b * 1_000_000)
            offsets.append(off(b))
        t = nxt
    return starts, offsets


def _local_days(ts: pl.Series, timezone: str, until: datetime) -> pl.Series:
    """Each instant's local date in ``timezone`` as days since 1970-01-01 (Int64): its UTC offset
    looked up in the zone's transitions over the data's span (a binary search per event, no
    time-zone conversion per event), then whole days."""
    us = ts.dt.epoch("us")
    lo_us, hi_us = us.min(), us.max()
    if lo_us is None or hi_us is None:
        return pl.Series(ts.name, [None] * ts.len(), dtype=pl.Int64)
    hi = max(int(hi_us) // 1_000_000 + 1, int(until.timestamp()) + 1)  # type: ignore[arg-type]
    starts, offsets = _offsets(timezone, int(lo_us) // 1_000_000 - 1, hi)  # type: ignore[arg-type]
    at = pl.Series(starts, dtype=pl.Int64).search_sorted(us, side="right").cast(pl.Int64) - 1
    off = pl.Series(offsets, dtype=pl.Int64).gather(at.clip(0, None))
    return ((us + off) // DAY_US).alias(ts.name)


def _business_index(first: int, last: int, cal: Calendar) -> pl.Series:
    """For each day from ``first`` to ``last`` (days since 1970-01-01): how many business days of the
    calendar lie before it, from ``first`` on. The business days in [a, b) are index[b] - index[a]:
    polars' business_day_count, looked up instead of counted per stay."""
    days = pl.int_range(first, last + 1, dtype=pl.Int64, eager=True)
    weekday = (days + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    working = pl.Series(list(cal.week_mask), dtype=pl.Boolean).gather(weekday)
    epoch = date(1970, 1, 1)
    off = {(d - epoch).days for d in cal.holidays}
    working = working & ~days.is_in(list(off))
    return (working.cast(pl.Int64).cum_sum() - working.cast(pl.Int64)).alias("_index")


def _visits(ev: pl.DataFrame) -> pl.Series:
    """``visit``: 1 for a project's first stay in a status, 2 for its second... in time order.

    Each row packed into one integer (project, status code, place in the project), sorted as one
    column: equal (project, status) rows fall together in time order, and each sorted key says
    which row it was (the project's first row + its place). ~2.5x faster than sorting a frame by
    the pair and moving the numbers back; a window over two string columns was 10x slower."""
    pos = pl.int_range(pl.len(), dtype=pl.UInt32)
    place = (pos - pl.when(pl.col("_first")).then(pos).forward_fill()).alias("_place")
    parts = ev.select((pl.col("_project") - 1).alias("_p"), pl.col("_code"), place)
    biggest = parts.select(pl.all().max()).row(0)
    if not (biggest[0] < 1 << 24 and biggest[1] < 1 << 28 and biggest[2] < 1 << 12):
        return _visits_by_frame(ev)  # more projects, statuses or stays than the packing holds
    key = (pl.col("_p").cast(pl.UInt64) * (1 << 40) + pl.col("_code").cast(pl.UInt64) * (1 << 12)
           + pl.col("_place").cast(pl.UInt64))
    keys = parts.select(key.alias("_k")).to_series().sort()
    group = keys // (1 << 12)
    start = (group != group.shift(1)).fill_null(True)
    at = pl.int_range(0, keys.len(), dtype=pl.UInt32, eager=True)
    visit = at - pl.select(pl.when(start).then(at).forward_fill()).to_series() + 1
    starts = ev.select(pl.int_range(pl.len(), dtype=pl.UInt32).filter(pl.col("_first"))).to_series()
    row = starts.gather((keys // (1 << 40)).cast(pl.UInt32)) + (keys % (1 << 12)).cast(pl.UInt32)
    return pl.zeros(ev.height, pl.UInt32, eager=True).scatter(row, visit).alias("visit")


def _visits_by_frame(ev: pl.DataFrame) -> pl.Series:
    """:func:`_visits` for what the packed key cannot hold: the (project, status) key sorted with the
    row numbers in a two-column frame, the visits scattered back."""
    key = pl.col("_project").cast(pl.UInt64) * (1 << 32) + pl.col("_code").cast(pl.UInt64)
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
