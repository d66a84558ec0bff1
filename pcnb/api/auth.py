"""Credentials (explicit > environment > keyring), OAuth 2.0 client credentials and MFA headers.

Why this shape: secrets must never land in cell source, outputs, logs or exceptions, so they live
only in a ``Credentials`` object whose repr/str show *where* each value came from, never the value.
Token handling is authlib's (fetch, cache, re-fetch 60 s before expiry); MFA adds a fresh pyotp
code to every request, or a session token, or a one-time code typed by the user.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from dataclasses import dataclass, field

import pyotp

from pcnb import redact
from pcnb.contract import MFA_OTP_HEADER, MFA_SESSION_HEADER
from pcnb.errors import ConfigError

SECRET_FIELDS = ("api_key", "client_id", "client_secret", "mfa_totp_secret", "mfa_session_token",
                 "mfa_one_time_code")
ENV_VARS = {name: f"PCNB_{name.upper()}" for name in SECRET_FIELDS if name != "mfa_one_time_code"}
KEYRING_SERVICE = "pcnb"


BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
MIN_TOTP_BYTES = 10  # 80 bits: the 16-character secrets many authenticator set-ups show


class _TOTP(pyotp.TOTP):
    """pyotp's TOTP (RFC 6238) without its own key-length policy (112 bits, from NIST SP 800-63B).

    The secret is issued by PowerClerk, not chosen here: an 80-bit one the server accepts must
    give codes, so pcnb checks the length itself (``normalize_totp_secret``) and lets pyotp compute.
    """

    def byte_secret(self) -> bytes:
        return base64.b32decode(self.secret + "=" * (-len(self.secret) % 8))


def totp(secret: str) -> pyotp.TOTP:
    return _TOTP(normalize_totp_secret(secret))


def normalize_totp_secret(raw: str) -> str:
    """The secret as authenticator apps show it (groups separated by spaces or hyphens, any case,
    optional '=' padding) -> canonical base32; a ConfigError naming the true problem otherwise."""
    text = re.sub(r"[\s-]+", "", raw).upper().rstrip("=")
    hint = "copy the secret key from your authenticator set-up (letters A-Z and digits 2-7), not a 6-digit code"
    if re.fullmatch(r"\d{6,8}", text):
        raise ConfigError("the MFA TOTP secret looks like a one-time code, not the secret", hint)
    bad = sorted(set(text) - set(BASE32))
    if bad:
        raise ConfigError(f"the MFA TOTP secret has characters base32 never uses: {' '.join(bad)}", hint)
    try:
        key = base64.b32decode(text + "=" * (-len(text) % 8))
    except binascii.Error:
        raise ConfigError(f"the MFA TOTP secret has {len(text)} characters, a length no base32 text has "
                          "(a character is missing or extra)", hint) from None
    if len(key) < MIN_TOTP_BYTES:
        raise ConfigError(f"the MFA TOTP secret is {len(text) * 5} bits; TOTP secrets are at least 80 bits "
                          "(16 base32 characters)", hint)
    return text


@dataclass(repr=False, eq=False)
class Credentials:
    """Secrets for one environment. ``repr`` and ``str`` never show a value."""

    api_key: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    mfa_totp_secret: str | None = None
    mfa_session_token: str | None = None
    mfa_one_time_code: str | None = None
    sources: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, values: dict[str, str], source: str) -> Credentials:
        """From a mapping such as the sandbox's demo credentials; only known, non-empty fields."""
        picked = {k: values[k] for k in SECRET_FIELDS if values.get(k)}
        return cls(**picked, sources={k: source for k in picked})

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}=<from {v}>" for k, v in self.sources.items())
        return f"Credentials({shown or 'empty'})"

    __str__ = __repr__

    def __getstate__(self) -> dict[str, str]:
        raise TypeError("Credentials cannot be pickled: secrets must not be written anywhere")

    @property
    def mfa_mode(self) -> str:
        if self.mfa_totp_secret:
            return "totp"
        if self.mfa_session_token:
            return "session"
        if self.mfa_one_time_code:
            return "one-time code"
        return "none"

    def where(self, name: str) -> str:
        """Where the user fixes ``name``: the place its value came from when that was not the
        environment (e.g. "the login panel's Client secret field"), else its PCNB_* variable."""
        source = self.sources.get(name, "")
        if source and not source.startswith("PCNB_") and source not in ("keyring", "argument"):
            return source
        return ENV_VARS.get(name, name)

    def require(self) -> None:
        missing = [n for n in ("api_key", "client_id", "client_secret") if not getattr(self, n)]
        if missing:
            envs = ", ".join(ENV_VARS[n] for n in missing)
            raise ConfigError(f"missing credential(s): {', '.join(missing)}",
                              f"set {envs} in the environment, store them in the keyring from the "
                              "login panel, or use the sandbox (%powerclerk connect --sandbox)")
        if self.mfa_totp_secret:
            self.mfa_totp_secret = normalize_totp_secret(self.mfa_totp_secret)
        redact.register(*self.secret_values())  # errors and log records of this process mask them

    def mfa_headers(self) -> dict[str, str]:
        """Headers for one request; a TOTP code is computed fresh each time."""
        if self.mfa_totp_secret:
            return {MFA_OTP_HEADER: totp(self.mfa_totp_secret).now()}
        if self.mfa_session_token:
            return {MFA_SESSION_HEADER: self.mfa_session_token}
        if self.mfa_one_time_code:
            return {MFA_OTP_HEADER: self.mfa_one_time_code}
        return {}

    def secret_values(self) -> list[str]:
        """The actual secret strings, for scrubbing and leak scans (never for display)."""
        return [v for v in (getattr(self, n) for n in SECRET_FIELDS) if v]


