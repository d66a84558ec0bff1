"""Connection commands: connect, login, programs, use, budget, info."""

from __future__ import annotations

import argparse
import difflib
from typing import Any

import polars as pl

from pcnb.commands.base import Command, CommandError, Session


def _connect_args(c: argparse.ArgumentParser) -> None:
    g = c.add_mutually_exclusive_group()
    g.add_argument("--sandbox", action="store_true", help="use the embedded sandbox (default)")
    g.add_argument("--env", choices=("trial", "production"), help="a real PowerClerk environment")
    c.add_argument("--program", help="program id (needed when several are visible)")
    c.add_argument("--projects", type=int, default=2000, help="sandbox: number of synthetic projects")
    c.add_argument("--seed", type=int, default=7, help="sandbox: generator seed")


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


def _login_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--text", action="store_true", help="print the non-widget instructions instead")


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


def cmd_programs(args: argparse.Namespace, session: Session) -> pl.DataFrame:
    data = session.require().client.programs().get("Programs") or []
    return pl.DataFrame(data) if data else pl.DataFrame(schema={"ProgramId": pl.String, "Name": pl.String})


def _use_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("program")


def cmd_use(args: argparse.Namespace, session: Session) -> str:
    from pcnb.workspace import Workspace

    ws = session.require()
    visible = {str(p.get("ProgramId")): str(p.get("Name") or "") for p in ws.client.programs().get("Programs") or []}
    by_name = {name: pid for pid, name in visible.items()}
    program = by_name.get(args.program, args.program)
    if program not in visible:  # before any store is created for it
        close = difflib.get_close_matches(args.program, [*visible, *by_name], n=1)
        raise CommandError(f"no visible program {args.program!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
                           "`%powerclerk programs` lists the programs your credentials can see: "
                           + ", ".join(f"{k} ({v})" for k, v in visible.items()))
    new = Workspace(ws.client, program)
    session.workspace = new
    return f"using program {new.program} (cache {new.store.path})"


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


CONNECT = Command("connect", "connect to the sandbox or to PCI Trial / Production",
                  "Connect and open the local cache. --sandbox starts an embedded sandbox (or uses "
                  "PCNB_SANDBOX_CONNECTION); --env reads credentials from PCNB_* variables or the keyring.",
                  cmd_connect, _connect_args, needs_workspace=False)
LOGIN = Command("login", "show the login panel (secrets typed there are never saved)",
                "Environment, API key, client id/secret and MFA in a widget; fields are cleared once read.",
                cmd_login, _login_args, needs_workspace=False)
PROGRAMS = Command("programs", "list the programs these credentials can see", "GetPrograms.", cmd_programs)
USE = Command("use", "switch to another program", "Use PROGRAM for the following commands (opens its cache).",
              cmd_use, _use_args)
BUDGET = Command("budget", "the API key's rate budget and ETA",
                 "Operations used in the window, remaining, ETA for the queue.", cmd_budget)
INFO = Command("info", "connection and cache health", "Who is connected where, watermark age, queue depth, 429s.",
               cmd_info)
