"""The login panel: stock ipywidgets (JupyterLab, Notebook 7, VS Code).

Secrets are read once and the fields are cleared at that moment, before any network call, so a
notebook saved after logging in holds no secret in widget state or outputs. The status line says
who is connected to which environment and the rate budget, or the error with its request id.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from pcnb.api.auth import Credentials, remember
from pcnb.errors import PowerClerkError

ENVIRONMENTS = [("Sandbox (synthetic, no credentials)", "sandbox"), ("PCI Trial", "trial"),
                ("Production", "production"), ("Custom URLs", "custom")]
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
        self.api_key = w.Password(description="API key", style=style, layout=layout)
        self.client_id = w.Text(description="Client id", style=style, layout=layout)
        self.client_secret = w.Password(description="Client secret", style=style, layout=layout)
        self.mfa_mode = w.Dropdown(options=MFA_MODES, value="none", description="MFA", style=style, layout=layout)
        self.mfa_value = w.Password(description="MFA value", style=style, layout=layout)
        self.remember = w.Checkbox(description="Remember in the OS keyring", value=False, indent=False)
        self.connect = w.Button(description="Connect", button_style="primary", icon="plug")
        self.status = w.HTML(value="<i>not connected</i>")
        self.custom_box = w.VBox([self.base_url, self.token_url])
        self.creds_box = w.VBox([self.api_key, self.client_id, self.client_secret, self.mfa_mode, self.mfa_value,
                                 self.remember])
        self.environment.observe(lambda _: self._layout(), names="value")
        self.connect.on_click(lambda _: self.submit())
        self.widget = w.VBox([w.HTML("<b>PowerClerk login</b>"), self.environment, self.custom_box, self.program,
                              self.creds_box, self.connect, self.status])
        self._layout()

    def _layout(self) -> None:
        env = self.environment.value
        self.custom_box.layout.display = "" if env == "custom" else "none"
        self.creds_box.layout.display = "none" if env == "sandbox" else ""

    def _take_secrets(self) -> Credentials:
        """Read every secret field once and clear it immediately."""
        creds = Credentials(api_key=self.api_key.value.strip() or None, client_id=self.client_id.value.strip() or None,
                            client_secret=self.client_secret.value.strip() or None)
        value, mode = self.mfa_value.value.strip(), self.mfa_mode.value
        if value and mode == "totp":
            creds.mfa_totp_secret = value
        elif value and mode == "session":
            creds.mfa_session_token = value
        elif value and mode == "code":
            creds.mfa_one_time_code = value
        self.api_key.value = self.client_secret.value = self.mfa_value.value = ""
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
            self.status.value = f"<span style='color:#b00'>{html.escape(str(exc))}</span>".replace("\n", "<br>")
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
