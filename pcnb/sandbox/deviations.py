"""Deviations from a program's workflow, injected into generated histories so tests know the truth.

The generator walks every project along the definition's moves, so its histories conform. A
definition's ``deviations:`` (or ``generate(deviations=...)``) asks for a number of projects with
one deviation each, of four kinds, made so that each is exactly one deviation of its kind for a
conformance check whose model is the definition (its status order, the moves of ``transitions``
and the forms' ``leads_to``, its final statuses), whichever final status that check calls the
completion:

- ``skipped_step``: a stay left out (A → B → C becomes A → C) where every route from A to C goes
  through B, C comes after A in the status order and is not final, and A → C is no move;
- ``out_of_order``: two steps swapped (A B C D becomes A C B D): B was the only status every route
  from A to C went through, C → B is no move and B comes before C in the order, and B → D is a
  move, or C was the only status between B and D (the project had done it: nothing to count);
- ``unexpected_transition``: the history cut after a status A and ended in a final status the
  workflow cannot reach from A at all, later in the order than A;
- ``re_entry``: B C repeated (A B C D becomes A B C B C D) where C → B is no move.

Each changes times only within the project's own span. The truth is ``State.injected``: one
:class:`Injected` per project (custom ids), in the order injected.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from pcnb.sandbox.models import Project, StatusEvent
from pcnb.sandbox.program import ProgramDef

KINDS = ("skipped_step", "out_of_order", "unexpected_transition", "re_entry")


@dataclass(frozen=True)
class Injected:
    project_id: str
    kind: str  # one of KINDS
    from_status: str  # the deviating move, as custom ids
    to_status: str


class _Graph:
    def __init__(self, prog: ProgramDef):
        self.order = {s.custom_id: i for i, s in enumerate(prog.statuses)}
        self.final = set(prog.terminal)
        moves = {(a, b) for a, steps in prog.flow.items() for st in steps if (b := st.to) is not None}
        moves |= {(a, b) for f in prog.forms for a, b in f.submit_to.items()}
        self.moves = moves

    def reach(self, a: str, without: str | None = None) -> set[str]:
        seen: set[str] = set()
        todo = [b for x, b in self.moves if x == a and b != without]
        while todo:
            s = todo.pop()
            if s not in seen:
                seen.add(s)
                todo += [b for x, b in self.moves if x == s and b != without]
        return seen

    def only_via(self, a: str, c: str) -> set[str]:
        """The statuses every route from ``a`` to ``c`` goes through (empty when c is out of reach)."""
        if c not in self.reach(a):
            return set()
        return {x for x in self.order if x not in (a, c) and c not in self.reach(a, without=x)}


def inject(projects: Mapping[str, Project], prog: ProgramDef, counts: Mapping[str, int], seed: int,
           end: datetime) -> list[Injected]:
    """Inject ``counts`` ({kind: n}) deviations, one per project, into ``projects`` (changed in
    place); returns what was injected. A kind that fewer projects can take gets fewer: compare
    the result with what was asked."""
    unknown = sorted(set(counts) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown deviation kind(s) {unknown}; kinds: {', '.join(KINDS)}")
    g = _Graph(prog)
    rng = random.Random(f"deviations/{seed}")
    ids = sorted(projects)
    rng.shuffle(ids)
    used: set[str] = set()
    out: list[Injected] = []
    for kind in KINDS:
        wanted = counts.get(kind, 0)
        if wanted <= 0:
            continue
        made = 0
        for pid in ids:
            if made == wanted:
                break
            if pid in used:
                continue
            done = _TRY[kind](projects[pid], g, end)
            if done is not None:
                used.add(pid)
                out.append(Injected(pid, kind, *done))
                made += 1
    return out


def _path(p: Project) -> list[str]:
    return [e.status for e in p.history]


def _settle(p: Project) -> None:
    last = p.history[-1]
    p.status, p.status_ts = last.status, last.ts
    p.last_change = max(p.last_change, last.ts)


def _skip(p: Project, g: _Graph, end: datetime) -> tuple[str, str] | None:
    s = _path(p)
    if len(set(s)) != len(s):
        return None
    for i in range(1, len(s) - 1):
        a, b, c = s[i - 1], s[i], s[i + 1]
        if ((a, c) not in g.moves and c not in g.final and g.order[c] > g.order[a] and b in g.only_via(a, c)):
            del p.history[i]
            _settle(p)
            return a, c
    return None


def _swap(p: Project, g: _Graph, end: datetime) -> tuple[str, str] | None:
    s = _path(p)
    if len(set(s)) != len(s):
        return None
    for i in range(1, len(s) - 1):
        a, b, c = s[i - 1], s[i], s[i + 1]
        d = s[i + 2] if i + 2 < len(s) else None
        if b in g.final or c in g.final or (c, b) in g.moves or not g.order[b] < g.order[c]:
            continue
        if (a, c) not in g.moves and (g.only_via(a, c) != {b} or not g.order[a] < g.order[c]):
            continue
        if d is not None and (b, d) not in g.moves and (g.only_via(b, d) != {c} or d in g.final):
            continue
        p.history[i].status, p.history[i + 1].status = c, b
        _settle(p)
        return c, b
    return None


def _unexpected(p: Project, g: _Graph, end: datetime) -> tuple[str, str] | None:
    s = _path(p)
    for i in range(len(s) - 1):
        a = s[i]
        if a in g.final:
            continue
        out_of_reach = g.reach(a)
        targets = [t for t in sorted(g.final, key=g.order.__getitem__)
                   if t not in out_of_reach and t not in s[:i + 1] and g.order[t] > g.order[a]]
        if targets:
            when = p.history[i + 1]
            p.history[i + 1:] = [StatusEvent(targets[0], when.ts, when.changed_by)]
            _settle(p)
            return a, targets[0]
    return None


def _reenter(p: Project, g: _Graph, end: datetime) -> tuple[str, str] | None:
    s = _path(p)
    if len(set(s)) != len(s):
        return None
    for i in range(1, len(s)):
        b, c = s[i - 1], s[i]
        if c in g.final or (c, b) in g.moves or b in g.final:
            continue
        start = p.history[i].ts
        stop = p.history[i + 1].ts if i + 1 < len(s) else end
        gap = stop - start
        if gap.total_seconds() < 3:
            continue
        by = p.history[i].changed_by
        p.history[i + 1:i + 1] = [StatusEvent(b, start + gap / 3, by), StatusEvent(c, start + gap * 2 / 3, by)]
        _settle(p)
        return c, b
    return None


_TRY = {"skipped_step": _skip, "out_of_order": _swap, "unexpected_transition": _unexpected, "re_entry": _reenter}
