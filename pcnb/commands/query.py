"""The query form of ``%%powerclerk``: a read command on the first line, one filter per line below.

    %%powerclerk projects
    status = 'In Review'
    changed since 2026-01-01
    owner ~ volt
    limit 20

Grammar (one line each; blank lines and ``# comments`` skipped): ``KEY [=|~|:] VALUE``, where KEY is
an option of the command (``status`` for ``--status``, ``changed_since`` or ``changed-since``;
``since`` is short for ``changed since``; a positional such as history's ``project`` too) and VALUE
is one word or a quoted phrase; ``limit N`` keeps the first N rows. Each line becomes the option
of the line grammar, so validation, did-you-mean and errors are the line form's; the key list
is read from the command's parser, so a new option is a new key without edits here.
"""

from __future__ import annotations

import argparse
import difflib
import re
import shlex
from typing import Any

import polars as pl

from pcnb.commands.base import GIVEN, CommandError, Session, split_words
from pcnb.commands.expand import expand

#: read commands with a query form (their results are frames)
QUERY_COMMANDS = ("projects", "history", "threads")
_LINE = re.compile(r"\s*(?P<key>[A-Za-z_][\w-]*(?:\s+since)?)\s*(?:[=~:]\s*)?(?P<value>.*?)\s*$")


def keys(command: str) -> dict[str, argparse.Action]:
    """key -> argparse action of ``command``'s options and positionals (``-o/--out`` excluded)."""
    parser = _subparser(command)
    out: dict[str, argparse.Action] = {}
    for action in parser._actions:
        if action.dest in ("help", "out") or action.nargs == 0:
            continue
        out[action.dest] = action
        out[action.dest.replace("_", "-")] = action
    return out


def _subparser(command: str) -> argparse.ArgumentParser:
    from pcnb.commands import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    choices: dict[str, argparse.ArgumentParser] = sub.choices  # type: ignore[assignment]
    return choices[command]


def normal_key(key: str) -> str:
    key = re.sub(r"\s+", " ", key.strip().lower())
    return {"since": "changed_since", "changed since": "changed_since"}.get(key, key)


def to_argv(command: str, cell: str, namespace: dict[str, Any], line_words: tuple[str, ...] = ()
            ) -> tuple[list[str], int | None]:
    """The cell body as the line grammar's argv (after ``command``) and the row limit, if any;
    ``line_words``: the %%powerclerk line's, so an option given on both is refused, not overridden."""
    known = keys(command)
    on_line = given_on_line(line_words)
    argv: list[str] = []
    seen: dict[str, int] = {}
    limit: int | None = None
    for number, text in enumerate(cell.splitlines(), start=1):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        where = f"cell line {number} ({text.strip()!r})"
        match = _LINE.fullmatch(expand(text, namespace))
        if match is None or not match.group("value"):
            raise CommandError(f"{where}: expected KEY VALUE",
                               f"e.g. `status = 'STATUS NAME'`; keys: {', '.join(_names(known))}, limit")
        key, raw = normal_key(match.group("key")), match.group("value")
        try:
            words = split_words(raw, comments=True)
        except CommandError as exc:
            raise CommandError(f"{where}: {exc.message}", exc.hint) from None
        if len(words) != 1:
            raise CommandError(f"{where}: {len(words)} words as one value", "quote a value with spaces: 'A B'")
        if key in seen:
            raise CommandError(f"{where}: {key} is already set on line {seen[key]}", "one line per key")
        seen[key] = number
        if key == "limit":
            if not words[0].isdigit() or int(words[0]) < 1:
                raise CommandError(f"{where}: limit {words[0]!r} is not a number of rows", "e.g. `limit 20`")
            limit = int(words[0])
            continue
        action = known.get(key)
        if action is None:
            close = difflib.get_close_matches(key, [*_names(known), "limit", "since"], n=1)
            raise CommandError(f"{where}: unknown key {key!r} for {command}"
                               + (f" (did you mean {close[0]!r}?)" if close else ""),
                               f"keys: {', '.join(_names(known))}, limit")
        if action.dest in on_line:
            raise CommandError(f"{where}: {key} is also on the %%powerclerk line", "give it in one place")
        argv += [action.option_strings[-1], words[0]] if action.option_strings else [words[0]]
    return argv, limit


def given_on_line(line_words: tuple[str, ...]) -> set[str]:
    """The dests the %%powerclerk line sets, read by the command's parser itself: comparing typed
    words missed ``--status=X`` and argparse's prefixes (``--stat X``), and the body then silently
    won. A line that does not parse alone (history's project is in the body) still records the
    options read before the error; the whole cell is parsed again, with the line's errors."""
    if not line_words:
        return set()
    seen = argparse.Namespace()
    try:
        _subparser(line_words[0]).parse_known_args(list(line_words[1:]), namespace=seen)
    except CommandError:
        pass
    return set(getattr(seen, GIVEN, {}))


def _names(known: dict[str, argparse.Action]) -> list[str]:
    return sorted({a.dest for a in known.values()})


def run_query(line: str, cell: str, session: Session) -> tuple[argparse.Namespace, Any]:
    """``%%powerclerk COMMAND [line options]`` with a query body: the parsed line (for ``-o``) and
    the command's frame."""
    from pcnb.commands import parse, run

    try:
        line_words = tuple(split_words(line))
    except CommandError as exc:
        raise CommandError(f"%%powerclerk {line}: {exc.message}", exc.hint) from None
    argv, limit = to_argv(line_words[0], cell, session.namespace, line_words)
    args = parse(line + " " + " ".join(shlex.quote(a) for a in argv))
    result = run(args, session)
    if limit is not None and isinstance(result, pl.DataFrame):
        result = result.head(limit)
    return args, result
