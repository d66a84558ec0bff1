"""No program's vocabulary in product code: every status, form and field name or custom id of the
sandbox's programs may appear only under pcnb/sandbox/ (the programs' own definitions)."""

from __future__ import annotations

import re
from pathlib import Path

from pcnb.sandbox.definition import BUILTINS, load

ROOT = Path(__file__).resolve().parents[1]
#: Words the V2 contract itself defines (attachment statuses), which a program's status may share.
CONTRACT_WORDS = {"Approved", "Rejected", "Pending"}


def _vocabulary() -> set[str]:
    words: set[str] = set()
    for name in BUILTINS:
        prog = load(name)
        words |= {s.name for s in prog.statuses} | {s.custom_id for s in prog.statuses}
        for form in prog.forms:
            words |= {form.name, form.custom_id} | {f.name for f in form.fields} | {f.custom_id for f in form.fields}
            words |= {a.name for a in form.attachments} | {a.custom_id for a in form.attachments}
    return {w for w in words if len(w) >= 4} - CONTRACT_WORDS


def test_no_program_vocabulary_outside_the_sandbox():
    words = _vocabulary()
    assert {"Permission to Operate", "APPLICATION", "SYSTEM_SIZE_KW", "Funds Reserved", "NAMEPLATE_MW"} <= words
    pattern = re.compile("|".join(rf"(?<![\w-]){re.escape(w)}(?![\w-])" for w in sorted(words, key=len, reverse=True)))
    hits = []
    for path in sorted((ROOT / "pcnb").rglob("*.py")):
        if "sandbox" in path.relative_to(ROOT / "pcnb").parts:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for m in pattern.finditer(line):
                hits.append(f"{path.relative_to(ROOT)}:{n}: {m.group(0)!r}")
    assert not hits, "\n".join(hits)
