"""The command grammar of ``%powerclerk`` (argparse), with a real ``--help`` on every subcommand.

Parsing never exits the kernel: errors raise CommandError with a one-line message and the fix.
Commands run against a Session (the current Workspace) and return a value to display: a polars
frame, a plotly figure or a text line.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pcnb.errors import PowerClerkError

CHARTS = ("throughput", "cfd", "time-in-status", "aging", "sla", "backlog", "backlog-trend", "bottlenecks")


class CommandError(PowerClerkError):
    """A command line could not be parsed or run."""


class HelpShown(Exception):
    """--help was printed; nothing else to do."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        raise CommandError(f"{self.prog}: {message}", f"see `{self.prog} --help`")

    def print_help(self, file=None) -> None:  # noqa: ARG002
        raise HelpShown(self.format_help())

    def exit(self, status: int = 0, message: str | None = None):  # type: ignore[override]
        if status:
            raise CommandError(message or f"{self.prog} failed")
        raise HelpShown(message or "")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="%powerclerk", description="PowerClerk API V2 from a notebook. "
                "Credentials come from PCNB_* environment variables or the keyring, never this line.")
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    def add(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_text, description=description)
        sp.add_argument("-o", "--out", metavar="NAME", help="store the result in this notebook variable")
        return sp

    c = add("connect", "connect to the sandbox or to PCI Trial / Production",
            "Connect and open the local cache. --sandbox starts an embedded sandbox (or uses "
            "PCNB_SANDBOX_CONNECTION); --env reads credentials from PCNB_* variables or the keyring.")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--sandbox", action="store_true", help="use the embedded sandbox (default)")
    g.add_argument("--env", choices=("trial", "production"), help="a real PowerClerk environment")
    c.add_argument("--program", help="program id (needed when several are visible)")
    c.add_argument("--projects", type=int, default=2000, help="sandbox: number of synthetic projects")
    c.add_argument("--seed", type=int, default=7, help="sandbox: generator seed")
    lg = add("login", "show the login panel (secrets typed there are never saved)",
             "Environment, API key, client id/secret and MFA in a widget; fields are cleared once read.")
    lg.add_argument("--text", action="store_true", help="print the non-widget instructions instead")
    add("programs", "list the programs these credentials can see", "GetPrograms.")
    u = add("use", "switch to another program", "Use PROGRAM for the following commands (opens its cache).")
    u.add_argument("program")
    s = add("sync", "bring the local cache up to date (incremental, resumable)",
            "Incremental sync within the shared rate budget; interrupted syncs resume where they stopped.")
    s.add_argument("--full", action="store_true", help="re-list every project (reconciliation)")
    s.add_argument("--max-calls", type=int, help="stop after this many API operations")
    s.add_argument("--max-minutes", type=float, help="stop after this many minutes")
    s.add_argument("--no-inquiries", action="store_true", help="skip inquiry threads and notes")
    pr = add("projects", "show cached projects, filtered", "Filter the cached projects (no API call).")
    pr.add_argument("--status", help="current status name (exact)")
    pr.add_argument("--changed-since", help="ISO date, e.g. 2026-01-31")
    pr.add_argument("--owner", help="owner name or email contains")
    pr.add_argument("--text", help="project number or id contains")
    h = add("history", "a project's status history (cached)", "Status events of PROJECT, oldest first.")
    h.add_argument("project", help="project id or number")
    t = add("threads", "inquiry threads with who must answer", "Open/closed threads and their waiting side.")
    t.add_argument("--waiting-on", choices=("utility", "applicant", "none"))
    ch = add("chart", "draw a chart from the cache", f"One of: {', '.join(CHARTS)}.")
    ch.add_argument("name", choices=CHARTS)
    b = add("browse", "project browser: filter, select, act (widget)",
            "A table of cached projects with filters; select rows, choose an action, Plan, then Execute.")
    b.add_argument("--status", help="start filtered to this status name")
    _write_commands(add)
    add("budget", "the API key's rate budget and ETA", "Operations used in the window, remaining, ETA for the queue.")
    add("info", "connection and cache health", "Who is connected where, watermark age, queue depth, 429s.")
    add("help", "list the subcommands", "Show this list.")
    return p


WRITE_COMMANDS = ("set", "status", "note", "thread-status", "assign", "owner", "upload", "submit", "attachment")


