"""Plan a batch of writes: resolve, validate against form schema and workflow, read current values.

Nothing is written here. A plan turns requests (spec.py) into operations -- one per API write --
each with the values it would replace, so the diff the user confirms is the diff that gets
executed and journaled. The cost is one GetForms call, one GetFormSchema per form involved and
one GetProjectData per (project, form) written: the before-values must come from the server, not
the cache, or undo could restore something stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from pcnb.api.contract import ATTACHMENT_ACTIONS, THREAD_STATUSES
from pcnb.errors import ApiError, Forbidden, InputError
from pcnb.writeback.spec import ADMIN_ACTIONS, DATA_ACTIONS
from pcnb.writeback.values import same, to_wire

if TYPE_CHECKING:
    from pcnb.workspace import Workspace

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


@dataclass
class Op:
    """One API write. ``payload`` is what is sent, ``before`` what it replaces (for the diff and undo)."""

    seq: int
    action: str
    project_id: str | None
    project_number: str | None
    form: str | None = None
    target: str | None = None
    label: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    before: dict[str, Any] = field(default_factory=dict)
    rows: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # of the whole operation
    field_problems: dict[str, str] = field(default_factory=dict)  # field id -> problem (data actions)

    @property
    def invalid(self) -> bool:
        return bool(self.problems or self.field_problems)

    def all_problems(self) -> list[str]:
        return [*self.problems, *self.field_problems.values()]

    @property
    def unchanged(self) -> bool:
        if self.action in DATA_ACTIONS:
            return all(same(self.before.get("fields", {}).get(k), v) for k, v in self.payload["fields"].items())
        if self.action in ("owner", "thread-status", "status"):
            return same(self.before.get("value"), self.payload.get("value"))
        return False


class Planner:
    """Holds what validation needs, each piece fetched at most once per plan."""

    def __init__(self, ws: Workspace):
        self.ws, self.client, self.program = ws, ws.client, ws.program
        projects = ws.projects()
        if projects.height == 0:
            raise InputError("the local cache has no projects yet", "run `ws.sync()` / `%powerclerk sync` first")
        self.projects: dict[str, dict[str, Any]] = {}
        for p in projects.select("project_id", "project_number", "status", "status_id", "owner_email").to_dicts():
            self.projects[p["project_id"]] = p
            if p["project_number"]:
                self.projects[p["project_number"]] = p
        self._forms: list[dict[str, Any]] | None = None
        self._schemas: dict[str, dict[str, Any] | str] = {}
        self._transitions: dict[str, set[str]] | None = None
        self._threads: dict[str, dict[str, Any]] | None = None
        self._statuses: list[tuple[str, str | None, str]] | None = None

    # ---- lookups -------------------------------------------------------------------------------
    def project(self, ref: str | None) -> dict[str, Any] | None:
        return self.projects.get(ref or "")

    def forms(self) -> list[dict[str, Any]]:
        if self._forms is None:
            self._forms = self.client.forms(self.program).get("Forms") or []
        return self._forms

    def form(self, ref: str | None) -> dict[str, Any] | None:
        if not ref:
            return None
        for f in self.forms():
            if ref in (f.get("FormId"), f.get("CustomId"), f.get("Name")):
                return f
        return None

    def schema(self, form: dict[str, Any]) -> dict[str, Any] | str:
        """The form's schema, or why it cannot be read (e.g. an admin-only form)."""
        fid = form["FormId"]
        if fid not in self._schemas:
            try:
                self._schemas[fid] = self.client.form_schema(self.program, fid).get("FormSchema") or {}
            except ApiError as exc:
                self._schemas[fid] = f"cannot read the schema of form {form.get('Name')}: {exc.message}"
        return self._schemas[fid]

    def transitions(self) -> dict[str, set[str]]:
        """status name -> next statuses seen in the cached history: the workflow as observed (V2 has
        no endpoint that lists a status's valid successors)."""
        if self._transitions is None:
            ev = self.ws.status_events().sort("project_id", "seq")
            pairs = ev.select(pl.col("status").cast(pl.String).alias("a"),
                              pl.col("status").cast(pl.String).shift(-1).over("project_id").alias("b")
                              ).drop_nulls().filter(pl.col("a") != pl.col("b")).unique()
            self._transitions = {}
            for a, b in pairs.iter_rows():
                self._transitions.setdefault(a, set()).add(b)
        return self._transitions

    def statuses(self) -> list[tuple[str, str | None, str]]:
        if self._statuses is None:
            self._statuses = self.ws.store.status_refs()
        return self._statuses

    def threads(self) -> dict[str, dict[str, Any]]:
        if self._threads is None:
            t = self.ws.inquiry_threads().select("thread_id", "project_id", "subject",
                                                 pl.col("status").cast(pl.String))
            self._threads = {r["thread_id"]: r for r in t.to_dicts()}
        return self._threads


