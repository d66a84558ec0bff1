"""Write-back subcommands of ``%powerclerk`` and the ``%%powerclerk`` cell form.

Every write command only plans and shows the diff; ``--yes`` or a following ``apply`` executes.
The cell form takes several command lines (one batch, one diff) or, after a command on the magic
line, a CSV of changes.
"""

from __future__ import annotations

import argparse
import shlex
from typing import Any

import polars as pl

from pcnb import writeback
from pcnb.commands import WRITE_COMMANDS, CommandError, Session, build_parser


def requests_for(args: argparse.Namespace, session: Session, line: int | None = None) -> list[dict[str, Any]]:
    """The change requests one parsed write command stands for (``line``: its cell line number,
    which then names the rows in every error)."""
    action, options = args.command, _options(args)
    final = "draft" if action == "set" and args.draft else action
    if args.source:
        frame = session.namespace.get(args.source)
        if not isinstance(frame, pl.DataFrame):
            raise CommandError(f"--from {args.source}: no polars DataFrame of that name in the notebook",
                               "create it first, e.g. changes = pl.DataFrame({'project': [...], ...})")
        return writeback.spec.normalize(frame, None if "action" in frame.columns else final, **options)
    missing = [f"--{name}" for name in _REQUIRED.get(action, ()) if not args.__dict__.get(name)]
    if missing:
        raise CommandError(f"{action} needs {' and '.join(missing)} (or --from a frame of changes)",
                           f"see `%powerclerk {action} --help`")
    targets = getattr(args, "threads", None) if action == "thread-status" else args.projects
    if action == "set":
        pairs = [t for t in targets if "=" in t]
        targets = [t for t in targets if "=" not in t]
        if not pairs:
            raise CommandError("set needs FIELD=VALUE assignments", "e.g. set DGI-00011 SYSTEM_SIZE_KW=7.5 --form F")
        values = dict(p.split("=", 1) for p in pairs)
        rows = [{"project": t, **values} for t in targets]
    else:
        # the command's value option goes into the action's value column (spec.VALUE_COLUMN) and its
        # thread/attachment option into the target column, exactly as a frame of changes would have them
        d = args.__dict__
        value_col, target_col = writeback.spec.VALUE_COLUMN.get(action), writeback.spec.TARGET_COLUMN.get(action)
        key_col = "thread" if action == "thread-status" else "project"
        extra = {}
        if value_col:
            extra[value_col] = d.get(_VALUE_OPTION[action])
        if target_col and target_col != key_col and d.get(target_col):
            extra[target_col] = d[target_col]
        rows = [{key_col: t, **extra} for t in targets]
    if not targets:
        raise CommandError(f"{action} needs at least one {'THREAD' if action == 'thread-status' else 'PROJECT'}",
                           f"e.g. `%powerclerk {action} --help`")
    reqs = writeback.spec.normalize(rows, final, **options)
    for r in reqs:
        r["row"] = line or r["row"]
    return reqs


#: which command option carries the action's value
_VALUE_OPTION = {"status": "to", "thread-status": "to", "note": "text", "assign": "email", "owner": "email",
                 "upload": "file", "attachment": "decision"}
#: options each command needs unless the changes come --from a frame
_REQUIRED = {"status": ("to",), "thread-status": ("to",), "note": ("text",), "assign": ("email",),
             "owner": ("email",), "upload": ("attachment", "file", "form"), "submit": ("form",),
             "attachment": ("attachment", "decision")}


def _options(args: argparse.Namespace) -> dict[str, Any]:
    d = args.__dict__
    out: dict[str, Any] = {}
    if d.get("form"):
        out["form"] = d["form"]
    if d.get("submit"):
        out["submit"] = True
    if d.get("no_followup"):
        out["run_followup_actions"] = False
    if d.get("auto_communication"):
        out["auto_communication"] = d["auto_communication"] == "on"
    if d.get("subject"):
        out["subject"] = d["subject"]
    if d.get("note"):
        out["note"] = d["note"]
    return out


def _finish(plan: writeback.Plan, yes: bool, session: Session) -> Any:
    if not yes:
        session.pending = plan
        return plan
    print(plan.summary())
    session.pending = None
    return plan.execute(confirm=True)


def cmd_write(args: argparse.Namespace, session: Session) -> Any:
    ws = session.require()
    return _finish(writeback.plan_requests(ws, requests_for(args, session)), args.yes, session)


def cmd_apply(args: argparse.Namespace, session: Session) -> Any:
    if session.pending is None:
        raise CommandError("there is no plan to apply", "run a write command (e.g. `set ...`) first and review it")
    plan, session.pending = session.pending, None
    return plan.execute(confirm=True)


def cmd_journal(args: argparse.Namespace, session: Session) -> Any:
    ws = session.require()
    if args.undo:
        return _finish(writeback.undo(ws, args.undo), args.yes, session)
    if args.resume:
        return writeback.resume(ws, args.resume)
    if args.batch:
        return writeback.journal(ws, args.batch)
    return writeback._journal.batches(ws.store)


def run_cell(line: str, cell: str, session: Session) -> Any:
    """``%%powerclerk [--yes]`` + command lines, or ``%%powerclerk ACTION [--form F] [--yes]`` + CSV."""
    ws = session.require()
    head = shlex.split(line)
    yes = "--yes" in head
    if head and head[0] in WRITE_COMMANDS:
        args = build_parser().parse_args([*head, "--from", "__cell__"])
        session.namespace["__cell__"] = writeback.parse_csv(cell)
        try:
            requests = requests_for(args, session)
        finally:
            session.namespace.pop("__cell__", None)
        return _finish(writeback.plan_requests(ws, requests), yes, session)
    if [h for h in head if h != "--yes"]:
        raise CommandError(f"%%powerclerk {line}: the cell form takes `--yes` or a write command with a CSV body",
                           f"e.g. `%%powerclerk set --form APPLICATION` then 'project,FIELD' lines; "
                           f"commands: {', '.join(WRITE_COMMANDS)}")
    requests: list[dict[str, Any]] = []
    for number, text in enumerate(cell.splitlines(), start=1):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        try:
            args = build_parser().parse_args(shlex.split(text))
        except (CommandError, ValueError) as exc:
            raise CommandError(f"cell line {number}: {exc}", "one write command per line, as on the magic line"
                               ) from None
        if args.command not in WRITE_COMMANDS:
            raise CommandError(f"cell line {number}: {args.command!r} is not a write command",
                               f"use one of {', '.join(WRITE_COMMANDS)}")
        if args.yes:
            raise CommandError(f"cell line {number}: put --yes on the %%powerclerk line, not on a command",
                               "the whole cell is one batch and is confirmed once")
        requests += requests_for(args, session, line=number)
    if not requests:
        raise CommandError("the cell has no write commands", "one command per line, e.g. `status DGI-00011 --to ...`")
    return _finish(writeback.plan_requests(ws, requests), yes, session)
