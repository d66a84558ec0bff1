"""``pcnb doctor``: a read-only first-contact check of an environment, in a handful of calls.

Each check says pass/fail, what was seen (status, server message, request id) and, on failure,
the matching items of the vendor's 401/403 checklist -- each annotated with what pcnb verified
itself (was X-ApiKey sent, which auth scheme, which MFA header), so the user only has to chase the
items pcnb cannot see (key set-up, program access, privileges). Calls: one token fetch, then
GetPrograms, GetStatusList, GetProjects (one page with changed_since), GetProjectStatusHistory,
GetForms and GetProjectData with reveal_sensitive_data (7 operations at most; fewer when an
earlier check fails). Nothing is written.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from pcnb import clock
from pcnb.api.auth import Credentials
from pcnb.api.client import PowerClerkClient
from pcnb.api.transport import ConnectionFailed, WireRequest
from pcnb.config import Settings
from pcnb.contract import parse_timestamp
from pcnb.diagnostics.doctor_read import read_date, read_token, skew_seconds
from pcnb.errors import ApiError, ContractMismatch, PowerClerkError
from pcnb.redact import Redactor, redact_url

# The vendor's troubleshooting checklist (legacy-api-contents-and-troubleshooting.txt), verbatim.
KEY_SET_UP = "Have you set up an API key for your user?"
PROGRAM_ACCESS = "Is your user allowed access to your Program and Project?"
KEY_SENT = 'Did you send the "X-ApiKey" header? Are you sending the correct API key value?'
AUTH_SCHEME = "Are you sending the correct user authentication? (Basic for V1, and Bearer Token for V2)"
SENSITIVE = "Are you attempting to request sensitive data without the right permissions?"
MFA_VALID = "Did you send a valid MFA Session Token or One-Time Password?"

PASS, FAIL, WARN, SKIP = "pass", "FAIL", "warn", "skip"
SKEW_LIMIT_S = 30.0  # one TOTP step: beyond it one-time passwords start to fail


@dataclass
class Check:
    name: str
    result: str  # pass, FAIL, warn, skip
    seen: str
    hint: str = ""
    checklist: list[tuple[str, str]] = field(default_factory=list)  # (vendor item, what pcnb verified)
    request_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.result != FAIL

    def lines(self) -> list[str]:
        rid = f" (x-amzn-RequestId: {self.request_id})" if self.request_id else ""
        out = [f"[{self.result:4}] {self.name:10} {self.seen}{rid}"]
        if self.hint:
            out.append(f"       fix: {self.hint}")
        for item, verified in self.checklist:
            out.append(f"       - {item}")
            if verified:
                out.append(f"           pcnb: {verified}")
        return out


@dataclass
class DoctorReport:
    environment: str
    base_url: str
    token_url: str
    program: str | None
    checks: list[Check] = field(default_factory=list)
    drift: str = ""
    calls: int = 0
    admin: bool | None = None
    recorded: Path | None = None  # doctor --record: the folder the answers were saved in
    #: masks the checked credentials (and URL credentials) in every line shown (pcnb.redact)
    redactor: Redactor = field(default_factory=Redactor, repr=False)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def __str__(self) -> str:
        head = (f"pcnb doctor: {self.environment} {redact_url(self.base_url)} (token {redact_url(self.token_url)}), "
                f"program {self.program or '?'} -- {self.calls} API operation(s), read-only")
        lines = [head]
        for c in self.checks:
            lines += c.lines()
        lines.append(f"contract drift: {self.drift}")
        if self.recorded is not None:
            lines.append(f"answers recorded (secrets and personal data redacted) in {self.recorded}; "
                         f"`pcnb sandbox --replay {self.recorded}` serves them")
        verdict = "all checks passed" if self.ok else f"{len(self.failed)} check(s) failed: " + ", ".join(
            c.name for c in self.failed)
        lines.append(verdict + ("" if self.ok else "; `%powerclerk support` writes a ticket-ready report"))
        # rebuilt now: it also masks what the process learnt since the report began (the tokens fetched)
        return Redactor(self.redactor.values, tokens=True).redact("\n".join(lines))

    def _repr_markdown_(self) -> str:
        return "```\n" + str(self) + "\n```"


class _ProbeCredentials(Credentials):
    """Credentials that let doctor send even without an API key, so the server's answer shows it."""

    def require(self) -> None:
        pass


