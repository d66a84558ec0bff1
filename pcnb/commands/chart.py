"""The chart command: figures drawn from the cache, in the program's own terms.

Every role a chart needs (final statuses, the intake and completion statuses, deadlines, the
calendar) comes from the program profile (``%powerclerk profile``); a missing one is a specific
message saying how to set it, never an empty chart.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from pcnb import clock
from pcnb.commands.base import Command, CommandError, Session
from pcnb.profile import ProgramProfile

BACKLOG = ("backlog", "backlog-trend")
FORECASTS = ("forecast", "completion", "at-risk")  # pcnb.forecast: the backlog's fan, projects' ranges, at risk
PROCESS = ("variants", "map", "rework")  # process mining (pcnb.processcharts)
CHARTS = ("throughput", "cfd", "time-in-status", "aging", "sla", "backlog", "backlog-trend", "bottlenecks",
          *PROCESS, *FORECASTS)
#: the process map leaves out moves rarer than this share of all moves (the title says how many)
MAP_MIN_SHARE = 0.005


def _role(prof: ProgramProfile, role: str) -> Any:
    return prof.require(role)  # a ProfileError (one line + how to set it) when the profile lacks it


def cmd_chart(args: argparse.Namespace, session: Session) -> Any:
    from pcnb import charts

    if args.finished != "exclude" and args.name not in BACKLOG:
        raise CommandError(f"--finished applies to backlog and backlog-trend, not {args.name}",
                           f"leave --finished out, or draw `%powerclerk chart backlog --finished {args.finished}`")
    if args.within is not None and args.name != "at-risk":
        raise CommandError(f"--within applies to at-risk, not {args.name}",
                           f"leave --within out, or draw `%powerclerk chart at-risk --within {args.within}`")
    ws = session.require()
    if ws.status_events().height == 0:
        raise CommandError("the cache has no status history yet", "run `%powerclerk sync` first")
    prof = ws.profile
    prof.validate()  # edited in Python since it was read: a one-line ProfileError, never a traceback below
    fig = _draw(args.name, args, ws, prof)
    return charts.caveat(fig, [*ws.profile_caveats(), *_sampled(ws)])


def _sampled(ws: Any) -> list[str]:
    """A chart drawn while a first sync is still fetching histories says so: it is drawn from a
    stratified random sample (pcnb.cache.sample_order), and `estimate` gives the intervals."""
    from pcnb.cache.scope import stored

    scope = stored(ws.store)
    projects = ws.projects()
    total = scope.select(projects).len()
    fetched = ws.status_events().select("project_id").unique().join(
        projects.filter(pl.col("project_id").is_in(scope.select(projects).implode())).select("project_id"),
        on="project_id").height
    if fetched >= total:
        return []
    return [f"drawn from the histories of {fetched:,} of {total:,} projects synced so far (a stratified random "
            "sample); `%powerclerk estimate` gives 95 % intervals"]


def _draw(name: str, args: argparse.Namespace, ws: Any, prof: ProgramProfile) -> Any:
    import pcnb.analytics as an
    from pcnb import charts, palette
    from pcnb.analytics.backlog import thread_state
    from pcnb.analytics.cohorts import bottlenecks

    cal, now = prof.calendar.calendar(), clock.now()
    final = _role(prof, "final")
    iv = an.status_intervals(ws.status_events(), cal, now, terminal=final)
    pal = palette.use(prof)  # this program's colours, whichever other program's profile was read since
    if name in PROCESS:
        return _process(name, ws, prof, iv, cal, now, pal)
    if name == "throughput":
        return charts.throughput_chart(an.throughput(iv, [_role(prof, "intake"), _role(prof, "completion")], "1mo",
                                                     calendar=cal), now, colors=pal, cal=cal)
    if name == "cfd":
        return charts.cumulative_flow_chart(an.wip_by_day(iv, terminal=final, calendar=cal), now, colors=pal,
                                            timezone=cal.timezone)
    if name == "time-in-status":
        return charts.time_in_status_chart(iv.filter(~pl.col("status").is_in(final)), now, cal, colors=pal,
                                           deadlines=charts.status_deadlines(prof.deadlines),
                                           unplotted=charts.unplotted_deadlines(prof.deadlines))
    if name == "aging":
        return charts.aging_chart(iv.filter(~pl.col("status").is_in(prof.roles.draft)), now, cal, terminal=final,
                                  colors=pal, deadlines=charts.status_deadlines(prof.deadlines))
    if name == "sla":  # every deadline of the profile: per status or span, any unit, tracks, utility clock
        return charts.sla_chart(ws.deadline_compliance(now), now, cal)
    if name == "backlog":
        return charts.backlog_chart(thread_state(ws.inquiry_threads(), ws.inquiry_notes(), cal, now, intervals=iv,
                                                 final=final), now, cal, finished=args.finished)
    if name in FORECASTS:
        return _forecast(name, args, ws, prof, iv, now)
    if name == "backlog-trend":
        from pcnb.analytics.backlog import backlog_over_time

        return charts.backlog_trend_chart(backlog_over_time(ws.inquiry_threads(), ws.inquiry_notes(), cal, now,
                                                            intervals=iv, final=final, finished=args.finished),
                                          now, cal)
    assert name == "bottlenecks" and name in CHARTS
    ends = [st for kind, names in prof.roles.exits.items() if kind != "completed" for st in names]
    return charts.bottleneck_chart(bottlenecks(iv), now, colors=pal, timezone=cal.timezone, ends=ends,
                                   holders=prof.holders)


def _forecast(name: str, args: argparse.Namespace, ws: Any, prof: ProgramProfile, iv: pl.DataFrame, now: Any) -> Any:
    """The forecast charts (pcnb.chartforecast), from the cache as of now."""
    from pcnb import chartforecast
    from pcnb.analytics.throughput import wip_by_day
    from pcnb.forecast import at_risk

    cal = prof.calendar.calendar()
    numbers = dict(ws.projects().select("project_id", "project_number").drop_nulls().iter_rows())
    if name == "forecast":
        b = ws.backlog(26, now)
        since = now.astimezone(ZoneInfo(cal.timezone)).date() - timedelta(days=182)
        wip = wip_by_day(iv, terminal=prof.roles.final, calendar=cal, start=since)
        history = wip.filter(~pl.col("status").is_in(prof.roles.draft)).group_by("date").agg(pl.col("wip").sum())
        return chartforecast.backlog_forecast_chart(b, cal, history)
    within = args.within or 5
    fc = ws.forecast(now, within=within)
    if name == "completion":
        return chartforecast.completion_chart(fc, numbers)
    risk = at_risk(fc).with_columns(pl.col("project_id").replace_strict(numbers, default=None)
                                    .alias("project_number"))
    return chartforecast.at_risk_chart(risk, now, within, cal)


def _process(name: str, ws: Any, prof: ProgramProfile, iv: pl.DataFrame, cal: Any, now: Any, pal: Any) -> Any:
    """Variants, the process map and rework, with what the data-quality checks found said on the
    figure (a status the profile lacks, events out of order...; why nothing is drawn, when so)."""
    from pcnb import charts, processcharts
    from pcnb.analytics.process_map import process_map
    from pcnb.analytics.quality import process_checks, process_statement
    from pcnb.analytics.rework import rework_pairs
    from pcnb.analytics.variants import project_variants, summarize

    order = [s.name for s in prof.statuses]
    final = _role(prof, "final")
    said = process_statement(process_checks(iv, order, ws.status_events()))
    if name == "variants":
        pv = project_variants(iv, final, outcomes={k: v for k, v in prof.roles.exits.items() if v}, order=order)
        fig = processcharts.variants_chart(summarize(pv, share=0.8, k=15), now, cal, colors=pal,
                                           table=summarize(pv), statements=said)
    elif name == "map":
        fig = processcharts.process_map_chart(process_map(iv, order=order, min_share=MAP_MIN_SHARE), now, cal,
                                              colors=pal, statements=said, min_share=MAP_MIN_SHARE)
    else:
        fig = processcharts.rework_chart(rework_pairs(iv, prof.holders, final), now, cal, statements=said)
    drawn = any(len(t.x or ()) for t in fig.data if t.x is not None)
    return charts.caveat(fig, said) if drawn else fig  # an empty one says it in the middle already


def _chart_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", choices=CHARTS)
    p.add_argument("--finished", choices=("exclude", "group", "include"), default="exclude",
                   help="backlog charts: threads of projects in a final status are left out (default: nobody "
                        "will answer them), drawn as their own group, or counted with the others")
    p.add_argument("--within", type=int, help="at-risk: business days ahead (default 5)")


CHART = Command("chart", "draw a chart from the cache", f"One of: {', '.join(CHARTS)}; the program profile "
                "(%powerclerk profile) says which statuses are final, intake and completion, the deadlines, the "
                "workflow's order (variants, map) and who holds each status (rework). "
                "The backlog charts leave finished projects' threads out unless --finished group|include. "
                "forecast: work in progress over the next 26 weeks (a fan of simulated futures); completion: when "
                "each project will be done; at-risk: deadlines likely to run out within --within business days.",
                cmd_chart, _chart_args)
