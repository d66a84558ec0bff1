"""The login panel driven as a user would (.value, .click()) against the real sandbox."""

from __future__ import annotations

import json

import nbformat
from ipywidgets import Widget
from nbformat.v4 import new_code_cell, new_notebook

from pcnb.commands import Session
from pcnb.widgets.login import LoginPanel


def _all_widget_state() -> str:
    return json.dumps({k: v.get_state() for k, v in list(Widget.widgets.items())}, default=str)


def _fill(panel, sb, role="admin", secret=None, mfa=None):
    c = sb.credentials(role)
    panel.environment.value = "custom"
    panel.base_url.value, panel.token_url.value = sb.base_url, sb.token_url
    panel.api_key.value, panel.client_id.value = c["api_key"], c["client_id"]
    panel.client_secret.value = secret or c["client_secret"]
    if mfa:
        panel.mfa_mode.value, panel.mfa_value.value = mfa
    return c


def test_login_without_and_with_mfa(fresh_sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    session = Session()
    panel = LoginPanel(session)
    c = _fill(panel, fresh_sandbox)
    panel.connect.click()
    assert session.workspace is not None and "connected" in panel.status.value and "custom" in panel.status.value
    assert panel.api_key.value == panel.client_secret.value == ""
    m = _fill(panel, fresh_sandbox, "mfa", mfa=("totp", fresh_sandbox.credentials("mfa")["mfa_totp_secret"]))
    panel.connect.click()
    assert "connected" in panel.status.value and session.workspace.client.programs()["Programs"]
    # save a notebook holding the panel's state and outputs, then scan for every secret
    nb = new_notebook()
    cell = new_code_cell("%powerclerk login")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": panel.status.value})]
    nb.cells = [cell]
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": json.loads(_all_widget_state())}}
    saved = tmp_path / "saved.ipynb"
    nbformat.write(nb, saved)
    text = saved.read_text()
    for secret in [c["api_key"], c["client_secret"], m["api_key"], m["client_secret"], m["mfa_totp_secret"]]:
        assert secret not in text
    session.workspace.close()


def test_wrong_secret_is_clear_and_leaks_nothing(fresh_sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    session = Session()
    panel = LoginPanel(session)
    wrong = "definitely-wrong-secret-123"
    c = _fill(panel, fresh_sandbox, secret=wrong)
    panel.connect.click()
    assert session.workspace is None
    assert "invalid_client" in panel.status.value and "PCNB_CLIENT_SECRET" in panel.status.value
    state = _all_widget_state()
    for secret in (wrong, c["api_key"]):
        assert secret not in state and secret not in panel.status.value


def test_missing_fields_and_sandbox_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    session = Session()
    panel = LoginPanel(session)
    panel.environment.value = "trial"
    assert panel.creds_box.layout.display == "" and panel.custom_box.layout.display == "none"
    panel.connect.click()
    assert "missing credential" in panel.status.value and session.workspace is None
    panel.environment.value = "sandbox"
    assert panel.creds_box.layout.display == "none"
    panel.connect.click()
    assert "connected" in panel.status.value and "sandbox" in panel.status.value
    session.workspace.close()
