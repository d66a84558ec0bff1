"""The chart command: figures drawn from the cache."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

import polars as pl

from pcnb.commands.base import Command, CommandError, Session

CHARTS = ("throughput", "cfd", "time-in-status", "aging", "sla", "backlog", "backlog-trend", "bottlenecks")


def cmd_chart(args: argparse.Namespace, session: Session) -> Any:
    import pcnb.analytics as an
    from pcnb import charts
    from pcnb.analytics.backlog import thread_state
    from pcnb.analytics.cohorts import bottlenecks

    ws = session.require()
    cal, now = an.Calendar.us_federal(), datetime.now(UTC)
    iv = an.status_intervals(ws.status_events(), cal, now)
    if iv.height == 0:
        raise CommandError("the cache has no status history yet", "run `%powerclerk sync` first")
    name = args.name
    if name == "throughput":
        return charts.throughput_chart(an.throughput(iv, ["Application Submitted", "Permission to Operate"], "1mo",
                                                     calendar=cal), now)
    if name == "cfd":
        return charts.cumulative_flow_chart(an.wip_by_day(iv, calendar=cal), now)
    if name == "time-in-status":
        return charts.time_in_status_chart(iv, now, cal)
    if name == "aging":
        return charts.aging_chart(iv.filter(pl.col("status") != "Unsubmitted"), now, cal)
    if name == "sla":
        return charts.sla_chart(an.sla_compliance(iv, {"Application Submitted": 3, "Application Review": 10}), now,
                                cal)
    if name == "backlog":
        return charts.backlog_chart(thread_state(ws.inquiry_threads(), ws.inquiry_notes(), cal, now), now, cal)
    if name == "backlog-trend":
        from pcnb.analytics.backlog import backlog_over_time

        return charts.backlog_trend_chart(backlog_over_time(ws.inquiry_threads(), ws.inquiry_notes(), cal, now),
                                          now, cal)
    assert name == "bottlenecks" and name in CHARTS
    return charts.bottleneck_chart(bottlenecks(iv), now)


def _chart_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", choices=CHARTS)


CHART = Command("chart", "draw a chart from the cache", f"One of: {', '.join(CHARTS)}.", cmd_chart, _chart_args)
