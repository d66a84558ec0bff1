"""connect / disconnect / connections / forget through a real shell, and forget from the CLI.

The OS keyring is replaced by a small in-memory backend (CI has no OS keyring); pcnb's own
``remember``/``forget`` code runs against it through the real ``keyring`` API."""

from __future__ import annotations

import socket

import keyring
import polars as pl
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError

from pcnb.api.auth import Credentials, remember
from pcnb.cli import main
from pcnb.commands import Session


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the keyring is locked")


@pytest.fixture
def ring():
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(before)


@pytest.fixture
def ip(ring):
    """The shared shell with a session of its own (connections here must not close other tests')."""
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pcnb")
    magic = shell.magics_manager.registry["PowerClerkMagic"]
    saved, magic.session = magic.session, Session(namespace=shell.user_ns)
    yield shell
    if magic.session.workspace is not None:
        magic.session.workspace.close()
    magic.session = saved


def _session(ip) -> Session:
    return ip.magics_manager.registry["PowerClerkMagic"].session


def _answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_failed_connect_keeps_the_working_connection(ip, capsys):
    ip.run_line_magic("powerclerk", "connect --sandbox --projects 5")
    ws = _session(ip).workspace
    with pytest.raises(UsageError, match=r"missing credential.*still connected to sandbox program "
                                         + ws.program + r": the previous connection is in use.*fix:"):
        ip.run_line_magic("powerclerk", "connect --env trial")  # no credentials anywhere: fails before any request
    assert _session(ip).workspace is ws
    with pytest.raises(UsageError, match=r"no built-in program or file named 'nosuch'.*still connected to sandbox"):
        ip.run_line_magic("powerclerk", "connect --sandbox --program nosuch")  # not a traceback either
    with pytest.raises(UsageError, match=r"--projects: '0' is not a number of projects \(1-200000\)"):
        ip.run_line_magic("powerclerk", "connect --sandbox --projects 0")
    assert _session(ip).workspace is ws and [c["current"] for c in _session(ip).connections] == [True]
    capsys.readouterr()
    ip.run_line_magic("powerclerk", "info")  # the cache is still open and answers
    assert ws.program in capsys.readouterr().out


def test_disconnect_closes_and_says_what(ip, capsys):
    ip.run_line_magic("powerclerk", "connect --sandbox --projects 5")
    ws = _session(ip).workspace
    port = int(ws.sandbox_handle.base_url.rsplit(":", 1)[1].split("/")[0])
    assert _answers(port)
    capsys.readouterr()
    ip.run_line_magic("powerclerk", "disconnect")
    out = capsys.readouterr().out
    assert f"disconnected from sandbox program {ws.program}" in out and str(ws.store.path) in out
    assert "stopped its embedded sandbox" in out and not _answers(port)
    with pytest.raises(UsageError, match="not connected"):
        ip.run_line_magic("powerclerk", "info")
    ip.run_line_magic("powerclerk", "disconnect")  # again: a message, not an error
    assert capsys.readouterr().out.startswith("not connected: nothing to close")


def test_connections_lists_this_sessions_connections(ip, capsys):
    ip.run_line_magic("powerclerk", "connections")
    assert "no connections in this session yet" in capsys.readouterr().out
    ip.run_line_magic("powerclerk", "connect --sandbox --projects 5")
    first = _session(ip).workspace
    out = ip.run_line_magic("powerclerk", "connect --sandbox --projects 6")
    assert out is None and f"closed sandbox program {first.program}" in capsys.readouterr().out
    second = _session(ip).workspace
    table = ip.run_line_magic("powerclerk", "connections")
    assert isinstance(table, pl.DataFrame) and table.height == 2
    assert table["current"].to_list() == ["", "*"]
    assert table["cache"].to_list() == [str(first.store.path), str(second.store.path)]
    assert table["environment"].to_list() == ["sandbox", "sandbox"]
    assert table["credentials"].to_list() == ["sandbox", "sandbox"] and table["mfa"].to_list() == ["none", "none"]
    assert table["role"].to_list() == ["not checked yet"] * 2
    second.client.detect_role(second.program)  # one GetStatusList: the role is known from then on
    assert ip.run_line_magic("powerclerk", "connections")["role"].to_list() == ["not checked yet", "admin"]
    assert table["closed"][0] is not None and table["closed"][1] is None
    assert table["since"][0] <= table["since"][1]
    ip.run_line_magic("powerclerk", "disconnect")
    assert ip.run_line_magic("powerclerk", "connections")["current"].to_list() == ["", ""]
    from pcnb.workspace import Workspace

    _session(ip).workspace = panel = Workspace.sandbox(projects=5)  # what the login panel does
    table = ip.run_line_magic("powerclerk", "connections")
    assert table["current"].to_list() == ["", "", "*"] and table["cache"][2] == str(panel.store.path)


def test_forget_removes_only_that_environments_entries(ip, ring, capsys):
    remember(Credentials(api_key="k-trial", client_id="c-trial", client_secret="s-trial"), "trial")
    remember(Credentials(api_key="k-prod", client_id="c-prod", client_secret="s-prod"), "production")
    ip.run_line_magic("powerclerk", "forget --env trial")
    out = capsys.readouterr().out
    assert "removed from the keyring (service 'pcnb'): trial:api_key, trial:client_id, trial:client_secret" in out
    assert not [k for k in ring.entries if k[1].startswith("trial:")]
    assert len([k for k in ring.entries if k[1].startswith("production:")]) == 3
    assert "k-trial" not in out and "s-trial" not in out  # names, never values
    ip.run_line_magic("powerclerk", "forget --env trial")
    assert "nothing stored for trial" in capsys.readouterr().out
    with pytest.raises(UsageError, match=r"forget: --env is missing — fix: choose one of: trial, production, custom"):
        ip.run_line_magic("powerclerk", "forget")


def test_forget_on_a_locked_keyring_is_a_clear_message(ip):
    keyring.set_keyring(LockedKeyring())
    with pytest.raises(UsageError, match=r"the keyring refused to remove pcnb/trial:api_key \(KeyringLocked.*fix: "
                                         r"unlock the keyring"):
        ip.run_line_magic("powerclerk", "forget --env trial")


def test_forget_without_any_keyring_backend_says_nothing_was_stored(ip, capsys):
    from keyring.backends.fail import Keyring as NoBackend

    keyring.set_keyring(NoBackend())  # what keyring picks on a machine without one (CI)
    ip.run_line_magic("powerclerk", "forget --env production")
    assert "nothing stored for production in the keyring (service 'pcnb', backend keyring.backends.fail.Keyring)" \
        in capsys.readouterr().out


def test_cli_forget_disconnect_and_connections(ring, capsys):
    remember(Credentials(api_key="k", client_id="c", client_secret="s"), "trial")
    assert main(["forget", "--env", "trial"]) == 0
    assert "trial:api_key, trial:client_id, trial:client_secret" in capsys.readouterr().out and not ring.entries
    assert main(["disconnect"]) == 0
    assert "not connected: each pcnb command opens its own connection" in capsys.readouterr().out
    assert main(["connections"]) == 0
    assert "no connections: each pcnb command opens its own connection" in capsys.readouterr().out
    assert main(["forget", "--env", "sandbox"]) == 1
    assert "'sandbox' is not a valid --env\n  fix: choose one of: trial, production, custom" in capsys.readouterr().err
    assert main(["forget"]) == 1
    err = capsys.readouterr().err
    assert "pcnb forget: --env is missing" in err and "%powerclerk" not in err
