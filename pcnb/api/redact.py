"""Containers whose repr never shows a secret: error trackers and debuggers record the locals of
every frame of a traceback, so a request's headers must not be a plain dict there."""

from __future__ import annotations

from pcnb.contract import API_KEY_HEADER, MFA_OTP_HEADER, MFA_SESSION_HEADER

SECRET_HEADERS = frozenset(h.lower() for h in (API_KEY_HEADER, MFA_OTP_HEADER, MFA_SESSION_HEADER,
                                               "Authorization", "Cookie"))


class SecretHeaders(dict[str, str]):
    """Request headers; ``repr``/``str`` mask the API key, MFA and Authorization values."""

    def __repr__(self) -> str:
        shown = {k: ("***" if k.lower() in SECRET_HEADERS else v) for k, v in self.items()}
        return f"SecretHeaders({shown!r})"

    __str__ = __repr__