def check_role(ws: Workspace, actions: set[str]) -> None:
    """Refuse admin actions for non-admin credentials before any write (one GetStatusList call
    establishes the role when it is not known yet)."""
    admin = sorted(actions & ADMIN_ACTIONS)
    if not admin:
        return
    if ws.client.is_admin is None:
        ws.client.detect_role(ws.program)
    if ws.client.is_admin is False:
        raise Forbidden(f"{', '.join(admin)} need program-admin credentials; these belong to a non-admin user, "
                        "so nothing was sent", status=403,
                        hint="ask a program admin, or connect with admin API credentials")


def build_ops(pl_: Planner, requests: list[dict[str, Any]]) -> list[Op]:
    ops: list[Op] = []
    data_ops: dict[tuple[str, str, str], Op] = {}
    for req in requests:
        act, proj = req["action"], pl_.project(req["project"])
        pid = proj["project_id"] if proj else req["project"]
        number = proj["project_number"] if proj else None
        if act in DATA_ACTIONS:
            form = pl_.form(req.get("form"))
            key = (act, pid or "", form["FormId"] if form else str(req.get("form")))
            op = data_ops.get(key)
            if op is None:
                op = Op(len(ops) + 1, act, pid, number, form["FormId"] if form else req.get("form"),
                        payload={"fields": {}, "options": _options(req, act)})
                op.before = {"fields": {}, "form_name": form.get("Name") if form else None}
                data_ops[key] = op
                ops.append(op)
                if proj is None:
                    op.problems.append(_not_cached(req["project"]))
                if form is None:
                    op.problems.append(_form_problem(pl_, req.get("form")))
            op.rows.append(req["row"])
            _add_field(pl_, op, form, req)
            continue
        op = Op(len(ops) + 1, act, pid, number, rows=[req["row"]])
        if act != "thread-status" and proj is None:
            op.problems.append(_not_cached(req["project"]))
        _SINGLE[act](pl_, op, req, proj)
        ops.append(op)
    # a draft with submit=True gets its own submit operation right after it
    out: list[Op] = []
    for op in ops:
        out.append(op)
        if op.action == "draft" and op.payload["options"].get("submit"):
            out.append(Op(0, "submit", op.project_id, op.project_number, op.form, label="submit",
                          payload={"after_draft": True}, rows=list(op.rows)))
    for i, op in enumerate(out, start=1):
        op.seq = i
        if op.action in DATA_ACTIONS:
            names = op.payload.get("names", {})
            op.label = ", ".join(str(names.get(k, k)) for k in op.payload["fields"])
    return out


def _not_cached(ref: Any) -> str:
    return f"project {ref!r} is not in the cache (run sync, or check the id)"


def _form_problem(pl_: Planner, ref: Any) -> str:
    if not ref:
        return "no form given: pass form= (or a 'form' column / --form)"
    names = ", ".join(str(f.get("CustomId") or f.get("Name")) for f in pl_.forms())
    return f"form {ref!r} is not in this program (forms: {names})"


def _options(req: dict[str, Any], act: str) -> dict[str, Any]:
    if act == "set":
        return {"run_followup_actions": _flag(req.get("run_followup_actions"))}
    return {"submit": bool(_flag(req.get("submit")))}


