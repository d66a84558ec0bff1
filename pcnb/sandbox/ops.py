"""Sandbox operations on attachments, inquiry threads, owner/assignee and project export.

Split from state.py to keep modules small; every function takes the State and holds its lock for
mutations.
"""

from __future__ import annotations

from typing import Any

from pcnb.contract import ATTACHMENT_ACTIONS, THREAD_STATUSES
from pcnb.sandbox.models import AttachmentFile, Note, Project, SandboxError, Thread
from pcnb.sandbox.program import AttachmentDef, FormDef
from pcnb.sandbox.state import State
from pcnb.sandbox.values import obfuscate

CUSTOM_LISTS: dict[str, list[str]] = {
    "FEEDERS": ["F-101", "F-102", "F-201", "F-305", "F-410"],
    "TECHNOLOGIES": ["Solar PV", "Solar PV + Storage", "Storage", "Wind", "Fuel Cell"],
}


def attachment_def(state: State, key: str, form: FormDef | None = None) -> AttachmentDef:
    forms = [form] if form else list(state.program.forms)
    for f in forms:
        for a in f.attachments:
            if key in (a.attachment_id, a.custom_id):
                return a
    where = f" on form {form.name}" if form else ""
    raise SandboxError(404, f"Attachment {key} was not found{where}")


def synthetic_pdf(p: Project, a: AttachmentDef) -> bytes:
    """Bytes for generated attachments, made on demand so 100k projects hold no file data."""
    return (b"%PDF-1.4\n% pcnb sandbox synthetic document\n"
            + f"({a.name} for {p.number or p.project_id})".encode() + b"\n%%EOF\n")


def download(state: State, p: Project, f: FormDef, key: str) -> tuple[str, str, bytes]:
    a = attachment_def(state, key, f)
    file = p.attachments.get(a.custom_id)
    if file is None:
        raise SandboxError(404, f"No file has been submitted for attachment {a.name}")
    return file.file_name, file.content_type, file.content or synthetic_pdf(p, a)


def upload(state: State, p: Project, f: FormDef, key: str, filename: str, content_type: str,
           content: bytes, user: dict[str, Any]) -> dict[str, Any]:
    a = attachment_def(state, key, f)
    if not filename:
        raise SandboxError(400, 'Upload needs a Content-Disposition header with filename="..."')
    if not content:
        raise SandboxError(400, "Upload body is empty")
    if p.status not in f.available_in:
        raise SandboxError(400, f"Form {f.name} is not available in the project's current status")
    with state.lock:
        p.draft_attachments[a.custom_id] = AttachmentFile(
            file_name=filename, size=len(content), uploader_name=user["name"],
            uploader_email=user["email"], uploaded=state.now(), content_type=content_type,
            content=content)
        state.touch(p)
    return {"Attachment": {"AttachmentId": a.attachment_id, "CustomId": a.custom_id,
                           "Name": a.name, "FileName": filename}}


def metadata(state: State, p: Project, key: str) -> dict[str, Any]:
    a = attachment_def(state, key)
    file = p.attachments.get(a.custom_id)
    if file is None:
        raise SandboxError(404, f"No file has been submitted for attachment {a.name}")
    return {"AttachmentMetadata": {
        "AttachmentId": a.attachment_id, "CustomId": a.custom_id, "AttachmentName": a.name,
        "FileName": file.file_name, "FileSize": file.size, "AttachmentStatus": file.status,
        "Note": file.note, "Uploader": {"Name": file.uploader_name, "Email": file.uploader_email},
        "UploadTimestamp": state.clock.iso(file.uploaded)}}


def set_metadata(state: State, p: Project, key: str, body: dict[str, Any]) -> dict[str, Any]:
    action = body.get("AttachmentStatus")
    if action not in ATTACHMENT_ACTIONS:
        raise SandboxError(400, f"AttachmentStatus must be one of {', '.join(ATTACHMENT_ACTIONS)}")
    a = attachment_def(state, key)
    file = p.attachments.get(a.custom_id)
    if file is None:
        raise SandboxError(404, f"No file has been submitted for attachment {a.name}")
    with state.lock:
        new_status = ATTACHMENT_ACTIONS[action]
        if new_status:
            file.status = new_status
        if body.get("Note") is not None:
            file.note = str(body["Note"])
        state.touch(p)
    return metadata(state, p, key)


def thread_obj(state: State, t: Thread) -> dict[str, Any]:
    last = t.notes[-1].ts if t.notes else None
    return {"ThreadId": t.thread_id, "Subject": t.subject, "Status": t.status,
            "ExternalId": t.external_id, "CreatedTimestamp": state.clock.inquiry(t.created),
            "LastNoteTimestamp": state.clock.inquiry(last)}


