"""The profile's text file: written whole or not at all, read back only when it is whole and right.

The file invites hand edits ("Edit freely"), so reading it is where mistakes arrive: an empty file,
a list, ``roles:`` as a list, ``timezone: 5``, a file cut short at a line end. Each is refused with
the file, the line and the key it is about, and how to write it (pcnb.profile_checks does the
checking, on the same schema the dataclasses are checked against); a refused file is never half
read. A file cut short is told by its missing last line (:data:`END`), which :func:`dump` always
writes and a hand edit has no reason to touch, and by missing top-level keys.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from pcnb.profile_checks import Problem, ProfileError, key_of, plain, problems, shape_problems

if TYPE_CHECKING:
    from pcnb.profile import ProgramProfile

#: The last line of every saved profile: a file without it was cut short.
END = "# end of profile (a file without this line was cut short and is not read)"


#: A header line of files that end with :data:`END` (files written before it have neither: they are
#: read without it, their cut told by missing keys only).
MARK = "# `%powerclerk profile reload` reads it back"


def dump(prof: ProgramProfile) -> str:
    data = plain(asdict(prof))
    header = (f"# pcnb program profile for {prof.program_name or prof.program_id} ({prof.environment}).\n"
              "# Edit freely: statuses' holders, roles, deadlines (business_days, calendar_days, business_hours),\n"
              "# calendar and segments. Keys under `guessed` were inferred; delete a line once you confirm it.\n"
              f"{MARK} (a wrong value is named with its line).\n")
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110) + END + "\n"


def write(prof: ProgramProfile, path: str | Path) -> Path:
    """Write ``prof`` (already validated) to ``path`` atomically: a crash leaves the old file or the new."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(dump(prof))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _line(node: yaml.Node | None, path: tuple[str | int, ...]) -> int | None:
    """The 1-based line of ``path`` in the composed YAML (the key's line for a mapping entry; the
    deepest part of the path that exists, when the rest does not)."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == part), None)
            if match is None:
                return line
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _refuse(path: Path, line: int | None, what: str, fix: str, key: str = "") -> ProfileError:
    where = f"line {line}" + (f", {key}" if key else "")
    err = ProfileError(f"the profile file {path} is refused: {where}: {what}", fix)
    err.key, err.line = key, line
    return err


def parse(text: str, path: Path, build: Callable[[dict[str, Any]], ProgramProfile]) -> ProgramProfile:
    """The profile in ``text`` (the file at ``path``), or a ProfileError naming the line and the fix.
    ``build`` makes the profile of data whose shape is checked (``ProgramProfile.from_dict``)."""
    lines = text.splitlines()
    last = max(1, len(lines))
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _refuse(path, mark.line + 1 if mark else None, f"not valid YAML ({exc.problem or exc.context})",
                      "check the indentation, the colon after each key and the quotes on that line") from None
    except yaml.YAMLError as exc:
        raise _refuse(path, None, f"not valid YAML ({exc})", "check the indentation and quotes") from None
    restart = "delete the file and run `%powerclerk profile infer` to infer it again, or restore a copy"
    if data is None:
        raise _refuse(path, 1, "the file is empty", restart)
    if not isinstance(data, dict):
        raise _refuse(path, 1, f"the file holds {'a list' if isinstance(data, list) else repr(data)}, not the "
                               "profile's keys (environment, program_id, statuses, roles, ...)", restart)
    if not any(line.strip() == END for line in lines) and not any(line.startswith(MARK) for line in lines[:8]):
        data.setdefault("confidence", {})  # written before the end line and `confidence`: keys tell a cut
    elif not any(line.strip() == END for line in lines):
        raise _refuse(path, last, f"the file ends here without its last line {END.split(' (')[0]!r}: it was cut "
                                  "short, and what followed (statuses, roles, deadlines...) is lost", restart
                      + "; a file you wrote yourself: end it with that line")
    found = shape_problems(data)
    if found:
        raise _located(path, root, found[0])
    prof = build(data)
    found = problems(prof)
    if found:
        raise _located(path, root, found[0])
    return prof


def _located(path: Path, root: yaml.Node | None, problem: Problem) -> ProfileError:
    return _refuse(path, _line(root, problem.path), problem.what, problem.fix, key_of(problem.path))


def read(path: str | Path, build: Callable[[dict[str, Any]], ProgramProfile]) -> ProgramProfile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"the profile file {path} cannot be read: {exc}",
                           "check the file's permissions, or delete it to infer a new profile") from None
    return parse(text, path, build)
