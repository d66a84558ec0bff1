"""What each ``%powerclerk`` subcommand does (the grammar lives in commands.py)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

import polars as pl

from pcnb.commands import CHARTS, CommandError, Session, build_parser, parse_date


def cmd_help(args: argparse.Namespace, session: Session) -> str:
    return build_parser().format_help()


def cmd_connect(args: argparse.Namespace, session: Session) -> str:
    from pcnb.workspace import Workspace

    if session.workspace is not None:
        session.workspace.close()
        session.workspace = None
    if args.env:
        ws = Workspace.connect(args.env, args.program)
    else:
        ws = Workspace.open("sandbox", args.program, projects=args.projects, seed=args.seed)
    session.workspace = ws
    s = ws.client.settings
    who = ", ".join(f"{k} from {v}" for k, v in ws.client.credentials.sources.items() if k != "client_secret")
    return f"connected to {s.environment} ({s.base_url}), program {ws.program}; credentials: {who}"


def cmd_login(args: argparse.Namespace, session: Session) -> Any:
    from pcnb.widgets.login import LoginPanel, text_fallback

    if args.text:
        return text_fallback()
    try:
        panel = LoginPanel(session)
    except ImportError:
        return text_fallback()
    session.panel = panel
    return panel.widget


def cmd_browse(args: argparse.Namespace, session: Session) -> Any:
    from pcnb.widgets.browser import ProjectBrowser

    browser = ProjectBrowser(session.require())
    if args.status:
        if args.status not in browser.status.options:
            raise CommandError(f"status {args.status!r} is not in the cache",
                               f"use one of: {', '.join(browser.status.options[1:])}")
        browser.status.value = args.status
    session.panel = browser
    return browser.widget


def cmd_programs(args: argparse.Namespace, session: Session) -> pl.DataFrame:
    data = session.require().client.programs().get("Programs") or []
    return pl.DataFrame(data) if data else pl.DataFrame(schema={"ProgramId": pl.String, "Name": pl.String})


def cmd_use(args: argparse.Namespace, session: Session) -> str:
    from pcnb.workspace import Workspace

    ws = session.require()
    new = Workspace(ws.client, args.program)
    session.workspace = new
    return f"using program {new.program} (cache {new.store.path})"


def cmd_sync(args: argparse.Namespace, session: Session) -> str:
    report = session.require().sync(full=args.full, max_calls=args.max_calls, max_minutes=args.max_minutes,
                                    inquiries=not args.no_inquiries, progress=True)
    return str(report)


def cmd_projects(args: argparse.Namespace, session: Session) -> pl.DataFrame:
    df = session.require().projects()
    if args.status:
        df = df.filter(pl.col("status").cast(pl.String) == args.status)
    if args.changed_since:
        df = df.filter(pl.col("last_change") > parse_date(args.changed_since, "--changed-since"))
    if args.owner:
        needle = args.owner.lower()
        df = df.filter(pl.col("owner_name").str.to_lowercase().str.contains(needle, literal=True)
                       | pl.col("owner_email").str.to_lowercase().str.contains(needle, literal=True))
    if args.text:
        df = df.filter(pl.col("project_number").fill_null("").str.contains(args.text, literal=True)
                       | pl.col("project_id").str.contains(args.text, literal=True))
    return df


def cmd_history(args: argparse.Namespace, session: Session) -> pl.DataFrame:
    ws = session.require()
    proj = ws.projects().filter((pl.col("project_id") == args.project) | (pl.col("project_number") == args.project))
    if proj.height == 0:
        raise CommandError(f"project {args.project!r} is not in the cache", "run `%powerclerk sync`, or check the id")
    return ws.status_events().filter(pl.col("project_id") == proj["project_id"][0])


def cmd_threads(args: argparse.Namespace, session: Session) -> pl.DataFrame:
    from pcnb.analytics.backlog import thread_state

    ws = session.require()
    state = thread_state(ws.inquiry_threads(), ws.inquiry_notes())
    return state.filter(pl.col("waiting_on") == args.waiting_on) if args.waiting_on else state


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


def cmd_budget(args: argparse.Namespace, session: Session) -> str:
    ws = session.require()
    budget = ws.client.budget
    if budget is None:
        return "no rate budget configured"
    queued = ws.store.pending()
    return f"{budget.snapshot()}; queue {queued} item(s), ETA {budget.eta(queued):.0f}s at the shared limit"


def cmd_info(args: argparse.Namespace, session: Session) -> str:
    ws = session.require()
    s = ws.client.settings
    return f"{s.environment} {s.base_url} · program {ws.program} · cache {ws.store.path} · {ws.health()}"
