"""The sandbox's program state and every V2 operation on it, independent of HTTP.

The server module only parses requests and renders responses; all workflow rules (forms available
in statuses, submit transitions, valid next statuses, draft vs submitted data, CanSubmit) live
here so tests and the generator can drive them directly.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pcnb import clock
from pcnb.sandbox import definition
from pcnb.sandbox.models import (
    AttachmentFile,
    Clock,
    Note,
    Project,
    SandboxError,
    StatusEvent,
    Thread,
    to_plain,
)
from pcnb.sandbox.program import FieldDef, FormDef, ProgramDef, Status, stable_id
from pcnb.sandbox.values import check_value, obfuscate


def utcnow() -> datetime:
    return clock.now()


class State:
    """All projects and inquiry threads of one program, guarded by one lock."""

    def __init__(self, program: ProgramDef | None = None, now: Callable[[], datetime] = utcnow):
        self.program = program or definition.load()
        self.clock = Clock(self.program.timezone)
        self.now = now
        self.lock = threading.RLock()
        self.projects: dict[str, Project] = {}
        self.by_number: dict[str, str] = {}
        self.threads: dict[str, Thread] = {}
        self.next_number = 1
        self.serial = 0  # for new ids made at run time
        self.retired: tuple[Status, ...] = ()  # off the status list, still in histories (program_edits)
        self.injected: list[Any] = []  # deviations the generator injected (pcnb.sandbox.deviations.Injected)

    def __deepcopy__(self, memo: dict[int, Any]) -> State:
        """An independent copy with a lock of its own (a sandbox restarted from a saved state)."""
        twin = State.__new__(State)
        memo[id(self)] = twin
        for key, value in self.__dict__.items():
            setattr(twin, key, threading.RLock() if key == "lock" else copy.deepcopy(value, memo))
        return twin

    # ---- ids and lookups -------------------------------------------------------------------
    def new_id(self, kind: str) -> str:
        self.serial += 1
        return stable_id(kind, "runtime", str(self.serial), str(len(self.projects)))

    def assign_number(self, p: Project) -> None:
        p.number = f"{self.program.prefix}-{self.next_number:05d}"
        self.next_number += 1
        self.by_number[p.number] = p.project_id

    def check_program(self, key: str) -> None:
        if key not in (self.program.program_id, self.program.custom):
            raise SandboxError(404, f"Program {key} was not found or is not accessible to this user")

    def project(self, key: str, user: dict[str, Any] | None = None) -> Project:
        """Resolve a ProjectId or, after first submit, a ProjectNumber [doc]."""
        p = self.projects.get(key) or self.projects.get(self.by_number.get(key, ""))
        if p is None or (user is not None and not self.visible(p, user)):
            raise SandboxError(404, f"Project {key} was not found or is not accessible to this user")
        return p

    @staticmethod
    def visible(p: Project, user: dict[str, Any]) -> bool:
        """Access groups: applicants see only projects they own [doc: access groups limit visibility]."""
        return user.get("admin", False) or p.owner_email == user.get("email")

    def form(self, key: str, user: dict[str, Any] | None = None) -> FormDef:
        f = self.program.form(key)
        if f is None:
            raise SandboxError(404, f"Form {key} was not found in program {self.program.program_id}")
        if f.admin_only and user is not None and not user.get("admin"):
            raise SandboxError(403, f"Your role cannot see form {f.name}")
        return f

    def thread(self, key: str) -> Thread:
        t = self.threads.get(key)
        if t is None:
            raise SandboxError(404, f"Inquiry thread {key} was not found")
        return t

    # ---- rendering ---------------------------------------------------------------------------
    def status_obj(self, custom: str, ts: datetime | None) -> dict[str, Any]:
        s = self.program.status(custom) or next((r for r in self.retired if custom in (r.custom_id, r.name)), None)
        assert s is not None
        out: dict[str, Any] = {"StatusId": s.status_id, "CustomId": s.custom_id, "Name": s.name}
        if ts is not None:
            out["Timestamp"] = self.clock.iso(ts)
        return out

    def summary(self, p: Project) -> dict[str, Any]:
        key = p.number or p.project_id
        return {
            "ProjectId": p.project_id,
            "ProgramId": self.program.program_id,
            "ProjectNumber": p.number,
            "Url": f"https://sandbox.pcnb.invalid/Projects/{key}",
            "LastChangeTimestamp": self.clock.iso_precise(p.last_change),
            "ProjectOwner": {"Name": p.owner_name, "Email": p.owner_email},
            "CurrentStatus": self.status_obj(p.status, p.status_ts),
        }

    def touch(self, p: Project, ts: datetime | None = None) -> datetime:
        """Bump LastChangeTimestamp strictly forward so changed_since never misses a change."""
        ts = ts or self.now()
        if ts <= p.last_change:
            ts = p.last_change + _TICK
        p.last_change = ts
        return ts

    # ---- projects ----------------------------------------------------------------------------
    def list_projects(self, user: dict[str, Any], changed_since: datetime | None = None,
                      limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        skipped = 0
        for p in self.projects.values():  # dict order == creation order
            if changed_since is not None and p.last_change <= changed_since:
                continue
            if not self.visible(p, user):
                continue
            if skipped < offset:
                skipped += 1
                continue
            out.append(self.summary(p))
            if limit is not None and len(out) >= limit:
                break
        return out

    def by_numbers(self, user: dict[str, Any], numbers: list[str]) -> list[dict[str, Any]]:
        found = [self.projects[self.by_number[n]] for n in numbers if n in self.by_number]
        return [self.summary(p) for p in found if self.visible(p, user)]

    def by_data(self, user: dict[str, Any], fields: list[dict[str, Any]], reveal: bool = False) -> list[dict[str, Any]]:
        """Projects whose submitted values match. Searching by a sensitive field would confirm a guessed
        value to someone who may not read it, so it takes the same privilege as reading it."""
        wanted = []
        for f in fields:
            hit = self.program.field(str(f.get("DataFieldId", "")))
            if hit is None:
                raise SandboxError(400, f"Unknown DataFieldId {f.get('DataFieldId')!r}")
            form, fd = hit
            if fd.sensitive and not reveal:
                raise SandboxError(403, f"{fd.name} is sensitive: searching by it requires MFA, the sensitive-data "
                                        "privilege and reveal_sensitive_data=true")
            error = check_value(fd, f.get("Content"))
            if error:
                raise SandboxError(400, error)
            wanted.append((form.custom_id, fd.custom_id, f.get("Content")))
        out = []
        for p in self.projects.values():
            if not self.visible(p, user):
                continue
            if all(_matches(p.submitted.get(fm, {}).get(fc), v) for fm, fc, v in wanted):
                out.append(self.summary(p))
        return out

    def create_project(self, user: dict[str, Any]) -> Project:
        with self.lock:
            now = self.now()
            p = Project(
                project_id=self.new_id("project"), created=now, owner_name=user["name"],
                owner_email=user["email"], status=self.program.start, status_ts=now, last_change=now,
            )
            p.history.append(StatusEvent(self.program.start, now, user["name"]))
            self.projects[p.project_id] = p
            return p

    def forms_for(self, user: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for f in self.program.forms:
            if f.admin_only and not user.get("admin"):
                continue
            out.append({
                "FormId": f.form_id, "CustomId": f.custom_id, "ProgramId": self.program.program_id,
                "Name": f.name,
                "AvailableInStatuses": [self.status_obj(s, None) for s in f.available_in],
            })
        return out

    def schema(self, f: FormDef) -> dict[str, Any]:
        fields = []
        for d in f.fields:
            item: dict[str, Any] = {
                "DataFieldId": d.field_id, "CustomId": d.custom_id, "Name": d.name,
                "Type": d.type, "Required": d.required, "MultiInstance": d.multi,
            }
            props = {k: v for k, v in (("Min", d.min), ("Max", d.max)) if v is not None}
            if props:
                item["Properties"] = props
            if d.choices:
                item["Choices"] = list(d.choices)
            fields.append(item)
        attachments = [{"AttachmentId": a.attachment_id, "CustomId": a.custom_id, "Name": a.name}
                       for a in f.attachments]
        return {"FormSchema": {"FormId": f.form_id, "CustomId": f.custom_id, "Name": f.name,
                               "DataFields": fields, "Attachments": attachments}}

    # ---- form data ---------------------------------------------------------------------------
    def values(self, p: Project, f: FormDef, draft: bool) -> dict[str, object]:
        merged = dict(p.submitted.get(f.custom_id, {}))
        if draft:
            merged.update(p.draft.get(f.custom_id, {}))
        return merged

    def can_submit(self, p: Project, f: FormDef) -> bool:
        if p.status not in f.available_in or not f.submit_to:
            return False
        vals = self.values(p, f, draft=True)
        return all(vals.get(d.custom_id) not in (None, "", []) for d in f.fields if d.required)

    def form_data(self, p: Project, f: FormDef, draft: bool, reveal: bool) -> dict[str, Any]:
        vals = self.values(p, f, draft)
        fields = []
        for d in f.fields:
            v = vals.get(d.custom_id)
            if d.sensitive and not reveal:
                v = [obfuscate(x) for x in v] if isinstance(v, list) else obfuscate(v)
            item: dict[str, Any] = {"DataFieldId": d.field_id, "CustomId": d.custom_id, "Name": d.name}
            if d.multi:
                item["Value"], item["Values"] = None, list(v) if isinstance(v, (list, tuple)) else []
            else:
                item["Value"] = v
            fields.append(item)
        files = {**p.attachments, **(p.draft_attachments if draft else {})}
        attachments = [
            {"AttachmentId": a.attachment_id, "CustomId": a.custom_id, "Name": a.name,
             "FileName": files[a.custom_id].file_name if a.custom_id in files else None}
            for a in f.attachments
        ]
        body = self.summary(p)
        body.update({"CanSubmit": self.can_submit(p, f), "DataFields": fields, "Attachments": attachments})
        return {"Project": body}

    def set_data(self, p: Project, f: FormDef, fields: list[dict[str, Any]], user: dict[str, Any],
                 admin_path: bool) -> None:
        """SetProjectData: validate every field first, then apply all (no partial writes)."""
        if not isinstance(fields, list) or not fields:
            raise SandboxError(400, "Body must be {'Project': {'DataFields': [...]}} with at least one field")
        if not admin_path and p.status not in f.available_in:
            raise SandboxError(400, f"Form {f.name} is not available in status "
                                    f"{self.program.status(p.status).name}")  # type: ignore[union-attr]
        changes: dict[str, object] = {}
        errors: list[str] = []
        by_key = {k: d for d in f.fields for k in (d.field_id, d.custom_id)}
        for item in fields:
            if not isinstance(item, dict):
                errors.append("each DataFields entry must be an object")
                continue
            d: FieldDef | None = by_key.get(str(item.get("DataFieldId")))
            if d is None:
                errors.append(f"DataFieldId {item.get('DataFieldId')!r} is not on form {f.name}")
                continue
            if item.get("Name") not in (None, d.name):
                errors.append(f"Name {item.get('Name')!r} does not match data field name {d.name!r}")
                continue
            if d.multi:
                vals = item.get("Values")
                if not isinstance(vals, list):
                    errors.append(f"{d.name} is multi-instance: send Values: [...]")
                    continue
                errors.extend(e for e in (check_value(d, v) for v in vals) if e)
                changes[d.custom_id] = list(vals)
            else:
                v = item.get("Value")
                error = check_value(d, v)
                if error:
                    errors.append(error)
                changes[d.custom_id] = v
        if admin_path:
            result = {**p.submitted.get(f.custom_id, {}), **changes}
            missing = [d.name for d in f.fields if d.required and result.get(d.custom_id) in (None, "", [])]
            if missing and f.submit_to:
                errors.append("admin data set must leave all required fields filled: " + ", ".join(missing))
        if errors:
            raise SandboxError(400, "One or more data field values are invalid", errors)
        with self.lock:
            target = p.submitted if admin_path else p.draft
            target.setdefault(f.custom_id, {}).update(changes)
            ts = self.touch(p)
            for key in changes:
                p.field_changes[f"{f.custom_id}/{key}"] = [ts.isoformat(), user["name"]]

    def submit(self, p: Project, f: FormDef, user: dict[str, Any]) -> None:
        if not f.submit_to or p.status not in f.submit_to:
            raise SandboxError(400, f"Form {f.name} cannot be submitted in status "
                                    f"{self.program.status(p.status).name}")  # type: ignore[union-attr]
        if not self.can_submit(p, f):
            raise SandboxError(400, f"Form {f.name} is missing required fields; see CanSubmit")
        with self.lock:
            p.submitted.setdefault(f.custom_id, {}).update(p.draft.pop(f.custom_id, {}))
            for a in f.attachments:
                if a.custom_id in p.draft_attachments:
                    p.attachments[a.custom_id] = p.draft_attachments.pop(a.custom_id)
            if p.number is None:
                self.assign_number(p)
            self.move(p, f.submit_to[p.status], user["name"])

    def move(self, p: Project, status: str, by: str, ts: datetime | None = None) -> None:
        ts = self.touch(p, ts)
        p.status, p.status_ts = status, ts
        p.history.append(StatusEvent(status, ts, by))

    def set_status(self, p: Project, key: str, user: dict[str, Any]) -> dict[str, Any]:
        s = self.program.status(key)
        if s is None:
            raise SandboxError(404, f"Status {key} was not found in program {self.program.program_id}")
        allowed = self.program.transitions.get(p.status, ())
        if s.custom_id not in allowed:
            names = [self.program.status(a).name for a in allowed]  # type: ignore[union-attr]
            cur = self.program.status(p.status).name  # type: ignore[union-attr]
            raise SandboxError(400, f"{s.name} is not a valid next status from {cur}; "
                                    f"valid: {', '.join(names) or 'none (terminal)'}")
        with self.lock:
            if p.number is None:
                self.assign_number(p)
            self.move(p, s.custom_id, user["name"])
        return {"Status": self.status_obj(p.status, p.status_ts)}

    def history(self, p: Project) -> dict[str, Any]:
        entries = []
        for e in reversed(p.history):  # newest first [v1]
            item = self.status_obj(e.status, e.ts)
            item.update({"ChangedBy": e.changed_by,
                         "ReportAsChangedBy": e.changed_by if e.report_as == "normal" else "System",
                         "ReportAs": e.report_as})
            entries.append(item)
        return {"StatusHistory": entries}

    def set_report_as(self, p: Project, body: dict[str, Any]) -> dict[str, Any]:
        report_as = body.get("ReportAs")
        if report_as not in ("normal", "suppress"):
            raise SandboxError(400, "ReportAs must be 'normal' or 'suppress'")
        s = self.program.status(str(body.get("StatusId", "")))
        ts = body.get("Timestamp")
        for e in p.history:
            if s is not None and e.status == s.custom_id and self.clock.iso(e.ts) == ts:
                e.report_as = report_as
                self.touch(p)
                return self.history(p)
        raise SandboxError(404, "No status history entry matches StatusId and Timestamp")

    def save(self, path: str | Path) -> None:
        """Write the whole state to JSON so a restarted sandbox keeps its data."""
        data = {"next_number": self.next_number, "serial": self.serial,
                "projects": [to_plain(p) for p in self.projects.values()],
                "threads": [to_plain(t) for t in self.threads.values()]}
        Path(path).write_text(json.dumps(data))

    def load(self, path: str | Path) -> None:
        data = json.loads(Path(path).read_text())
        with self.lock:
            self.projects.clear()
            self.threads.clear()
            self.by_number.clear()
            for raw in data["projects"]:
                p = _project_from(raw)
                self.projects[p.project_id] = p
                if p.number:
                    self.by_number[p.number] = p.project_id
            for raw in data["threads"]:
                notes = [Note(**{**n, "ts": datetime.fromisoformat(n["ts"])}) for n in raw.pop("notes")]
                t = Thread(**{**raw, "created": datetime.fromisoformat(raw["created"])}, notes=notes)
                self.threads[t.thread_id] = t
            self.next_number, self.serial = data["next_number"], data["serial"]


_TICK = timedelta(microseconds=1)


def _matches(stored: object, wanted: object) -> bool:
    return wanted in stored if isinstance(stored, list) else stored == wanted


def _file_from(raw: dict[str, Any]) -> AttachmentFile:
    content = bytes.fromhex(raw["content"]) if raw.get("content") else None
    return AttachmentFile(**{**raw, "uploaded": datetime.fromisoformat(raw["uploaded"]), "content": content})


def _project_from(raw: dict[str, Any]) -> Project:
    dt = datetime.fromisoformat
    return Project(**{
        **raw,
        "created": dt(raw["created"]), "status_ts": dt(raw["status_ts"]), "last_change": dt(raw["last_change"]),
        "history": [StatusEvent(**{**e, "ts": dt(e["ts"])}) for e in raw["history"]],
        "attachments": {k: _file_from(v) for k, v in raw["attachments"].items()},
        "draft_attachments": {k: _file_from(v) for k, v in raw["draft_attachments"].items()},
    })
