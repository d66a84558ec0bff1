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
        ready = next(p.project_id for p in sb.state.projects.values() if p.status == "APPROVED")
        assert main(["status", ready, "--to", "Inspection Pending", "--yes"]) == 1  # a status move has no undo
        err = capsys.readouterr().err
        assert "cannot be undone (status) and would go to sandbox program" in err and "nothing was sent" in err
        assert "run the command again with --yes --irreversible sandbox" in err and "%powerclerk" not in err
        assert sb.state.projects[ready].status == "APPROVED"
        assert main(["status", ready, "--to", "Inspection Pending", "--yes", "--irreversible", "sandbox"]) == 0
        assert "1 done" in capsys.readouterr().out and sb.state.projects[ready].status == "INSPECTION"
        assert main(["set", "--help"]) == 0
        assert "usage: pcnb set" in capsys.readouterr().out


def test_shared_commands_need_a_workspace(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("PCNB_SANDBOX_CONNECTION", str(tmp_path / "missing.json"))
    assert main(["projects"]) == 1
    assert "no running sandbox found" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_lab_serves_the_notebooks_on_loopback(tmp_path):
    """`pcnb demo --lab` starts a sandbox and JupyterLab (127.0.0.1) on the prebuilt notebooks."""
    import signal
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "JUPYTER_TOKEN": "pcnb-test", "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")}
    proc = subprocess.Popen([sys.executable, "-m", "pcnb.cli", "demo", "--lab", "--no-browser", "--port", str(port),
                             "--projects", "40"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, names = time.monotonic() + 90, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                r = requests.get(f"http://127.0.0.1:{port}/api/contents", params={"token": "pcnb-test"}, timeout=2)
                if r.ok:
                    names = {c["name"] for c in r.json()["content"]}
                    break
            except requests.ConnectionError:
                time.sleep(0.5)
        assert names and {"01_getting_started.ipynb", "05_write_back.ipynb"} <= names
        assert requests.get(f"http://127.0.0.1:{port}/lab", params={"token": "pcnb-test"}, timeout=5).ok
    finally:
        proc.send_signal(signal.SIGINT)
        out = proc.communicate(timeout=60)[0]
    assert "sandbox: 40 synthetic projects" in out


@pytest.mark.slow
def test_binder_start_serves_one_shared_sandbox(tmp_path):
    """binder/start: a background sandbox + connection file + shared store, then the given command."""
    import signal
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PCNB_DEMO_DIR": str(tmp_path / "demo"), "PCNB_DEMO_PROJECTS": "40"}
    code = ("import os; from pcnb.workspace import Workspace; ws = Workspace.open('sandbox'); "
            "print(os.environ['PCNB_STORE_PATH'], ws.sync(progress=False).projects_seen, ws.client.settings.base_url)")
    try:
        out = subprocess.run(["bash", str(root / "binder" / "start"), sys.executable, "-c", code], env=env,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        store, seen, url = out.stdout.split()
        assert store == str(tmp_path / "demo" / "store.sqlite") and seen == "40" and url.startswith("http://127.0.0.1:")
        again = subprocess.run(["bash", str(root / "binder" / "start"), sys.executable, "-c", code], env=env,
                               capture_output=True, text=True, timeout=120)
        assert again.stdout.split()[2] == url  # the second notebook reuses the running sandbox
        assert oct(os.stat(tmp_path / "demo").st_mode & 0o777) == "0o700"
    finally:
        pid_file = tmp_path / "demo" / "sandbox.pid"
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


@pytest.mark.slow
def test_sandbox_and_demo_take_a_program_and_refuse_unknown_ones(capsys, tmp_path):
    assert main(["sandbox", "--program", "rebat"]) == 2
    assert "did you mean 'rebate'?" in capsys.readouterr().err
    assert main(["demo", "--program", str(tmp_path / "missing.yaml"), "-o", str(tmp_path)]) == 2
    assert "no built-in program or file named" in capsys.readouterr().err
    res = subprocess.run([sys.executable, "-m", "pcnb.cli", "demo", "--program", "large-dg", "--projects", "300",
                          "-o", str(tmp_path / "r")], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-2000:]
    html = (tmp_path / "r" / "03_time_in_status.html").read_text()
    assert "Large Generator Interconnection Queue" in html and "Plotly.newPlot" in html


@pytest.mark.slow
def test_twin_from_the_terminal(tmp_path, monkeypatch, capsys):
    """`pcnb sync` then `pcnb sandbox --twin OUT` against a served program, then serve the twin."""
    from pcnb.sandbox import running
    from pcnb.sandbox.definition import load
    from tests.conftest import END, FAST

    assert main(["sandbox", "--twin", str(tmp_path / "t.yaml")]) != 0  # no running sandbox, no cache yet
    capsys.readouterr()
    with running(projects=300, seed=6, rate_limit=FAST, end=END, program="rebate") as sb:
        monkeypatch.setenv("PCNB_SANDBOX_CONNECTION", str(sb.write_connection(tmp_path / "sb.json")))
        monkeypatch.setenv("PCNB_STORE_PATH", str(tmp_path / "store.sqlite"))
        assert main(["sync"]) == 0
        assert "program profile inferred" in capsys.readouterr().out
        assert main(["sandbox", "--twin", str(tmp_path / "twin.yaml")]) == 0
        assert "serve it: pcnb sandbox --program" in capsys.readouterr().out
        source = {s.name for s in sb.state.program.statuses}
        numbers = [p.number for p in sb.state.projects.values() if p.number]
    twin = load(tmp_path / "twin.yaml")
    assert {s.name for s in twin.statuses} <= source and twin.prefix == "CEIT"
    # the twin carries the profile's untracked deadlines (issue 24), here the ones rebate's definition seeds
    tariff = {(d.status or f"{d.start}->{d.end}", d.days, d.unit) for d in sb.state.program.deadlines if not d.track}
    assert {(d.status or f"{d.start}->{d.end}", d.days, d.unit) for d in twin.deadlines} == tariff and tariff
    text = (tmp_path / "twin.yaml").read_text()
    assert not [n for n in numbers if n in text]
