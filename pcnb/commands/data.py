"""Data commands over the local cache: sync, projects, history, threads, browse."""

from __future__ import annotations

import argparse
import difflib
import sys
from typing import Any

import polars as pl

from pcnb.commands.base import Command, CommandError, Session, parse_date


def _sync_args(s: argparse.ArgumentParser) -> None:
    s.add_argument("--full", action="store_true", help="re-list every project (reconciliation)")
    s.add_argument("--max-calls", type=int, help="stop after this many API operations")
    s.add_argument("--max-minutes", type=float, help="stop after this many minutes")
    s.add_argument("--no-inquiries", action="store_true", help="skip inquiry threads and notes")
    s.add_argument("--forms", metavar="FORM1,FORM2", help="also fetch these forms' values for each project (custom "
                   "ids, as `fields` lists them; e.g. the size field a compliance rule file sums)")
    s.add_argument("--refresh-histories", action="store_true",
                   help="also refetch the history of every changed project (one call each): sees ReportAs changes")
    s.add_argument("--plan", action="store_true",
                   help="print each stage's calls and minutes at the shared budget; fetch nothing but one listing "
                        "page (and one-project probes to count a long listing)")
    s.add_argument("--background", action="store_true",
                   help="sync in a kernel thread with a live progress line; the notebook stays usable")
    scope = s.add_argument_group("scope", "fetch histories, inquiries and forms only for these listed projects "
                                 "(combined with AND; kept as the cache's scope; widening fetches only what is "
                                 "missing)")
    scope.add_argument("--status", action="append", metavar="NAME", help="current status name (repeatable)")
    scope.add_argument("--since", metavar="DATE", help="changed since this ISO date (covers submitted since)")
    scope.add_argument("--numbers", metavar="N1,N2", help="project numbers, comma-separated")
    scope.add_argument("--where", metavar="SQL", help="a polars SQL condition on the listed projects, e.g. "
                       "\"status_ts >= DATE '2026-06-01'\"")
    scope.add_argument("--all", action="store_true", help="widen the scope back to every project")


def _scope(args: argparse.Namespace) -> Any:
    from pcnb.cache.scope import Scope

    given = args.status or args.since or args.numbers or args.where
    if args.all and given:
        raise CommandError("--all widens the scope to every project; it cannot be combined with "
                           "--status/--since/--numbers/--where", "leave --all out, or the other scope options")
    if args.all:
        return Scope()
    if not given:
        return None
    if any(not (s or "").strip() for s in args.status or ()):
        raise CommandError("--status was given an empty status name", "name a current status, e.g. "
                           "--status \"In Review\" (`%powerclerk projects` shows them)")
    numbers = tuple(n.strip() for n in (args.numbers or "").split(",") if n.strip())
    if args.numbers is not None and not numbers:
        raise CommandError(f"--numbers {args.numbers!r} names no project number", "give e.g. --numbers SPR-1,SPR-2")
    scope = Scope(tuple(args.status or ()), parse_date(args.since, "--since") if args.since else None, numbers,
                  args.where)
    scope.validate()  # a --where that does not parse: refused before any call (the owner check is one)
    return scope


def _forms(ws: Any, text: str) -> tuple[str, ...]:
    """--forms' ids, each checked against the program's forms (one call) before any other: a misspelt
    form would cost a call per project and fetch nothing."""
    names = tuple(f.strip() for f in text.split(",") if f.strip())
    if not names:
        raise CommandError(f"--forms {text!r} names no form",
                           "give the forms' custom ids, comma-separated: --forms FORM1,FORM2")
    listed = ws.client.forms(ws.program).get("Forms") or []
    known = {str(f.get(k)) for f in listed for k in ("CustomId", "FormId") if f.get(k)}
    for name in names:
        if name not in known:
            custom = sorted(str(f.get("CustomId") or f.get("FormId")) for f in listed)
            close = difflib.get_close_matches(name, custom, n=1)
            raise CommandError(f"--forms: {name!r} is not a form of this program",
                               f"did you mean {close[0]!r}?" if close else f"its forms are: {', '.join(custom)}")
    return names


def cmd_sync(args: argparse.Namespace, session: Session) -> Any:
    ws = session.require()
    scope = _scope(args)
    if args.plan:
        return str(ws.sync(plan=True, full=args.full, inquiries=not args.no_inquiries,
                           refresh_histories=args.refresh_histories, scope=scope))
    kw = {"full": args.full, "max_calls": args.max_calls, "max_minutes": args.max_minutes,
          "inquiries": not args.no_inquiries, "refresh_histories": args.refresh_histories, "scope": scope}
    if args.forms is not None:
        kw["forms"] = _forms(ws, args.forms)
    if args.background:
        return _background(session, ws, kw)
    return str(ws.sync(progress=session.progress, **kw))


