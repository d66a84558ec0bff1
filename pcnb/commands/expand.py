"""``{name}`` in a command line: the notebook variable ``name``, quoted for the grammar.

Why not IPython's own expansion: it pastes ``str(value)`` as is, so ``status = "Plan
Review"`` then ``--status {status}`` splits into two words, and an unknown name silently stays
``{status}`` and reaches the command. Here a value is quoted the way ``shlex`` reads it back (also
inside quotes the user wrote), an unknown name is an error naming it, ``{{``/``}}`` are literal
braces, and ``{obj.attr}`` / ``{mapping[key]}`` are allowed (no calls: a line must not run code).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from pcnb.commands.base import CommandError

_REF = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[[^\[\]{}()]*\])*")
_PART = re.compile(r"\.([A-Za-z_]\w*)|\[([^\[\]]*)\]")


def _lookup(ref: str, namespace: Mapping[str, Any]) -> Any:
    name = re.match(r"[A-Za-z_]\w*", ref)
    assert name is not None  # _REF matched
    if name.group() not in namespace:
        raise CommandError(f"{{{ref}}}: no variable {name.group()!r} in the notebook",
                           "define it in a cell first, or write {{ and }} for literal braces")
    value = namespace[name.group()]
    for attr, key in _PART.findall(ref[name.end():]):
        try:
            if attr:
                value = getattr(value, attr)
            else:
                k: Any = key.strip("'\"") if key[:1] in "'\"" else (int(key) if key.lstrip("-").isdigit() else key)
                value = value[k]
        except (AttributeError, KeyError, IndexError, TypeError) as exc:
            raise CommandError(f"{{{ref}}}: {type(exc).__name__}: {exc}", "check the variable's value") from None
    return value


def _quoted(value: str, quote: str | None) -> str:
    if quote is None:
        return shlex.quote(value) if value else "''"
    if quote == "'":
        return value.replace("'", "'\"'\"'")
    return re.sub(r'(["\\])', r"\\\1", value)  # inside "...", shlex unescapes only \" and \\


def expand(line: str, namespace: Mapping[str, Any]) -> str:
    """``line`` with every ``{ref}`` replaced by its quoted value; ``{{``/``}}`` give braces."""
    if "{" not in line and "}" not in line:
        return line
    out: list[str] = []
    quote: str | None = None
    i = 0
    while i < len(line):
        ch = line[i]
        if ch in "{}" and line[i:i + 2] == ch * 2:
            out.append(ch)
            i += 2
            continue
        if ch == "{":
            end = line.find("}", i)
            ref = line[i + 1:end].strip() if end > 0 else ""
            if end < 0 or not _REF.fullmatch(ref):
                shown = line[i:end + 1] if end > 0 else line[i:]
                raise CommandError(f"{shown!r} is not a variable reference",
                                   "write {name} for a notebook variable, {{ and }} for literal braces")
            out.append(_quoted(str(_lookup(ref, namespace)), quote))
            i = end + 1
            continue
        if ch == "\\" and quote != "'" and i + 1 < len(line):
            out.append(line[i:i + 2])
            i += 2
            continue
        if ch in "'\"" and quote in (None, ch):
            quote = None if quote == ch else ch
        out.append(ch)
        i += 1
    return "".join(out)
