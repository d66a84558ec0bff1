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