def _flag(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise InputError(f"{value!r} is not a yes/no value", "use true or false")


def _add_field(pl_: Planner, op: Op, form: dict[str, Any] | None, req: dict[str, Any]) -> None:
    if form is None:
        op.payload["fields"][req["target"]] = req["value"]
        return
    schema = pl_.schema(form)
    if isinstance(schema, str):
        op.problems.append(schema)
        op.payload["fields"][req["target"]] = req["value"]
        return
    fields = schema.get("DataFields") or []
    fs = next((f for f in fields if req["target"] in (f.get("DataFieldId"), f.get("CustomId"), f.get("Name"))), None)
    if fs is None:
        names = ", ".join(str(f.get("CustomId") or f.get("Name")) for f in fields)
        op.field_problems[req["target"]] = (f"row {req['row']}: field {req['target']!r} is not on form "
                                            f"{form.get('Name')} (fields: {names})")
        op.payload["fields"][req["target"]] = req["value"]
        return
    fid = fs["DataFieldId"]
    wire, problem = to_wire(fs, req["value"])
    if fid in op.payload["fields"]:
        problem = f"{fs.get('Name')} is changed twice for this project (rows {op.rows})"
    if problem:
        op.field_problems[fid] = f"row {req['row']}: {problem}"
    op.payload["fields"][fid] = wire if not problem else req["value"]
    op.payload.setdefault("names", {})[fid] = fs.get("Name") or fs.get("CustomId")


def _status(pl_: Planner, op: Op, req: dict[str, Any], proj: dict[str, Any] | None) -> None:
    ref = str(req["value"]).strip()
    match = next((s for s in pl_.statuses() if ref in s), None)
    op.payload = {"options": {"auto_communication": _flag(req.get("auto_communication"))}}
    if match is None:
        names = ", ".join(sorted({s[2] for s in pl_.statuses()}))
        op.problems.append(f"status {ref!r} is unknown (statuses: {names})")
        op.target, op.label, op.payload["value"] = ref, ref, ref
        return
    op.target, op.label, op.payload["value"] = match[0], match[2], match[2]
    if proj is None:
        return
    current = proj["status"]
    op.before = {"value": current, "status_id": proj["status_id"]}
    if current != match[2]:
        seen = pl_.transitions().get(current, set())
        if match[2] not in seen:
            op.problems.append(f"{current} -> {match[2]} is not a transition this program's history shows "
                               f"(from {current}: {', '.join(sorted(seen)) or 'none, it looks terminal'})")


def _note(pl_: Planner, op: Op, req: dict[str, Any], proj: dict[str, Any] | None) -> None:
    text = req["value"] if isinstance(req["value"], str) else ""
    if not text.strip():
        op.problems.append("the note text is empty")
    thread, subject = req.get("target"), _clean(req.get("subject"))
    op.payload = {"text": text, "thread": thread, "subject": subject}
    op.target = thread
    if thread:
        t = pl_.threads().get(thread)
        if t is None:
            op.problems.append(f"inquiry thread {thread!r} is not in the cache (run sync with inquiries)")
        elif proj is not None and t["project_id"] != proj["project_id"]:
            op.problems.append(f"thread {thread} belongs to another project")
        op.label = f"reply in {t['subject'] if t else thread}"
    elif not subject:
        op.problems.append("a new thread needs a subject (or give the thread id to reply in)")
    else:
        op.label = f"new thread: {subject}"


def _thread_status(pl_: Planner, op: Op, req: dict[str, Any], proj: dict[str, Any] | None) -> None:
    value, thread = str(req["value"]).strip().capitalize(), req["target"]
    op.target, op.label, op.payload = thread, f"thread {thread}", {"value": value}
    if value not in THREAD_STATUSES:
        op.problems.append(f"thread status {req['value']!r} must be one of {', '.join(THREAD_STATUSES)}")
    t = pl_.threads().get(thread)
    if t is None:
        op.problems.append(f"inquiry thread {thread!r} is not in the cache (run sync with inquiries)")
        return
    op.project_id = t["project_id"]
    p = pl_.project(t["project_id"])
    op.project_number = p["project_number"] if p else None
    op.before = {"value": t["status"]}


def _person(pl_: Planner, op: Op, req: dict[str, Any], proj: dict[str, Any] | None) -> None:
    email = str(req["value"]).strip()
    op.label, op.payload = op.action, {"value": email}
    if not re.match(_EMAIL, email):
        op.problems.append(f"{email!r} is not an email address")
    if op.action == "owner" and proj is not None:
        op.before = {"value": proj["owner_email"]}


def _upload(pl_: Planner, op: Op, req: dict[str, Any], proj: dict[str, Any] | None) -> None:
    path = Path(str(req["value"])).expanduser()
    op.payload = {"file": str(path), "options": {"submit": bool(_flag(req.get("submit")))}}
    if not path.is_file():
        op.problems.append(f"file {str(path)!r} does not exist")
    elif path.stat().st_size == 0:
        op.problems.append(f"file {str(path)!r} is empty")
    _attachment_ref(pl_, op, req, req.get("form"))


def _attachment(pl_: Planner, op: Op, req: dict[str, Any], proj: dict[str, Any] | None) -> None:
    decision = str(req["value"]).strip().capitalize()
    op.payload = {"value": decision, "note": _clean(req.get("note"))}
    if decision not in ATTACHMENT_ACTIONS:
        op.problems.append(f"attachment decision {req['value']!r} must be one of {', '.join(ATTACHMENT_ACTIONS)}")
    _attachment_ref(pl_, op, req, req.get("form"))


def _attachment_ref(pl_: Planner, op: Op, req: dict[str, Any], form_ref: Any) -> None:
    """Resolve an attachment by id, custom id or name on the given form (or any readable form)."""
    ref = req["target"]
    forms = [f for f in [pl_.form(form_ref)] if f] if form_ref else pl_.forms()
    if form_ref and not forms:
        op.problems.append(_form_problem(pl_, form_ref))
        return
    for f in forms:
        schema = pl_.schema(f)
        for a in (schema.get("Attachments") or []) if isinstance(schema, dict) else []:
            if ref in (a.get("AttachmentId"), a.get("CustomId"), a.get("Name")):
                op.form, op.target, op.label = f["FormId"], a["AttachmentId"], a.get("Name") or ref
                return
    op.target, op.label = ref, ref
    op.problems.append(f"attachment {ref!r} is not on {'form ' + str(form_ref) if form_ref else 'any form'}")


def _submit(pl_: Planner, op: Op, req: dict[str, Any], proj: dict[str, Any] | None) -> None:
    form = pl_.form(req.get("form"))
    op.label, op.payload = "submit", {}
    if form is None:
        op.problems.append(_form_problem(pl_, req.get("form")))
    else:
        op.form = form["FormId"]


def _clean(value: Any) -> str | None:
    """Stripped text, or None for a missing or blank value."""
    if value is None:
        return None
    return str(value).strip() or None


_SINGLE = {"status": _status, "note": _note, "thread-status": _thread_status, "assign": _person,
           "owner": _person, "upload": _upload, "attachment": _attachment, "submit": _submit}
