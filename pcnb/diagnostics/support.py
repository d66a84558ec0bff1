"""``%powerclerk support``: a ticket-ready text with exactly what PowerClerk support asks for.

The vendor's troubleshooting page lists it: ProgramID, the x-amzn-RequestId of the failing calls,
the user account and whether it is an admin of the program, what was attempted and the unexpected
result (response codes), the exact methods (full URL, HTTP method, headers, body), the call pattern
and frequency, whether the symptom is continuous or intermittent, and the timestamps. The material
comes from the client's call trace (secrets redacted at capture), its drift log (contract mismatches
are failures with a 200 status) and, when there is one, the store's call ledger (pattern over days).

Nothing secret may leave: the finished text goes through pcnb.redact (URL user-info and secret query
parameters; every credential value, the current bearer token and every secret the process knows, in
each form pcnb.redact knows: raw, URL-encoded, base64 at any alignment, hex, byte list, escaped,
split over lines; live tokens by shape), then is scanned again, and a text that still contains
one is refused.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pcnb import clock
from pcnb.api.client import PowerClerkClient
from pcnb.api.trace import TracedCall
from pcnb.errors import ConfigError
from pcnb.redact import Redactor, redact_url

#: client method names -> the V2 method names the vendor's documentation (and support) uses
V2_NAMES = {
    "programs": "GetPrograms", "forms": "GetForms", "form_schema": "GetFormSchema", "status_list": "GetStatusList",
    "custom_list_choices": "GetCustomListChoices", "projects": "GetProjects", "projects_by_number":
    "GetProjectByNumber", "projects_by_data": "GetProjectsByData", "create_project": "CreateNewProject",
    "project_data": "GetProjectData", "set_project_data": "SetProjectData", "set_project_data_admin":
    "SetProjectData (admin)", "submit_project": "SubmitProject", "all_project_data": "GetAllProjectData",
    "download_attachment": "DownloadAttachment", "upload_attachment": "UploadAttachment",
    "attachment_metadata": "GetAttachmentMetadata", "set_attachment_metadata": "SetAttachmentMetadata",
    "status_history": "GetProjectStatusHistory", "set_project_status": "SetProjectStatus",
    "set_status_report_as": "SetProjectStatusReportAs", "export_project": "GetExportProject",
    "set_assignee": "SetAssignee", "set_owner": "SetProjectOwner", "inquiry_threads": "GetInquiryThreads",
    "inquiry_notes": "GetNotesInInquiryThread", "set_inquiry_note": "SetInquiryNote",
    "set_thread_status": "SetInquiryThreadStatus", "set_thread_external_id": "SetInquiryThreadExternalId",
}
REDACTED = "<redacted>"


def client_secrets(client: PowerClerkClient) -> tuple[list[str], list[tuple[str, str]]]:
    """The client's credential values and current bearer token, and its (client id, secret) pair."""
    creds = client.credentials
    values = list(creds.secret_values())
    session = getattr(client.http.transport, "session", None)
    token = getattr(session, "token", None) or {}
    if token.get("access_token"):
        values.append(str(token["access_token"]))
    return values, [(creds.client_id or "", creds.client_secret or "")]


def redactor(client: PowerClerkClient, extra: Iterable[str] = ()) -> Redactor:
    """The ticket's redactor: this client's secrets and token, every secret the process knows,
    and live tokens by their shape (pcnb.redact)."""
    values, pairs = client_secrets(client)
    return Redactor([*values, *extra], pairs, mask=REDACTED, tokens=True)


