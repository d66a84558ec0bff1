"""HTTP transport: OAuth session, MFA headers, shared budget, retries, 429 and error mapping.

Split from client.py so the endpoint catalogue stays readable. Retries are our own loop rather than
urllib3's ``Retry`` (a deliberate change from DESIGN.md): every attempt is an operation the API
gateway counts, so each one must pass through the shared rate budget.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from typing import Any

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from pcnb.api import codec
from pcnb.api.auth import Credentials
from pcnb.api.budget import RateBudget
from pcnb.api.contract import API_KEY_HEADER, REQUEST_ID_HEADER
from pcnb.errors import AuthError, RateLimited, TransportError, error_for, redact_url

log = logging.getLogger("pcnb.http")
Ledger = Callable[[dict[str, Any]], None]


class Transport:
    """Sends one V2 operation with every policy applied; returns the ``requests.Response``."""

    def __init__(self, base_url: str, token_url: str, creds: Credentials, budget: RateBudget | None = None,
                 fmt: str = "json", timeout: float = 30.0, max_attempts: int = 5, backoff_cap: float = 30.0,
                 max_retry_after: float = 120.0, token_leeway: int = 60, ledger: Ledger | None = None):
        creds.require()
        self.base_url, self.token_url = base_url.rstrip("/"), token_url
        self.creds, self.budget, self.format, self.timeout = creds, budget, fmt, timeout
        self.max_attempts, self.backoff_cap, self.max_retry_after = max_attempts, backoff_cap, max_retry_after
        self.ledger = ledger
        self.session = OAuth2Session(creds.client_id, creds.client_secret, token_endpoint=token_url,
                                     grant_type="client_credentials", leeway=token_leeway,
                                     token_endpoint_auth_method="client_secret_basic")
        self.count_429 = 0
        self.calls = 0
        self.last_request_id: str | None = None  # of the last answered operation (write-back journals it)

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r}, creds={self.creds!r})"

    # ---- token ---------------------------------------------------------------------------------
    def fetch_token(self) -> None:
        try:
            self.session.fetch_token(self.token_url, grant_type="client_credentials", timeout=self.timeout)
        except OAuthError as exc:
            raise AuthError(f"the token endpoint refused the client credentials ({exc.error})",
                            status=401, method="POST", url=self.token_url,
                            hint="check PCNB_CLIENT_ID / PCNB_CLIENT_SECRET for this environment "
                                 "(made on PowerClerk's My Account page)") from None
        except requests.RequestException as exc:
            raise TransportError(f"could not reach the token endpoint {redact_url(self.token_url)}: "
                                 f"{type(exc).__name__}") from None

    def _ensure_token(self) -> None:
        if not self.session.token:
            self.fetch_token()

    # ---- one operation -------------------------------------------------------------------------
    def request(self, method: str, path: str, *, name: str, params: dict[str, Any] | None = None,
                body: dict[str, Any] | None = None, xml_root: str = "Request", data: bytes | None = None,
                headers: dict[str, str] | None = None, idempotent: bool | None = None,
                priority: str = "interactive") -> requests.Response:
        idempotent = method == "GET" if idempotent is None else idempotent
        url = self.base_url + path
        refreshed = False
        delay = 1.0
        for attempt in range(1, self.max_attempts + 1):
            if self.budget is not None:
                self.budget.acquire(priority)
            self._ensure_token()
            hdrs = {API_KEY_HEADER: self.creds.api_key or "", **self.creds.mfa_headers(), **(headers or {})}
            payload = data
            if self.format == "xml":
                hdrs.setdefault("Accept", "application/xml")
                if body is not None:
                    payload, hdrs["Content-Type"] = codec.dumps(body, xml_root), "application/xml"
            elif body is not None:
                payload, hdrs["Content-Type"] = json.dumps(body).encode(), "application/json"
            started = time.monotonic()
            try:
                self.calls += 1
                resp = self.session.request(method, url, params=params, data=payload, headers=hdrs,
                                            timeout=self.timeout)
            except OAuthError:
                self.session.token = None  # authlib's automatic re-fetch failed: fetch explicitly
                self.fetch_token()
                continue
            except requests.RequestException as exc:
                self._record(name, method, None, started, None)
                if idempotent and attempt < self.max_attempts:
                    delay = self._sleep(delay)
                    continue
                what = "the write may or may not have been applied; check before retrying" if not idempotent \
                    else "gave up after retries"
                raise TransportError(f"{method} {redact_url(url)} failed: {type(exc).__name__} ({what})") from None
            rid = resp.headers.get(REQUEST_ID_HEADER)
            self._record(name, method, resp.status_code, started, rid)
            if resp.status_code == 401 and not refreshed:
                refreshed = True  # token may have been revoked or expired early: fetch once, retry
                self.fetch_token()
                continue
            if resp.status_code == 429:
                self.count_429 += 1
                wait = _retry_after(resp)
                if not wait:
                    wait, delay = min(delay, self.backoff_cap), min(delay * 2, self.backoff_cap)
                if wait > self.max_retry_after or attempt == self.max_attempts:
                    raise self._error(resp, method, url, retry_after=wait)
                log.info("429 from %s; waiting %.1fs", name, wait)
                time.sleep(wait)
                continue
            if resp.status_code >= 500 and idempotent and attempt < self.max_attempts:
                delay = self._sleep(delay)
                continue
            if resp.status_code >= 400:
                raise self._error(resp, method, url)
            return resp
        raise TransportError(f"{method} {redact_url(url)}: no success after {self.max_attempts} attempts")

    def parse(self, resp: requests.Response) -> dict[str, Any]:
        if not resp.content:
            return {}
        if "xml" in resp.headers.get("content-type", ""):
            return codec.loads(resp.content)
        return resp.json()

    # ---- helpers -------------------------------------------------------------------------------
    def _sleep(self, delay: float) -> float:
        time.sleep(delay * (0.5 + random.random() / 2))
        return min(delay * 2, self.backoff_cap)

    def _record(self, name: str, method: str, status: int | None, started: float, rid: str | None) -> None:
        self.last_request_id = rid
        if self.ledger is not None:
            self.ledger({"endpoint": name, "method": method, "status": status, "request_id": rid,
                         "latency_ms": round((time.monotonic() - started) * 1000, 1), "time": time.time()})

    def _error(self, resp: requests.Response, method: str, url: str, retry_after: float | None = None):
        message, errors = resp.reason or "error", []
        try:
            data = self.parse(resp)
            message = str(data.get("message") or data.get("Message") or data.get("error") or message)
            errors = [str(e) for e in data.get("Errors") or []]
        except ValueError:
            pass
        kw: dict[str, Any] = {"method": method, "url": url, "errors": errors,
                              "request_id": resp.headers.get(REQUEST_ID_HEADER)}
        if resp.status_code == 429:
            return RateLimited(message, status=429, retry_after=retry_after, **kw)
        return error_for(resp.status_code, message, **kw)


def _retry_after(resp: requests.Response) -> float:
    try:
        return max(float(resp.headers.get("Retry-After", "0")), 0.0)
    except ValueError:
        return 0.0
