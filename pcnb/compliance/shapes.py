"""The published report shapes pcnb ships as editable rule files (``pcnb/compliance/shapes/``), and
``based_on``: a utility's own file names a shape and binds its statuses, so the regulator's
definition (steps, days, levels, counts, period) stays in one reviewed file and the program's
mapping in another, short one.

A shape names its steps' statuses through its ``statuses`` block (e.g. ``application complete:
role:intake``); the utility's file overrides the names its program needs. Everything else in the
utility's file replaces the shape's key of the same name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from pcnb.compliance.errors import RulesError

SHAPES = Path(__file__).parent / "shapes"


def names() -> list[str]:
    """The shipped shapes, by the name ``based_on`` takes."""
    return sorted(p.stem for p in SHAPES.glob("*.yaml"))


def path_of(name: str) -> Path:
    """The shipped shape's file (copy it to edit the regulator's definition itself)."""
    return SHAPES / f"{name}.yaml"


def read(path: Path) -> tuple[Any, bytes]:
    """(parsed YAML, the file's bytes); a missing or non-YAML file is a one-line error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RulesError(f"cannot read the rule file {path}: {exc.strerror}", "check the path") from None
    try:
        return yaml.safe_load(raw.decode("utf-8")), raw
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise RulesError(f"the rule file {path} is not YAML{where}", "fix the line, or start from the example in "
                         "docs/compliance.md") from None


def merged(data: Any, here: Path) -> tuple[Any, bytes]:
    """(``data`` over the shape it is ``based_on``, the shape's bytes): one level, so a shape is
    never itself based on another."""
    if not isinstance(data, dict) or "based_on" not in data:
        return data, b""
    ref = str(data["based_on"])
    path = path_of(ref) if ref in names() else (here / ref)
    if not path.is_file():
        raise RulesError(f"based_on: {ref!r} is neither a shipped shape nor a rule file",
                         f"use one of: {', '.join(names())} (or a path next to the rule file)")
    base, raw = read(path)
    if not isinstance(base, dict):
        raise RulesError(f"based_on: {ref} holds no keys", "name a rule file with name, source and steps")
    if "based_on" in base:
        raise RulesError(f"based_on: {ref} is itself based on {base['based_on']!r}",
                         "base a file on a shape directly (one level)")
    out = {**base, **{k: v for k, v in data.items() if k != "based_on"}}
    if isinstance(base.get("statuses"), dict) and isinstance(data.get("statuses"), dict):
        out["statuses"] = {**base["statuses"], **data["statuses"]}
    return out, raw


def text(profile: Any) -> str:
    """The shipped shapes, each with its name, source and how to start from it."""
    lines = []
    for name in names():
        data, _ = read(path_of(name))
        lines.append(f"{name}: {data.get('name')}\n    source: {data.get('source')}")
        unbound = [k for k, v in (data.get("statuses") or {}).items() if not str(v).startswith(("role:", "exit:"))
                   and (profile is None or str(v) not in {s.name for s in profile.statuses})]
        if unbound:
            lines.append(f"    bind in your file: {', '.join(unbound)}")
    return "\n".join(lines) + ("\n\nStart a rule file with `based_on: NAME` and a `statuses:` block naming your "
                               "program's status for each name above (docs/compliance.md).")


__all__ = ["SHAPES", "merged", "names", "path_of", "read", "text"]