def _background(session: Session, ws: Any, kw: dict[str, Any]) -> None:
    from pcnb.background import BackgroundSync
    from pcnb.cache.progress import LinePrinter

    if session.terminal:
        raise CommandError("--background syncs in a notebook's kernel; a terminal command ends with its process",
                           "run `pcnb sync` (an interrupted sync resumes where it stopped)")
    if session.background is not None and session.background.running:
        raise CommandError(f"a background sync is already running ({session.background.line})",
                           "`%powerclerk info` shows its progress; run this one when it is done")
    bg = BackgroundSync(ws, **kw)
    if session.progress:
        live = _live_line()
        if live is not None:
            bg.listeners.append(lambda p: live(str(p)))
            bg.on_done = live
        else:  # no display to update in place: one line per 10 %
            bg.listeners.append(LinePrinter(out=sys.stdout))
            bg.on_done = print
    session.background = bg.start()


def _live_line() -> Any:
    """A display updated in place from the sync's thread (a Jupyter kernel), or None elsewhere."""
    from pcnb.cache.progress import in_kernel

    if not in_kernel():
        return None
    from IPython.display import display

    handle = display({"text/plain": "PowerClerk sync: starting…"}, raw=True, display_id=True)  # type: ignore[no-untyped-call]
    return lambda text: handle.update({"text/plain": text}, raw=True)


def _projects_args(pr: argparse.ArgumentParser) -> None:
    pr.add_argument("--status", help="current status name (exact)")
    pr.add_argument("--changed-since", help="ISO date, e.g. 2026-01-31")
    pr.add_argument("--owner", help="owner name or email contains")
    pr.add_argument("--text", help="project number or id contains")


def cmd_projects(args: argparse.Namespace, session: Session) -> pl.DataFrame:
    ws = session.require()
    df: pl.DataFrame = ws.projects()
    if args.status:
        known = sorted({s for s in df["status"].cast(pl.String).drop_nulls().unique().to_list()}
                       | {name for _, _, name in ws.store.status_refs() if name})
        if args.status not in known:  # a typo would silently give an empty frame
            close = difflib.get_close_matches(args.status, known, n=1)
            raise CommandError(f"no status {args.status!r} in this program"
                               + (f" (did you mean {close[0]!r}?)" if close else ""),
                               f"statuses: {', '.join(known)}")
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


def _history_args(h: argparse.ArgumentParser) -> None:
    h.add_argument("project", help="project id or number")


def cmd_history(args: argparse.Namespace, session: Session) -> pl.DataFrame:
    ws = session.require()
    proj = ws.projects().filter((pl.col("project_id") == args.project) | (pl.col("project_number") == args.project))
    if proj.height == 0:
        raise CommandError(f"project {args.project!r} is not in the cache", "run `%powerclerk sync`, or check the id")
    events: pl.DataFrame = ws.status_events()
    return events.filter(pl.col("project_id") == proj["project_id"][0])


def _threads_args(t: argparse.ArgumentParser) -> None:
    t.add_argument("--waiting-on", choices=("utility", "applicant", "none"))


def cmd_threads(args: argparse.Namespace, session: Session) -> pl.DataFrame:
    from pcnb.analytics.backlog import thread_state

    ws = session.require()
    state = thread_state(ws.inquiry_threads(), ws.inquiry_notes())
    return state.filter(pl.col("waiting_on") == args.waiting_on) if args.waiting_on else state


def _browse_args(b: argparse.ArgumentParser) -> None:
    b.add_argument("--status", help="start filtered to this status name")


def cmd_browse(args: argparse.Namespace, session: Session) -> Any:
    from pcnb.widgets.browser import ProjectBrowser

    browser = ProjectBrowser(session.require())
    if args.status:
        if args.status not in browser.statuses:
            raise CommandError(f"status {args.status!r} is not in the cache",
                               f"use one of: {', '.join(browser.statuses)}")
        browser.status.value = args.status
    session.panel = browser
    return browser.widget


SYNC = Command("sync", "bring the local cache up to date (incremental, resumable)",
               "Incremental sync within the shared rate budget; interrupted syncs resume where they stopped.",
               cmd_sync, _sync_args)
PROJECTS = Command("projects", "show cached projects, filtered", "Filter the cached projects (no API call).",
                   cmd_projects, _projects_args)
HISTORY = Command("history", "a project's status history (cached)", "Status events of PROJECT, oldest first.",
                  cmd_history, _history_args)
THREADS = Command("threads", "inquiry threads with who must answer", "Open/closed threads and their waiting side.",
                  cmd_threads, _threads_args)
BROWSE = Command("browse", "project browser: filter, select, act (widget)",
                 "A table of cached projects with filters; select rows, choose an action, Plan, then Execute.",
                 cmd_browse, _browse_args)
