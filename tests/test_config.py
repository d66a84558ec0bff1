"""Settings and the magic's options from PCNB_* and [tool.pcnb] (pcnb.config)."""

from __future__ import annotations

import pytest

from pcnb.config import MAGIC_OPTIONS, load_settings, magic_options
from pcnb.errors import ConfigError


@pytest.fixture
def project(tmp_path, monkeypatch):
    for name in MAGIC_OPTIONS:
        monkeypatch.delenv(f"PCNB_{name.upper()}", raising=False)
    monkeypatch.delenv("PCNB_TIMEOUT", raising=False)
    return tmp_path


def test_the_magics_keys_share_tool_pcnb_with_the_settings(project):
    (project / "pyproject.toml").write_text('[tool.pcnb]\ntimeout = 12\ndisplay_limit = 9\nshort_errors = "off"\n')
    assert load_settings(project).timeout == 12.0  # the magic's keys are not "unknown" to Settings
    got = magic_options(project)
    assert got["display_limit"] == (9, "[tool.pcnb]") and got["short_errors"] == (False, "[tool.pcnb]")
    assert got["progress"] == (True, "default") and got["default_environment"] == ("sandbox", "default")
    (project / "pyproject.toml").write_text("[tool.pcnb]\ndisplay_limt = 9\n")
    with pytest.raises(ConfigError, match=r"(?s)unknown key\(s\) \['display_limt'\].*display_limit"):
        load_settings(project)


def test_environment_over_pyproject_and_bad_values_say_what_is_allowed(project, monkeypatch):
    (project / "pyproject.toml").write_text("[tool.pcnb]\nprogress = true\n")
    monkeypatch.setenv("PCNB_PROGRESS", "no")
    assert magic_options(project)["progress"] == (False, "PCNB_PROGRESS")
    monkeypatch.setenv("PCNB_PROGRESS", "maybe")
    with pytest.raises(ConfigError, match=r"(?s)PCNB_PROGRESS='maybe' is not a yes/no value.*fix: use True or False"):
        magic_options(project)
    monkeypatch.setenv("PCNB_DEFAULT_ENVIRONMENT", "production")
    monkeypatch.delenv("PCNB_PROGRESS")
    with pytest.raises(ConfigError, match=r"never a default: it is a live system"):
        magic_options(project)
