"""Write-back subcommands of ``%powerclerk``: one per registered write action, and ``apply``.

Every write command only plans and shows the diff; ``--yes`` or a following ``apply`` executes.
The subcommands, their options and how a command line becomes change requests come from the
action classes (pcnb.writeback.actions): a new action is a new subcommand without edits here.
"""

from __future__ import annotations

import argparse
from typing import Any

import polars as pl

from pcnb import writeback
from pcnb.commands.base import Command, CommandError, Session, make_parser
from pcnb.errors import InputError, IrreversibleUnconfirmed
from pcnb.writeback import actions
from pcnb.writeback.model import ChangeRequest


def write_commands() -> dict[str, actions.Action]:
    """subcommand -> action, for every registered action that has a subcommand."""
    return actions.commands()


def requests_for(args: argparse.Namespace, session: Session, line: int | None = None) -> list[ChangeRequest]:
    """The change requests one parsed write command stands for (``line``: its cell line number,
    which then names the rows in every error)."""
    action = write_commands()[args.command]
    name, options = action.command_action(args), _options(args)
    if args.source:
        frame = session.namespace.get(args.source)
        if not isinstance(frame, pl.DataFrame):
            raise CommandError(f"--from {args.source}: no polars DataFrame of that name in the notebook",
                               "create it first, e.g. changes = pl.DataFrame({'project': [...], ...})")
        return writeback.changes.normalize(frame, None if "action" in frame.columns else name, **options)
    missing = [f"--{opt}" for opt in action.required_options if not args.__dict__.get(opt)]
    if missing:
        raise CommandError(f"{args.command} needs {' and '.join(missing)} (or --from a frame of changes)",
                           f"see `%powerclerk {args.command} --help`")
    targets = list(args.projects if action.needs_project else getattr(args, "threads", None) or [])
    try:
        rows = action.command_rows(targets, args)
    except InputError as exc:
        raise CommandError(exc.message, exc.hint) from None
    if not rows:
        what = "PROJECT" if action.needs_project else "THREAD"
        raise CommandError(f"{args.command} needs at least one {what}", f"e.g. `%powerclerk {args.command} --help`")
    reqs = writeback.changes.normalize(rows, name, **options)
    for r in reqs:
        r["row"] = line or r["row"]
    return reqs


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


def finish(plan: writeback.Plan, yes: bool, session: Session, irreversible: str | None = None) -> Any:
    """Show a plan (kept for `apply`), or with --yes print its summary and execute it. A plan with
    operations that cannot be undone also needs --irreversible ENV; without it the plan stays
    pending, so `apply --irreversible ENV` sends it after the user read where it goes."""
    session.pending, session.pending_irreversible = plan, irreversible
    if not yes:  # a name typed with the plan is kept for its `apply`
        return plan
    print(plan.summary(how_to_send=False))  # --yes sends it now: no "apply sends it" hint
    return execute(plan, session, irreversible)


def execute(plan: writeback.Plan, session: Session, irreversible: str | None) -> Any:
    try:
        result = plan.execute(confirm=True, progress=session.progress, irreversible=irreversible)
    except IrreversibleUnconfirmed as exc:
        how = (f"run the command again with --yes --irreversible {plan.environment}" if session.terminal else
               f"`%powerclerk apply --irreversible {plan.environment}` sends this plan")
        raise CommandError(exc.message, f"{how} (the environment's name, typed, is the confirmation)") from None
    session.pending = session.pending_irreversible = None
    return result


def cmd_write(args: argparse.Namespace, session: Session) -> Any:
    ws = session.require()
    return finish(writeback.plan_requests(ws, requests_for(args, session)), args.yes, session, args.irreversible)


def cmd_apply(args: argparse.Namespace, session: Session) -> Any:
    if session.pending is None:
        raise CommandError("there is no plan to apply", "run a write command (e.g. `set ...`) first and review it")
    return execute(session.pending, session, args.irreversible or session.pending_irreversible)


def _configure(action: actions.Action) -> Any:
    def configure(sp: argparse.ArgumentParser) -> None:
        if action.needs_project:
            sp.add_argument("projects", nargs="*", metavar="PROJECT", help="project ids or numbers")
        sp.add_argument("--from", dest="source", metavar="VAR",
                        help="a polars frame of changes in the notebook (columns as in writeback.plan)")
        sp.add_argument("--yes", action="store_true", help="execute right after planning")
        irreversible_option(sp)
        action.add_arguments(sp)
    return configure


def commands() -> list[Command]:
    """One subcommand per registered write action (read from the registry at each call)."""
    return [Command(name, action.command_help or action.help,
                    action.description + " Shows the plan (diff, problems) first; nothing is sent without --yes "
                    "or a following `%powerclerk apply`. Every operation is journaled.", cmd_write, _configure(action))
            for name, action in write_commands().items()]


def parser() -> argparse.ArgumentParser:
    """A parser of the write subcommands only (the cell form's lines)."""
    return make_parser(commands())


def irreversible_option(sp: argparse.ArgumentParser) -> None:
    sp.add_argument("--irreversible", metavar="ENV", help="confirm the operations no undo can take back (status "
                    "moves, submits, notes...) by naming the environment they go to, e.g. production")


APPLY = Command("apply", "execute the plan shown last", "Send the pending plan (after reviewing its diff); a plan "
                "with operations that cannot be undone needs --irreversible ENV naming its environment.", cmd_apply,
                irreversible_option)
