"""Connection commands: connect, disconnect, connections, forget, login, programs, use, budget, info.

A failed ``connect`` keeps the working connection: the new workspace is opened first and the old
one closed only once the new one answered, so a typo in ``--env`` never costs the analyst a session.
"""

from __future__ import annotations

import argparse
import difflib
from typing import Any

import polars as pl

from pcnb.commands.base import Command, CommandError, Session
from pcnb.errors import PowerClerkError

#: environments whose credentials pcnb may keep in the keyring (the sandbox's are generated)
KEYRING_ENVS = ("trial", "production", "custom")


def _count(text: str) -> int:
    """argparse type of --projects: a sandbox of 0 or -5 projects is a typo, not a program."""
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 200_000:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of projects (1-200000)")
    return int(text)


def _connect_args(c: argparse.ArgumentParser) -> None:
    g = c.add_mutually_exclusive_group()
    g.add_argument("--sandbox", action="store_true", help="use the embedded sandbox (default)")
    g.add_argument("--env", choices=("trial", "production"),
                   help="a real PowerClerk environment (without --sandbox/--env: %%config "
                        "PowerClerkMagic.default_environment, PCNB_DEFAULT_ENVIRONMENT, else the sandbox)")
    c.add_argument("--program", help="program id (needed when several are visible)")
    c.add_argument("--projects", type=_count, default=2000, help="sandbox: number of synthetic projects (1-200000)")
    c.add_argument("--seed", type=int, default=7, help="sandbox: generator seed")


def cmd_connect(args: argparse.Namespace, session: Session) -> str:
    from pcnb.sandbox.definition import ProgramDefinitionError
    from pcnb.workspace import Workspace

    env = args.env or ("sandbox" if args.sandbox else session.default_environment or "sandbox")
    old = session.workspace
    try:
        if env != "sandbox":
            ws = Workspace.connect(env, args.program)
        else:
            ws = Workspace.open("sandbox", args.program, projects=args.projects, seed=args.seed)
    except (PowerClerkError, ProgramDefinitionError) as exc:
        message = exc.message if isinstance(exc, PowerClerkError) else " ".join(str(exc).split())
        hint = exc.hint if isinstance(exc, PowerClerkError) else \
            "name a built-in program (listed above) or a definition file"
        if old is None:
            raise CommandError(message, hint) from None
        raise CommandError(f"{message} (still connected to {_where(old)}: the previous connection is in use)",
                           hint or "check the environment and credentials, then connect again") from None
    if old is not None:
        session.closed()
        old.close()
    session.opened(ws)
    s = ws.client.settings
    who = ", ".join(f"{k} from {v}" for k, v in ws.client.credentials.sources.items() if k != "client_secret")
    replaced = f" (closed {_where(old)})" if old is not None else ""
    return f"connected to {s.environment} ({s.base_url}), program {ws.program}; credentials: {who}{replaced}"


def _where(ws: Any) -> str:
    return f"{ws.client.settings.environment} program {ws.program}"


#: what `disconnect` and `connections` say in the console script, where nothing stays connected
TERMINAL = ("each pcnb command opens its own connection and closes it when done (a running `pcnb sandbox`, or "
            "PCNB_ENVIRONMENT=trial|production); there is nothing open between commands")


def cmd_disconnect(args: argparse.Namespace, session: Session) -> str:
    ws = session.closed()
    if ws is None and session.terminal:
        return f"not connected: {TERMINAL}"
    if ws is None:
        return "not connected: nothing to close (`%powerclerk connect --sandbox` or `connect --env trial` opens one)"
    ws.close()
    sandbox = " and stopped its embedded sandbox" if ws.sandbox_handle is not None else ""
    return f"disconnected from {_where(ws)}: closed the cache {ws.store.where}{sandbox}"


