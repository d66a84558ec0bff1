"""In-memory records of the sandbox and their V2 JSON rendering.

Plain slotted dataclasses: the generator builds 100,000 projects of these in seconds, and
save/load turns them into JSON without a schema library.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


class SandboxError(Exception):
    """An API-gateway-style error the server renders as ``{"message": ..., "Errors": [...]}``."""

    def __init__(self, status: int, message: str, errors: list[str] | None = None,
                 headers: dict[str, str] | None = None, body: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or []
        self.headers = headers or {}
        self.body = body  # replaces the default body (OAuth errors use {"error": ...})


@dataclass(slots=True)
class StatusEvent:
    status: str  # status custom id
    ts: datetime
    changed_by: str
    report_as: str = "normal"


@dataclass(slots=True)
class AttachmentFile:
    file_name: str
    size: int
    uploader_name: str
    uploader_email: str
    uploaded: datetime
    status: str = "Pending"
    note: str = ""
    content_type: str = "application/pdf"
    content: bytes | None = None  # None: synthetic bytes generated on download


@dataclass(slots=True)
class Project:
    project_id: str
    created: datetime
    owner_name: str
    owner_email: str
    status: str
    status_ts: datetime
    last_change: datetime
    number: str | None = None
    assignee_email: str | None = None
    history: list[StatusEvent] = field(default_factory=list)
    submitted: dict[str, dict[str, object]] = field(default_factory=dict)
    draft: dict[str, dict[str, object]] = field(default_factory=dict)
    attachments: dict[str, AttachmentFile] = field(default_factory=dict)
    draft_attachments: dict[str, AttachmentFile] = field(default_factory=dict)
    field_changes: dict[str, list[str]] = field(default_factory=dict)  # "FORM/FIELD" -> [iso ts, by]
    thread_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Note:
    note_id: str
    author_name: str
    author_email: str
    is_admin: bool
    text: str
    ts: datetime


@dataclass(slots=True)
class Thread:
    thread_id: str
    project_id: str
    subject: str
    status: str
    created: datetime
    external_id: str | None = None
    notes: list[Note] = field(default_factory=list)


class Clock:
    """Formats timestamps the way V2 does: ISO 8601 with the program's local offset."""

    def __init__(self, tz: str):
        self.tz = ZoneInfo(tz)

    def iso(self, dt: datetime | None) -> str | None:
        if dt is None:
            return None
        return dt.astimezone(self.tz).isoformat(timespec="seconds")

    def iso_precise(self, dt: datetime) -> str:
        """RequestTimestamp keeps sub-seconds so a client watermark never drops a change."""
        return dt.astimezone(self.tz).isoformat(timespec="microseconds")

    def inquiry(self, dt: datetime | None) -> str | None:
        """Inquiry dates use ``yyyy-MM-ddTHH:mm:sszz`` [doc]: offset hours only, e.g. ``-07``."""
        if dt is None:
            return None
        local = dt.astimezone(self.tz)
        off = local.utcoffset()
        minutes = int(off.total_seconds() // 60) if off is not None else 0
        sign = "-" if minutes < 0 else "+"
        hours, rem = divmod(abs(minutes), 60)
        suffix = f"{sign}{hours:02d}" if rem == 0 else f"{sign}{hours:02d}:{rem:02d}"
        return local.strftime("%Y-%m-%dT%H:%M:%S") + suffix


def to_plain(obj: object) -> object:
    """dataclass -> JSON-able dict for save(); bytes are dropped (synthetic content regenerates)."""
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, bytes):
        return obj.hex()
    if isinstance(obj, list):
        return [to_plain(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_plain(v) for k, v in obj.items()}
    if is_dataclass(obj) and not isinstance(obj, type):
        return to_plain(asdict(obj))
    return obj
