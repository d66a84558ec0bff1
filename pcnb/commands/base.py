"""What every command family shares: the Command record, the Session, the never-exiting parser
and the errors. Imports nothing of pcnb.commands, so families never import upward."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

from pcnb import clock
from pcnb.commands.wording import plain
from pcnb.errors import PowerClerkError


class CommandError(PowerClerkError):
    """A command line could not be parsed or run."""


class HelpShown(Exception):
    """--help was printed; nothing else to do."""

    def __init__(self, text: str):
        super().__init__(text)
        self.text = text


@dataclass
class Session:
    """What the magic remembers between cells: the current workspace."""

    workspace: Any = None
    panel: Any = None
    history: list[str] = field(default_factory=list)
    pending: Any = None  # the last plan shown, for `apply`
    pending_irreversible: str | None = None  # the environment named with it (--irreversible ENV), if any
    namespace: dict[str, Any] = field(default_factory=dict)  # the notebook's variables, for --from
    connections: list[dict[str, Any]] = field(default_factory=list)  # this kernel's, newest last
    progress: bool = True  # progress bars (sync, write-back); %config PowerClerkMagic.progress
    default_environment: str | None = None  # `connect` without --sandbox/--env (None: the sandbox)
    terminal: bool = False  # the console script: one process per command, so no connection outlives it
    background: Any = None  # the last `sync --background` (pcnb.background.BackgroundSync)

    def opened(self, ws: Any) -> None:
        """Make ``ws`` the current workspace and record it for `connections`; the previous record
        stops being current (closing the previous workspace is the caller's decision)."""
        for row in self.connections:
            if row["current"]:
                row["current"] = False
                row["closed"] = row["closed"] or clock.now()
        client = ws.client
        self.connections.append({
            "current": True, "environment": client.settings.environment, "program": ws.program,
            "base_url": client.settings.base_url, "client": client, "ws": ws,
            "credentials": ", ".join(sorted(set(client.credentials.sources.values()))) or "none",
            "mfa": client.credentials.mfa_mode, "cache": ws.store.where,
            "since": clock.now(), "closed": None})
        self.workspace = ws

    def records(self) -> list[dict[str, Any]]:
        """The connection records, first caught up with a workspace set or dropped directly (the
        login panel sets ``workspace`` itself): such a one is recorded from when it was first seen."""
        current = next((row for row in self.connections if row["current"]), None)
        if self.workspace is not None and (current is None or current["ws"] is not self.workspace):
            self.opened(self.workspace)
        elif self.workspace is None and current is not None:
            current["current"], current["closed"] = False, clock.now()
        return self.connections

    def closed(self) -> Any:
        """Forget the current workspace (the caller closes it); returns it, or None."""
        ws, self.workspace = self.workspace, None
        for row in self.connections:
            if row["current"]:
                row["current"], row["closed"] = False, clock.now()
        return ws

    def require(self) -> Any:
        if self.workspace is None:
            raise CommandError("not connected",
                               "run `%powerclerk connect --sandbox` or `%powerclerk connect --env trial`")
        return self.workspace


Handler = Callable[[argparse.Namespace, Session], Any]


@dataclass(frozen=True)
class Command:
    """One subcommand: its grammar (``configure`` adds its arguments) and its handler."""

    name: str
    help: str
    description: str
    handler: Handler
    configure: Callable[[argparse.ArgumentParser], None] = lambda parser: None
    needs_workspace: bool = True  # the CLI opens a workspace from the environment first


#: typographic quotes (Word, email, chat): shlex treats them as letters, so a pasted value splits
_CURLY = "\u201c\u201d\u2018\u2019"


def split_words(line: str, *, comments: bool = False) -> list[str]:
    """``line`` as shell words, refusing what shlex would misread silently: unbalanced quotes, and
    typographic quotes around a word (“two words” would be two words, the quotes part of
    them). An apostrophe inside a word (O’Brien) is a letter and stays."""
    try:
        words = shlex.split(line, comments=comments)
    except ValueError as exc:
        raise CommandError(f"cannot parse {line.strip()!r}: {exc}", "check its quotes") from None
    for word in words:
        if word and (word[0] in _CURLY or word[-1] in _CURLY or "\u201c" in word or "\u201d" in word):
            raise CommandError(f"typographic quotes in {word!r} (“ ” ‘ ’ are letters here, not quotes)",
                               "retype them as straight quotes ' or \" (pasted from a document or an email?)")
    return words


GIVEN = "_pcnb_given"  # the namespace attribute listing the dests set on the line (by _Once)


class _Once(argparse._StoreAction):
    """The ``store`` action of every ``%powerclerk`` option: refuses an empty value (``--status
    {s}`` with ``s = ''`` would read as "no filter" and return everything) and a repeated option
    (argparse silently keeps the last), and records the dests given, so the query cell can tell
    which options its first line set whatever their spelling (``--status=X``, ``--stat X``)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        name = self.option_strings[-1] if self.option_strings else self.dest
        if isinstance(values, str) and not values.strip():
            leave = " or leave it out" if self.option_strings else ""
            raise CommandError(f"{parser.prog}: {name} got an empty value",
                               f"give {name} a value{leave} (an empty {{variable}}?)")
        given: dict[str, Any] = namespace.__dict__.setdefault(GIVEN, {})
        if self.option_strings and self.dest in given:
            raise CommandError(f"{parser.prog}: {name} given twice ({given[self.dest]!r} and {values!r})",
                               f"give {name} once")
        given[self.dest] = values
        setattr(namespace, self.dest, values)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CommandError(*plain(self.prog, message, self))

    def print_help(self, file: Any = None) -> None:  # noqa: ARG002
        raise HelpShown(self.format_help())

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if status:
            raise CommandError(message or f"{self.prog} failed")
        raise HelpShown(message or "")


def make_parser(commands: Iterable[Command]) -> argparse.ArgumentParser:
    """The ``%powerclerk`` parser over these commands; each gets ``-o/--out`` besides its own."""
    p = _Parser(prog="%powerclerk", description="PowerClerk API V2 from a notebook. "
                "Credentials come from PCNB_* environment variables or the keyring, never this line.",
                epilog="{name} in a line is the notebook variable, quoted ({{ }} for braces); each option at "
                "most once, with a non-empty value; straight quotes only. Cells: "
                "%%powerclerk projects|history|threads + one `KEY VALUE` filter per line (and `limit N`); "
                "%%powerclerk [--yes] + write commands, or a write command + CSV. Tab completes. "
                "Options: %config PowerClerkMagic.")
    p.add_argument("--debug", action="store_true", help="show full tracebacks")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    for command in commands:
        sp = sub.add_parser(command.name, help=command.help, description=command.description)
        sp.register("action", None, _Once)  # before any add_argument: every store option is _Once
        sp.register("action", "store", _Once)
        sp.add_argument("-o", "--out", metavar="NAME", help="store the result in this notebook variable")
        command.configure(sp)
    return p


def parse_date(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{what} {text!r} is not an ISO date", "use e.g. 2026-01-31 or 2026-01-31T08:00") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
