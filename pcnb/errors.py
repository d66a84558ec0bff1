"""Exception tree of pcnb. Every error says what was wrong and how to fix it.

::

    PowerClerkError
    ├── InputError (+ ValueError)    bad input rejected before any call
    │   └── IrreversibleUnconfirmed  a write with no undo, not confirmed by naming its environment
    ├── ConfigError                  missing/invalid settings or credentials
    ├── StoreError                   the store (cache file or a team's PostgreSQL store) failed
    ├── TransportError               no usable answer: connection dropped, timeout, refused
    ├── ContractMismatch             a 2xx answer whose shape differs from the modelled contract
    └── ApiError                     the server answered with an error status
        ├── BadRequest (400)
        │   └── ValidationError      400 with a list of field errors
        ├── AuthError (401)          also a token-endpoint refusal (invalid_client)
        ├── Forbidden (403)
        │   └── MfaRequired          403 about MFA
        ├── NotFound (404)
        ├── RateLimited (429)        carries retry_after
        └── ServerError (5xx)

ApiError carries the HTTP status, method, URL (secrets redacted), the ``x-amzn-RequestId`` that
PowerClerk support asks for, the server's message and a one-line fix hint drawn from the vendor's
troubleshooting guide.
"""

from __future__ import annotations

from pcnb.redact import SECRET_PARAMS as SECRET_PARAMS  # re-exported: their home is pcnb.redact
from pcnb.redact import redact
from pcnb.redact import redact_url as redact_url


class PowerClerkError(Exception):
    """Base of every pcnb error."""

    hint: str = ""

    def __init__(self, message: str, hint: str | None = None):
        message = redact(message)  # a server's message or an exception text may quote a URL or a secret
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = redact(hint)

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.hint}" if self.hint else self.message


class InputError(PowerClerkError, ValueError):
    """Bad input caught before any API call (nothing was sent, nothing changed)."""


class IrreversibleUnconfirmed(InputError):
    """A plan holds operations no undo can take back, and the caller did not name the environment
    they go to (nothing was sent; the plan stays ready)."""


class ConfigError(PowerClerkError):
    """Missing or invalid settings or credentials."""


class StoreError(PowerClerkError):
    """The store (this user's cache file or a team's PostgreSQL store) could not be read or written."""


class TransportError(PowerClerkError):
    """The request got no usable answer (dropped connection, timeout, refused)."""

    hint = "check the network/VPN and the base URL; the call is safe to retry if it was a read"


class ContractMismatch(PowerClerkError):
    """A successful answer lacks a required field or has one of another type (pcnb.api.drift)."""

    hint = ("the server's answer differs from the contract pcnb models (powerclerk-v2.md); run "
            "`pcnb doctor --record DIR` and report it with the request id (`pcnb support` writes the ticket)")

    def __init__(self, endpoint: str, field: str, expected: str, seen: str, request_id: str | None = None):
        super().__init__(f"{endpoint}: field {field} expected {expected}, saw {seen}")
        self.endpoint, self.field, self.expected, self.seen = endpoint, field, expected, seen
        self.request_id = request_id

    def __str__(self) -> str:
        rid = f" (x-amzn-RequestId: {self.request_id})" if self.request_id else ""
        return f"contract mismatch: {self.message}{rid}\n  fix: {self.hint}"

    def __reduce__(self) -> tuple[type, tuple[str, str, str, str, str | None]]:
        return type(self), (self.endpoint, self.field, self.expected, self.seen, self.request_id)


class ApiError(PowerClerkError):
    """The API answered with an error status."""

    status: int = 0
    hint = "include the request id when you contact PowerClerk support"

    def __init__(self, message: str, *, status: int | None = None, method: str = "", url: str = "",
                 request_id: str | None = None, errors: list[str] | None = None, hint: str | None = None):
        super().__init__(message, hint)
        if status is not None:
            self.status = status
        self.method, self.url = method, redact_url(url)
        self.request_id = request_id
        self.errors = [redact(e) for e in errors or []]

    def __str__(self) -> str:
        head = f"{self.status} {self.message}"
        if self.method:
            head += f" [{self.method} {self.url}]"
        if self.request_id:
            head += f" (x-amzn-RequestId: {self.request_id})"
        lines = [head, *(f"  - {e}" for e in self.errors)]
        if self.hint:
            lines.append(f"  fix: {self.hint}")
        return "\n".join(lines)


class BadRequest(ApiError):
    status = 400
    hint = "check ids, date formats (yyyy-MM-dd) and the body shape against the form schema"


class ValidationError(BadRequest):
    hint = "correct the listed field values (see the form schema: types, choices, min/max)"


class AuthError(ApiError):
    status = 401
    hint = ("is an API key set up for your user and sent as X-ApiKey, and are the client id/secret "
            "and bearer token correct for this environment?")


class Forbidden(ApiError):
    status = 403
    hint = ("your role lacks permission (admin-only method, sensitive data without the privilege, "
            "or a project/form your access group cannot see)")


class MfaRequired(Forbidden):
    hint = ("MFA is enabled for this API user: set PCNB_MFA_TOTP_SECRET or PCNB_MFA_SESSION_TOKEN "
            "(session tokens are made in PowerClerk under My Account > Manage API Credentials)")


class NotFound(ApiError):
    status = 404
    hint = ("check the id (custom ids and project numbers work too; a project has no number "
            "before its first submit) and that your access group can see it")


class RateLimited(ApiError):
    status = 429
    hint = "the key's budget is 60 operations/minute; wait and resume (a sync resumes where it stopped)"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object):
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ServerError(ApiError):
    status = 500
    hint = "a server-side failure; retry later, and give support the request id if it persists"


def error_for(status: int, message: str, **kw: object) -> ApiError:
    """Map an HTTP status (and message) to the most specific class."""
    if status == 400:
        cls: type[ApiError] = ValidationError if kw.get("errors") else BadRequest
    elif status == 401:
        cls = AuthError
    elif status == 403:
        cls = MfaRequired if "mfa" in message.lower() else Forbidden
    elif status == 404:
        cls = NotFound
    elif status == 429:
        cls = RateLimited
    elif status >= 500:
        cls = ServerError
    else:
        cls = ApiError
    return cls(message, status=status, **kw)  # type: ignore[arg-type]
