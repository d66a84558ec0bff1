"""Simulated program activity: what happens at a utility between two syncs.

Used by tests and benchmarks (e.g. "change 3 % of projects, then sync incrementally") and by the
demo to make a second sync show something. Returns exactly what changed so callers can predict
the API calls an incremental sync must spend.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pcnb.sandbox import ops
from pcnb.sandbox.program import FieldDef, FormDef
from pcnb.sandbox.state import State

ADMIN = {"name": "Avery Admin", "email": "admin@utility.example", "admin": True}


@dataclass
class ActivityReport:
    status_changed: set[str] = field(default_factory=set)
    inquiry_changed: set[str] = field(default_factory=set)
    data_changed: set[str] = field(default_factory=set)

    @property
    def changed(self) -> set[str]:
        return self.status_changed | self.inquiry_changed | self.data_changed

    def as_dict(self) -> dict[str, list[str]]:
        return {k: sorted(getattr(self, k)) for k in ("status_changed", "inquiry_changed", "data_changed")}


def simulate(state: State, fraction: float = 0.03, seed: int = 1) -> ActivityReport:
    """Change ``fraction`` of projects: status moves, new inquiry notes or data edits."""
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    rng = random.Random(seed)
    ids = list(state.projects)
    report = ActivityReport()
    for pid in rng.sample(ids, max(1, round(len(ids) * fraction))):
        p = state.projects[pid]
        roll = rng.random()
        allowed = state.program.transitions.get(p.status, ())
        if roll < 0.6 and p.status not in state.program.terminal and allowed:
            state.set_status(p, rng.choice(allowed), ADMIN)
            report.status_changed.add(pid)
        elif roll < 0.85:
            body = ({"ThreadId": p.thread_ids[-1], "Text": "Any update on this item?"} if p.thread_ids
                    else {"Subject": "Missing document", "Text": "Please upload the site plan."})
            ops.set_note(state, p, body, ADMIN)
            report.inquiry_changed.add(pid)
        else:
            form, fd = _note_field(state)
            state.set_data(p, form, [{"DataFieldId": fd.custom_id, "Value": f"checked {rng.randint(1, 999)}"}],
                           ADMIN, admin_path=True)
            report.data_changed.add(pid)
    return report


def _note_field(state: State) -> tuple[FormDef, FieldDef]:
    """The field an admin's data edit touches: a free-text field, on an admin-only form if there is one."""
    forms = sorted(state.program.forms, key=lambda f: not f.admin_only)
    for form in forms:
        for fd in form.fields:
            if fd.type == "Text" and not fd.multi and not fd.sensitive:
                return form, fd
    raise ValueError(f"program {state.program.name} has no free-text field for simulated data edits")
