"""The login panel driven as a user would (.value, .click()) against the real sandbox."""

from __future__ import annotations

import json
import sqlite3

import nbformat
import pytest
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
    assert "MFA</b></td><td>on (TOTP secret)" in panel.who.value and "replacing the previous" in panel.status.value
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
    assert "invalid_client" in panel.status.value
    # the fix names the field the value was typed in, not an environment variable the user never set
    assert "the login panel's Client secret field" in panel.status.value and "PCNB_" not in panel.status.value
    assert "click Connect" in panel.status.value
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
    assert "API key, Client id, Client secret" in panel.status.value and "click Connect" in panel.status.value
    assert "PCNB_" not in panel.status.value
    panel.environment.value = "sandbox"
    assert panel.creds_box.layout.display == "none"
    panel.connect.click()
    assert "connected" in panel.status.value and "sandbox" in panel.status.value
    session.workspace.close()


def test_failed_connect_keeps_the_working_connection(fresh_sandbox, tmp_path, monkeypatch):
    """A typo in a second login must not cost the first connection; Connect is off while trying."""
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PCNB_STORE_PATH", str(tmp_path / "from-env.sqlite"))
    session = Session()
    panel = LoginPanel(session)
    assert panel.disconnect.disabled  # nothing to disconnect yet
    flips = []
    panel.connect.observe(lambda ch: flips.append(ch["new"]), names="disabled")
    _fill(panel, fresh_sandbox)
    panel.connect.click()
    first = session.workspace
    assert first is not None and flips == [True, False] and not panel.disconnect.disabled
    assert str(first.store.path) == str(tmp_path / "from-env.sqlite")  # PCNB_STORE_PATH is honoured
    who = panel.who.value
    assert "Role</b></td><td>admin" in who and "MFA</b></td><td>off" in who and fresh_sandbox.program_id in who
    assert "the login panel" in who and fresh_sandbox.base_url in who

    _fill(panel, fresh_sandbox, secret="wrong-secret-456")
    panel.connect.click()
    assert flips == [True, False, True, False]  # off during the attempt, back on after the failure
    assert session.workspace is first and first.client.programs()["Programs"]  # still open and working
    assert "invalid_client" in panel.status.value and "previous connection is still in use" in panel.status.value

    _fill(panel, fresh_sandbox, "mfa")  # MFA user without its secret: says which panel field to use
    panel.connect.click()
    assert session.workspace is first and "MFA value field" in panel.status.value

    panel.disconnect.click()
    assert session.workspace is None and "disconnected" in panel.status.value and panel.disconnect.disabled
    with pytest.raises(sqlite3.ProgrammingError):  # the workspace really was closed
        first.store.conn.execute("SELECT 1")


def test_sandbox_choice_shows_its_demo_users_and_logs_in_as_one(tmp_path, monkeypatch, sandbox):
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    conn = sandbox.write_connection(tmp_path / "sandbox.json")
    monkeypatch.setenv("PCNB_SANDBOX_CONNECTION", str(conn))
    session = Session()
    panel = LoginPanel(session)
    assert panel.sandbox_box.layout.display == ""
    note = panel.sandbox_note.value
    assert all(name in note for name in ("Avery Admin", "Sam Installer", "Morgan Secure"))
    assert not any(v in note for c in map(sandbox.credentials, sandbox.users) for v in c.values())  # no secret
    panel.environment.value = "trial"
    assert panel.sandbox_box.layout.display == "none"
    panel.environment.value = "sandbox"
    panel.sandbox_user.value = "applicant"
    panel.connect.click()
    assert session.workspace is not None and "non-admin" in panel.who.value
    assert session.workspace.client.credentials.api_key == sandbox.credentials("applicant")["api_key"]
    session.workspace.close()


def test_remember_keeps_only_credentials_that_worked(fresh_sandbox, tmp_path, monkeypatch):
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self):
            super().__init__()
            self.items = {}

        def get_password(self, service, username):
            return self.items.get((service, username))

        def set_password(self, service, username, password):
            self.items[(service, username)] = password

        def delete_password(self, service, username):
            self.items.pop((service, username), None)

    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    previous, memory = keyring.get_keyring(), MemoryKeyring()
    keyring.set_keyring(memory)
    try:
        session = Session()
        panel = LoginPanel(session)
        panel.remember.value = True
        panel.program.value = fresh_sandbox.program_id  # so opening the workspace alone makes no call
        _fill(panel, fresh_sandbox, secret="wrong-secret-789")
        panel.connect.click()
        assert session.workspace is None and memory.items == {}  # a refused secret is not saved
        c = _fill(panel, fresh_sandbox)
        panel.connect.click()
        assert session.workspace is not None and "Saved in the OS keyring" in panel.status.value
        assert memory.items[("pcnb", "custom:client_secret")] == c["client_secret"]
        session.workspace.close()
    finally:
        keyring.set_keyring(previous)