def _probe_creds(creds: Credentials) -> Credentials:
    fields = {n: getattr(creds, n) for n in ("api_key", "client_id", "client_secret", "mfa_totp_secret",
                                             "mfa_session_token", "mfa_one_time_code")}
    probe = _ProbeCredentials(**fields, sources=dict(creds.sources))
    return probe


def _host_port(url: str) -> tuple[str, int, str]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80), parts.scheme


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class Doctor:
    def __init__(self, settings: Settings, credentials: Credentials, program: str | None = None,
                 client_factory: Callable[[Settings, Credentials], PowerClerkClient] | None = None,
                 since_days: int = 30, keep_bodies: bool = False):
        self.settings, self.creds = settings, credentials
        self.program = program or settings.program
        # few, short retries: doctor reports a 429 or a 503 instead of waiting out a gateway's Retry-After
        self.factory = client_factory or (lambda s, c: PowerClerkClient(s, c, max_attempts=2, backoff_cap=2.0,
                                                                        max_retry_after=5.0))
        self.since_days, self.keep_bodies = since_days, keep_bodies
        self.report = DoctorReport(settings.environment, settings.base_url or "", settings.token_url or "",
                                   self.program)
        self.report.redactor = Redactor(credentials.secret_values(),
                                        [(credentials.client_id, credentials.client_secret)], tokens=True)
        self.client: PowerClerkClient | None = None
        self.token: dict[str, Any] = {}

    # ---- what pcnb verified itself ---------------------------------------------------------------
    def _key_sent(self) -> str:
        key = self.creds.api_key
        if not key:
            return "no API key is configured, so no X-ApiKey value was sent (set PCNB_API_KEY)"
        return (f"X-ApiKey was sent on every call ({len(key)} characters, from "
                f"{self.creds.sources.get('api_key', '?')}); whether it is the right value only the server knows")

    def _scheme_sent(self) -> str:
        kind = self.token.get("token_type")
        if not self.token:
            return "no token was obtained, so no Authorization header could be sent"
        return f"Authorization: Bearer <token> was sent (token endpoint issued token_type {kind!r})"

    def _mfa_sent(self) -> str:
        mode = self.creds.mfa_mode
        if mode == "none":
            return "no MFA is configured: no Mfa-One-Time-Password or Mfa-Session-Token header was sent"
        if mode == "totp":
            return ("a fresh Mfa-One-Time-Password from the TOTP secret was sent with each call "
                    "(computed from this machine's clock; see the clock check)")
        if mode == "session":
            return "Mfa-Session-Token was sent (tokens are made in the PowerClerk UI and last up to 24 h)"
        return "the one-time code typed in was sent as Mfa-One-Time-Password (valid for 30 s)"

    def add(self, *args: Any, **kw: Any) -> Check:
        c = Check(*args, **kw)
        mask = self.report.redactor.redact  # what a gateway or a URL setting put in a message stays out
        c.seen, c.hint = mask(c.seen), mask(c.hint)
        c.checklist = [(item, mask(verified)) for item, verified in c.checklist]
        self.report.checks.append(c)
        return c

    # ---- checks ----------------------------------------------------------------------------------
    def run(self) -> DoctorReport:
        self._safely("config", self.check_config, None)
        reachable = self._safely("dns", self.check_dns, False) & self._safely("tls", self.check_tls, False)
        if reachable and self._safely("token", self.check_token, False) and self.client is not None:
            self.client.trace.keep_bodies = self.keep_bodies
            if self._safely("api_key", self.check_api, False):
                if self._safely("programs", self.check_programs, False):
                    self._safely("admin", self.check_admin, None)
                    project = self._safely("projects", self.check_projects, None)
                    self._safely("history", lambda: self.check_history(project), None)
                    self._safely("sensitive", lambda: self.check_sensitive(project), None)
            self._safely("rate", self.check_rate, None)
            self._safely("clock", self.check_clock, None)
            self.report.calls = self.client.calls
            self.report.drift = self.client.drift.summary()
            self.report.admin = self.client.is_admin
            session = getattr(self.client.http.transport, "session", None)
            if session is not None:
                session.close()  # doctor's client is its own: leave no connection open
        else:
            self.report.drift = "not checked (no API call could be made)"
            session = getattr(self.client.http.transport, "session", None) if self.client else None
            if session is not None:
                session.close()
        return self.report

    def _safely(self, name: str, check: Callable[[], Any], failed: Any) -> Any:
        """Run one check; whatever it raises becomes that check's diagnosis (doctor exists for the
        servers and gateways that answer what pcnb does not expect), and the run goes on."""
        try:
            return check()
        except Exception as exc:  # noqa: BLE001 - a diagnosis, never a traceback
            self.add(name, FAIL, f"could not be checked: the answer is not one pcnb reads ({type(exc).__name__}: "
                     f"{exc})"[:300], "a server or a gateway in front of it answers outside the V2 contract; "
                     "`pcnb doctor --record DIR` saves the answers and `pcnb support` writes the ticket")
            return failed

    def check_config(self) -> None:
        missing = [n for n in ("api_key", "client_id", "client_secret") if not getattr(self.creds, n)]
        where = ", ".join(f"{k} from {v}" for k, v in self.creds.sources.items())
        if missing:
            env = ", ".join(f"PCNB_{n.upper()}" for n in missing)
            items = [(KEY_SET_UP, "cannot verify the server side; no key is configured here"),
                     (KEY_SENT, self._key_sent())] if "api_key" in missing else []
            self.add("config", FAIL, f"missing credential(s): {', '.join(missing)}" + (f" (have {where})"
                     if where else ""), f"set {env}, store them from the login panel, or use the sandbox", items)
        else:
            self.add("config", PASS, f"credentials: {where}; MFA: {self.creds.mfa_mode}")

    def check_dns(self) -> bool:
        ok = True
        seen = []
        for what, url in (("API", self.report.base_url), ("token", self.report.token_url)):
            host, port, _ = _host_port(url)
            try:
                addrs = sorted({str(a[4][0]) for a in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)})
                seen.append(f"{what} host {host} -> {', '.join(addrs[:3])}")
            except (OSError, UnicodeError) as exc:
                ok = False
                seen.append(f"{what} host {host!r} does not resolve ({exc})")
        self.add("dns", PASS if ok else FAIL, "; ".join(seen),
                 "" if ok else "check the base_url/token_url settings (PCNB_BASE_URL, PCNB_TOKEN_URL), the "
                 "network, VPN or proxy; the documented hosts are api.powerclerk.com / identity.powerclerk.com "
                 "(trial: *.cleanpowerdemo.com)")
        return ok

    def check_tls(self) -> bool:
        ok = True
        seen = []
        for host, port, scheme in dict.fromkeys(_host_port(u) for u in (self.report.base_url, self.report.token_url)):
            if scheme != "https":
                if _loopback(host):
                    seen.append(f"{host}:{port} plain HTTP (loopback sandbox: no TLS needed)")
                else:
                    ok = False
                    seen.append(f"{host}:{port} is plain HTTP: credentials would travel unencrypted")
                continue
            try:
                ctx = ssl.create_default_context()
                with socket.create_connection((host, port), timeout=self.settings.timeout) as sock, \
                        ctx.wrap_socket(sock, server_hostname=host) as tls:
                    cert = tls.getpeercert() or {}
                    expires = ssl.cert_time_to_seconds(str(cert.get("notAfter"))) if cert.get("notAfter") else None
                    days = f", certificate valid {int((expires - time.time()) // 86400)} more day(s)" if expires \
                        else ""
                    seen.append(f"{host}:{port} {tls.version()}{days}")
            except (OSError, ssl.SSLError) as exc:
                ok = False
                seen.append(f"{host}:{port} TLS failed: {type(exc).__name__}: {exc}"[:200])
        self.add("tls", PASS if ok else FAIL, "; ".join(seen),
                 "" if ok else "use https:// URLs; a TLS failure behind a corporate proxy needs its CA "
                 "(REQUESTS_CA_BUNDLE)")
        return ok

    def check_token(self) -> bool:
        url = self.report.token_url
        if not (self.creds.client_id and self.creds.client_secret):
            self.add("token", SKIP, "no client id/secret configured, no token fetched")
            return False
        basic = base64.b64encode(f"{self.creds.client_id}:{self.creds.client_secret}".encode()).decode()
        self.client = self.client or self.factory(self.settings, _probe_creds(self.creds))
        probe = WireRequest("POST", url, content=urlencode({"grant_type": "client_credentials"}).encode(),
                            headers={"Authorization": f"Basic {basic}", "Accept": "application/json",
                                     "Content-Type": "application/x-www-form-urlencoded"}, name="token")
        try:  # through the client's transport, as every call: the fake transport can play any token endpoint
            resp = self.client.http.transport.probe(probe, self.settings.timeout)
        except ConnectionFailed as exc:
            self.add("token", FAIL, f"POST {url} got no answer ({exc})",
                     "check the token URL (PCNB_TOKEN_URL), network and proxy")
            return False
        rid = resp.request_id
        try:
            body = json.loads(resp.content)
        except (ValueError, RecursionError):
            body = None
        if resp.status >= 500 or resp.status == 429:
            self.add("token", FAIL, f"POST {url} answered {resp.status} {resp.reason or ''}".rstrip()
                     + (": the identity server (or a gateway in front of it) is failing" if resp.status >= 500
                        else ": the token endpoint is rate-limiting this client"),
                     "retry in a few minutes; if it persists, give PowerClerk support the request id "
                     "(`pcnb support` writes the ticket)", request_id=rid)
            return False
        if resp.status == 404 or (resp.status >= 400 and not isinstance(body, dict)):
            self.add("token", FAIL, f"POST {url} answered {resp.status}: no token endpoint at this path",
                     "set the token URL of your environment (setting token_url / PCNB_TOKEN_URL; documented: "
                     "https://identity.powerclerk.com/connect/token, trial "
                     "https://identity.cleanpowerdemo.com/PCITrial/connect/token)", request_id=rid)
            return False
        if resp.status >= 400:
            error = (body or {}).get("error") or (body or {}).get("message") or resp.reason
            self.add("token", FAIL, f"the token endpoint refused the client credentials: {resp.status} {error}",
                     "check PCNB_CLIENT_ID / PCNB_CLIENT_SECRET for this environment (PowerClerk: My Account > "
                     "Manage API Credentials); trial and production credentials differ",
                     [(KEY_SET_UP, "pcnb cannot see the key set-up; the client id/secret pair was refused")],
                     request_id=rid)
            return False
        answer = read_token(body)
        self.token = {k: v for k, v in body.items() if k != "access_token"} if isinstance(body, dict) else {}
        if answer.field == "token_type":
            self.add("token", FAIL, answer.shown + ": " + answer.problem,
                     "Basic is V1's scheme, Bearer V2's: point token_url / PCNB_TOKEN_URL at the V2 identity "
                     "endpoint (…/connect/token of your environment)", [(AUTH_SCHEME, self._scheme_sent())],
                     request_id=rid)
            self.token = {}
            return False
        if answer.problem:
            self.add("token", FAIL, f"POST {url} answered {resp.status} with {answer.shown}: {answer.problem}",
                     "check the token URL (PCNB_TOKEN_URL); a gateway in front of the identity server must pass "
                     "its answer through unchanged", request_id=rid)
            self.token = {}
            return False
        self._token_at = time.monotonic()
        if answer.warning:
            self.add("token", WARN, f"{answer.shown} ({answer.warning})",
                     "tokens are re-fetched 60 s before expiry; a very short lifetime costs extra token calls",
                     request_id=rid)
        else:
            self.add("token", PASS, answer.shown, request_id=rid)
        return True

    def _just_issued(self) -> float | None:
        """Seconds since the token check got a usable token, if that token cannot have expired yet
        (the client re-fetched once after the 401 too: pcnb.api.channel)."""
        at = getattr(self, "_token_at", None)
        if at is None:
            return None
        age = time.monotonic() - at
        lifetime = read_token({"access_token": "x", "token_type": "Bearer", **self.token}).lifetime
        return age if age < min(lifetime or 3600, 3600) - 60 or age < 60 else None

    def _failure(self, exc: PowerClerkError) -> tuple[str, str | None]:
        if isinstance(exc, ApiError):
            return f"{exc.status} {exc.message}", exc.request_id
        if isinstance(exc, ContractMismatch):
            return f"contract mismatch: {exc.message}", exc.request_id
        return str(exc).splitlines()[0], None

    def _auth_failure(self, name: str, exc: ApiError) -> None:
        """Match a 401/403 to the vendor's checklist, narrowed by the server's message when it says more."""
        msg, rid = f"{exc.status} {exc.message}", exc.request_id
        low = exc.message.lower()
        if exc.status == 401:
            if "program" in low:
                self.add(name, FAIL, msg + ": the user is not allowed on this program",
                         "ask a program admin to grant your API user access to the program (and its projects)",
                         [(PROGRAM_ACCESS, f"the credentials work elsewhere; this program "
                           f"({self.program}) refused them")], rid)
            elif "apikey" in low or "api key" in low or not self.creds.api_key:
                self.add(name, FAIL, msg + ": the API key was refused",
                         "set PCNB_API_KEY to the key PowerClerk shows for this API user (My Account > Manage "
                         "API Credentials); keys of trial and production differ",
                         [(KEY_SET_UP, "cannot verify: it is set up on the server side"),
                          (KEY_SENT, self._key_sent())], rid)
            elif self._just_issued() is not None:
                age = self._just_issued()
                self.add("bearer" if name == "api_key" else name, FAIL,
                         f"{msg}: a bearer token the token endpoint issued {age:.0f} s earlier was refused, and so "
                         "was a fresh one: the token is revoked right after issue",
                         "the token endpoint and the API disagree about the tokens: check that PCNB_TOKEN_URL and "
                         "PCNB_BASE_URL belong to the same environment, or ask the gateway's operator why it "
                         "revokes new tokens", [(AUTH_SCHEME, self._scheme_sent())], rid)
            elif "bearer" in low or "token" in low or "authorization" in low:
                self.add(name, FAIL, msg + ": the bearer token was refused",
                         "check the token URL belongs to the same environment as the API base URL",
                         [(AUTH_SCHEME, self._scheme_sent())], rid)
            else:
                self.add(name, FAIL, msg, "work through the vendor's 401 checklist below",
                         [(KEY_SET_UP, "cannot verify: it is set up on the server side"), (PROGRAM_ACCESS, ""),
                          (KEY_SENT, self._key_sent()), (AUTH_SCHEME, self._scheme_sent())], rid)
            return
        if "mfa" in low or "one-time" in low or "session token" in low:
            if self.creds.mfa_mode == "none":
                self.add(name, FAIL, msg + ": MFA is enabled for this API user and no MFA header was sent",
                         "set PCNB_MFA_TOTP_SECRET (the authenticator's secret key) or PCNB_MFA_SESSION_TOKEN "
                         "(made in PowerClerk under My Account > Manage API Credentials)",
                         [(MFA_VALID, self._mfa_sent())], rid)
            else:
                self.add(name, FAIL, msg + f": the MFA {self.creds.mfa_mode} was refused",
                         "check the TOTP secret (and this machine's clock) or make a new MFA session token",
                         [(MFA_VALID, self._mfa_sent())], rid)
        elif "sensitive" in low:
            self.add(name, FAIL, msg + ": the sensitive-data privilege is missing",
                     "ask a program admin for the sensitive-data privilege (it also needs MFA), or read without "
                     "reveal_sensitive_data", [(SENSITIVE, "pcnb sent reveal_sensitive_data=true on one "
                                                          "GetProjectData call only"), (MFA_VALID, self._mfa_sent())],
                     rid)
        else:
            self.add(name, FAIL, msg, "work through the vendor's 403 checklist below",
                     [(SENSITIVE, ""), (MFA_VALID, self._mfa_sent())], rid)

    def check_api(self) -> bool:
        """X-ApiKey acceptance and MFA (GetPrograms): the first API call."""
        assert self.client is not None
        try:
            resp = self.client.programs()
        except ApiError as exc:
            if exc.status == 403 and "sensitive" not in exc.message.lower():
                self.add("api_key", PASS, "X-ApiKey and bearer token accepted (the 403 is about MFA)",
                         request_id=exc.request_id)
                self._auth_failure("mfa", exc)
            elif exc.status in (401, 403):
                self._auth_failure("api_key", exc)
            else:
                msg, rid = self._failure(exc)
                self.add("api_key", FAIL, f"GetPrograms: {msg}", exc.hint, request_id=rid)
            return False
        except PowerClerkError as exc:
            msg, rid = self._failure(exc)
            self.add("api_key", FAIL, f"GetPrograms: {msg}", exc.hint, request_id=rid)
            return False
        self.add("api_key", PASS, "X-ApiKey and bearer token accepted (GetPrograms 200)", request_id=resp.request_id)
        mode = self.creds.mfa_mode
        self.add("mfa", PASS, "MFA not configured and not required" if mode == "none"
                 else f"MFA {mode} accepted (or not required for this user)")
        self._programs = resp.get("Programs") or []
        return True

    def check_programs(self) -> bool:
        visible = [str(p.get("ProgramId")) for p in self._programs]
        names = ", ".join(f"{p.get('ProgramId')} ({p.get('Name')})" for p in self._programs) or "none"
        if self.program is None:
            if len(visible) == 1:
                self.program = self.report.program = visible[0]
            else:
                self.add("programs", FAIL if not visible else WARN, f"visible programs: {names}",
                         "choose one with --program" if visible else "ask a program admin to add your API user",
                         [(PROGRAM_ACCESS, "GetPrograms lists no program for this user")] if not visible else [])
                return False  # no single program to check further
        custom = {str(p.get("CustomId")) for p in self._programs}
        if self.program not in visible and self.program not in custom:
            self.add("programs", FAIL, f"program {self.program} is not visible to this user (visible: {names})",
                     "check the program id (PCNB_PROGRAM), or ask a program admin to grant your API user access",
                     [(PROGRAM_ACCESS, f"verified: GetPrograms does not list {self.program}")])
            return False
        self.add("programs", PASS, f"program {self.program} visible ({len(visible)} visible: {names})")
        return True

    def check_admin(self) -> None:
        assert self.client is not None and self.program
        try:
            resp = self.client.status_list(self.program)
            self.client.is_admin = True
            self.add("admin", PASS, f"admin of the program (GetStatusList 200, {len(resp.get('Statuses') or [])} "
                     "statuses)", request_id=resp.request_id)
        except ApiError as exc:
            if exc.status == 403:
                self.client.is_admin = False
                self.add("admin", WARN, f"not an admin of the program (GetStatusList {exc.status})",
                         "status histories, inquiry threads and admin writes need an admin API user; sync still "
                         "lists projects", request_id=exc.request_id)
            elif exc.status == 401:
                self._auth_failure("admin", exc)
            else:
                self.add("admin", FAIL, f"GetStatusList: {exc.status} {exc.message}", exc.hint,
                         request_id=exc.request_id)
        except PowerClerkError as exc:
            msg, rid = self._failure(exc)
            self.add("admin", FAIL, f"GetStatusList: {msg}", exc.hint, request_id=rid)

    def check_projects(self) -> str | None:
        assert self.client is not None and self.program
        since = clock.now().replace(microsecond=0) - timedelta(days=self.since_days)
        limit = min(100, self.settings.page_limit)
        try:
            resp = self.client.projects(self.program, changed_since=since, limit=limit)
        except PowerClerkError as exc:
            self._listing_failed(exc, "; if the server wants another changed_since format, set changed_since_format")
            return None
        items = resp.get("Projects") or []
        window = f"the last {self.since_days} days"
        if items:
            self.add("projects", PASS, f"{len(items)} project(s) changed in {window} (one page, limit {limit})"
                     + _stamp(resp), request_id=resp.request_id)
            return str(items[0]["ProjectId"])
        return self._listing_page(window, limit)

    def _listing_failed(self, exc: PowerClerkError, on_400: str) -> None:
        if isinstance(exc, ApiError) and exc.status in (401, 403):
            self._auth_failure("projects", exc)
            return
        if isinstance(exc, ApiError):
            self.add("projects", FAIL, f"GetProjects: {exc.status} {exc.message}",
                     exc.hint + (on_400 if exc.status == 400 else ""), request_id=exc.request_id)
            return
        msg, rid = self._failure(exc)
        self.add("projects", FAIL, f"GetProjects: {msg}", exc.hint, request_id=rid)

    def _listing_page(self, window: str, limit: int) -> str | None:
        """Nothing changed in the window: the listing's contract is still checked, on its first page.

        A quiet program (a closed intake, a test program, a sandbox whose history ended weeks ago) is not
        a connection fault, so it passes when the listing answers with projects; only a listing that shows
        no project at all, which is what access groups hiding every project look like, is a warning."""
        assert self.client is not None and self.program
        try:
            resp = self.client.projects(self.program, limit=limit)
        except PowerClerkError as exc:  # the same diagnosis as on the windowed call, and what was asked
            self._listing_failed(exc, f" (no project changed in {window}, so this was the listing's first page)")
            return None
        items = resp.get("Projects") or []
        if not items:
            self.add("projects", WARN, f"no project changed in {window}, and the full listing shows none"
                     + _stamp(resp), "access groups may hide every project from this user (GetProjects only "
                     "returns what the caller may see), or the program has no project yet",
                     request_id=resp.request_id)
            return None
        changes = [str(p["LastChangeTimestamp"]) for p in items if p.get("LastChangeTimestamp")]
        newest = f", newest change on it {max(changes, key=_instant)}" if changes else ""
        self.add("projects", PASS, f"no project changed in {window}; checked the listing on its first page "
                 f"instead ({len(items)} project(s), limit {limit}{newest})" + _stamp(resp),
                 request_id=resp.request_id)
        return str(items[0]["ProjectId"])

    def check_history(self, project: str | None) -> None:
        assert self.client is not None and self.program
        if project is None or self.client.is_admin is False:
            self.add("history", SKIP, "no project to read" if project is None else "admin-only (not an admin)")
            return
        try:
            resp = self.client.status_history(self.program, project)
        except ApiError as exc:
            if exc.status in (401, 403):
                self._auth_failure("history", exc)
            else:
                self.add("history", FAIL, f"GetProjectStatusHistory: {exc.status} {exc.message}", exc.hint,
                         request_id=exc.request_id)
            return
        except PowerClerkError as exc:
            msg, rid = self._failure(exc)
            self.add("history", FAIL, f"GetProjectStatusHistory: {msg}", exc.hint, request_id=rid)
            return
        entries = resp.get("StatusHistory") or []
        self.add("history", PASS, f"{len(entries)} status change(s) for project {project}",
                 request_id=resp.request_id)
        self._timestamps = [e.get("Timestamp") for e in entries]

    def check_sensitive(self, project: str | None) -> None:
        assert self.client is not None and self.program
        if project is None:
            self.add("sensitive", SKIP, "no project to read")
            return
        try:
            forms = self.client.forms(self.program).get("Forms") or []
            if not forms:
                self.add("sensitive", SKIP, "no form visible to this user")
                return
            resp = self.client.project_data(self.program, project, str(forms[0]["FormId"]),
                                            reveal_sensitive_data=True)
        except ApiError as exc:
            if exc.status in (401, 403):
                self._auth_failure("sensitive", exc)
                self.report.checks[-1].result = WARN  # only needed for reveal_sensitive_data=true
            else:
                self.add("sensitive", WARN, f"{exc.status} {exc.message}", exc.hint, request_id=exc.request_id)
            return
        except PowerClerkError as exc:
            msg, rid = self._failure(exc)
            self.add("sensitive", FAIL, msg, exc.hint, request_id=rid)
            return
        self.add("sensitive", PASS, "reveal_sensitive_data=true allowed (privilege and MFA in place)",
                 request_id=resp.request_id)

    def check_rate(self) -> None:
        assert self.client is not None
        got_429 = self.client.http.count_429
        budget = self.client.budget
        snap = str(budget.snapshot()) if budget is not None else "no local budget"
        remaining = [c.response_headers.get(h) for c in self.client.trace.snapshot()
                     for h in ("x-ratelimit-remaining", "ratelimit-remaining") if c.response_headers.get(h)]
        seen = f"{got_429} answer(s) 429 during doctor; local budget: {snap}"
        if remaining:
            seen += f"; server says remaining {remaining[-1]}"
        self.add("rate", FAIL if got_429 else PASS, seen,
                 "another process or machine uses this key: the limit (60/min) is per API key; share the budget "
                 "(same cache dir) or wait" if got_429 else "")

    def check_clock(self) -> None:
        assert self.client is not None
        dated = [c for c in self.client.trace.snapshot() if c.response_headers.get("date")]
        if not dated:
            self.add("clock", SKIP, "no answer carried a Date header")
            return
        last = dated[-1]
        server = read_date(last.response_headers["date"])
        local = datetime.fromtimestamp(last.started + last.elapsed_ms / 2000, UTC)
        skew = skew_seconds(local, server)
        if skew is None:
            self.add("clock", WARN, server.note + "; the clock was not compared",
                     "a gateway rewrites the Date header: TOTP and changed_since depend on the clocks agreeing, "
                     "so check this machine's clock (NTP) yourself")
            return
        offsets = sorted({t.isoformat()[-6:] for t in (self._parsed(x) for x in getattr(self, "_timestamps", []))
                          if t is not None})
        seen = f"local clock {skew:+.1f} s vs the server's Date header" + (f" ({server.note})" if server.note else "")
        if offsets:
            seen += f"; server timestamps carry offset(s) {', '.join(offsets)}"
        bad = abs(skew) > SKEW_LIMIT_S + 1  # Date has 1 s resolution
        self.add("clock", FAIL if bad else PASS, seen,
                 "synchronise this machine's clock (NTP): TOTP one-time passwords and changed_since depend on it"
                 if bad else "")

    @staticmethod
    def _parsed(text: Any) -> datetime | None:
        try:
            return parse_timestamp(text) if isinstance(text, str) else None
        except ValueError:
            return None


def _stamp(resp: Any) -> str:
    ts = resp.get("RequestTimestamp")
    return f"; RequestTimestamp {ts}" if ts else ""


def _instant(text: str) -> datetime:
    """A V2 timestamp as an instant for ordering (offsets differ between entries); unparsable ones sort first."""
    try:
        parsed = parse_timestamp(text)
    except (ValueError, TypeError):
        parsed = None
    if parsed is None:
        return datetime.min.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def run_doctor(settings: Settings, credentials: Credentials, program: str | None = None,
               record: str | Path | None = None, **kw: Any) -> DoctorReport:
    """Run every check; ``record``: also save the answers seen (redacted) in that folder."""
    doctor = Doctor(settings, credentials, program, keep_bodies=record is not None, **kw)
    report = doctor.run()
    if record is not None and doctor.client is not None:
        from pcnb.diagnostics.recording import save_recording

        report.recorded = save_recording(doctor.client, Path(record))
    return report
