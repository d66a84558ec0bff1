"""Checks on the live form data of a project (read by the planner for the actions whose
``reads_form`` is set): before-values, required fields, whether the form is open in the status."""

from __future__ import annotations

from typing import Any

from pcnb.writeback.fields import MASKED_RE
from pcnb.writeback.model import Op, PlannerView


def form_not_open(form: dict[str, Any], status: dict[str, Any]) -> str | None:
    """Why a draft cannot be written or submitted in the project's current status (None: it can)."""
    available = {s.get("StatusId") for s in form.get("AvailableInStatuses") or []}
    if available and status.get("StatusId") not in available:
        names = ", ".join(s.get("Name", "?") for s in form.get("AvailableInStatuses") or [])
        return f"form {form.get('Name')} is not open in status {status.get('Name')} (open in: {names})"
    return None


def fill_before(op: Op, data: dict[str, Any]) -> None:
    values = {f.get("DataFieldId"): (f.get("Values") if f.get("Values") not in (None, []) or f.get("Value") is None
                                     else f.get("Value")) for f in data.get("DataFields") or []}
    for fid in op.payload["fields"]:
        current = values.get(fid)
        op.before["fields"][fid] = current
        if isinstance(current, str) and MASKED_RE.match(current):
            op.before.setdefault("masked", []).append(fid)


def required_after(pl_: PlannerView, op: Op, form: dict[str, Any], data: dict[str, Any]) -> None:
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
