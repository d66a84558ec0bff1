"""Tab completion of a ``%powerclerk`` line, independent of IPython (pcnb.magics adapts it).

Subcommands and options are read from the parser (``build_parser``), so a new command or option
completes without edits here; argparse ``choices`` (chart names, ``--env``) too. Values that only
the program knows come from the local cache of the current workspace, never from an API call
(a keystroke must not spend the 60-a-minute budget): status names, project numbers, form and
field custom ids, journal batch ids. A value with a space is offered quoted, as the line's
grammar (shlex) reads it back.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable, Iterable
from typing import Any

from pcnb.commands.base import Session

#: candidates listed at most (IPython shows them all; a 100k-project cache must not flood it)
MAX_CANDIDATES = 200


def _split(text: str) -> tuple[list[str], str, str, str | None]:
    """(complete words, raw partial word, its value, open quote) of ``text`` as shlex reads it."""
    words: list[str] = []
    raw, value, quote = "", "", None
    started = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quote is None and ch.isspace():
            if started:
                words.append(value)
            raw, value, started = "", "", False
        elif quote is None and ch in "'\"":
            quote, started = ch, True
            raw += ch
        elif ch == quote:
            quote = None
            raw += ch
        elif ch == "\\" and quote != "'" and i + 1 < len(text):
            raw += text[i:i + 2]
            value += text[i + 1]
            started = True
            i += 1
        else:
            raw += ch
            value += ch
            started = True
        i += 1
    return words, raw, value, quote


def _statuses(ws: Any) -> list[str]:
    return sorted({name for _, _, name in ws.store.status_refs() if name})


def _projects(ws: Any) -> list[str]:
    numbers: list[str] = ws.projects()["project_number"].drop_nulls().sort().to_list()
    return numbers


def forms(ws: Any) -> dict[str, list[str]]:
    """form custom id -> its field custom ids, from what the cache and profile know: the served
    program's definition (embedded sandbox), cached form data, the profile's segment fields."""
    found: dict[str, set[str]] = {}
    program = getattr(ws, "sandbox_program", None)
    for form in getattr(program, "forms", None) or ():
        found.setdefault(form.custom_id, set()).update(f.custom_id for f in form.fields)
    for form_id, fields in ws.store.cached_form_fields().items():
        found.setdefault(form_id, set()).update(fields)
    for ref in (ws.profile.segments or {}).values():
        if ref and "/" in ref:
            form_id, field_id = ref.split("/", 1)
            found.setdefault(form_id, set()).add(field_id)
    return {k: sorted(v) for k, v in sorted(found.items())}


def _batches(ws: Any) -> list[str]:
    from pcnb.commands.journal import batch_ids

    return batch_ids(ws)


def _threads(ws: Any) -> list[str]:
    ids: list[str] = ws.inquiry_threads()["thread_id"].drop_nulls().to_list()
    return ids


def _attachments(ws: Any) -> list[str]:
    """Attachment custom ids of the served program (embedded sandbox); a real program's are not cached."""
    program = getattr(ws, "sandbox_program", None)
    return sorted({a.custom_id for form in getattr(program, "forms", None) or () for a in form.attachments})


#: argparse dest -> where its values come from (options and positionals alike)
SOURCES: dict[str, Callable[[Any], Iterable[str]]] = {
    "status": _statuses, "to": _statuses, "project": _projects, "projects": _projects,
    "form": lambda ws: list(forms(ws)), "undo": _batches, "resume": _batches, "batch": _batches,
    "thread": _threads, "threads": _threads, "attachment": _attachments,
}


def _render(value: str, quote: str | None) -> str:
    if quote:  # escaped as inside the quote the user opened, so shlex reads the value back as it is
        from pcnb.commands.expand import _quoted

        return quote + _quoted(value, quote) + quote
    return shlex.quote(value) if value else value


def _matching(values: Iterable[str], prefix: str) -> list[str]:
    values = list(dict.fromkeys(values))
    hits = [v for v in values if v.startswith(prefix)]
    if not hits:  # `review` finds `Plan Review`: statuses are typed from memory
        low = prefix.lower()
        hits = [v for v in values if v.lower().startswith(low)] or [v for v in values if low in v.lower()]
    return hits[:MAX_CANDIDATES]