def test_bad_custom_urls_say_which_field_and_keep_the_typed_secrets(fresh_sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    session = Session()
    panel = LoginPanel(session)
    _fill(panel, fresh_sandbox)
    panel.base_url.value = ""
    panel.connect.click()
    assert "API base URL field is empty" in panel.status.value and "click Connect" in panel.status.value
    assert "base_url=" not in panel.status.value and "kept (hidden)" in panel.status.value
    panel.base_url.value = "127.0.0.1/services/v2"
    panel.connect.click()
    assert "is not a URL" in panel.status.value and session.workspace is None
    panel.base_url.value = fresh_sandbox.base_url  # the secrets typed before are still held: this connects
    panel.connect.click()
    assert session.workspace is not None and "connected" in panel.status.value
    session.workspace.close()


def test_malformed_custom_url_is_reported_not_stuck_connecting(tmp_path, monkeypatch):
    """Red team: 'http://[::1/...' raised ValueError (urlsplit in redact_url) out of the click handler;
    the status stayed "connecting…" forever, the typed secrets were already cleared, nothing said why."""
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    session = Session()
    panel = LoginPanel(session)
    panel.environment.value = "custom"
    panel.base_url.value = panel.token_url.value = "http://[::1/services/v2"
    panel.api_key.value, panel.client_id.value, panel.client_secret.value = "k-123", "cid", "s-456"
    panel.submit()  # must not raise
    assert "connecting" not in panel.status.value
    assert "API base URL" in panel.status.value and session.workspace is None
    assert not panel.connect.disabled


def test_password_typed_in_a_url_field_does_not_stay_in_the_panel(fresh_sandbox, tmp_path, monkeypatch):
    """Red team: https://user:password@host in API base URL / Token URL was accepted; the password stayed in
    the Text trait (saved with the notebook), in the "who" HTML and in the `connections` records."""
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    session = Session()
    panel = LoginPanel(session)
    _fill(panel, fresh_sandbox)
    pw = "PW-IN-URL-999"
    panel.base_url.value = fresh_sandbox.base_url.replace("//", f"//user:{pw}@", 1)
    panel.token_url.value = fresh_sandbox.token_url.replace("//", f"//user:{pw}@", 1)
    panel.connect.click()
    everywhere = _all_widget_state() + panel.who.value + panel.status.value + repr(session.connections)
    assert pw not in everywhere
    if session.workspace is not None:
        session.workspace.close()


def test_an_unexpected_failure_ends_the_attempt_visibly(tmp_path, monkeypatch):
    """Red team: PCNB_STORE_PATH in a folder that does not exist raised FileNotFoundError out of the click
    handler (an OSError, not a PowerClerkError): the panel said "connecting…" forever."""
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PCNB_STORE_PATH", str(tmp_path / "missing" / "deeper" / "x.sqlite"))
    monkeypatch.setattr("pcnb.workspace.Workspace.open", lambda *a, **k: (_ for _ in ()).throw(
        FileNotFoundError(2, "No such file or directory", str(tmp_path / "missing"))))
    session = Session()
    panel = LoginPanel(session)
    panel.submit()  # must not raise
    assert "connecting" not in panel.status.value and "No such file" in panel.status.value
    assert "click Connect" in panel.status.value and not panel.connect.disabled and session.workspace is None


def test_a_wrong_custom_url_names_the_url_fields(fresh_sandbox, tmp_path, monkeypatch):
    """Red team: a Custom base URL with a wrong path answered 404 on GetPrograms and the panel said "check the
    id (custom ids and project numbers work too ...)": advice about projects, for a login, naming no field."""
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    session = Session()
    panel = LoginPanel(session)
    _fill(panel, fresh_sandbox)
    panel.base_url.value = fresh_sandbox.base_url + "/nope"
    panel.connect.click()
    assert session.workspace is None and "project numbers" not in panel.status.value
    assert "API base URL" in panel.status.value and "click Connect" in panel.status.value
    panel.base_url.value, panel.token_url.value = fresh_sandbox.base_url, "http://127.0.0.1:1/connect/token"
    panel.api_key.value, panel.client_secret.value = "k", "s"
    panel.connect.click()
    assert "Token URL" in panel.status.value


def test_production_never_uses_the_hidden_custom_urls(fresh_sandbox, tmp_path, monkeypatch):
    """Red team (security): URLs typed under Custom URLs stayed in the (then hidden) fields and were passed to
    load_settings for PCI Trial / Production too, so production credentials went to whatever host was typed
    there, while the panel said "connected to production" (and the cache file was named production-...)."""
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    session = Session()
    panel = LoginPanel(session)
    _fill(panel, fresh_sandbox)
    panel.environment.value = "production"  # changed my mind: the custom URL box is hidden now
    c = fresh_sandbox.credentials("admin")
    panel.api_key.value, panel.client_id.value, panel.client_secret.value = c["api_key"], c["client_id"], \
        c["client_secret"]
    sent: list[str] = []
    monkeypatch.setattr("pcnb.widgets.login.LoginPanel._open", _spy(LoginPanel._open, sent))
    panel.connect.click()
    assert session.workspace is None  # the spy stops every non-loopback URL before a request
    assert not any("127.0.0.1" in url for url in sent)
    if session.workspace is not None:
        session.workspace.close()


def _spy(open_, sent):
    from pcnb.errors import ConfigError

    def spy(self, env, program, creds):
        from pcnb import config

        real = config.load_settings

        def load(*a, **k):
            settings = real(*a, **k)
            sent.extend([str(settings.base_url), str(settings.token_url)])
            if "127.0.0.1" not in str(settings.base_url):  # a real PowerClerk: stop before any request
                raise ConfigError("stopped by the test before any request")
            return settings

        config.load_settings = load
        try:
            return open_(self, env, program, creds)
        finally:
            config.load_settings = real
    return spy


def test_one_pcnb_store_path_for_two_programs_never_mixes_them(tmp_path, monkeypatch):
    """Red team (no fix yet): PCNB_STORE_PATH is honoured for every connection, and the cache file records no
    program: connecting to program B after a synced program A opened A's cache as B's, and B's sync (its
    watermark taken from A's) left A's projects in place -- B's charts and reports showed A's projects and
    statuses. A cache of another (environment, program) must be refused (or kept apart), never reused."""
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PCNB_STORE_PATH", str(tmp_path / "shared.sqlite"))
    monkeypatch.setenv("PCNB_SANDBOX_PROJECTS", "30")
    session = Session()
    panel = LoginPanel(session)
    panel.program.value = "rebate"
    panel.connect.click()
    session.workspace.sync(progress=False)
    rebate = set(session.workspace.projects()["project_id"].to_list())
    first = session.workspace
    panel.program.value = "residential"
    panel.connect.click()
    ws = session.workspace
    if ws is not first:  # a failed Connect keeps the previous connection (the panel's design)
        ws.sync(progress=False)
        mixed = rebate & set(ws.projects()["project_id"].to_list())
        ws.close()
        assert not mixed, f"{len(mixed)} projects of the rebate program shown as the residential program's"
    else:
        assert "PCNB_STORE_PATH" in panel.status.value  # refused, saying why
        first.close()


def test_the_panel_starts_from_the_settings_environment_and_program_never_a_secret(monkeypatch):
    """PCNB_ENVIRONMENT / PCNB_PROGRAM were ignored: the panel always opened on Sandbox, Program id empty."""
    monkeypatch.setenv("PCNB_ENVIRONMENT", "custom")
    monkeypatch.setenv("PCNB_PROGRAM", "residential-7")
    monkeypatch.setenv("PCNB_BASE_URL", "https://pc.example/services/v2")
    monkeypatch.setenv("PCNB_TOKEN_URL", "https://user:pw@pc.example/connect/token")  # never shown
    monkeypatch.setenv("PCNB_API_KEY", "sekrit-key")
    monkeypatch.setenv("PCNB_CLIENT_SECRET", "sekrit-secret")
    panel = LoginPanel(Session())
    assert (panel.environment.value, panel.program.value) == ("custom", "residential-7")
    assert panel.base_url.value == "https://pc.example/services/v2" and panel.token_url.value == ""
    assert panel.api_key.value == panel.client_secret.value == panel.mfa_value.value == ""
    assert "sekrit" not in _all_widget_state() and "user:pw" not in _all_widget_state()
    assert panel.creds_box.layout.display == "" and panel.sandbox_box.layout.display == "none"


def test_settings_that_do_not_load_start_the_panel_on_sandbox_saying_why(monkeypatch):
    monkeypatch.setenv("PCNB_ENVIRONMENT", "prod")
    panel = LoginPanel(Session())
    assert panel.environment.value == "sandbox"
    assert "unknown environment 'prod'" in panel.status.value and "custom" in panel.status.value
