"""The login panel: stock ipywidgets (JupyterLab, Notebook 7, VS Code).

A widget's ``value`` is a synced trait: JupyterLab saves it into the notebook whenever widget
state is saved (its "Save Widget State Automatically" setting, autosave included). So a secret
never stays in one: the secret fields sync only when the user leaves the field
(``continuous_update=False``, so nothing is synced while typing), and the kernel moves the value
into a kernel-side holder and blanks the field in the same event-loop turn. The holder is emptied
on every change of environment (the MFA value also on a change of MFA mode), on connect and on
failure, and the panel says so each time.

A connection is swapped only once the new one works: a failed Connect leaves the previous
workspace in use (and says so), because losing a working session to a typo costs a re-sync.
Settings come from the normal loader (``PCNB_*`` variables, ``[tool.pcnb]``) with the panel's
fields on top, so a panel login behaves like ``%powerclerk connect``; the panel also starts from them
(environment, Program id, custom URLs; never a secret).
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlsplit

import ipywidgets as w

from pcnb.api.auth import Credentials, remember
from pcnb.errors import ConfigError, MfaRequired, NotFound, PowerClerkError, TransportError
from pcnb.widgets.login_text import describe, facts, sandbox_note, sandbox_users

ENVIRONMENTS = [("Sandbox (synthetic, no credentials)", "sandbox"), ("PCI Trial", "trial"),
                ("Production", "production"), ("Custom URLs", "custom")]
SECRET_FIELDS = ("api_key", "client_secret", "mfa_value")
MFA_MODES = [("No MFA", "none"), ("TOTP secret", "totp"), ("One-time code", "code"), ("Session token", "session")]
FIELD_LABELS = {"api_key": "API key", "client_id": "Client id", "client_secret": "Client secret"}


def starting_values() -> tuple[dict[str, str], str | None]:
    """The panel's first choices, from the settings loader (``PCNB_*``, ``[tool.pcnb]``): the
    environment, Program id and (custom) URLs -- never a secret, which is no setting.

    Why: a notebook run with PCNB_ENVIRONMENT=trial and PCNB_PROGRAM set opened on Sandbox with an
    empty Program id, so a Connect went to another environment than ``%powerclerk connect`` does.
    Settings that do not load start the panel on Sandbox, with a line saying what to fix."""
    from pcnb.config import load_settings

    try:
        s = load_settings()
    except PowerClerkError as exc:
        return {"environment": "sandbox"}, (f"the PCNB_* / [tool.pcnb] settings were not used: {exc.message}"
                                            + (f" ({exc.hint})" if exc.hint else "") + "; starting on Sandbox")
    values = {"environment": s.environment, "program": s.program or ""}
    if s.environment == "custom":  # a URL with user:password@ is not shown: the fields are saved
        values |= {k: v for k in ("base_url", "token_url")
                   if (v := getattr(s, k) or "") and "@" not in urlsplit_netloc(v)}
    return values, None


class LoginPanel:
    """``LoginPanel(session).widget`` is what ``%powerclerk login`` displays."""

    def __init__(self, session: Any):
        self.session = session
        style = {"description_width": "110px"}
        layout = w.Layout(width="460px")
        start, problem = starting_values()
        self.environment = w.Dropdown(options=ENVIRONMENTS, value=start["environment"], description="Environment",
                                      style=style, layout=layout)
        self.sandbox_user = w.Dropdown(options=sandbox_users(), value="admin", description="Sandbox user",
                                       style=style, layout=layout)
        self.sandbox_note = w.HTML(value=sandbox_note(), layout=w.Layout(width="460px"))
        self.base_url = w.Text(value=start.get("base_url", ""), description="API base URL", style=style,
                               layout=layout)
        self.token_url = w.Text(value=start.get("token_url", ""), description="Token URL", style=style,
                                layout=layout)
        self.program = w.Text(value=start.get("program", ""), description="Program id", placeholder="(optional)",
                              style=style, layout=layout)
        self.api_key = w.Password(description="API key", style=style, layout=layout, continuous_update=False)
        self.client_id = w.Text(description="Client id", style=style, layout=layout)
        self.client_secret = w.Password(description="Client secret", style=style, layout=layout,
                                        continuous_update=False)
        self.mfa_mode = w.Dropdown(options=MFA_MODES, value="none", description="MFA", style=style, layout=layout)
        self.mfa_value = w.Password(description="MFA value", style=style, layout=layout, continuous_update=False)
        self._held: dict[str, str] = {}  # secrets moved out of the synced traits; never shown, never saved
        for name in SECRET_FIELDS:
            getattr(self, name).observe(lambda change, n=name: self._hold(n, change["new"]), names="value")
        self.remember = w.Checkbox(description="Remember in the OS keyring", value=False, indent=False)
        self.connect = w.Button(description="Connect", button_style="primary", icon="plug")
        self.disconnect = w.Button(description="Disconnect", icon="power-off", disabled=session.workspace is None,
                                   tooltip="close the current connection (the local cache stays on disk)")
        self.status = w.HTML(value="<i>not connected</i>" if problem is None else
                             f"<span style='color:#b00'>{html.escape(problem, quote=False)}</span>")
        self.who = w.HTML(value=describe(session.workspace) if session.workspace is not None else "")
        self.sandbox_box = w.VBox([self.sandbox_user, self.sandbox_note])
        self.custom_box = w.VBox([self.base_url, self.token_url])
        self.creds_box = w.VBox([self.api_key, self.client_id, self.client_secret, self.mfa_mode, self.mfa_value,
                                 self.remember])
        self.environment.observe(lambda _: self._changed("environment", SECRET_FIELDS), names="value")
        self.mfa_mode.observe(lambda _: self._changed("MFA mode", ("mfa_value",)), names="value")
        self.connect.on_click(lambda _: self.submit())
        self.disconnect.on_click(lambda _: self.close_connection())
        self.widget = w.VBox([w.HTML("<b>PowerClerk login</b>"), self.environment, self.custom_box, self.program,
                              self.creds_box, self.sandbox_box, w.HBox([self.connect, self.disconnect]),
                              self.status, self.who])
        self._layout()

    def _layout(self) -> None:
        env = self.environment.value
        self.sandbox_box.layout.display = "" if env == "sandbox" else "none"
        self.custom_box.layout.display = "" if env == "custom" else "none"
        self.creds_box.layout.display = "none" if env == "sandbox" else ""

    def _hold(self, name: str, value: str) -> None:
        """Move a typed secret out of its synced trait at once; the field shows that it was received."""
        if not value:
            return
        self._held[name] = value.strip()
        field = getattr(self, name)
        field.value = ""
        field.placeholder = "received (hidden); type again to replace"

    def _forget(self, names: tuple[str, ...] = SECRET_FIELDS) -> list[str]:
        dropped = [getattr(self, n).description for n in names if self._held.pop(n, None)]
        for name in names:
            getattr(self, name).placeholder = ""
        return dropped

    def _changed(self, what: str, names: tuple[str, ...]) -> None:
        self._layout()
        dropped = self._forget(names)
        if dropped:
            self.status.value = (f"<i>{html.escape(what)} changed: the {html.escape(', '.join(dropped))} you typed "
                                 "were cleared; type them again for this choice</i>")

    def _take_secrets(self) -> Credentials:
        """Take the held secrets (emptying the holder); fields still holding text are blanked too."""
        for name in SECRET_FIELDS:
            self._hold(name, getattr(self, name).value)
        held, _ = dict(self._held), self._forget()
        creds = Credentials(api_key=held.get("api_key") or None, client_id=self.client_id.value.strip() or None,
                            client_secret=held.get("client_secret") or None)
        value, mode = held.get("mfa_value", ""), self.mfa_mode.value
        if value and mode == "totp":
            creds.mfa_totp_secret = value
        elif value and mode == "session":
            creds.mfa_session_token = value
        elif value and mode == "code":
            creds.mfa_one_time_code = value
        creds.sources = {k: f"the login panel's {label} field" for k, label in FIELD_LABELS.items()
                         if getattr(creds, k)}
        mfa = ("mfa_totp_secret", "mfa_session_token", "mfa_one_time_code")
        creds.sources.update({k: "the login panel's MFA value field" for k in mfa if getattr(creds, k)})
        return creds

    def _check_urls(self) -> str | None:
        """Custom URLs: both given, both http(s); else what to type where."""
        with_password = [f for f in (self.base_url, self.token_url) if "@" in urlsplit_netloc(f.value)]
        for field in with_password:
            field.value = ""  # a password in a URL would be saved with the notebook's widget state
        if with_password:
            return (f"the {' and '.join(f.description for f in with_password)} field(s) held a user name or password "
                    "(user:password@...): cleared, as these fields are saved with the notebook; type the URL "
                    "without it and click Connect")
        for field in (self.base_url, self.token_url):
            value = field.value.strip()
            if not value:
                return (f"the {field.description} field is empty: type the URL (e.g. https://.../services/v2 and "
                        "https://.../connect/token), or choose PCI Trial / Production, then click Connect")
            if not value.startswith(("http://", "https://")):
                return f"the {field.description} {value!r} is not a URL: it must start with https:// (or http://)"
            try:
                parts = urlsplit(value)
                host, _ = parts.hostname, parts.port  # .port raises on a port that is not a number in range
            except ValueError as exc:
                return f"the {field.description} {value!r} is not a valid URL ({exc}): correct it and click Connect"
            if not host:
                return f"the {field.description} {value!r} has no host name: correct it and click Connect"
        return None

    def _check_typed(self, creds: Credentials) -> None:
        """Missing fields, named as the panel shows them (not as PCNB_* variables)."""
        missing = [label for k, label in FIELD_LABELS.items() if not getattr(creds, k)]
        if missing:
            raise ConfigError(f"missing credential(s): {', '.join(missing)}",
                              f"type the {', '.join(missing)} in the panel's field(s) above and click Connect "
                              "(or choose Sandbox to try pcnb without credentials)")
        if self.mfa_mode.value != "none" and not (creds.mfa_totp_secret or creds.mfa_session_token
                                                  or creds.mfa_one_time_code):
            raise ConfigError(f"MFA is set to {dict((v, k) for k, v in MFA_MODES)[self.mfa_mode.value]} but the "
                              "MFA value field is empty", "type it in MFA value and click Connect, or choose No MFA")

    def _open(self, env: str, program: str | None, creds: Credentials | None) -> Any:
        """The new workspace, built from the normal settings (PCNB_*, [tool.pcnb]) plus the panel's fields."""
        from pcnb.api.client import PowerClerkClient
        from pcnb.config import load_settings
        from pcnb.workspace import Workspace

        if env == "sandbox":
            return Workspace.open("sandbox", program, role=self.sandbox_user.value)
        assert creds is not None
        self._check_typed(creds)
        creds.require()
        custom = env == "custom"  # the URL fields are hidden (and ignored) for PCI Trial and Production
        settings = load_settings(environment=env, base_url=self.base_url.value.strip() or None if custom else None,
                                 token_url=self.token_url.value.strip() or None if custom else None, program=program)
        return Workspace(PowerClerkClient(settings, creds), settings.program, settings.store_path)

    def submit(self) -> None:
        """Connect: the button is disabled until the attempt ends, and the old connection is closed
        only once the new one works."""
        env = self.environment.value
        program = self.program.value.strip() or None
        problem = self._check_urls() if env == "custom" else None
        if problem:  # before the secrets are taken: what was typed stays held for the next click
            self.status.value = (f"<span style='color:#b00'>{html.escape(problem, quote=False)}</span><br><i>The "
                                 "secrets you typed are kept (hidden) for the next Connect.</i>")
            return
        creds = None if env == "sandbox" else self._take_secrets()
        self.connect.disabled = self.disconnect.disabled = True
        self.connect.description = "Connecting…"
        self.status.value = "<i>connecting… (the Connect button is off until this attempt ends)</i>"
        try:
            ws = None
            try:
                ws = self._open(env, program, creds)
                known = facts(ws)  # a workspace that was built but cannot answer is not a connection
            except Exception as exc:  # noqa: BLE001 -- any failure must end the attempt visibly, not "connecting…"
                if ws is not None:
                    ws.close()
                if not isinstance(exc, PowerClerkError):
                    exc = PowerClerkError(f"{type(exc).__name__}: {exc}",
                                          "check the panel's fields (Program id, URLs) and the PCNB_* settings "
                                          "(e.g. PCNB_STORE_PATH in a folder that exists), then click Connect")
                self._failed(exc, creds)
                return
            old = self.session.workspace
            self.session.opened(ws)  # current, and recorded for `%powerclerk connections`
            if old is not None:
                old.close()
            cleared = "" if creds is None else " The secrets you typed were used and cleared from the panel."
            if creds is not None and self.remember.value:  # only credentials that worked are kept
                cleared += self._remember(creds, env)
            self.status.value = (f"<span style='color:#070'>connected</span> to <b>{html.escape(env)}</b>"
                                 + (" (replacing the previous connection)" if old is not None else "")
                                 + f".{cleared} Click Disconnect to close it.")
            self.who.value = describe(ws, known)
        finally:
            self.connect.description = "Connect"
            self.connect.disabled = False
            self.disconnect.disabled = self.session.workspace is None

    @staticmethod
    def _remember(creds: Credentials, env: str) -> str:
        try:
            stored = remember(creds, env)
        except PowerClerkError as exc:
            return f" Not saved in the OS keyring: {html.escape(str(exc), quote=False)}."
        return (f" Saved in the OS keyring: {html.escape(', '.join(stored))}." if stored
                else " The OS keyring is not usable here: nothing was saved.")

    def _failed(self, exc: PowerClerkError, creds: Credentials | None) -> None:
        if isinstance(exc, MfaRequired) and creds is not None:
            exc.hint = ("this API user has MFA on: choose MFA = TOTP secret (or Session token / One-time code), "
                        "type it in the MFA value field and click Connect")
        elif isinstance(exc, NotFound) and self.environment.value == "custom":
            exc.hint = ("check the API base URL field: it is the address of the API, ending in /services/v2 "
                        "(not a page of the PowerClerk web site); correct it and click Connect")
        elif isinstance(exc, TransportError) and self.environment.value == "custom":
            field = "Token URL" if "token endpoint" in exc.message else "API base URL"
            exc.hint = f"check the {field} field and the network/VPN, then click Connect"
        text = f"<span style='color:#b00'>{html.escape(str(exc), quote=False)}</span>".replace("\n", "<br>")
        if creds is not None:
            text += ("<br><i>The secrets you typed were cleared (they are never kept in the panel); type them again "
                     "after fixing the problem, then click Connect.</i>")
        if self.session.workspace is not None:
            text += ("<br><b>The previous connection is still in use</b> (shown below); nothing was closed.")
        self.status.value = text

    def close_connection(self) -> None:
        """Disconnect: close the workspace (its HTTP session and cache file; the cache stays on disk)."""
        ws = self.session.workspace
        if ws is None:
            self.status.value = "<i>not connected: nothing to disconnect. Click Connect to connect.</i>"
            self.disconnect.disabled = True
            return
        where = f"{ws.client.settings.environment}, program {ws.program}"
        path = ws.store.where
        ws.close()
        self.session.closed()
        self.disconnect.disabled = True
        self.who.value = ""
        self.status.value = (f"<i>disconnected from {html.escape(where)}; the local cache stays in "
                             f"{html.escape(path)}. Click Connect to connect again.</i>")


def urlsplit_netloc(value: str) -> str:
    """The host part of a typed URL (between :// and the next /), without parsing (which may fail)."""
    rest = value.strip().split("://", 1)[-1]
    return rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]


def text_fallback() -> str:
    """What ``%powerclerk login`` prints when no widget front end is available."""
    return ("No widget front end here. Set PCNB_API_KEY, PCNB_CLIENT_ID, PCNB_CLIENT_SECRET (and "
            "PCNB_MFA_TOTP_SECRET or PCNB_MFA_SESSION_TOKEN) in the environment, then run "
            "`%powerclerk connect --env trial` (or production); or `%powerclerk connect --sandbox`.")