def _values(action: argparse.Action, ws: Any) -> list[str]:
    if action.choices is not None:
        return [str(c) for c in action.choices]
    source = SOURCES.get(action.dest)
    if source is None or ws is None:
        return []
    try:
        return list(source(ws))
    except Exception:  # noqa: BLE001 - a completion must never raise into the editor (closed store, ...)
        return []


def _fields(words: list[str], ws: Any) -> list[str]:
    """``FIELD=`` candidates for ``set``: the fields of the ``--form`` given, else of every form."""
    if ws is None:
        return []
    try:
        known = forms(ws)
    except Exception:  # noqa: BLE001 - see _values
        return []
    form = words[words.index("--form") + 1] if "--form" in words[:-1] else None
    ids = known.get(form, []) if form else [f for fields in known.values() for f in fields]
    return [f"{f}=" for f in ids]


def complete(text: str, session: Session) -> tuple[str, list[str]] | None:
    """``text``: a ``%powerclerk``/``%%powerclerk`` line up to the cursor. Returns the fragment to
    replace (the partial word as typed, quotes included) and the candidates, or None when the
    line is not one this grammar can complete."""
    from pcnb.commands import build_parser

    words, raw, value, quote = _split(text)
    if not words or words[0] not in ("%powerclerk", "%%powerclerk"):
        return None
    words = words[1:]
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    choices: dict[str, argparse.ArgumentParser] = sub.choices  # type: ignore[assignment]
    command = next((w for w in words if not w.startswith("-")), None)
    ws = session.workspace
    if command is None:
        if value.startswith("-"):
            return raw, _matching([o for a in parser._actions for o in a.option_strings], value)
        return raw, _matching(choices, value)
    sp = choices.get(command)
    if sp is None:
        return None
    rest = words[words.index(command) + 1:]
    option = sp._option_string_actions.get(rest[-1]) if rest else None
    if option is not None and option.nargs != 0:
        return raw, [_render(v, quote) for v in _matching(_values(option, ws), value)]
    if value.startswith("-"):
        used = set(rest)
        opts = [o for a in sp._actions if not used & set(a.option_strings) for o in a.option_strings
                if o.startswith("--") or len(a.option_strings) == 1]
        return raw, _matching(opts, value)
    positionals = [a for a in sp._actions if not a.option_strings]
    given = _positional_count(rest, sp)
    action = next((a for i, a in enumerate(positionals) if i >= given or a.nargs in ("*", "+")), None)
    if action is None:
        return raw, []
    candidates = _values(action, ws)
    if command == "set" and action.dest == "projects":
        candidates += _fields(rest, ws)
    return raw, [_render(v, quote) if not v.endswith("=") else v for v in _matching(candidates, value)]


def _positional_count(rest: list[str], sp: argparse.ArgumentParser) -> int:
    """How many positional words precede the cursor (option values skipped)."""
    count, skip = 0, False
    for word in rest:
        if skip:
            skip = False
        elif word.startswith("-"):
            action = sp._option_string_actions.get(word)
            skip = action is not None and action.nargs != 0
        else:
            count += 1
    return count


def complete_query(command: str, text: str, session: Session) -> tuple[str, list[str]] | None:
    """A line of a ``%%powerclerk COMMAND`` query cell up to the cursor: its keys (the command's
    options, ``limit``, ``since``), then the key's values as on the magic line."""
    import re

    from pcnb.commands.query import keys, normal_key

    known = keys(command)
    typed = re.match(r"\s*([A-Za-z_][\w-]*)(?:\s*[=~:]\s*|\s+)(.*)$", text)
    if typed is None:
        word = text.lstrip()
        if not re.fullmatch(r"[\w-]*", word):
            return None
        return word, _matching([*sorted({a.dest for a in known.values()}), "limit", "since"], word)
    action = known.get(normal_key(typed.group(1)))
    words, raw, value, quote = _split(typed.group(2))
    if action is None or words:
        return raw, []
    return raw, [_render(v, quote) for v in _matching(_values(action, session.workspace), value)]
