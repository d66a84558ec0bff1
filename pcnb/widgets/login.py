"""The login panel: stock ipywidgets (JupyterLab, Notebook 7, VS Code).

A widget's ``value`` is a synced trait: JupyterLab saves it into the notebook whenever widget
state is saved (its "Save Widget State Automatically" setting, autosave included). So a secret
never stays in one: the secret fields sync only when the user leaves the field
(``continuous_update=False``, so nothing is synced while typing), and the kernel moves the value
into a kernel-side holder and blanks the field in the same event-loop turn. The holder is emptied
on every change of environment (the MFA value also on a change of MFA mode), on connect and on
failure, and the panel says so each time. The status line says who is connected or the error with
its request id.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from pcnb.api.auth import Credentials, remember
from pcnb.errors import PowerClerkError

ENVIRONMENTS = [("Sandbox (synthetic, no credentials)", "sandbox"), ("PCI Trial", "trial"),
                ("Production", "production"), ("Custom URLs", "custom")]
SECRET_FIELDS = ("api_key", "client_secret", "mfa_value")
MFA_MODES = [("No MFA", "none"), ("TOTP secret", "totp"), ("One-time code", "code"), ("Session token", "session")]


class LoginPanel:
    """``LoginPanel(session).widget`` is what ``%powerclerk login`` displays."""

    def __init__(self, session: Any):
        self.session = session
        style = {"description_width": "110px"}
        layout = w.Layout(width="460px")
        self.environment = w.Dropdown(options=ENVIRONMENTS, value="sandbox", description="Environment", style=style,
                                      layout=layout)
        self.base_url = w.Text(description="API base URL", style=style, layout=layout)
        self.token_url = w.Text(description="Token URL", style=style, layout=layout)
        self.program = w.Text(description="Program id", placeholder="(optional)", style=style, layout=layout)
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
        self.status = w.HTML(value="<i>not connected</i>")
        self.custom_box = w.VBox([self.base_url, self.token_url])
        self.creds_box = w.VBox([self.api_key, self.client_id, self.client_secret, self.mfa_mode, self.mfa_value,
                                 self.remember])
        self.environment.observe(lambda _: self._changed("environment", SECRET_FIELDS), names="value")
        self.mfa_mode.observe(lambda _: self._changed("MFA mode", ("mfa_value",)), names="value")
        self.connect.on_click(lambda _: self.submit())
        self.widget = w.VBox([w.HTML("<b>PowerClerk login</b>"), self.environment, self.custom_box, self.program,
                              self.creds_box, self.connect, self.status])
        self._layout()

    def _layout(self) -> None:
        env = self.environment.value
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
        creds.sources = {k: "login panel" for k in ("api_key", "client_id", "client_secret") if getattr(creds, k)}
        return creds

    def submit(self) -> None:
        from pcnb.api.client import PowerClerkClient
        from pcnb.config import Settings
        from pcnb.workspace import Workspace

        env = self.environment.value
        program = self.program.value.strip() or None
        creds = None if env == "sandbox" else self._take_secrets()
        self.status.value = "<i>connecting…</i>"
        try:
            if self.session.workspace is not None:
                self.session.workspace.close()
                self.session.workspace = None
            if env == "sandbox":
                ws = Workspace.open("sandbox", program)
            else:
                assert creds is not None
                creds.require()
                settings = Settings(environment=env, base_url=self.base_url.value.strip() or None,
                                    token_url=self.token_url.value.strip() or None, program=program)
                ws = Workspace(PowerClerkClient(settings, creds), program)
                if self.remember.value:
                    remember(creds, env)
        except PowerClerkError as exc:
            cleared = "" if creds is None else ("<br><i>The secrets you typed were cleared (they are never kept in the "
                                                "panel); type them again after fixing the problem.</i>")
            self.status.value = (f"<span style='color:#b00'>{html.escape(str(exc))}</span>".replace("\n", "<br>")
                                 + cleared)
            return
        self.session.workspace = ws
        budget = ws.client.budget.snapshot() if ws.client.budget else "no budget"
        self.status.value = (f"<span style='color:#070'>connected</span> to <b>{html.escape(env)}</b> "
                             f"({html.escape(str(ws.client.settings.base_url))}), program "
                             f"<b>{html.escape(ws.program or '')}</b> · rate budget: {html.escape(str(budget))}")


def text_fallback() -> str:
    """What ``%powerclerk login`` prints when no widget front end is available."""
    return ("No widget front end here. Set PCNB_API_KEY, PCNB_CLIENT_ID, PCNB_CLIENT_SECRET (and "
            "PCNB_MFA_TOTP_SECRET or PCNB_MFA_SESSION_TOKEN) in the environment, then run "
            "`%powerclerk connect --env trial` (or production); or `%powerclerk connect --sandbox`.")
