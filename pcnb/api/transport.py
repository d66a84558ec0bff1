"""Transports: the swappable bottom of the HTTP layer. One sends bytes and brings bytes back.

``RequestsTransport`` talks HTTP through authlib's OAuth2Session (client credentials, re-fetch
before expiry). ``FakeTransport`` answers in memory from a route table, so tests of pure logic
(retry policy, planner, sync state machine) run in milliseconds without a server; end-to-end tests
keep the real transport against the real sandbox. Every policy (budget, retries, codec, call log)
lives above, in pcnb.api.channel, and applies to both.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from requests.sessions import merge_setting

from pcnb import redact
from pcnb.api.auth import Credentials
from pcnb.contract import REQUEST_ID_HEADER
from pcnb.errors import AuthError, TransportError, redact_url

redact.install_log_filter()  # urllib3 logs every request line, a gateway's ?subscription-key= included


@dataclass
class WireRequest:
    method: str
    url: str
    params: dict[str, Any] | None = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    name: str = ""  # the client's endpoint name (e.g. "projects"), for traces and recordings

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


@dataclass
class WireResponse:
    """An answer as bytes; ``headers`` keys are lower-case."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    reason: str = ""
    elapsed_ms: float = 0.0

    @property
    def request_id(self) -> str | None:
        return self.headers.get(REQUEST_ID_HEADER.lower())

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class ConnectionFailed(Exception):
    """No answer arrived (refused, reset, timed out): the request may or may not have been applied."""


class TokenRenewed(Exception):
    """The access token was renewed before the request left: nothing was sent, send it again."""


class Transport(Protocol):
    """What the channel needs from the wire."""

    def send(self, request: WireRequest, timeout: float) -> WireResponse:
        """Send with a valid access token; raise ConnectionFailed or TokenRenewed."""
        ...

    def refresh_token(self) -> None:
        """Fetch a new access token now (after a 401: it may have been revoked)."""
        ...

    def probe(self, request: WireRequest, timeout: float) -> WireResponse:
        """Send as it is, no access token added or fetched: what `pcnb doctor` uses to look at the token
        endpoint itself (raise ConnectionFailed when no answer arrives)."""
        ...


TOKEN_URL_HINT = ("check the token URL (setting token_url / PCNB_TOKEN_URL; documented: "
                  "https://identity.powerclerk.com/connect/token, trial "
                  "https://identity.cleanpowerdemo.com/PCITrial/connect/token); `pcnb doctor` probes it")


class _Session(OAuth2Session):  # type: ignore[misc]
    """OAuth2Session that looks the environment's proxies up once per host.

    requests reads the proxy variables and the no_proxy list from os.environ on every request
    (half a millisecond each: a tenth of a sync against a local sandbox); they do not change under a
    running client, so each host's answer is kept. CA bundles and the rest are merged as requests
    does, on every call."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._env_proxies: dict[tuple[str, str, str | None], dict[str, str]] = {}

    def merge_environment_settings(self, url: str, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> dict[str, Any]:
        """requests' own merge (sessions.Session.merge_environment_settings), the proxy lookup kept."""
        if self.trust_env:
            parts = urlsplit(url)
            no_proxy = proxies.get("no_proxy") if proxies is not None else None
            key = (parts.scheme, parts.netloc, no_proxy)
            if key not in self._env_proxies:
                self._env_proxies[key] = requests.utils.get_environ_proxies(url, no_proxy=no_proxy)
            if proxies is not None:
                for k, v in self._env_proxies[key].items():
                    proxies.setdefault(k, v)
            if verify is True or verify is None:
                verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or verify
        return {"proxies": merge_setting(proxies, self.proxies), "stream": merge_setting(stream, self.stream),
                "verify": merge_setting(verify, self.verify), "cert": merge_setting(cert, self.cert)}


