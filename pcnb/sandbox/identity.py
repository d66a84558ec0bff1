"""Sandbox identity: demo users, OAuth tokens, API keys, MFA and the per-key rate limit.

Credentials are random per sandbox start (so secret-scanning tests use real, unguessable values)
unless given; they are handed to the caller through SandboxHandle / the connection file.
"""

from __future__ import annotations

import base64
import math
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import pyotp

from pcnb.sandbox.generator import APPLICANT_EMAIL
from pcnb.sandbox.models import SandboxError


@dataclass
class User:
    name: str
    email: str
    admin: bool
    client_id: str
    client_secret: str
    api_key: str
    sensitive: bool = False
    totp_secret: str | None = None
    mfa_session_tokens: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "email": self.email, "admin": self.admin, "sensitive": self.sensitive}


def demo_users() -> dict[str, User]:
    """admin, applicant (non-admin) and mfa (admin with TOTP + a session token)."""
    def user(name: str, email: str, admin: bool, role: str, **extra: Any) -> User:
        return User(name, email, admin, client_id=f"sandbox-{role}-{secrets.token_hex(3)}",
                    client_secret=secrets.token_urlsafe(24), api_key=secrets.token_hex(16), **extra)
    mfa = user("Morgan Secure", "secure@utility.example", True, "mfa", sensitive=True,
               totp_secret=pyotp.random_base32())
    mfa.mfa_session_tokens.add(secrets.token_urlsafe(24))
    return {
        "admin": user("Avery Admin", "admin@utility.example", True, "admin"),
        "applicant": user("Sam Installer", APPLICANT_EMAIL, False, "applicant"),
        "mfa": mfa,
    }


class RateLimit:
    """Sliding-window limit per API key [assumed]; 429 with Retry-After seconds when exceeded."""

    def __init__(self, limit: int = 60, period: float = 60.0):
        self.limit, self.period = limit, period
        self.windows: dict[str, deque[float]] = {}
        self.lock = threading.Lock()
        self.rejected = 0
        self.accepted = 0

    def hit(self, key: str) -> None:
        now = time.monotonic()
        with self.lock:
            window = self.windows.setdefault(key, deque())
            while window and window[0] <= now - self.period:
                window.popleft()
            if len(window) >= self.limit:
                self.rejected += 1
                wait = max(1, math.ceil(window[0] + self.period - now))
                raise SandboxError(429, "Too Many Requests", headers={"Retry-After": str(wait)})
            window.append(now)
            self.accepted += 1


class Identity:
    """Token issue/validation, API key and MFA checks."""

    def __init__(self, users: dict[str, User] | None = None, token_lifetime: int = 3600):
        self.users = users or demo_users()
        self.token_lifetime = token_lifetime
        self.tokens: dict[str, tuple[User, float]] = {}
        self.lock = threading.Lock()

    def issue(self, authorization: str | None, form: dict[str, str]) -> dict[str, Any]:
        """POST connect/token with Basic client auth and grant_type=client_credentials [doc]."""
        if form.get("grant_type") != "client_credentials":
            raise SandboxError(400, "unsupported_grant_type", body={"error": "unsupported_grant_type"})
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        if authorization and authorization.lower().startswith("basic "):
            try:
                raw = base64.b64decode(authorization[6:]).decode()
                client_id, _, client_secret = raw.partition(":")
            except (ValueError, UnicodeDecodeError):
                client_id = None
        user = next((u for u in self.users.values() if u.client_id == client_id), None)
        if user is None or not secrets.compare_digest(user.client_secret, client_secret or ""):
            raise SandboxError(400, "invalid_client", body={"error": "invalid_client"})
        token = secrets.token_urlsafe(32)
        with self.lock:
            self.tokens[token] = (user, time.time() + self.token_lifetime)
        return {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"}

    def revoke(self, token: str) -> None:
        with self.lock:
            self.tokens.pop(token, None)

    def revoke_all(self) -> int:
        with self.lock:
            n = len(self.tokens)
            self.tokens.clear()
        return n

    def authenticate(self, api_key: str | None, authorization: str | None,
                     otp: str | None, session_token: str | None) -> User:
        """401 for key/token problems, 403 for MFA problems [doc troubleshooting]."""
        if not api_key:
            raise SandboxError(401, "Unauthorized: the X-ApiKey header is missing")
        if not any(secrets.compare_digest(u.api_key, api_key) for u in self.users.values()):
            raise SandboxError(401, "Unauthorized: the X-ApiKey value is not a valid API key")
        if not authorization or not authorization.startswith("Bearer "):
            raise SandboxError(401, "Unauthorized: the Authorization: Bearer <token> header is missing")
        entry = self.tokens.get(authorization[7:])
        if entry is None:
            raise SandboxError(401, "Unauthorized: the bearer token is invalid or has been revoked")
        user, expires = entry
        if time.time() >= expires:
            raise SandboxError(401, "Unauthorized: the bearer token has expired")
        if not secrets.compare_digest(user.api_key, api_key):
            raise SandboxError(401, "Unauthorized: the API key does not belong to the authenticated user")
        if user.totp_secret:
            if otp:
                if not pyotp.TOTP(user.totp_secret).verify(otp, valid_window=1):
                    raise SandboxError(403, "Forbidden: the MFA one-time password is invalid or expired")
            elif session_token:
                if session_token not in user.mfa_session_tokens:
                    raise SandboxError(403, "Forbidden: the MFA session token is invalid or expired")
            else:
                raise SandboxError(403, "Forbidden: MFA is enabled for this API user; send "
                                        "Mfa-One-Time-Password or Mfa-Session-Token")
        return user

    @staticmethod
    def check_reveal(user: User, otp: str | None, session_token: str | None) -> None:
        """reveal_sensitive_data=true needs MFA and the sensitive-data privilege [doc]."""
        if not user.sensitive:
            raise SandboxError(403, "Forbidden: your role lacks the sensitive-data privilege")
        if not (user.totp_secret and (otp or session_token)):
            raise SandboxError(403, "Forbidden: reveal_sensitive_data=true requires MFA")
