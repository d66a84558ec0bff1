"""The channel: one V2 operation with every policy applied, over a swappable Transport.

Per attempt: the shared rate budget (pcnb.api.budget), API key and MFA headers (pcnb.api.auth),
the body codec (pcnb.api.codec), the send (pcnb.api.transport), the call log (pcnb.api.calllog),
then the retry policy (pcnb.api.retry) decides: 401 -> new token once, 429 -> Retry-After or
backoff, 5xx / lost connection -> backoff for idempotent operations; other errors map to the
exception tree of pcnb.errors with the request id.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from typing import Any

from pcnb.api import codec
from pcnb.api.auth import Credentials
from pcnb.api.budget import Budget
from pcnb.api.calllog import CallLog, Ledger
from pcnb.api.redact import SecretHeaders
from pcnb.api.retry import RetryPolicy
from pcnb.api.transport import ConnectionFailed, TokenRenewed, Transport, WireRequest, WireResponse
from pcnb.contract import API_KEY_HEADER
from pcnb.errors import ApiError, RateLimited, TransportError, error_for, redact_url

log = logging.getLogger("pcnb.http")


class Channel:
    """Sends one operation and returns its WireResponse (status < 400), or raises."""

    def __init__(self, base_url: str, transport: Transport, creds: Credentials, budget: Budget | None = None,
                 fmt: str = "json", timeout: float = 30.0, retry: RetryPolicy | None = None,
                 ledger: Ledger | None = None):
        self.base_url = base_url.rstrip("/")
        self.transport, self.creds, self.budget, self.format, self.timeout = transport, creds, budget, fmt, timeout
        self.retry = retry or RetryPolicy()
        self.log = CallLog(ledger)
        self.sleep = time.sleep  # tests of the policy replace it
        #: called right before every attempt leaves (after the rate budget's wait); the write-back
        #: executor records the send time and re-checks its journal claim here (raising stops it)
        self.before_send: Callable[[], None] | None = None

    def __repr__(self) -> str:
        return f"Channel(base_url={self.base_url!r}, transport={self.transport!r})"

    @property
    def calls(self) -> int:
        """Operations sent so far (retries included)."""
        return self.log.calls

    @property
    def count_429(self) -> int:
        return self.log.count_429

    @property
    def ledger(self) -> Ledger | None:
        return self.log.ledger

    @ledger.setter
    def ledger(self, ledger: Ledger | None) -> None:
        self.log.ledger = ledger

    def request(self, method: str, path: str, *, name: str, params: dict[str, Any] | None = None,
                body: dict[str, Any] | None = None, xml_root: str = "Request", data: bytes | None = None,
                headers: dict[str, str] | None = None, idempotent: bool | None = None,
                priority: str = "interactive") -> WireResponse:
        idempotent = method == "GET" if idempotent is None else idempotent
        url = self.base_url + path
        refreshed = False
        delay = 1.0
        policy = self.retry
        for attempt in range(1, policy.max_attempts + 1):
            if self.budget is not None:
                self.budget.acquire(priority)
            hdrs = SecretHeaders({API_KEY_HEADER: self.creds.api_key or "", **self.creds.mfa_headers(),
                                  **(headers or {})})
            payload = data
            if self.format == "xml":
                hdrs.setdefault("Accept", "application/xml")
            if body is not None:
                payload, hdrs["Content-Type"] = codec.encode(body, self.format, xml_root)
            if self.before_send is not None:
                self.before_send()
            started = time.monotonic()
            try:
                self.log.sent()
                try:
                    resp = self.transport.send(WireRequest(method, url, params, payload, hdrs, name), self.timeout)
                finally:
                    if self.budget is not None:
                        self.budget.settle()  # the slot counts from the answer: the server counted no later
            except TokenRenewed:
                continue
            except ConnectionFailed as exc:
                self.log.record(name, method, None, started, None)
                if policy.retry_failure(attempt, idempotent):
                    delay = self._backoff(delay)
                    continue
                what = "the write may or may not have been applied; check before retrying" if not idempotent \
                    else "gave up after retries"
                raise TransportError(f"{method} {redact_url(url)} failed: {exc} ({what})") from None
            resp.elapsed_ms = self.log.record(name, method, resp.status, started, resp.request_id).latency_ms
            if resp.status == 401 and not refreshed:
                refreshed = True  # token may have been revoked or expired early: fetch once, retry
                self.transport.refresh_token()
                continue
            if resp.status == 429:
                wait, delay = policy.wait_for_429(_retry_after(resp), delay)
                if policy.give_up_on_429(attempt, wait):
                    raise self._error(resp, method, url, retry_after=wait)
                log.info("429 from %s; waiting %.1fs", name, wait)
                self.sleep(wait)
                continue
            if resp.status >= 500 and policy.retry_failure(attempt, idempotent):
                delay = self._backoff(delay)
                continue
            if resp.status >= 400:
                raise self._error(resp, method, url)
            return resp
        raise TransportError(f"{method} {redact_url(url)}: no success after {policy.max_attempts} attempts")

    def parse(self, resp: WireResponse) -> dict[str, Any]:
        return codec.decode(resp.content, resp.content_type)

    def _backoff(self, delay: float) -> float:
        self.sleep(self.retry.jittered(delay, random.random()))
        return self.retry.next_delay(delay)

    def _error(self, resp: WireResponse, method: str, url: str, retry_after: float | None = None) -> ApiError:
        message, errors = resp.reason or "error", []
        try:
            data = self.parse(resp)
            message = str(data.get("message") or data.get("Message") or data.get("error") or message)
            errors = [str(e) for e in data.get("Errors") or []]
        except ValueError:
            pass
        kw: dict[str, Any] = {"method": method, "url": url, "errors": errors, "request_id": resp.request_id}
        if resp.status == 429:
            return RateLimited(message, status=429, retry_after=retry_after, **kw)
        return error_for(resp.status, message, **kw)


def _retry_after(resp: WireResponse) -> float:
    """Seconds to wait; 0 (= back off) when missing, negative, not a finite number (``nan``) or an
    HTTP date we do not parse."""
    try:
        value = float(resp.headers.get("retry-after", "0"))
    except ValueError:
        return 0.0
    return value if math.isfinite(value) and value > 0 else 0.0