class RequestsTransport:
    """HTTP through a requests OAuth2Session with the client-credentials grant."""

    def __init__(self, creds: Credentials, token_url: str, timeout: float = 30.0, token_leeway: int = 60):
        creds.require()
        self.creds, self.token_url, self.timeout = creds, token_url, timeout
        self.session = _Session(creds.client_id, creds.client_secret, token_endpoint=token_url,
                                     grant_type="client_credentials", leeway=token_leeway,
                                     token_endpoint_auth_method="client_secret_basic")
        self.token_answer: tuple[int, str | None] | None = None  # (status, request id) of the last token call
        self.session.register_compliance_hook("access_token_response", self._token_response)

    def _token_response(self, resp: requests.Response) -> requests.Response:
        self.token_answer = (resp.status_code, resp.headers.get(REQUEST_ID_HEADER))
        try:  # every token issued (authlib's own re-fetches too) is masked in errors and logs
            body = resp.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            redact.register(*(str(body[k]) for k in ("access_token", "refresh_token", "id_token") if body.get(k)))
        return resp

    def __repr__(self) -> str:
        return f"RequestsTransport(token_url={self.token_url!r}, creds={self.creds!r})"

    def fetch_token(self) -> None:
        try:
            self.session.fetch_token(self.token_url, grant_type="client_credentials", timeout=self.timeout)
        except OAuthError as exc:
            raise AuthError(f"the token endpoint refused the client credentials ({exc.error})",
                            status=401, method="POST", url=self.token_url,
                            hint=f"check {self.creds.where('client_id')} / {self.creds.where('client_secret')} "
                                 "for this environment (made on PowerClerk's My Account page)") from None
        except requests.RequestException as exc:
            raise TransportError(f"could not reach the token endpoint {redact_url(self.token_url)}: "
                                 f"{type(exc).__name__}") from None
        except (ValueError, TypeError, OverflowError, KeyError) as exc:  # not JSON, or a lifetime no clock reads
            self.session.token = None
            raise AuthError(f"the token endpoint answered something that is not a token ({exc})"[:200],
                            status=(self.token_answer or (0, None))[0], method="POST", url=self.token_url,
                            hint=TOKEN_URL_HINT) from None
        token = self.session.token or {}
        status, request_id = self.token_answer or (0, None)
        if not token.get("access_token"):
            self.session.token = None
            raise AuthError(f"the token endpoint answered {status} without an access_token", status=status,
                            method="POST", url=self.token_url, request_id=request_id, hint=TOKEN_URL_HINT)
        if str(token.get("token_type", "Bearer")).lower() != "bearer":
            kind = token.get("token_type")
            self.session.token = None
            raise AuthError(f"the token endpoint issued a {kind!r} token; API V2 needs a Bearer token",
                            status=status, method="POST", url=self.token_url, request_id=request_id,
                            hint="Basic is V1's scheme, Bearer V2's: point token_url / PCNB_TOKEN_URL at the V2 "
                                 "identity endpoint (e.g. https://identity.powerclerk.com/connect/token)")

    refresh_token = fetch_token

    def probe(self, request: WireRequest, timeout: float) -> WireResponse:
        try:
            resp = requests.request(request.method, request.url, params=request.params, data=request.content,
                                    headers=request.headers, timeout=timeout)
        except requests.RequestException as exc:
            raise ConnectionFailed(type(exc).__name__) from None
        return WireResponse(resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, resp.content,
                            resp.reason or "")

    def send(self, request: WireRequest, timeout: float) -> WireResponse:
        if not self.session.token:
            self.fetch_token()
        try:
            resp = self.session.request(request.method, request.url, params=request.params, data=request.content,
                                        headers=request.headers, timeout=timeout)
        except OAuthError:
            self.session.token = None  # authlib's automatic re-fetch failed: fetch explicitly
            self.fetch_token()
            raise TokenRenewed() from None
        except requests.RequestException as exc:
            raise ConnectionFailed(type(exc).__name__) from None
        except (ValueError, TypeError, OverflowError, KeyError) as exc:  # authlib's own re-fetch read a bad answer
            self.session.token = None
            raise AuthError(f"the token endpoint answered a token pcnb cannot use ({type(exc).__name__}: {exc})"[:200],
                            status=(self.token_answer or (0, None))[0], method="POST", url=self.token_url,
                            hint=TOKEN_URL_HINT) from None
        return WireResponse(resp.status_code, {k.lower(): v for k, v in resp.headers.items()}, resp.content,
                            resp.reason or "")


#: a fake route's answer: a WireResponse, or (status, JSON body) or (status, JSON body, headers)
Reply = WireResponse | tuple[int, Any] | tuple[int, Any, Mapping[str, str]]
Handler = Callable[[WireRequest], Reply]


class FakeTransport:
    """In-memory transport for pure-logic tests.

    ``routes`` map ``"GET /Programs/{id}/Projects"`` (``{name}`` matches one path segment) to a
    handler of the WireRequest, or to a fixed reply; a list of replies is served in turn (the last
    one repeats). Unrouted requests get a 404. Every request sent is kept in ``sent``; each answer
    carries a request id ``fake-N``.
    """

    def __init__(self, routes: Mapping[str, Handler | Reply | list[Reply]] | None = None):
        self.routes: list[tuple[str, re.Pattern[str], Handler | Reply | list[Reply]]] = []
        self.sent: list[WireRequest] = []
        self.token_fetches = 0
        for key, reply in (routes or {}).items():
            self.route(key, reply)

    def route(self, key: str, reply: Handler | Reply | list[Reply]) -> None:
        method, _, path = key.partition(" ")
        pattern = re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path))
        self.routes.insert(0, (method.upper(), re.compile(f"(?:.*){pattern}$"), reply))

    def refresh_token(self) -> None:
        self.token_fetches += 1

    def probe(self, request: WireRequest, timeout: float) -> WireResponse:
        return self.send(request, timeout)  # a fake route answers with or without a token alike

    def send(self, request: WireRequest, timeout: float) -> WireResponse:
        self.sent.append(request)
        for method, pattern, reply in self.routes:
            if method == request.method and pattern.match(request.path):
                if isinstance(reply, list):
                    answer = reply.pop(0) if len(reply) > 1 else reply[0]
                elif callable(reply):
                    answer = reply(request)
                else:
                    answer = reply
                return self._wire(answer)
        return self._wire((404, {"message": f"no fake route for {request.method} {request.path}"}))

    def _wire(self, answer: Reply) -> WireResponse:
        if isinstance(answer, WireResponse):
            resp = answer
        else:
            status, body, *rest = answer
            headers = {k.lower(): v for k, v in (rest[0] if rest else {}).items()}
            content = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
            headers.setdefault("content-type", "application/json")
            resp = WireResponse(status, headers, content, "fake")
        resp.headers.setdefault(REQUEST_ID_HEADER.lower(), f"fake-{len(self.sent)}")
        return resp
