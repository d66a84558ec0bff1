"""What the login panel says: who is connected, and what the sandbox accepts.

Separate from the panel's controls so the wording is testable without widgets. PowerClerk's API
has no who-am-I call: "who" is what the client can learn cheaply -- the role from one
GetStatusList (admin or not), the MFA mode and credential sources from the Credentials, the
program's name from GetPrograms -- and the sandbox's demo user when pcnb serves the program.
"""

from __future__ import annotations

import html
from typing import Any

from pcnb.errors import PowerClerkError, redact_url

MFA_WORDS = {"none": "off", "totp": "on (TOTP secret)", "session": "on (session token)",
             "one-time code": "on (one-time code)"}


def _demo_users() -> dict[str, Any]:
    from pcnb.sandbox.identity import demo_users

    return demo_users()


def sandbox_users() -> list[tuple[str, str]]:
    """(label, role) of the sandbox's demo users, for the panel's Sandbox user choice."""
    out = []
    for role, user in _demo_users().items():
        what = "admin" if user.admin else "non-admin"
        if user.totp_secret:
            what += ", MFA by TOTP"
        out.append((f"{role}: {user.name} ({what})", role))
    return out


def sandbox_note() -> str:
    """Shown while Sandbox is chosen: what it is and which demo logins it accepts."""
    rows = "".join(f"<li><b>{html.escape(role)}</b>: {html.escape(u.name)} &lt;{html.escape(u.email)}&gt;, "
                   f"{'admin' if u.admin else 'non-admin (sees only its own projects; no admin-only calls)'}"
                   f"{', MFA on (TOTP secret and a session token)' if u.totp_secret else ''}</li>"
                   for role, u in _demo_users().items())
    return ("<small>The sandbox is a PowerClerk emulator on this machine (127.0.0.1) with synthetic projects; "
            "nothing leaves the computer. It accepts these demo users, whose API key, client id/secret and MFA "
            "secret are made fresh at each start and filled in for you (no typing), so none is shown here:"
            f"<ul>{rows}</ul>Choose one as Sandbox user and click Connect. To log in to the same sandbox by hand "
            "(Custom URLs), start it with <code>pcnb sandbox</code>: it prints where its connection file with "
            "these credentials is.</small>")


def facts(ws: Any) -> dict[str, Any]:
    """Verify a fresh connection and learn who it is (two calls: GetPrograms, GetStatusList).

    Raises the PowerClerkError of a connection that does not work (wrong secret, MFA, URL)."""
    programs = ws.client.programs().get("Programs") or []
    name = next((str(p.get("Name") or "") for p in programs if str(p.get("ProgramId")) == ws.program), "")
    is_admin = ws.client.detect_role(ws.program)
    return {"program_name": name, "admin": is_admin}


def describe(ws: Any, known: dict[str, Any] | None = None) -> str:
    """The "who is connected" block: user, role, MFA, environment, program, credentials, budget, cache."""
    known = known or {}
    s, creds = ws.client.settings, ws.client.credentials
    user = "the owner of the API key (the API has no who-am-I call)"
    handle = getattr(ws, "sandbox_handle", None)
    if handle is not None:
        for u in handle.users.values():
            if u.api_key == creds.api_key:
                user = f"{u.name} &lt;{u.email}&gt; (sandbox demo user)"
    admin = known.get("admin", ws.client.is_admin)
    role = "unknown" if admin is None else ("admin" if admin else "non-admin (admin-only calls are refused)")
    program = ws.program + (f" — {known['program_name']}" if known.get("program_name") else "")
    sources = sorted(set(creds.sources.values())) or ["(none)"]
    try:
        budget = str(ws.client.budget.snapshot()) if ws.client.budget else "no budget"
    except PowerClerkError:
        budget = "unknown"
    rows = [("User", user), ("Role", html.escape(role)), ("MFA", html.escape(MFA_WORDS.get(creds.mfa_mode, "?"))),
            ("Environment", f"{html.escape(s.environment)} ({html.escape(redact_url(str(s.base_url)))})"),
            ("Program", html.escape(program)), ("Credentials from", html.escape(", ".join(sources))),
            ("Rate budget", html.escape(budget)), ("Cache", html.escape(ws.store.where))]
    body = "".join(f"<tr><td style='padding-right:1em'><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"
