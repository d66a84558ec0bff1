"""How ``pcnb doctor`` reads what a server -- or a gateway in front of it -- answers: the Date header
and the token endpoint's answer. Any text may arrive there; each function returns what it could
read and, when it could not, why in words, never an exception.

Why its own module: a gateway answered ``Date: Sun, 06 Dec 2026 02:32:53 -0000`` (RFC 5322's "zone
unknown", which Python reads as a naive time) and doctor crashed subtracting it from an aware one;
``access_token: 12345`` passed the token check and broke the first API call. These readers are
fuzzed with hypothesis against the sandbox's gateway quirks (tests/api/test_doctor_gateway.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any


@dataclass(frozen=True)
class ServerDate:
    """A Date header read as an instant; ``note`` says what was assumed (or why it is unreadable)."""

    when: datetime | None
    note: str = ""


def read_date(text: str) -> ServerDate:
    """An HTTP Date header as an aware UTC instant. ``-0000`` (and any date without a zone pcnb
    knows) is read as UTC, as RFC 5322 means it; a text no parser reads, or a date outside what a
    clock can hold, is ``when=None`` with the reason."""
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        return ServerDate(None, f"unreadable Date header {text!r} ({type(exc).__name__})")
    if parsed is None:
        return ServerDate(None, f"unreadable Date header {text!r}")
    note = ""
    if parsed.tzinfo is None:
        parsed, note = parsed.replace(tzinfo=UTC), f"Date {text!r} has no time zone; read as UTC"
    try:
        return ServerDate(parsed.astimezone(UTC), note)
    except (OverflowError, ValueError):
        return ServerDate(None, f"Date header {text!r} is not a time a clock can hold")


def skew_seconds(local: datetime, server: ServerDate) -> float | None:
    """local - server in seconds, or None when the server's date is unreadable or absurd."""
    if server.when is None:
        return None
    try:
        return (local - server.when).total_seconds()
    except OverflowError:
        return None


@dataclass(frozen=True)
class TokenAnswer:
    """What a V2 token answer says; ``problem``: why V2 cannot use it (empty: usable);
    ``warning``: usable, but costly (a short or unreadable lifetime)."""

    kind: str
    lifetime: float | None
    shown: str
    problem: str = ""
    warning: str = ""
    field: str = ""  # the field the problem is in: access_token, token_type, expires_in (or "" for the body)


def read_token(body: Any) -> TokenAnswer:
    """Check a token endpoint's JSON answer the way pcnb's OAuth client will use it."""
    if not isinstance(body, dict):
        return TokenAnswer("", None, f"an answer that is not a JSON object ({type(body).__name__})",
                           "the token endpoint answered something that is not a token")
    token, kind, expires = body.get("access_token"), body.get("token_type"), body.get("expires_in")
    lifetime = _seconds(expires)
    shown = f"token_type {kind}, expires_in " + (f"{expires}s" if lifetime is not None else repr(expires))
    if not isinstance(token, str) or not token:
        what = "no access_token" if token in (None, "") else f"an access_token that is a {type(token).__name__}"
        return TokenAnswer(str(kind), None, shown, f"the answer carries {what}, not a token", field="access_token")
    if not isinstance(kind, str) or kind.lower() != "bearer":
        return TokenAnswer(str(kind), None, shown, "V2 calls need a Bearer token", field="token_type")
    if expires is not None and lifetime is None:
        return TokenAnswer(kind, None, shown, f"expires_in {expires!r} is not a number of seconds, so no "
                                              "client can tell when to fetch the next token", field="expires_in")
    if lifetime is None or lifetime < 120:
        return TokenAnswer(kind, lifetime, shown, warning="the documented lifetime is 3600 s")
    return TokenAnswer(kind, lifetime, shown)


def _seconds(value: Any) -> float | None:
    """expires_in as a number of seconds, else None: what the OAuth client (authlib: ``int(value)``)
    can read -- an int, a finite float or a string of digits; not a bool, not "3600.5"."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(int(value))
    except (ValueError, OverflowError):
        return None
