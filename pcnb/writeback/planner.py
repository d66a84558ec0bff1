"""Plan a batch of writes: resolve, validate against form schema and workflow, read current values.

Nothing is written here. A plan turns requests (spec.py) into operations -- one per API write --
each with the values it would replace, so the diff the user confirms is the diff that gets
executed and journaled. The cost is one GetForms call, one GetFormSchema per form involved and
one GetProjectData per (project, form) written: the before-values must come from the server, not
the cache, or undo could restore something stale.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from pcnb.errors import ApiError, Forbidden, InputError
from pcnb.writeback import actions
from pcnb.writeback.fields import to_wire
from pcnb.writeback.model import ChangeRequest, Op, Target


class Planner:
    """Holds what validation needs, each piece fetched at most once per plan."""

    def __init__(self, ws: Target):
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

    def form_problem(self, ref: Any) -> str:
        if not ref:
            return "no form given: pass form= (or a 'form' column / --form)"
        names = ", ".join(str(f.get("CustomId") or f.get("Name")) for f in self.forms())
        return f"form {ref!r} is not in this program (forms: {names})"

    def resolve_attachment(self, op: Op, ref: Any, form_ref: Any) -> None:
        """Set op.form/target/label to the attachment ``ref`` (id, custom id or name) on the given
        form (or any readable form), or say why it cannot be found."""
        forms = [f for f in [self.form(form_ref)] if f] if form_ref else self.forms()
        if form_ref and not forms:
            op.problems.append(self.form_problem(form_ref))
            return
        for f in forms:
            schema = self.schema(f)
            for a in (schema.get("Attachments") or []) if isinstance(schema, dict) else []:
                if ref in (a.get("AttachmentId"), a.get("CustomId"), a.get("Name")):
                    op.form, op.target, op.label = f["FormId"], a["AttachmentId"], a.get("Name") or ref
                    return
        op.target, op.label = ref, ref
        op.problems.append(f"attachment {ref!r} is not on {'form ' + str(form_ref) if form_ref else 'any form'}")

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


def check_role(ws: Target, names: set[str]) -> None:
    """Refuse admin actions for non-admin credentials before any write (one GetStatusList call
    establishes the role when it is not known yet)."""
    admin = sorted(names & actions.admin_actions())
    if not admin:
        return
    if ws.client.is_admin is None:
        ws.client.detect_role(ws.program)
    if ws.client.is_admin is False:
        raise Forbidden(f"{', '.join(admin)} need program-admin credentials; these belong to a non-admin user, "
                        "so nothing was sent", status=403,
                        hint="ask a program admin, or connect with admin API credentials")


def build_ops(pl_: Planner, requests: list[ChangeRequest]) -> list[Op]:
    ops: list[Op] = []
    data_ops: dict[tuple[str, str, str], Op] = {}
    for req in requests:
        act, proj = req["action"], pl_.project(req["project"])
        action = actions.get(act)
        pid = proj["project_id"] if proj else req["project"]
        number = proj["project_number"] if proj else None
        if action.data:
            form = pl_.form(req.get("form"))
            key = (act, pid or "", form["FormId"] if form else str(req.get("form")))
            op = data_ops.get(key)
            if op is None:
                op = Op(len(ops) + 1, act, pid, number, form["FormId"] if form else req.get("form"),
                        payload={"fields": {}, "options": action.data_options(req)})
                op.before = {"fields": {}, "form_name": form.get("Name") if form else None}
                data_ops[key] = op
                ops.append(op)
                if proj is None:
                    op.problems.append(_not_cached(req["project"]))
                if form is None:
                    op.problems.append(pl_.form_problem(req.get("form")))
            op.rows.append(req["row"])
            _add_field(pl_, op, form, req)
            continue
        op = Op(len(ops) + 1, act, pid, number, rows=[req["row"]])
        if action.needs_project and proj is None:
            op.problems.append(_not_cached(req["project"]))
        action.validate(pl_, op, req, proj)
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
        if actions.get(op.action).data:
            names = op.payload.get("names", {})
            op.label = ", ".join(str(names.get(k, k)) for k in op.payload["fields"])
    return out


def _not_cached(ref: Any) -> str:
    return f"project {ref!r} is not in the cache (run sync, or check the id)"


def _add_field(pl_: Planner, op: Op, form: dict[str, Any] | None, req: ChangeRequest) -> None:
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
        op.field_problems[str(req["target"])] = (f"row {req['row']}: field {req['target']!r} is not on form "
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


def read_current(pl_: Planner, ops: list[Op]) -> None:
    """Read the live form data (one GetProjectData per project, form and draft/submitted) for the
    operations whose action ``reads_form``, and let the action check and fill its before-values."""
    seen: dict[tuple[str, str, bool], dict[str, Any]] = {}
    for op in ops:
        action = actions.get(op.action)
        if action.reads_form is None or op.problems or not op.form:
            continue
        draft = action.reads_form == "draft"
        key = (op.project_id or "", op.form, draft)
        if key not in seen:
            try:
                answer = pl_.client.project_data(pl_.program, op.project_id or "", op.form, draft=draft)
                seen[key] = answer.get("Project") or {}
            except ApiError as exc:
                op.problems.append(f"cannot read the current form data: {exc.message}")
                continue
        action.check_current(pl_, op, seen[key], pl_.form(op.form) or {})