def _ts(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _call_block(c: TracedCall, mismatch: str | None) -> list[str]:
    name = V2_NAMES.get(c.endpoint, c.endpoint or "?")
    result = f"{c.status}" if c.status is not None else f"no answer ({c.error})"
    out = [f"- {name}: {c.method} {c.url}",
           f"    time (UTC): {_ts(c.started)}; response code: {result}; x-amzn-RequestId: {c.request_id or '(none)'};"
           f" {c.elapsed_ms:.0f} ms"]
    out.append("    request headers: " + "; ".join(f"{k}: {v}" for k, v in c.request_headers.items()))
    out.append(f"    request body: {c.request_body or '(none)'}")
    if c.response_body:
        out.append(f"    response body: {c.response_body}")
    if mismatch:
        out.append(f"    unexpected result: {mismatch}")
    return out


def bundle_text(client: PowerClerkClient, program: str | None, *, account: str | None = None,
                attempted: str | None = None, ledger: list[tuple[Any, ...]] | None = None,
                doctor: Any = None) -> str:
    """The ticket text (not yet scanned: see ``support_bundle``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        __version__ = version("pcnb")
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        __version__ = "?"
    calls = client.trace.snapshot()
    mismatches = {m.request_id: f"{m.message} (contract mismatch)" for m in client.drift.mismatches}
    failing = [c for c in calls if c.failed or c.request_id in mismatches]
    now = clock.now()
    admin = "yes" if client.is_admin else "no" if client.is_admin is False else \
        "unknown (run `%powerclerk doctor` to check: one GetStatusList call)"
    s = client.settings
    lines = [f"PowerClerk API support request -- prepared by pcnb {__version__} at "
             f"{now.isoformat(timespec='seconds').replace('+00:00', 'Z')}",
             f"Environment: {s.environment} (API base {redact_url(s.base_url or '')}, "
             f"token URL {redact_url(s.token_url or '')}); "
             f"API V2, format {s.format}",
             "",
             f"1. ProgramID: {program or '(unknown)'}",
             "2. x-amzn-RequestId of the failing call(s): " + (", ".join(
                 dict.fromkeys(c.request_id or "(no answer)" for c in failing)) or "(no failing call recorded)"),
             "3. User account making the calls: "
             f"{account or '(fill in: the PowerClerk login these API credentials belong to)'}"
             f"; admin in program {program or '?'}: {admin}",
             "4. What was attempted and the unexpected result:",
             f"   {attempted or '(describe what you were doing, e.g. a daily sync of changed projects)'}"]
    for c in failing:
        msg = mismatches.get(c.request_id) or _message(c)
        lines.append(f"   - {V2_NAMES.get(c.endpoint, c.endpoint)} answered "
                     f"{c.status if c.status is not None else 'nothing'}: {msg}")
    lines.append("5. Exact methods (full URL, HTTP method, headers with secrets redacted, body):")
    for c in failing:
        lines += ["   " + line for line in _call_block(c, mismatches.get(c.request_id))]
    if not failing:
        lines.append("   (no failing call in this session)")
    lines.append("6. Call pattern and frequency:")
    lines += ["   " + line for line in _pattern(calls, ledger)]
    lines.append("7. Continuous or intermittent:")
    for endpoint in dict.fromkeys(c.endpoint for c in failing):
        same = [c for c in calls if c.endpoint == endpoint]
        bad = [c for c in same if c.failed or c.request_id in mismatches]
        kind = "continuous" if len(bad) == len(same) else "intermittent"
        lines.append(f"   {V2_NAMES.get(endpoint, endpoint)}: {kind} ({len(bad)} of {len(same)} call(s) failed)")
    if not failing:
        lines.append("   (no failing call in this session)")
    stamps = ", ".join(_ts(c.started) for c in failing) or "(none)"
    lines.append(f"8. Timestamps (UTC) of the failing calls: {stamps}")
    if doctor is not None:
        lines += ["", "pcnb doctor (read-only checks):", *("   " + line for line in str(doctor).splitlines())]
    lines += ["", f"Contract drift seen by pcnb: {client.drift.summary()}"]
    return "\n".join(lines) + "\n"


def _message(c: TracedCall) -> str:
    import json

    try:
        data = json.loads(c.response_body)
        if isinstance(data, dict):
            return str(data.get("message") or data.get("Message") or data.get("error") or c.response_body)[:300]
    except ValueError:
        pass
    return (c.response_body or c.error or "(no body)")[:300]


def _pattern(calls: list[TracedCall], ledger: list[tuple[Any, ...]] | None) -> list[str]:
    out = []
    if calls:
        span = max(calls[-1].started - calls[0].started, 1.0)
        by = Counter(V2_NAMES.get(c.endpoint, c.endpoint) for c in calls)
        out.append(f"this session: {len(calls)} call(s) over {span / 60:.1f} min ({len(calls) / span * 60:.1f}/min): "
                   + ", ".join(f"{k} x{n}" for k, n in by.most_common()))
    if ledger:
        times = [float(r[0]) for r in ledger]
        days = max((max(times) - min(times)) / 86400, 1 / 24)
        by = Counter(V2_NAMES.get(str(r[1]), str(r[1])) for r in ledger)
        out.append(f"call log (this cache): {len(ledger)} call(s) since {_ts(min(times))} "
                   f"(~{len(ledger) / days:.0f}/day): " + ", ".join(f"{k} x{n}" for k, n in by.most_common(8)))
        out.append("routine: pcnb syncs incrementally (GetProjects with changed_since, then histories of changed "
                   "projects), typically daily or on demand" if by.get("GetProjects", 0) > 1 else "one-off calls")
    if not out:
        out.append("(no calls recorded)")
    return out


def support_bundle(client: PowerClerkClient, program: str | None, *, extra_secrets: Iterable[str] = (),
                   **kw: Any) -> str:
    """The ticket text, scrubbed and verified free of every secret pcnb knows (ConfigError if not)."""
    mask = redactor(client, extra_secrets)
    text = mask.redact(bundle_text(client, program, **kw))
    left = mask.leaks(text)
    if left:  # cannot happen after redaction unless it recreated one; refuse rather than leak
        raise ConfigError(f"the support text still contains {', '.join(left)} after redaction; nothing was written")
    return text


def write_bundle(text: str, path: str | Path) -> Path:
    """Write the ticket text (mode 0600: it names the account and program)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    return path
