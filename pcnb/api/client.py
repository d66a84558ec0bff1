"""PowerClerkClient: one method per PowerClerk API V2 endpoint, JSON by default or XML.

Inputs are checked before any call (ids, changed_since, limits, emails): a bad value costs no
operation from the 60/minute budget and gets an error that says how to fix it. Methods return a
``Response``: the parsed dict exactly as the contract shapes it, whatever the wire format, carrying
the request id, status and elapsed time of the operation. The wire is a swappable ``Transport``
(``transport=FakeTransport(...)`` runs the client without a server).
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pcnb.api.auth import Credentials, resolve_credentials
from pcnb.api.budget import Budget
from pcnb.api.budget_pg import for_key
from pcnb.api.calllog import Ledger
from pcnb.api.channel import Channel
from pcnb.api.drift import DriftLog
from pcnb.api.response import Response
from pcnb.api.retry import RetryPolicy
from pcnb.api.trace import CallTrace, TracingTransport
from pcnb.api.transport import RequestsTransport, Transport
from pcnb.config import Settings
from pcnb.contract import (
    ATTACHMENT_ACTIONS,
    CHANGED_SINCE_RE,
    THREAD_STATUSES,
    URL_ID_RE,
    format_changed_since,
    parse_changed_since,
)
from pcnb.errors import ConfigError, ContractMismatch, Forbidden, InputError
from pcnb.redact import redact_url

#: Methods the contract marks admin-only; refused before any call once the role is known.
ADMIN_ONLY = frozenset({
    "all_project_data", "status_list", "status_history", "set_project_status", "set_status_report_as",
    "export_project", "inquiry_threads", "inquiry_notes", "set_inquiry_note", "set_thread_status",
    "set_thread_external_id", "set_attachment_metadata",
})


def _id(value: object, what: str) -> str:
    if not isinstance(value, str) or not URL_ID_RE.fullmatch(value):  # fullmatch: no trailing newline
        raise InputError(f"{what} {value!r} is not a valid id",
                         "pass the 12-character public id, a custom id or (projects) a project number, "
                         "e.g. 'DGI-00011'")
    return quote(value, safe="")


def _email(value: object, what: str) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise InputError(f"{what} {value!r} is not an email address", "e.g. 'pat@example.com'")
    return value


def changed_since_param(value: datetime | str) -> str:
    if isinstance(value, str):
        if not CHANGED_SINCE_RE.match(value):
            raise InputError(f"changed_since {value!r} is not yyyy-MM-ddTHH:mm:sszzz",
                             "pass a tz-aware datetime or e.g. '2024-07-01T16:00:00-07:00'")
        try:
            parse_changed_since(value)
        except ValueError as exc:
            raise InputError(str(exc), "pass a tz-aware datetime or e.g. '2024-07-01T16:00:00-07:00'") from None
        return value
    try:
        return format_changed_since(value)
    except (TypeError, ValueError) as exc:
        raise InputError(str(exc), "use datetime(..., tzinfo=timezone.utc) or a zoneinfo zone") from None


class PowerClerkClient:
    """A V2 client for one environment and credential set."""

    def __init__(self, settings: Settings | None = None, credentials: Credentials | None = None, *,
                 environment: str | None = None, base_url: str | None = None, token_url: str | None = None,
                 format: str | None = None, budget: Budget | None | bool = True,  # noqa: A002
                 ledger: Ledger | None = None, transport: Transport | None = None, max_attempts: int = 5,
                 backoff_cap: float = 30.0, max_retry_after: float = 120.0, token_leeway: int = 60):
        if settings is None:
            settings = Settings(environment=environment or ("custom" if base_url else "production"),
                                base_url=base_url, token_url=token_url, format=format or "json")
        elif format:
            settings.format = format
        if not settings.base_url or not settings.token_url:
            raise ConfigError(f"environment {settings.environment!r} has no base/token URL",
                              "pass base_url= and token_url=, or use --sandbox / --env trial|production")
        self.settings = settings
        self.credentials = credentials or resolve_credentials(settings.environment)
        self.credentials.require()
        if budget is True:
            budget = for_key(self.credentials.api_key or "", settings.rate_limit, settings.rate_period,
                             settings.store_url)  # a team store: the budget is the server's, for every machine
        self.budget: Budget | None = budget or None
        if transport is None:
            transport = RequestsTransport(self.credentials, settings.token_url, settings.timeout, token_leeway)
        self.trace = CallTrace()  # the last operations in detail, secrets redacted (support bundles, doctor)
        transport = TracingTransport(transport, self.trace)
        self.http = Channel(settings.base_url, transport, self.credentials, self.budget, settings.format,
                            settings.timeout, RetryPolicy(max_attempts, backoff_cap, max_retry_after), ledger)
        self.is_admin: bool | None = None  # unknown until detect_role()
        self.drift = DriftLog()  # every parsed answer is checked against the modelled shape

    def __repr__(self) -> str:
        s = self.settings
        return f"PowerClerkClient({s.environment}, {redact_url(s.base_url or '')!r}, format={s.format})"

    @property
    def calls(self) -> int:
        """Operations this client has sent (retries included): what a caller's own limits count."""
        return self.http.calls

    @property
    def ledger(self) -> Ledger | None:
        """Receives a record of every operation sent (a Workspace points it at its store)."""
        return self.http.ledger

    @ledger.setter
    def ledger(self, ledger: Ledger | None) -> None:
        self.http.ledger = ledger

    # ---- plumbing ----------------------------------------------------------------------------
    def _call(self, name: str, method: str, path: str, **kw: Any) -> Response:
        if name in ADMIN_ONLY and self.is_admin is False:
            raise Forbidden(f"{name} is admin-only and these credentials belong to a non-admin user",
                            status=403, hint="ask a program admin to run it, or use admin API credentials")
        wire = self.http.request(method, path, name=name, **kw)
        try:
            data = self.http.parse(wire)
        except ValueError as exc:  # a 2xx answer that is not JSON/XML at all
            self.drift.record(ContractMismatch(name, "(body)", "JSON or XML", f"unparsable ({exc})"[:120],
                                               wire.request_id))
        self.drift.check(name, data, wire.request_id)
        return Response(data, endpoint=name, status=wire.status, request_id=wire.request_id,
                        elapsed_ms=wire.elapsed_ms)

    def detect_role(self, program: str) -> bool:
        """One GetStatusList call: 200 -> admin, 403 -> not. Cached on the client."""
        try:
            self.status_list(program)
            self.is_admin = True
        except Forbidden:
            self.is_admin = False
        return self.is_admin

    # ---- programs, forms ----------------------------------------------------------------------
    def programs(self) -> Response:
        return self._call("programs", "GET", "/Programs")

    def forms(self, program: str) -> Response:
        return self._call("forms", "GET", f"/Programs/{_id(program, 'program')}/Forms")

    def form_schema(self, program: str, form: str) -> Response:
        return self._call("form_schema", "GET", f"/Programs/{_id(program, 'program')}/Forms/{_id(form, 'form')}/Schema")

    def status_list(self, program: str) -> Response:
        return self._call("status_list", "GET", f"/Programs/{_id(program, 'program')}/StatusList")

    def custom_list_choices(self, program: str, group: str) -> Response:
        return self._call("custom_list_choices", "GET",
                          f"/Programs/{_id(program, 'program')}/CustomLists/{_id(group, 'custom list')}/Choices")

    # ---- projects -----------------------------------------------------------------------------
    def projects(self, program: str, changed_since: datetime | str | None = None, limit: int | None = None,
                 offset: int = 0, priority: str = "interactive") -> Response:
        params: dict[str, Any] = {}
        if changed_since is not None:
            fmt = self.settings.changed_since_format
            if fmt and isinstance(changed_since, datetime) and changed_since.tzinfo is not None:
                params["changed_since"] = changed_since.strftime(fmt)  # a server that wants another format
            elif fmt and isinstance(changed_since, str):
                params["changed_since"] = changed_since
            else:
                params["changed_since"] = changed_since_param(changed_since)
        if limit is not None:
            top = self.settings.page_limit
            if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= top:
                raise InputError(f"limit {limit!r} is out of range",
                                 f"use an integer from 1 to {top} (setting page_limit, PCNB_PAGE_LIMIT)")
            params["limit"] = limit
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise InputError(f"offset {offset!r} must be a non-negative integer")
        if offset:
            params["offset"] = offset
        return self._call("projects", "GET", f"/Programs/{_id(program, 'program')}/Projects",
                          params=params, priority=priority)

    def iter_project_pages(self, program: str, changed_since: datetime | str | None = None,
                           page_size: int | None = None, offset: int = 0,
                           priority: str = "interactive") -> Iterator[Response]:
        """Yield GetProjects pages (each with its RequestTimestamp) until a short page."""
        page_size = page_size or self.settings.page_limit
        while True:
            page = self.projects(program, changed_since, page_size, offset, priority)
            yield page
            got = len(page.get("Projects") or [])
            if got < page_size:
                return
            offset += got

    def projects_by_number(self, program: str, numbers: list[str]) -> Response:
        if not numbers or not all(isinstance(n, str) and URL_ID_RE.fullmatch(n) for n in numbers):
            raise InputError("project numbers must be a non-empty list of strings like 'DGI-00011'")
        return self._call("projects_by_number", "POST", f"/Programs/{_id(program, 'program')}/Projects/ByNumber",
                          body={"ProjectNumbers": list(numbers)}, xml_root="ProjectsByNumberRequest",
                          idempotent=True)

    def projects_by_data(self, program: str, fields: dict[str, str]) -> Response:
        if not fields:
            raise InputError("projects_by_data needs at least one {data_field_id: content} pair")
        body = {"Fields": [{"DataFieldId": k, "Content": v} for k, v in fields.items()]}
        return self._call("projects_by_data", "POST", f"/Programs/{_id(program, 'program')}/Projects/ByData",
                          body=body, xml_root="ProjectsByDataRequest", idempotent=True)

    def create_project(self, program: str) -> Response:
        return self._call("create_project", "POST", f"/Programs/{_id(program, 'program')}/NewProject")

    def _project(self, program: str, project: str) -> str:
        return f"/Programs/{_id(program, 'program')}/Projects/{_id(project, 'project')}"

    def _form(self, program: str, project: str, form: str) -> str:
        return f"{self._project(program, project)}/Forms/{_id(form, 'form')}"

    def project_data(self, program: str, project: str, form: str, draft: bool = False,
                     reveal_sensitive_data: bool = False) -> Response:
        path = self._form(program, project, form) + ("/Draft/Data" if draft else "/Data")
        params = {"reveal_sensitive_data": "true"} if reveal_sensitive_data else None
        return self._call("project_data", "GET", path, params=params)

    def set_project_data(self, program: str, project: str, form: str, fields: dict[str, Any] | list[dict[str, Any]],
                         admin: bool = False, run_followup_actions: bool | None = None) -> Response:
        """Set draft data (or, ``admin=True``, submitted data). ``fields``: {id: value or [values]}."""
        items = fields if isinstance(fields, list) else [
            {"DataFieldId": k, **({"Values": v} if isinstance(v, list) else {"Value": v})} for k, v in fields.items()]
        if not items:
            raise InputError("set_project_data needs at least one field")
        for item in items:
            _id(item.get("DataFieldId"), "data field")
        params = None
        if run_followup_actions is not None:
            if not admin:
                raise InputError("run_followup_actions applies only to admin data sets (admin=True)")
            params = {"run_followup_actions": "true" if run_followup_actions else "false"}
        path = self._form(program, project, form) + ("/Data" if admin else "/Draft/Data")
        return self._call("set_project_data_admin" if admin else "set_project_data", "POST", path,
                          params=params, body={"Project": {"DataFields": items}}, xml_root="ProjectDataSetRequest")

    def submit_project(self, program: str, project: str, form: str) -> Response:
        return self._call("submit_project", "POST", self._form(program, project, form) + "/Draft/Submit")

    def all_project_data(self, program: str, project: str, reveal_sensitive_data: bool = False) -> Response:
        params = {"reveal_sensitive_data": "true"} if reveal_sensitive_data else None
        return self._call("all_project_data", "GET", self._project(program, project) + "/Data", params=params)

    # ---- attachments --------------------------------------------------------------------------
    def download_attachment(self, program: str, project: str, form: str, attachment: str) -> tuple[str, bytes]:
        """Returns (filename from Content-Disposition, bytes)."""
        path = self._form(program, project, form) + f"/Attachments/{_id(attachment, 'attachment')}/Download"
        resp = self.http.request("GET", path, name="download_attachment")
        m = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', resp.headers.get("content-disposition", ""))
        return (m.group(1) if m else "attachment.bin"), resp.content

    def upload_attachment(self, program: str, project: str, form: str, attachment: str,
                          file: str | Path | bytes, filename: str | None = None,
                          content_type: str | None = None) -> Response:
        """Upload to the draft; call submit_project afterwards [doc]."""
        if isinstance(file, (str, Path)):
            path = Path(file)
            if not path.is_file():
                raise InputError(f"attachment file {str(path)!r} does not exist")
            content, filename = path.read_bytes(), filename or path.name
        else:
            content = file
        if not filename:
            raise InputError("filename is required when uploading bytes")
        if not content:
            raise InputError(f"attachment {filename!r} is empty")
        ctype = content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        path_ = self._form(program, project, form) + f"/Draft/Attachments/{_id(attachment, 'attachment')}/Upload"
        safe = filename.replace('"', "")
        return self._call("upload_attachment", "POST", path_, data=content,
                          headers={"Content-Type": ctype, "Content-Disposition": f'attachment; filename="{safe}"'})

    def attachment_metadata(self, program: str, project: str, attachment: str) -> Response:
        return self._call("attachment_metadata", "GET",
                          self._project(program, project) + f"/Attachments/{_id(attachment, 'attachment')}/Metadata")

    def set_attachment_metadata(self, program: str, project: str, attachment: str, action: str,
                                note: str | None = None) -> Response:
        if action not in ATTACHMENT_ACTIONS:
            raise InputError(f"attachment action {action!r} is unknown", f"use one of {', '.join(ATTACHMENT_ACTIONS)}")
        body = {"AttachmentStatus": action, **({"Note": note} if note is not None else {})}
        return self._call("set_attachment_metadata", "POST",
                          self._project(program, project) + f"/Attachments/{_id(attachment, 'attachment')}/Metadata",
                          body=body, xml_root="AttachmentMetadataSetRequest")

    # ---- status -------------------------------------------------------------------------------
    def status_history(self, program: str, project: str, priority: str = "interactive") -> Response:
        return self._call("status_history", "GET", self._project(program, project) + "/StatusHistory",
                          priority=priority)

    def set_project_status(self, program: str, project: str, status: str,
                           auto_communication: bool | None = None) -> Response:
        params = None if auto_communication is None else {"AutoCommunication": str(bool(auto_communication)).lower()}
        return self._call("set_project_status", "POST",
                          self._project(program, project) + f"/Status/{_id(status, 'status')}", params=params)

    def set_status_report_as(self, program: str, project: str, status_id: str, timestamp: str,
                             report_as: str) -> Response:
        if report_as not in ("normal", "suppress"):
            raise InputError(f"report_as {report_as!r} must be 'normal' or 'suppress'")
        body = {"StatusId": _id(status_id, "status"), "Timestamp": timestamp, "ReportAs": report_as}
        return self._call("set_status_report_as", "POST", self._project(program, project) + "/StatusHistory/ReportAs",
                          body=body, xml_root="StatusReportAsRequest")

    def export_project(self, program: str, project: str) -> Response:
        return self._call("export_project", "GET", self._project(program, project) + "/Export")

    def set_assignee(self, program: str, project: str, email: str) -> Response:
        return self._call("set_assignee", "POST", self._project(program, project) + "/Assignee",
                          body={"AssigneeEmail": _email(email, "assignee")}, xml_root="AssigneeSetRequest")

    def set_owner(self, program: str, project: str, email: str) -> Response:
        return self._call("set_owner", "POST", self._project(program, project) + "/Owner",
                          body={"OwnerEmail": _email(email, "owner")}, xml_root="OwnerSetRequest")

    # ---- inquiries ----------------------------------------------------------------------------
    def inquiry_threads(self, program: str, project: str, priority: str = "interactive") -> Response:
        return self._call("inquiry_threads", "GET", self._project(program, project) + "/InquiryThreads",
                          priority=priority)

    def inquiry_notes(self, program: str, thread: str, priority: str = "interactive") -> Response:
        return self._call("inquiry_notes", "GET",
                          f"/Programs/{_id(program, 'program')}/InquiryThreads/{_id(thread, 'thread')}/Notes",
                          priority=priority)

    def set_inquiry_note(self, program: str, project: str, text: str, thread_id: str | None = None,
                         subject: str | None = None) -> Response:
        if not isinstance(text, str) or not text.strip():
            raise InputError("note text must be a non-empty string")
        if thread_id is None and not (subject and subject.strip()):
            raise InputError("a new thread needs a subject", "pass subject='...' or thread_id= of an existing thread")
        body: dict[str, Any] = {"Text": text}
        if thread_id is not None:
            _id(thread_id, "thread")
            body["ThreadId"] = thread_id
        if subject:
            body["Subject"] = subject
        return self._call("set_inquiry_note", "POST", self._project(program, project) + "/SetInquiryNote",
                          body=body, xml_root="InquiryNoteSetRequest")

    def set_thread_status(self, program: str, thread: str, status: str) -> Response:
        if status not in THREAD_STATUSES:
            raise InputError(f"thread status {status!r} is unknown", f"use one of {', '.join(THREAD_STATUSES)}")
        return self._call("set_thread_status", "POST",
                          f"/Programs/{_id(program, 'program')}/InquiryThreads/{_id(thread, 'thread')}/Status/{status}")

    def set_thread_external_id(self, program: str, thread: str, external_id: str) -> Response:
        return self._call("set_thread_external_id", "POST",
                          f"/Programs/{_id(program, 'program')}/InquiryThreads/{_id(thread, 'thread')}"
                          f"/ExternalId/{_id(external_id, 'external thread id')}")
