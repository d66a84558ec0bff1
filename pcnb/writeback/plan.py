"""The write-back engine: Plan (validated operations + diff), execute, undo, resume, journal.

Takes what it needs (client, store, program, cached frames) through ``model.Target``, which a
Workspace satisfies; nothing here imports the workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from pcnb.errors import InputError, IrreversibleUnconfirmed
from pcnb.writeback import actions
from pcnb.writeback import journal as _journal
from pcnb.writeback.changes import normalize
from pcnb.writeback.execute import APPLIED, BUSY, run
from pcnb.writeback.model import ChangeRequest, JournalRow, JournalState, Op, Target
from pcnb.writeback.planner import Planner, build_ops, check_role, read_current

DIFF_SCHEMA = {"seq": pl.Int64, "project_id": pl.String, "project_number": pl.String, "action": pl.String,
               "target": pl.String, "current": pl.String, "new": pl.String, "check": pl.String}
RESULT_SCHEMA = {"seq": pl.Int64, "project_id": pl.String, "project_number": pl.String, "action": pl.String,
                 "target": pl.String, "state": pl.String, "request_id": pl.String, "error": pl.String}


def table(df: pl.DataFrame, html: bool = True) -> str:
    """A diff/result table as a grid (sortable, searchable, problem texts wrapped, never cut), or as
    text for a terminal (polars would cut the texts at 30 characters)."""
    from pcnb import grids

    return grids.grid_html(df) if html else grids.text_table(df)


def _show(value: Any) -> str | None:
    if value is None:
        return None
    return " | ".join(map(str, value)) if isinstance(value, list) else str(value)


@dataclass
class Result:
    batch_id: str
    frame: pl.DataFrame

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.frame.group_by("state").len().iter_rows())

    @property
    def failed(self) -> pl.DataFrame:
        return self.frame.filter(pl.col("state").is_in([JournalState.FAILED.value, JournalState.UNKNOWN.value,
                                                         JournalState.PLANNED.value, BUSY]))

    def summary(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts.items()))
        tail = f"; re-run the same plan (or writeback.resume(ws, {self.batch_id!r})) to finish" \
            if self.failed.height else ""
        return f"batch {self.batch_id}: {counts}{tail}"

    def __repr__(self) -> str:
        return self.summary() + "\n" + table(self.frame, html=False)

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>" + table(self.frame)


class Plan:
    """Validated operations and their before-values; nothing is sent until ``execute(confirm=True)``."""

    def __init__(self, ws: Target, ops: list[Op], undoes: str | None = None):
        self.ws, self.ops, self.undoes = ws, ops, undoes
        self.batch_id = _journal.batch_id(ops)
        self.result: Result | None = None

    @property
    def diff(self) -> pl.DataFrame:
        done = _journal.states(self.ws.store, self.batch_id)
        rows = []
        for op in self.ops:
            check = "done" if done.get(op.seq) == JournalState.DONE else "unchanged" if actions.unchanged(op) else "ok"
            if op.problems:
                check = "; ".join(op.problems)
            base = {"seq": op.seq, "project_id": op.project_id, "project_number": op.project_number,
                    "action": op.action, "check": check}
            if actions.get(op.action).data:
                names = op.payload.get("names", {})
                for fid, new in op.payload["fields"].items():
                    fcheck = op.field_problems.get(fid) or ("invalid: see other fields" if op.field_problems
                                                            and not op.problems else None)
                    rows.append({**base, "check": fcheck or base["check"], "target": names.get(fid, fid),
                                 "current": _show(op.before.get("fields", {}).get(fid)), "new": _show(new)})
            else:
                new = actions.get(op.action).diff_new(op)
                rows.append({**base, "target": op.label, "current": _show(op.before.get("value")), "new": _show(new)})
        return pl.DataFrame(rows, schema=DIFF_SCHEMA)

    @property
    def problems(self) -> pl.DataFrame:
        return self.diff.filter(~pl.col("check").is_in(["ok", "unchanged", "done"]))

    @property
    def ok(self) -> bool:
        return not any(op.invalid for op in self.ops)

    @property
    def environment(self) -> str:
        """Where this plan writes, as the user named it when connecting (sandbox, trial, production...)."""
        return str(self.ws.client.settings.environment)

    def irreversible(self) -> list[Op]:
        """The operations to send that no undo can take back (status moves, submits, notes...)."""
        return [op for op in self.ops if not op.invalid and not actions.unchanged(op)
                and not (actions.get(op.action).undoable if op.reversible is None else op.reversible)]

    @staticmethod
    def kinds(ops: list[Op]) -> str:
        """The actions of ``ops`` in words, once each (``note, status``)."""
        return ", ".join(sorted({op.action for op in ops}))

    def summary(self, how_to_send: bool = True) -> str:
        """Where, what, and whether it can be undone, in words; ``how_to_send=False`` leaves out
        "ready: ... sends it" (a caller about to execute the plan itself, e.g. ``--yes``)."""
        bad = sum(op.invalid for op in self.ops)
        same = sum(actions.unchanged(op) and not op.invalid for op in self.ops)
        send = len(self.ops) - bad - same
        final = self.irreversible()
        budget = self.ws.client.budget
        seconds = budget.eta(send) if budget and send else 0.0
        eta = f", about {seconds:.0f}s at the shared rate limit" if seconds >= 1 else ""
        kinds = self.kinds(final)
        undo = (f"; {send - len(final)} can be undone, {len(final)} cannot ({kinds}: no undo in PowerClerk, or "
                "no move back in the workflow)"
                if final else "; every one can be undone (journal --undo)" if send else "")
        verdict = "; ready: execute(confirm=True) or `%powerclerk apply` sends it" if not bad else \
            f"; {bad} operation(s) have problems (see .problems); fix them or execute(confirm=True, skip_invalid=True)"
        if final and not bad:
            verdict += f" (naming the environment for what cannot be undone: irreversible={self.environment!r})"
        if not bad and not how_to_send:
            verdict = ""
        return (f"plan {self.batch_id} for {self.environment} program {self.ws.program}: {len(self.ops)} "
                f"operation(s), {send} to send, {same} unchanged{undo}{eta}{verdict}")

    def __repr__(self) -> str:
        return self.summary() + "\n" + table(self.diff, html=False)

    def _repr_html_(self) -> str:
        return f"<p>{self.summary()}</p>" + table(self.diff)

    def execute(self, confirm: bool = False, progress: bool = True, skip_invalid: bool = False,
                irreversible: str | None = None) -> Result:
        """Send the plan. ``confirm=True`` always; operations that cannot be undone (status moves,
        submits, notes...) also need ``irreversible`` naming the environment they go to, typed, so a
        plan meant for the sandbox can never move production projects by one stray confirmation."""
        if confirm is not True:
            raise InputError("write-back needs explicit confirmation",
                             "review plan.diff, then call plan.execute(confirm=True) (magic: --yes or `apply`)")
        bad = [op for op in self.ops if op.invalid]
        if bad and not skip_invalid:
            raise InputError(f"{len(bad)} operation(s) did not pass validation; nothing was sent",
                             "see plan.problems; fix the rows, or execute(confirm=True, skip_invalid=True)")
        final = self.irreversible()
        named = irreversible.strip() if isinstance(irreversible, str) else None  # one rule in every front end
        if final and named != self.environment:
            said = f" (you named {named!r})" if named else ""
            kinds = self.kinds(final)
            raise IrreversibleUnconfirmed(
                f"{len(final)} operation(s) of this plan cannot be undone ({kinds}) and would go to "
                f"{self.environment} program {self.ws.program}{said}; nothing was sent",
                f"to send them, name the environment: --irreversible {self.environment} (magic and pcnb), type "
                f"{self.environment} in the browser, or execute(confirm=True, irreversible={self.environment!r})")
        ops = [op for op in self.ops if not op.invalid]
        outcome = run(self.ws, self.batch_id, ops, progress=progress)
        rows = [{"seq": op.seq, "project_id": op.project_id, "project_number": op.project_number,
                 "action": op.action, "target": op.label, "request_id": None, "error": None, **outcome[op.seq]}
                for op in ops if op.seq in outcome]
        rows += [{"seq": op.seq, "project_id": op.project_id, "project_number": op.project_number, "action": op.action,
                  "target": op.label, "state": "invalid", "request_id": None,
                  "error": "; ".join(op.all_problems())}
                 for op in bad]
        self.result = Result(self.batch_id, pl.DataFrame(rows, schema=RESULT_SCHEMA).sort("seq"))
        if self.undoes:
            _mark_undone(self)
        return self.result


def plan(ws: Target, changes: pl.DataFrame | list[dict[str, Any]] | dict[str, Any], action: str | None = None,
         **options: Any) -> Plan:
    """Validate ``changes`` against the form schemas and the workflow and read current values.

    ``changes``: a frame with a ``project`` column plus field columns (``action="set"`` or
    ``"draft"``, ``form=``), or ``field``/``value`` columns, or the column of the action
    (``status``, ``email``, ``text``, ``file``, ``decision``); an ``action`` column mixes actions.
    Options (as keywords or columns): form, submit, run_followup_actions, auto_communication,
    subject, note.
    """
    requests = normalize(changes, action, **options)
    return plan_requests(ws, requests)


def plan_requests(ws: Target, requests: list[ChangeRequest], undoes: str | None = None) -> Plan:
    check_role(ws, {r["action"] for r in requests})
    planner = Planner(ws)
    ops = build_ops(planner, requests)
    read_current(planner, ops)
    return Plan(ws, ops, undoes)


def undo(ws: Target, batch: str) -> Plan:
    """A plan restoring the before-values of a batch's data changes (set / draft) and moving its
    status moves back (the plan refuses a move the workflow does not allow). Notes, submits and
    uploads are not undone: PowerClerk has no inverse for them."""
    rows = _batch_rows(ws, batch)
    submitted = {(r["project_id"], r["after"].get("form")) for r in rows
                 if r["action"] == "submit" and r["state"] == JournalState.DONE}
    requests: list[ChangeRequest] = []
    for r in rows:
        action = actions.get(r["action"])
        if not action.undoable or r["state"] != JournalState.DONE:
            continue
        requests += action.undo_requests(r, batch, submitted)
    if not requests:
        kinds = sorted({r["action"] for r in rows if not actions.get(r["action"]).undoable})
        held = f": it holds only operations PowerClerk has no undo for ({', '.join(kinds)})" if kinds else ""
        raise InputError(f"batch {batch} has no completed data changes to undo{held}",
                         "a status can be moved again with `%powerclerk status PROJECT --to STATUS` where the "
                         "workflow allows it; `%powerclerk journal " + batch + "` shows what the batch did")
    return plan_requests(ws, requests, undoes=batch)


def _batch_rows(ws: Target, batch: str) -> list[JournalRow]:
    rows = _journal.load(ws.store, batch)
    if not rows:
        raise InputError(f"batch {batch!r} is not in the journal", "see `%powerclerk journal` for batch ids")
    return rows


def _mark_undone(p: Plan) -> None:
    """Mark the undone batch's data rows whose (project, form) the undo plan restored."""
    assert p.result is not None
    state = dict(zip(p.result.frame["seq"], p.result.frame["state"], strict=True))
    ok = {(op.project_id, op.form) for op in p.ops if state.get(op.seq) in APPLIED}
    for r in _journal.load(p.ws.store, p.undoes or ""):
        if actions.get(r["action"]).undoable and r["state"] == JournalState.DONE \
                and (r["project_id"], r["after"].get("form")) in ok:
            _journal.mark(p.ws.store, p.undoes or "", r["seq"], JournalState.UNDONE, error=f"undone by {p.batch_id}")


def resume(ws: Target, batch: str, progress: bool = True) -> Result:
    """Finish a batch from the journal alone (after a crash or a failed row), without re-planning."""
    rows = _batch_rows(ws, batch)
    ops = [Op(r["seq"], r["action"], r["project_id"], r["after"].get("project_number"), r["after"].get("form"),
              r["target"], r["after"].get("label") or "", r["after"].get("payload", {}), r["before"]) for r in rows]
    p = Plan(ws, ops)
    p.batch_id = batch
    # a journaled batch was confirmed when it was first executed, what cannot be undone included
    return p.execute(confirm=True, progress=progress, irreversible=p.environment)
