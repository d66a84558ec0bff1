"""The call trace: the last operations in full detail (URL, method, headers with secrets redacted,
bodies of writes and of failed answers), kept in memory for ``%powerclerk support`` and ``doctor``.

Why a Transport wrapper: the channel already hands every attempt to its transport, so tracing is
one more layer on the swappable bottom (no policy code changes) and sees retries and connection
failures too. Secrets never enter the trace: authentication and MFA header values are replaced at
capture; URLs go through ``redact_url``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from pcnb.api.transport import ConnectionFailed, Transport, WireRequest, WireResponse
from pcnb.contract import API_KEY_HEADER, MFA_OTP_HEADER, MFA_SESSION_HEADER
from pcnb.errors import redact_url

SECRET_HEADERS = frozenset(h.lower() for h in (API_KEY_HEADER, MFA_OTP_HEADER, MFA_SESSION_HEADER,
                                               "Authorization", "Cookie", "Set-Cookie", "X-Sandbox-Control"))
BODY_LIMIT = 4000


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    out = {}
    for k, v in headers.items():
        if k.lower() in SECRET_HEADERS:
            scheme = v.split(" ", 1)[0] if k.lower() == "authorization" and " " in v else ""
            out[k] = f"{scheme} <redacted>".strip() if v else "<empty>"
        else:
            out[k] = v
    return out


def _text(content: bytes | None) -> str:
    if not content:
        return ""
    text = content[:BODY_LIMIT].decode("utf-8", "replace")
    return text + (f"... ({len(content)} bytes)" if len(content) > BODY_LIMIT else "")


@dataclass
class TracedCall:
    endpoint: str
    method: str
    url: str  # redacted, with the query string
    request_headers: dict[str, str]  # secrets redacted
    request_body: str
    status: int | None  # None: no answer (connection failed)
    request_id: str | None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""  # kept for failed answers only
    raw: bytes | None = None  # the whole answer, only when the trace keeps bodies (doctor --record)
    error: str = ""
    started: float = 0.0  # wall clock (epoch seconds)
    elapsed_ms: float = 0.0

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 400


class CallTrace:
    """The last ``size`` operations sent by one client."""

    def __init__(self, size: int = 200, keep_bodies: bool = False):
        self.calls: deque[TracedCall] = deque(maxlen=size)
        self.keep_bodies = keep_bodies
        self._lock = threading.Lock()

    def add(self, call: TracedCall) -> None:
        with self._lock:
            self.calls.append(call)

    def snapshot(self) -> list[TracedCall]:
        with self._lock:
            return list(self.calls)

    def failures(self) -> list[TracedCall]:
        return [c for c in self.snapshot() if c.failed]


class TracingTransport:
    """Wraps a Transport; records every attempt in a CallTrace, then returns its answer unchanged."""

    def __init__(self, inner: Transport, trace: CallTrace):
        self.inner, self.trace = inner, trace

    def __repr__(self) -> str:
        return repr(self.inner)

    def __getattr__(self, name: str) -> Any:  # session, token_url, fetch_token... of the inner one
        return getattr(self.inner, name)

    def refresh_token(self) -> None:
        self.inner.refresh_token()

    def send(self, request: WireRequest, timeout: float) -> WireResponse:
        started, t0 = time.time(), time.monotonic()
        url = request.url
        if request.params:
            from urllib.parse import urlencode

            url += "?" + urlencode(request.params)
        headers = dict(request.headers)
        if hasattr(self.inner, "session") and "Authorization" not in headers:
            headers["Authorization"] = "Bearer <added by the OAuth session>"  # as sent on the wire, redacted below
        call = TracedCall(request.name, request.method, redact_url(url), redact_headers(headers),
                          _text(request.content) if request.method != "GET" else "", None, None, started=started)
        try:
            resp = self.inner.send(request, timeout)
        except ConnectionFailed as exc:
            call.error, call.elapsed_ms = f"connection failed: {exc}", round((time.monotonic() - t0) * 1000, 1)
            self.trace.add(call)
            raise
        call.status, call.request_id = resp.status, resp.request_id
        call.response_headers = redact_headers(dict(resp.headers))
        call.elapsed_ms = round((time.monotonic() - t0) * 1000, 1)
        if resp.status >= 400:
            call.response_body = _text(resp.content)
        if self.trace.keep_bodies:
            call.raw = resp.content
        self.trace.add(call)
        return resp