def _keyring_get(environment: str, name: str) -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, f"{environment}:{name}")
    except (KeyringError, RuntimeError):
        return None  # no usable backend on this machine: the keyring is optional


def remember(creds: Credentials, environment: str) -> list[str]:
    """Store the credentials in the OS keyring; returns the names stored."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError as exc:
        raise ConfigError("the keyring package is not installed", "pip install keyring") from exc
    stored = []
    for name in ENV_VARS:
        value = getattr(creds, name)
        if value:
            try:
                keyring.set_password(KEYRING_SERVICE, f"{environment}:{name}", value)
            except (KeyringError, RuntimeError) as exc:
                raise ConfigError(f"no usable keyring backend ({type(exc).__name__})",
                                  "use environment variables instead, or install a keyring backend") from exc
            stored.append(name)
    return stored


def forget(environment: str) -> list[str]:
    """Remove what ``remember`` stored for ``environment`` from the OS keyring; returns the names
    removed (empty: nothing was stored). Environment variables are not touched: pcnb never set them."""
    try:
        import keyring
        from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError
    except ImportError as exc:
        raise ConfigError("the keyring package is not installed, so pcnb stored nothing there",
                          "nothing to forget; credentials in PCNB_* variables are removed by unsetting them") from exc
    removed = []
    for name in ENV_VARS:
        entry = f"{environment}:{name}"
        try:
            if keyring.get_password(KEYRING_SERVICE, entry) is None:
                continue
            keyring.delete_password(KEYRING_SERVICE, entry)
        except PasswordDeleteError:
            continue  # gone between the two calls: nothing left to remove
        except NoKeyringError:
            return []  # no backend on this machine: `remember` cannot have stored anything either
        except (KeyringError, RuntimeError) as exc:
            raise ConfigError(f"the keyring refused to remove {KEYRING_SERVICE}/{entry} ({type(exc).__name__}: {exc})",
                              "unlock the keyring (or check its backend with `keyring --list-backends`) and retry"
                              ) from exc
        removed.append(name)
    return removed


def resolve_credentials(environment: str = "production", use_keyring: bool = True,
                        **explicit: str | None) -> Credentials:
    """Build Credentials from explicit args > PCNB_* env > keyring, recording each source."""
    unknown = set(explicit) - set(SECRET_FIELDS)
    if unknown:
        raise TypeError(f"unknown credential(s) {sorted(unknown)}")
    creds = Credentials()
    for name in SECRET_FIELDS:
        value, source = explicit.get(name), "argument"
        if not value and name in ENV_VARS:
            value, source = os.environ.get(ENV_VARS[name]), ENV_VARS[name]
        if not value and use_keyring and name in ENV_VARS:
            value, source = _keyring_get(environment, name), "keyring"
        if value:
            setattr(creds, name, value.strip())
            creds.sources[name] = source
    return creds
