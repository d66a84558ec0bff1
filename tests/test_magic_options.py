"""%config PowerClerkMagic.<option>: each option changes what the magic does, and layers over
PCNB_* and [tool.pcnb] (%config > environment > pyproject > default)."""

from __future__ import annotations

import logging
import re

import pytest
from IPython.core.error import UsageError

from pcnb.commands import CommandError, Session
from pcnb.config import MAGIC_OPTIONS


def _magic(shell):
    return shell.magics_manager.registry["PowerClerkMagic"]


@pytest.fixture
def ip(pc, monkeypatch, tmp_path):
    """The connected shell, run from a folder without a pyproject; every option unset after."""
    monkeypatch.chdir(tmp_path)
    for name in MAGIC_OPTIONS:
        monkeypatch.delenv(f"PCNB_{name.upper()}", raising=False)
    yield pc
    for name in MAGIC_OPTIONS:  # %config also lands in the shell's config (a reload keeps it): unset both
        pc.run_line_magic("config", f"PowerClerkMagic.{name} = None")
    assert "short_errors" not in {k for k, v in pc.config.PowerClerkMagic.items() if v is not None}


def _rows_shown(shell, frame) -> int:
    html = shell.display_formatter.format(frame)[0]["text/html"]
    body = html.split("<tbody>", 1)[1]
    return body.count("<tr>") - body.count("<tr><td>&hellip;")


def test_display_limit_shows_that_many_rows_and_keeps_all(ip):
    everything = ip.run_line_magic("powerclerk", "projects")
    assert everything.height > 12 and _rows_shown(ip, everything) == 10  # polars' own default
    ip.run_line_magic("config", "PowerClerkMagic.display_limit = 5")
    frame = ip.run_line_magic("powerclerk", "projects")
    assert _rows_shown(ip, frame) == 5 and frame.height == everything.height
    ip.run_line_magic("config", "PowerClerkMagic.display_limit = 12")
    assert _rows_shown(ip, ip.run_line_magic("powerclerk", "projects")) == 12


def test_a_bad_value_is_a_clear_error_and_changes_nothing(ip, caplog):
    ip.run_line_magic("config", "PowerClerkMagic.display_limit = 5")
    with caplog.at_level(logging.ERROR):
        ip.run_line_magic("config", "PowerClerkMagic.display_limit = -3")
        ip.run_line_magic("config", "PowerClerkMagic.default_environment = 'production'")
    assert "PowerClerkMagic.display_limit=-3 is not a number of rows; use a whole number" in caplog.text
    assert "PowerClerkMagic.default_environment='production' is not a default environment (never a default: " \
           "it is a live system" in caplog.text
    assert _magic(ip).display_limit == 5 and _magic(ip).default_environment is None


def test_layers_config_over_environment_over_pyproject(ip, monkeypatch, tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.pcnb]\ndisplay_limit = 4\nprogress = false\n")
    assert _rows_shown(ip, ip.run_line_magic("powerclerk", "projects")) == 4
    monkeypatch.setenv("PCNB_DISPLAY_LIMIT", "7")
    assert _rows_shown(ip, ip.run_line_magic("powerclerk", "projects")) == 7
    ip.run_line_magic("config", "PowerClerkMagic.display_limit = 6")
    assert _rows_shown(ip, ip.run_line_magic("powerclerk", "projects")) == 6
    monkeypatch.setenv("PCNB_DISPLAY_LIMIT", "many")
    _magic(ip).display_limit = None
    with pytest.raises(UsageError, match=r"PCNB_DISPLAY_LIMIT='many' is not a number of rows — fix: use a whole"):
        ip.run_line_magic("powerclerk", "projects")


def test_progress_off_hides_the_sync_and_write_back_bars(ip, capsys):
    number = _magic(ip).session.workspace.projects()["project_number"].drop_nulls()[2]

    def changed_then_synced(crew: str) -> str:  # a real change in the sandbox, so the sync has work to show
        capsys.readouterr()
        ip.run_line_magic("powerclerk", f"set {number} INSTALLER='{crew}' --form APPLICATION --yes")
        wrote = capsys.readouterr().err
        ip.run_line_magic("powerclerk", "sync")
        captured = capsys.readouterr()
        assert re.search(r"sync complete: .*\b[1-9]\d* (histories|inquiry calls)", captured.out)  # queued work
        return wrote + captured.err

    shown = changed_then_synced("Bar Crew")
    assert "write-back wb-" in shown and "PowerClerk sync" in shown
    ip.run_line_magic("config", "PowerClerkMagic.progress = False")
    hidden = changed_then_synced("Quiet Crew")
    assert "write-back" not in hidden and "PowerClerk sync" not in hidden


def test_short_errors_off_shows_the_exception_itself(ip):
    with pytest.raises(UsageError):
        ip.run_line_magic("powerclerk", "history NOPE-1")
    ip.run_line_magic("config", "PowerClerkMagic.short_errors = False")
    with pytest.raises(CommandError, match="project 'NOPE-1' is not in the cache"):
        ip.run_line_magic("powerclerk", "history NOPE-1")


def test_default_environment_is_what_a_bare_connect_opens(ip):
    magic = _magic(ip)
    saved, magic.session = magic.session, Session(namespace=ip.user_ns)
    try:
        ip.run_line_magic("config", "PowerClerkMagic.default_environment = 'trial'")
        with pytest.raises(UsageError, match=r"missing credential\(s\)"):  # trial, offline: no credentials here
            ip.run_line_magic("powerclerk", "connect")
    finally:
        magic.session = saved


def test_config_lists_the_options(ip, capsys):
    ip.run_line_magic("config", "PowerClerkMagic")
    shown = " ".join(capsys.readouterr().out.split())
    assert all(f"PowerClerkMagic.{name}" in shown for name in MAGIC_OPTIONS)
    assert "Unset: PCNB_DISPLAY_LIMIT, then [tool.pcnb] display_limit" in shown


def test_config_rescues_a_bad_environment_value(ip, monkeypatch):
    """Precedence is %config > PCNB_* (README). With PCNB_DISPLAY_LIMIT=abc in the kernel's
    environment, `%config PowerClerkMagic.display_limit = 5` did not help: every %powerclerk line,
    `help` included, still failed on PCNB_DISPLAY_LIMIT, because the layered values were resolved
    (and checked) for all options as soon as any other option was unset."""
    monkeypatch.setenv("PCNB_DISPLAY_LIMIT", "abc")
    ip.run_line_magic("config", "PowerClerkMagic.display_limit = 5")
    assert _rows_shown(ip, ip.run_line_magic("powerclerk", "projects")) == 5
