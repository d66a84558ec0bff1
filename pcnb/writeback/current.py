"""Read the live before-values of a plan's data and submit operations, and the form-availability
checks that need the project's current status from the server."""

from __future__ import annotations

from typing import Any

from pcnb.errors import ApiError
from pcnb.writeback.fields import MASKED_RE
from pcnb.writeback.model import Op
from pcnb.writeback.plan import Planner


def read_current(pl_: Planner, ops: list[Op]) -> None:
    seen: dict[tuple[str, str, bool], dict[str, Any]] = {}
    for op in ops:
        if op.action not in ("set", "draft", "submit") or op.problems or not op.form:
            continue
        draft = op.action != "set"
        key = (op.project_id or "", op.form, draft)
        if key not in seen:
            try:
                answer = pl_.client.project_data(pl_.program, op.project_id, op.form, draft=draft)
                seen[key] = answer.get("Project") or {}
            except ApiError as exc:
                op.problems.append(f"cannot read the current form data: {exc.message}")
                continue
        data = seen[key]
        status = data.get("CurrentStatus") or {}
        form = pl_.form(op.form) or {}
        if op.action == "set":
            _fill_before(op, data)
            _required_after(pl_, op, form, data)
            continue
        available = {s.get("StatusId") for s in form.get("AvailableInStatuses") or []}
        if available and status.get("StatusId") not in available:
            names = ", ".join(s.get("Name", "?") for s in form.get("AvailableInStatuses") or [])
            op.problems.append(f"form {form.get('Name')} is not open in status {status.get('Name')} "
                               f"(open in: {names})")
        if op.action == "draft":
            _fill_before(op, data)
            op.before["status"] = status.get("Name")
        else:
            op.before = {"value": status.get("Name"), "status_id": status.get("StatusId")}
            if not op.payload.get("after_draft") and data.get("CanSubmit") is False:
                op.problems.append(f"form {form.get('Name')} cannot be submitted yet (CanSubmit is false: "
                                   "required fields or attachments are missing)")


def _fill_before(op: Op, data: dict[str, Any]) -> None:
    values = {f.get("DataFieldId"): (f.get("Values") if f.get("Values") not in (None, []) or f.get("Value") is None
                                     else f.get("Value")) for f in data.get("DataFields") or []}
    for fid in op.payload["fields"]:
        current = values.get(fid)
        op.before["fields"][fid] = current
        if isinstance(current, str) and MASKED_RE.match(current):
            op.before.setdefault("masked", []).append(fid)


def _required_after(pl_: Planner, op: Op, form: dict[str, Any], data: dict[str, Any]) -> None:
    """An admin data set must leave every required field filled [doc]: say which, before sending."""
    schema = pl_.schema(form)
    if not isinstance(schema, dict):
        return
    merged = {f.get("DataFieldId"): f.get("Values") or f.get("Value") for f in data.get("DataFields") or []}
    merged.update(op.payload["fields"])
    missing = [f.get("Name") for f in schema.get("DataFields") or []
               if f.get("Required") and merged.get(f.get("DataFieldId")) in (None, "", [])]
    if missing:
        op.problems.append("an admin data set must leave every required field filled; empty after this change: "
                           + ", ".join(map(str, missing)) + " (add them to the change)")
