"""M7 throughput, M8 arrivals and net flow, M9 WIP per day (cumulative flow), M10 aging WIP.

Throughput counts *first* entries into a status so rework loops are not counted as output; periods
are local calendar periods of the program's time zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import polars as pl

from pcnb.analytics.calendar import Calendar
from pcnb.analytics.roles import need

AGING_BUCKETS = ((0, 5, "0-5"), (6, 10, "6-10"), (11, 20, "11-20"), (21, 45, "21-45"), (46, None, ">45"))


def _period(cal: Calendar, every: str) -> pl.Expr:
    return cal.local_date("entered").dt.truncate(every).alias("period")


def throughput(intervals: pl.DataFrame, statuses: Iterable[str] | None = None, every: str = "1w",
               by: str | None = None, calendar: Calendar | None = None) -> pl.DataFrame:
    """M7: first entries into each status per period (``1w`` weeks start Monday, ``1mo`` months)."""
    cal = calendar or Calendar()
    iv = intervals.filter(pl.col("visit") == 1)
    if statuses is not None:
        iv = iv.filter(pl.col("status").is_in(list(statuses)))
    keys = ["period", "status", *([by] if by else [])]
    return iv.with_columns(_period(cal, every)).group_by(keys).agg(pl.len().alias("count")).sort(keys)


def arrivals_net_flow(intervals: pl.DataFrame, arrival: str | None = None,
                      exits: Iterable[str] | None = None, every: str = "1w",
                      calendar: Calendar | None = None) -> pl.DataFrame:
    """M8: arrivals vs departures per period, net flow and the running total it implies.

    - arrivals: first entries into ``arrival`` (a project arrives once);
    - departures: entries into one of ``exits`` from a status that is not an exit (or as a
      project's first status). A project departs once per exit: one exit status to another is one
      departure; a project re-opened and closed again departs twice;
    - reopened: entries from an exit into a non-exit status (the project is back in the pipeline);
    - net_flow = arrivals + reopened - departures; cumulative_net is its running sum.

    Counts are Int64 (signed), so a week with more departures than arrivals is negative."""
    cal = calendar or Calendar()
    exits = list(need(exits, "exits", "arrivals_net_flow", "the program's final statuses (roles.final)"))
    arrival = need(arrival, "arrival", "arrivals_net_flow", "the status the application clock starts in (roles.intake)")
    iv = intervals.sort("project_id", "entered").with_columns(
        _period(cal, every), pl.col("status").is_in(exits).alias("_exit")).with_columns(
        pl.col("_exit").shift(1).over("project_id").fill_null(False).alias("_prev_exit"))
    counts = {"arrivals": (pl.col("status") == arrival) & (pl.col("visit") == 1),
              "departures": pl.col("_exit") & ~pl.col("_prev_exit"),
              "reopened": ~pl.col("_exit") & pl.col("_prev_exit")}
    out = iv.group_by("period").agg(*(c.sum().cast(pl.Int64).alias(k) for k, c in counts.items())).filter(
        pl.sum_horizontal(list(counts)) > 0).sort("period")
    return out.with_columns((pl.col("arrivals") + pl.col("reopened") - pl.col("departures")).alias("net_flow")
                            ).with_columns(pl.col("net_flow").cum_sum().alias("cumulative_net"))


def wip_by_day(intervals: pl.DataFrame, terminal: Iterable[str] | None = None, calendar: Calendar | None = None,
               start: date | None = None, end: date | None = None) -> pl.DataFrame:
    """M9: projects in each non-terminal status at the end of each local day (cumulative flow).

    Built from +1/-1 deltas on entry/exit dates and a running sum, so it is O(intervals + days),
    not a days x intervals cross join.
    """
    cal = calendar or Calendar()
    final = need(terminal, "terminal", "wip_by_day", "the program's final statuses (roles.final)")
    iv = intervals.filter(~pl.col("status").is_in(list(final)))
    if iv.height == 0:
        return pl.DataFrame(schema={"date": pl.Date, "status": pl.String, "wip": pl.Int64})
    plus = iv.select("status", cal.local_date("entered").alias("date"), pl.lit(1).alias("d"))
    minus = iv.filter(pl.col("exited").is_not_null()).select(
        "status", cal.local_date("exited").alias("date"), pl.lit(-1).alias("d"))
    deltas = pl.concat([plus, minus]).group_by("status", "date").agg(pl.col("d").sum())
    lo: date = start or deltas["date"].min()  # type: ignore[assignment]
    hi: date = end or deltas["date"].max()  # type: ignore[assignment]
    days = pl.DataFrame({"date": pl.date_range(lo, hi, "1d", eager=True)})
    grid = days.join(deltas.select("status").unique(), how="cross")
    before = deltas.filter(pl.col("date") < lo).group_by("status").agg(pl.col("d").sum().alias("base"))
    out = grid.join(deltas, on=["status", "date"], how="left").join(before, on="status", how="left").fill_null(0)
    return out.sort("status", "date").with_columns(
        (pl.col("d").cum_sum().over("status") + pl.col("base")).alias("wip")).select("date", "status", "wip")


def aging_wip(intervals: pl.DataFrame, terminal: Iterable[str] | None = None,
              buckets: Sequence[tuple[int, int | None, str]] = AGING_BUCKETS,
              by: str | list[str] | None = None) -> pl.DataFrame:
    """M10: open, non-terminal stays by status (and optional segment) and business-day age bucket."""
    iv = intervals.filter(pl.col("is_open") & ~pl.col("status").is_in(
        list(need(terminal, "terminal", "aging_wip", "the program's final statuses (roles.final)"))))
    age = pl.col("age_business_days")
    label: pl.Expr = pl.lit(None, pl.String)
    for lo, hi, name in reversed(buckets):  # the first matching bucket wins
        cond = (age >= lo) if hi is None else ((age >= lo) & (age <= hi))
        label = pl.when(cond).then(pl.lit(name)).otherwise(label)
    order = [b[2] for b in buckets]
    keys = ["status", *([by] if isinstance(by, str) else (by or [])), "age_bucket"]
    return iv.with_columns(label.cast(pl.Enum(order)).alias("age_bucket")).group_by(keys).agg(
        pl.len().alias("count"), age.max().alias("oldest_bdays")).sort(keys)
