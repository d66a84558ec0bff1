"""The ``%powerclerk`` commands: an explicit registry of one module per family, each owning its
grammar (argparse, a real ``--help`` on every subcommand) and its handler.

    base        Command, Session, CommandError, the never-exiting parser (imports no family)
    connection  connect, disconnect, connections, forget, login, programs, use, budget, info
    data        sync, projects, history, threads, browse
    chart       chart
    estimate    estimate (figures with 95 % intervals from the histories synced so far)
    forecast    forecast, watch (pcnb.forecast: when will it be done, early warning)
    profile     profile (show, set, infer, reload the program profile)
    compliance  compliance (a regulator's report pack from a rule file), explain (one project's audit trail)
    write       one subcommand per registered write action (pcnb.writeback.actions), apply
    journal     journal (list, --undo, --resume)
    doctor      doctor, support (first contact with a real PowerClerk; no workspace needed)
    cell        the %%powerclerk cell form (bulk write-back)
    query       the %%powerclerk query form of read commands (one filter per line)
    expand      {name} notebook variables in a line, quoted for the grammar
    completion  Tab completion of a line from the grammar and the cache (IPython-free)

Parsing never exits the kernel: errors raise CommandError with a one-line message and the fix.
Commands run against a Session (the current Workspace) and return a value to display: a polars
frame, a plotly figure or a text line. The magic (pcnb.magics) and the console script (pcnb.cli)
are thin adapters over ``parse`` and ``run``.
"""

from __future__ import annotations

import argparse
import difflib
from typing import Any

from pcnb.commands import chart, compliance, connection, data, doctor, estimate, forecast, journal, profile, write
from pcnb.commands.base import Command, CommandError, HelpShown, Session, make_parser, parse_date, split_words
from pcnb.commands.cell import run_cell
from pcnb.commands.chart import CHARTS
from pcnb.commands.wording import unknown

__all__ = ["CHARTS", "Command", "CommandError", "HelpShown", "Session", "build_parser", "parse", "parse_date",
           "registry", "run", "run_cell"]


def cmd_help(args: argparse.Namespace, session: Session) -> str:
    """``help``: every subcommand on a line of its own; a bare ``%powerclerk``: what to do next."""
    if getattr(args, "menu", False):
        return menu(session)
    commands = registry()
    width = max(map(len, commands))
    lines = ["%powerclerk SUBCOMMAND [options]  (`%powerclerk SUBCOMMAND --help` explains one)", ""]
    lines += [f"  {name:<{width}}  {command.help}" for name, command in commands.items()]
    lines += ["", "Cells: %%powerclerk projects|history|threads + one filter per line; %%powerclerk [--yes] + "
              "write commands, or a write command + CSV rows. Options: %config PowerClerkMagic."]
    return "\n".join(lines)


def menu(session: Session) -> str:
    """A short next step for where the user stands (a bare ``%powerclerk``)."""
    ws = session.workspace
    if ws is None:
        return "\n".join([
            "Not connected. Start with one of:",
            "  %powerclerk connect --sandbox      synthetic data, no credentials",
            "  %powerclerk login                  a panel for PCI Trial or Production credentials",
            "  %powerclerk doctor --env trial     first contact: checks every step to a real PowerClerk",
            "`%powerclerk help` lists every subcommand."])
    return "\n".join([
        f"Connected to program {ws.program} ({ws.client.settings.environment}). Next:",
        "  %powerclerk sync                   fetch what changed since the last sync",
        "  %powerclerk profile                the program's statuses, roles, calendar and deadlines",
        "  %powerclerk chart time-in-status   or: throughput, cfd, aging, sla, backlog, bottlenecks, variants, map,"
        " rework",
        "  %powerclerk projects --status S    the projects in a status (-o NAME keeps the frame)",
        "  %powerclerk browse                 find projects and change them (plan, diff, confirm)",
        "`%powerclerk help` lists every subcommand."])


HELP = Command("help", "list the subcommands", "Show this list.", cmd_help, needs_workspace=False)


def registry() -> dict[str, Command]:
    """Every subcommand, in ``--help`` order. The write family is read from the write-action
    registry at each call, so an action registered later is a subcommand at once."""
    commands = (connection.CONNECT, connection.DISCONNECT, connection.CONNECTIONS, connection.FORGET,
                connection.LOGIN, connection.PROGRAMS, connection.USE,
                data.SYNC, profile.PROFILE, data.PROJECTS, data.HISTORY, data.THREADS, chart.CHART, estimate.ESTIMATE,
                forecast.FORECAST, forecast.WATCH, data.BROWSE,
                *write.commands(), write.APPLY, journal.JOURNAL, compliance.COMPLIANCE, compliance.EXPLAIN,
                compliance.RULES,
                connection.BUDGET, connection.INFO, doctor.DOCTOR, doctor.SUPPORT, HELP)
    return {c.name: c for c in commands}


def build_parser() -> argparse.ArgumentParser:
    return make_parser(registry().values())


#: words users try as subcommands that are options of another one (no did-you-mean would find them)
_ELSEWHERE = {"undo": "journal --undo BATCH", "resume": "journal --resume BATCH"}


def parse(line: str) -> argparse.Namespace:
    """One ``%powerclerk`` line (or ``pcnb`` command): a ``#`` that starts a word starts a comment, as in
    a shell, so a line copied from the docs with its comment means what it says."""
    argv = split_words(line, comments=True)
    names = registry()
    if argv and not argv[0].startswith("-") and argv[0] not in names:
        where = _ELSEWHERE.get(argv[0].lower())
        if where:
            raise CommandError(f"unknown subcommand {argv[0]!r}: it is `%powerclerk {where}`",
                               "`%powerclerk journal` lists the batch ids")
        close = difflib.get_close_matches(argv[0], list(names), n=1)
        raise CommandError(f"unknown subcommand {argv[0]!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
                           "`%powerclerk help` lists them")
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # named against the subcommand's own options, not the whole grammar's
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        own = sub.choices.get(args.command) if args.command else None
        raise CommandError(*unknown(own.prog if own else parser.prog, extra, own or parser))
    if args.command is None:
        args.command, args.menu = "help", True
    return args


def run(args: argparse.Namespace, session: Session) -> Any:
    return registry()[args.command].handler(args, session)
