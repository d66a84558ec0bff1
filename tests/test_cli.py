"""The pcnb console script (real subprocess for the server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import requests

from pcnb.cli import main


def test_sandbox_command_serves_and_writes_connection_file(tmp_path):
    conn = tmp_path / "sandbox.json"
    proc = subprocess.Popen([sys.executable, "-m", "pcnb.cli", "sandbox", "--projects", "50",
                             "--connection-file", str(conn)], stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while not conn.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        info = json.loads(conn.read_text())
        assert oct(os.stat(conn).st_mode & 0o777) == "0o600"
        c = info["users"]["admin"]
        tok = requests.post(info["token_url"], data={"grant_type": "client_credentials"},
                            auth=(c["client_id"], c["client_secret"]), timeout=10).json()["access_token"]
        r = requests.get(f"{info['base_url']}/Programs/{info['program_id']}/Projects",
                         headers={"X-ApiKey": c["api_key"], "Authorization": f"Bearer {tok}"}, timeout=10)
        assert len(r.json()["Projects"]) == 50
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_bad_rate_limit_is_a_clear_error(capsys):
    assert main(["sandbox", "--rate-limit", "fast"]) == 2
    assert "must look like 60/60" in capsys.readouterr().err


def test_help_texts():
    with pytest.raises(SystemExit) as e:
        main(["sandbox", "--help"])
    assert e.value.code == 0


def test_notebook_grammar_from_the_terminal(tmp_path, monkeypatch, capsys):
    """`pcnb sync` / `pcnb set ... --yes` / `pcnb journal` against a sandbox served by `pcnb sandbox`."""
    from pcnb.sandbox import running
    from tests.conftest import END, FAST

    with running(projects=60, seed=4, rate_limit=FAST, end=END) as sb:
        monkeypatch.setenv("PCNB_SANDBOX_CONNECTION", str(sb.write_connection(tmp_path / "sb.json")))
        monkeypatch.setenv("PCNB_STORE_PATH", str(tmp_path / "store.sqlite"))
        assert main(["sync"]) == 0
        assert "sync complete" in capsys.readouterr().out
        pid = next(p.project_id for p in sb.state.projects.values() if p.number)
        assert main(["set", pid, "INSTALLER=CLI Crew", "--form", "APPLICATION"]) == 0
        assert "nothing sent; re-run with --yes" in capsys.readouterr().out
        assert sb.state.projects[pid].submitted["APPLICATION"]["INSTALLER"] != "CLI Crew"
        assert main(["set", pid, "INSTALLER=CLI Crew", "--form", "APPLICATION", "--yes"]) == 0
        assert "1 done" in capsys.readouterr().out
        assert sb.state.projects[pid].submitted["APPLICATION"]["INSTALLER"] == "CLI Crew"
        assert main(["journal", "-o", str(tmp_path / "journal.csv")]) == 0
        assert "wrote" in capsys.readouterr().out and (tmp_path / "journal.csv").read_text().count("\n") == 2
        assert main(["status", pid, "--to", "Nowhere", "--yes"]) == 1
        assert "did not pass validation" in capsys.readouterr().err
        assert main(["set", "--help"]) == 0
        assert "usage: pcnb set" in capsys.readouterr().out


def test_shared_commands_need_a_workspace(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PCNB_SANDBOX_CONNECTION", str(tmp_path / "missing.json"))
    assert main(["projects"]) == 1
    assert "no running sandbox found" in capsys.readouterr().err