def cmd_connections(args: argparse.Namespace, session: Session) -> Any:
    records = session.records()
    if not records and session.terminal:
        return f"no connections: {TERMINAL}"
    if not records:
        return "no connections in this session yet (`%powerclerk connect --sandbox` opens one)"
    roles = {True: "admin", False: "non-admin", None: "not checked yet"}
    rows = [{"current": "*" if row["current"] else "", "role": roles[row["client"].is_admin],
             **{k: v for k, v in row.items() if k not in ("current", "client", "ws")}} for row in records]
    return pl.DataFrame(rows).select("current", "environment", "program", "credentials", "role", "mfa", "cache",
                                     "since", "closed", "base_url")


def _forget_args(f: argparse.ArgumentParser) -> None:
    f.add_argument("--env", required=True, choices=KEYRING_ENVS,
                   help="whose keyring entries to remove (those the login panel's 'Remember' stored)")


def cmd_forget(args: argparse.Namespace, session: Session) -> str:
    import keyring

    from pcnb.api.auth import KEYRING_SERVICE, forget

    removed = forget(args.env)
    if not removed:
        backend = type(keyring.get_keyring())
        return (f"nothing stored for {args.env} in the keyring (service {KEYRING_SERVICE!r}, backend "
                f"{backend.__module__}.{backend.__name__}); nothing removed")
    still = ""
    ws = session.workspace
    if ws is not None and ws.client.settings.environment == args.env:
        still = "; the current connection keeps the credentials it read until `%powerclerk disconnect`"
    return (f"removed from the keyring (service {KEYRING_SERVICE!r}): "
            + ", ".join(f"{args.env}:{name}" for name in removed) + still)


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
    new._stack, new.sandbox_handle, new.sandbox_program = ws._stack, ws.sandbox_handle, ws.sandbox_program
    ws.store.close()  # the client and an embedded sandbox carry over to the new program
    session.opened(new)
    return f"using program {new.program} (cache {new.store.where})"


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
    worker = ws.worker_last_run()
    tail = f" · {worker.line()}" if worker else ""
    line = f"{s.environment} {s.base_url} · program {ws.program} · cache {ws.store.where} · {ws.health()}{tail}"
    if session.background is not None:  # the last `sync --background`, running or finished
        line += f"\n{session.background.line}"
    return line


CONNECT = Command("connect", "connect to the sandbox or to PCI Trial / Production",
                  "Connect and open the local cache. --sandbox starts an embedded sandbox (or uses "
                  "PCNB_SANDBOX_CONNECTION); --env reads credentials from PCNB_* variables or the keyring.",
                  cmd_connect, _connect_args, needs_workspace=False)
DISCONNECT = Command("disconnect", "close the current connection and its cache",
                     "Close the workspace (its cache file, and the embedded sandbox if pcnb started one).",
                     cmd_disconnect, needs_workspace=False)
CONNECTIONS = Command("connections", "this session's connections (the current one marked *)",
                      "Environment, program, where the credentials came from, role (admin or not, once a "
                      "command has asked the API), MFA mode, cache file, since and until when.",
                      cmd_connections, needs_workspace=False)
FORGET = Command("forget", "remove the credentials pcnb stored in the OS keyring for an environment",
                 "Delete the keyring entries the login panel's 'Remember' wrote (service 'pcnb', ENV:NAME); "
                 "says which were removed. PCNB_* variables are yours to unset.",
                 cmd_forget, _forget_args, needs_workspace=False)
LOGIN = Command("login", "show the login panel (secrets typed there are never saved)",
                "Environment, API key, client id/secret and MFA in a widget; fields are cleared once read.",
                cmd_login, _login_args, needs_workspace=False)
PROGRAMS = Command("programs", "list the programs these credentials can see", "GetPrograms.", cmd_programs)
USE = Command("use", "switch to another program", "Use PROGRAM for the following commands (opens its cache).",
              cmd_use, _use_args)
BUDGET = Command("budget", "the API key's rate budget and ETA",
                 "Operations used in the window, remaining, ETA for the queue.", cmd_budget)
INFO = Command("info", "connection and cache health", "Who is connected where, watermark age, queue depth, 429s, "
               "and on a team's shared store the sync worker's last run (time, calls, errors).",
               cmd_info)
