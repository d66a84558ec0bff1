"""Recorded real answers as fixtures: ``pcnb doctor --record DIR`` writes them, ``pcnb sandbox --replay
DIR`` (pcnb.sandbox.replay, which reads this format) serves them, so a drift found in the field becomes a test.

One JSON file per answer (``NNN-endpoint.json``: method, path relative to the API base, query,
status, content type and the body) plus ``index.json``. Before writing, personal data is replaced
(e-mails, names of people, note texts, data-field values, file names) keeping each value's JSON type
and shape -- the shape is what a drift report needs -- and the whole text is scanned for every
credential and the bearer token in every form pcnb.redact knows, like a support bundle.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pcnb.api.client import PowerClerkClient
from pcnb.diagnostics.support import redactor
from pcnb.errors import ConfigError

#: values of these keys are personal or free text; people's names sit under these parents
PERSONAL = frozenset({"Email", "OwnerEmail", "AssigneeEmail", "ChangedBy", "ReportAsChangedBy", "Text", "Note",
                      "Subject", "FileName", "Value", "Values", "AttachmentName", "Url"})
PEOPLE = frozenset({"ProjectOwner", "Author", "Uploader", "Owner", "Assignee"})


def _redact_value(value: Any, key: str) -> Any:
    if isinstance(value, list):
        return [_redact_value(v, key) for v in value]
    if isinstance(value, str):
        return "person@redacted.invalid" if "Email" in key and "@" in value else "<redacted>"
    return value  # numbers and booleans keep their type; they carry no identity on their own


def redact_personal(data: Any, parent: str = "") -> Any:
    if isinstance(data, list):
        return [redact_personal(v, parent) for v in data]
    if not isinstance(data, dict):
        return data
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in PERSONAL or (key == "Name" and parent in PEOPLE):
            out[key] = _redact_value(value, key) if value is not None else None
        else:
            out[key] = redact_personal(value, key)
    return out


def save_recording(client: PowerClerkClient, folder: Path) -> Path:
    """Write every answer the client's trace kept (``keep_bodies``) into ``folder``."""
    base = urlsplit(client.settings.base_url or "").path.rstrip("/")
    mask = redactor(client)
    folder.mkdir(parents=True, exist_ok=True)
    index = []
    for n, call in enumerate(c for c in client.trace.snapshot() if c.status is not None and c.raw is not None):
        parts = urlsplit(call.url)
        path = parts.path[len(base):] if parts.path.startswith(base) else parts.path
        ctype = call.response_headers.get("content-type", "application/json")
        try:
            body: Any = redact_personal(json.loads(call.raw or b"null")) if "json" in ctype else None
        except ValueError:
            body = None
        record = {"endpoint": call.endpoint, "method": call.method, "path": path, "query": parts.query,
                  "status": call.status, "content_type": ctype, "request_id": call.request_id, "body": body}
        text = mask.redact(json.dumps(record, indent=1))
        if mask.leaks(text):
            raise ConfigError("a recorded answer still contains a secret after redaction; nothing more written")
        name = f"{n:03d}-{call.endpoint or 'call'}.json"
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        index.append({"file": name, "method": call.method, "path": path, "status": call.status})
    (folder / "index.json").write_text(mask.redact(json.dumps({"base_path": base, "answers": index}, indent=1)))
    return folder
