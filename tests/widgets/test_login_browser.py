"""The login panel in a real JupyterLab (headless Debian Chromium driven by Playwright), with
"Save Widget State Automatically" on: whatever the user types, switches and saves, no secret reaches
the saved notebook or its checkpoint. The same session then opens the project browser, to check
that its grid (pcnb.grids in an Output widget) is a working DataTables grid in JupyterLab."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
import requests
from nbformat.v4 import new_code_cell, new_notebook

from pcnb.sandbox import running
from tests.conftest import END, FAST

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.slow,  # the slow tier: pytest -m slow
              pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def lab(tmp_path):
    """JupyterLab on 127.0.0.1 with widget-state saving on, a notebook that shows the panel, a sandbox."""
    root = tmp_path / "work"
    root.mkdir()
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [new_code_cell("%load_ext pcnb\n%powerclerk login"),
                new_code_cell("%powerclerk sync\n%powerclerk browse")]
    nbformat.write(nb, root / "login.ipynb")
    settings = tmp_path / "settings" / "@jupyter-widgets" / "jupyterlab-manager"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
    port, token = _free_port(), secrets.token_hex(16)
    with running(projects=30, seed=3, rate_limit=FAST, end=END) as sb:
        conn = sb.write_connection(tmp_path / "sandbox.json")
        env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
               "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "PCNB_SANDBOX_CONNECTION": str(conn),
               "PCNB_STORE_PATH": str(tmp_path / "store.sqlite"),
               # the "python3" kernel runs `python` from PATH: make it this interpreter (and this pcnb),
               # not whichever other Python (with another pcnb checkout) comes first on the machine
               "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
        proc = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
                                 "--ServerApp.ip=127.0.0.1", "--allow-root", f"--IdentityProvider.token={token}",
                                 f"--ServerApp.root_dir={root}", "--LabApp.news_url=",
                                 "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    if requests.get(f"{base}/api/status", params={"token": token}, timeout=2).ok:
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("JupyterLab did not start")
                time.sleep(0.5)
            yield {"url": f"{base}/lab/tree/login.ipynb?token={token}", "root": root, "sb": sb}
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def _saved_texts(root: Path) -> str:
    files = [root / "login.ipynb", *sorted((root / ".ipynb_checkpoints").glob("*.ipynb"))]
    return "\n".join(f.read_text() for f in files if f.exists())


def test_no_secret_is_saved_with_widget_state(lab):
    from playwright.sync_api import sync_playwright

    fake = {"api_key": "ak-" + secrets.token_hex(12), "client_secret": "cs-" + secrets.token_hex(12),
            "mfa": "JBSWY3DPEHPK3PXP" + secrets.token_hex(4).upper()}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page()
        page.goto(lab["url"])
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)  # the kernel is up
        page.locator(".jp-Notebook .jp-Cell").first.click()
        page.keyboard.press("Shift+Enter")
        env = page.locator(".widget-dropdown select").first
        env.wait_for(timeout=120_000)
        env.select_option(label="PCI Trial")
        passwords = page.locator("input[type=password]")
        for i, value in enumerate((fake["api_key"], fake["client_secret"])):
            passwords.nth(i).fill(value)
            passwords.nth(i).press("Tab")  # leaving the field syncs it once; the kernel takes and blanks it
        page.locator(".widget-dropdown select").nth(1).select_option(label="TOTP secret")
        passwords.nth(2).fill(fake["mfa"])
        passwords.nth(2).press("Tab")
        page.wait_for_timeout(1500)
        blank = page.evaluate("() => [...document.querySelectorAll('input[type=password]')].map(e => e.value)")
        page.keyboard.press("Control+s")  # typed, not submitted, saved
        time.sleep(2)
        before_connect = _saved_texts(lab["root"])
        env.select_option(label="Sandbox (synthetic, no credentials)")
        page.locator("button").filter(has_text=re.compile(r"^\s*Connect\s*$")).click()  # not Disconnect
        page.wait_for_selector("text=connected to sandbox", timeout=60_000)
        page.keyboard.press("Control+s")
        time.sleep(2)
        # the project browser's grid (itables HTML in an Output widget) really runs in JupyterLab:
        # DataTables initialises it, with per-column filters, and a header click sorts it
        page.locator(".jp-Notebook .jp-Cell").nth(1).click()
        page.keyboard.press("Shift+Enter")
        grid = page.locator("table.dataTable").first
        grid.wait_for(timeout=120_000)
        filters = grid.locator("tfoot input").count()
        header = grid.locator("thead th", has_text="status").first
        unsorted = grid.locator("tbody tr td:nth-child(3)").all_inner_texts()
        header.click()
        page.wait_for_timeout(500)
        by_status = grid.locator("tbody tr td:nth-child(3)").all_inner_texts()
        classes = header.get_attribute("class") or ""
        browser.close()
    after = _saved_texts(lab["root"])
    saved = nbformat.reads((lab["root"] / "login.ipynb").read_text(), as_version=4)
    state = saved.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert len(state) > 10  # widget state really was saved (the setting is on)
    for name, value in fake.items():
        assert value not in before_connect and value not in after, f"the {name} was saved in the notebook"
    assert "connected" in json.dumps(state) and "received (hidden)" in before_connect  # the kernel took them
    assert blank == ["", "", ""]  # what the user sees: the fields emptied, marked "received (hidden)"
    assert filters == 6 and len(by_status) > 5, (filters, by_status)  # one filter per column, a page of rows
    assert unsorted != sorted(unsorted) and by_status == sorted(by_status), by_status
    assert "dt-ordering-asc" in classes, classes