def note_obj(state: State, n: Note) -> dict[str, Any]:
    return {"NoteId": n.note_id, "Author": {"Name": n.author_name, "Email": n.author_email},
            "IsAdmin": n.is_admin, "Text": n.text, "Timestamp": state.clock.inquiry(n.ts)}


def threads(state: State, p: Project) -> dict[str, Any]:
    return {"InquiryThreads": [thread_obj(state, state.threads[t]) for t in p.thread_ids]}


def notes(state: State, t: Thread) -> dict[str, Any]:
    return {"ThreadId": t.thread_id, "Notes": [note_obj(state, n) for n in t.notes]}


def set_note(state: State, p: Project, body: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    text = body.get("Text")
    if not isinstance(text, str) or not text.strip():
        raise SandboxError(400, "Text is required and must be a non-empty string")
    with state.lock:
        now = state.now()
        if body.get("ThreadId"):
            t = state.thread(str(body["ThreadId"]))
            if t.project_id != p.project_id:
                raise SandboxError(400, f"Thread {t.thread_id} does not belong to project {p.project_id}")
        else:
            subject = body.get("Subject")
            if not isinstance(subject, str) or not subject.strip():
                raise SandboxError(400, "Subject is required to start a new thread (no ThreadId given)")
            t = Thread(state.new_id("thread"), p.project_id, subject, "Open", now)
            state.threads[t.thread_id] = t
            p.thread_ids.append(t.thread_id)
        note = Note(state.new_id("note"), user["name"], user["email"], bool(user.get("admin")), text, now)
        t.notes.append(note)
        state.touch(p, now)
    return {"ThreadId": t.thread_id, "Note": note_obj(state, note)}


def set_thread_status(state: State, t: Thread, status: str) -> dict[str, Any]:
    if status not in THREAD_STATUSES:
        raise SandboxError(400, f"Thread status {status!r} must be one of {', '.join(THREAD_STATUSES)}")
    with state.lock:
        t.status = status
        state.touch(state.projects[t.project_id])
    return {"InquiryThread": thread_obj(state, t)}


def set_external_id(state: State, t: Thread, external: str) -> dict[str, Any]:
    with state.lock:
        t.external_id = external
        state.touch(state.projects[t.project_id])
    return {"InquiryThread": thread_obj(state, t)}


def _email(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or "@" not in value or value.strip() != value:
        raise SandboxError(400, f"{key} must be an email address")
    return value


def set_owner(state: State, p: Project, body: dict[str, Any]) -> dict[str, Any]:
    email = _email(body, "OwnerEmail")
    with state.lock:
        p.owner_email = email
        p.owner_name = email.split("@")[0].replace(".", " ").title()
        state.touch(p)
    return {"Owner": {"Name": p.owner_name, "Email": p.owner_email}}


def set_assignee(state: State, p: Project, body: dict[str, Any]) -> dict[str, Any]:
    email = _email(body, "AssigneeEmail")
    with state.lock:
        p.assignee_email = email
        state.touch(p)
    return {"Assignee": {"Email": email}}


def all_data(state: State, p: Project, reveal: bool) -> dict[str, Any]:
    body = state.summary(p)
    fields: list[dict[str, Any]] = []
    for f in state.program.forms:
        fields.extend(state.form_data(p, f, draft=False, reveal=reveal)["Project"]["DataFields"])
    body["DataFields"] = fields
    return {"Project": body}


def export(state: State, p: Project, reveal: bool = False) -> dict[str, Any]:
    """GetExportProject: groups of fields with change time and author [v1]; sensitive values are
    masked as GetProjectData masks them unless ``reveal`` (MFA + privilege + reveal_sensitive_data)."""
    groups = []
    for f in state.program.forms:
        vals = p.submitted.get(f.custom_id, {})
        items = []
        for d in f.fields:
            changed = p.field_changes.get(f"{f.custom_id}/{d.custom_id}")
            v = vals.get(d.custom_id)
            if d.sensitive and not reveal:
                v = [obfuscate(x) for x in v] if isinstance(v, list) else obfuscate(v)
            items.append({"DataFieldId": d.field_id, "CustomId": d.custom_id, "Name": d.name,
                          "Value": None if d.multi else v, "Values": v if d.multi else None,
                          "ChangedTimestamp": changed[0] if changed else None,
                          "ChangedBy": changed[1] if changed else None})
        groups.append({"Name": f.name, "FormId": f.form_id, "DataFields": items})
    body = state.summary(p)
    body["Groups"] = groups
    return {"Project": body}


def custom_list(key: str) -> dict[str, Any]:
    if key not in CUSTOM_LISTS:
        raise SandboxError(404, f"Custom list {key} was not found")
    return {"Choices": [{"Value": v} for v in CUSTOM_LISTS[key]]}