def _write_commands(add: Any) -> None:
    """Write-back subcommands: each plans and shows the diff; --yes (or `apply`) executes."""
    def write(name: str, help_text: str, description: str, projects: bool = True) -> argparse.ArgumentParser:
        sp = add(name, help_text, description + " Shows the plan (diff, problems) first; nothing is sent "
                 "without --yes or a following `%powerclerk apply`. Every operation is journaled.")
        if projects:
            sp.add_argument("projects", nargs="*", metavar="PROJECT", help="project ids or numbers")
        sp.add_argument("--from", dest="source", metavar="VAR",
                        help="a polars frame of changes in the notebook (columns as in writeback.plan)")
        sp.add_argument("--yes", action="store_true", help="execute right after planning")
        return sp

    st = write("set", "set form data (admin: submitted data; --draft: the draft)",
               "Set FIELD=VALUE on each PROJECT, e.g. `set DGI-00011 DGI-00012 SYSTEM_SIZE_KW=7.5 --form "
               "APPLICATION`. Fields by custom id, id or name; values are checked against the form schema.")
    st.add_argument("--form", help="form id, custom id or name")
    st.add_argument("--draft", action="store_true", help="write the draft (applicants) instead of submitted data")
    st.add_argument("--submit", action="store_true", help="with --draft: submit the form afterwards")
    st.add_argument("--no-followup", action="store_true", help="admin: run_followup_actions=false")
    s = write("status", "move projects to a status (admin)", "SetProjectStatus on each PROJECT; the "
              "transition must be one the program's history shows.")
    s.add_argument("--to", metavar="STATUS", help="status name, custom id or id")
    s.add_argument("--auto-communication", choices=("on", "off"), help="send (or suppress) automated emails")
    n = write("note", "add an inquiry note (admin)", "Reply in --thread, or open a new thread with --subject.")
    n.add_argument("--text", help="the note")
    g = n.add_mutually_exclusive_group()
    g.add_argument("--thread", help="thread id to reply in")
    g.add_argument("--subject", help="subject of a new thread")
    ts = write("thread-status", "open or close inquiry threads (admin)", "SetInquiryThreadStatus.", projects=False)
    ts.add_argument("threads", nargs="*", metavar="THREAD")
    ts.add_argument("--to", choices=("Open", "Closed"))
    for name in ("assign", "owner"):
        sp = write(name, f"set the {'assignee' if name == 'assign' else 'owner'} of projects",
                   "SetAssignee." if name == "assign" else "SetProjectOwner.")
        sp.add_argument("--email")
    up = write("upload", "upload a file to a form's draft attachment", "UploadAttachment (then --submit).")
    up.add_argument("--attachment", help="attachment id, custom id or name")
    up.add_argument("--file", help="path of the file")
    up.add_argument("--form")
    up.add_argument("--submit", action="store_true", help="submit the form afterwards")
    sb = write("submit", "submit a form's draft", "SubmitProject: moves each PROJECT to the form's next status.")
    sb.add_argument("--form")
    at = write("attachment", "approve/reject an uploaded attachment (admin)", "SetAttachmentMetadata.")
    at.add_argument("--attachment")
    at.add_argument("--decision", choices=("Approve", "Reject", "Unmark", "Save"))
    at.add_argument("--note", help="note shown to the applicant")
    add("apply", "execute the plan shown last", "Send the pending plan (after reviewing its diff).")
    j = add("journal", "write-back batches; undo or resume one", "Without arguments: one row per batch. "
            "BATCH: its operations with state and request id.")
    j.add_argument("batch", nargs="?")
    j.add_argument("--undo", metavar="BATCH", help="plan restoring a batch's before-values (then --yes/apply)")
    j.add_argument("--resume", metavar="BATCH", help="finish a batch's pending/failed operations")
    j.add_argument("--yes", action="store_true", help="with --undo: execute the undo right away")


@dataclass
class Session:
    """What the magic remembers between cells: the current workspace."""

    workspace: Any = None
    panel: Any = None
    history: list[str] = field(default_factory=list)
    pending: Any = None  # the last plan shown, for `apply`
    namespace: dict[str, Any] = field(default_factory=dict)  # the notebook's variables, for --from

    def require(self) -> Any:
        if self.workspace is None:
            raise CommandError("not connected",
                               "run `%powerclerk connect --sandbox` or `%powerclerk connect --env trial`")
        return self.workspace


def parse(line: str) -> argparse.Namespace:
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise CommandError(f"cannot parse the line: {exc}", "check quotes") from None
    args = build_parser().parse_args(argv)
    if args.command is None:
        args.command = "help"
    return args


def run(args: argparse.Namespace, session: Session) -> Any:
    from pcnb import command_impl, command_write

    if args.command in WRITE_COMMANDS:
        return command_write.cmd_write(args, session)
    module = command_write if args.command in ("apply", "journal") else command_impl
    handler = getattr(module, "cmd_" + args.command.replace("-", "_"))
    return handler(args, session)


def parse_date(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{what} {text!r} is not an ISO date", "use e.g. 2026-01-31 or 2026-01-31T08:00") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
