"""`%powerclerk sync --background` from a real IPython shell: a second cell runs while it syncs."""

from __future__ import annotations

import time

import pytest
from filelock import FileLock
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from pcnb.background import BackgroundSync
from pcnb.cache.sync import SyncBusy
from pcnb.workspace import Workspace


@pytest.fixture
def shell():
    sh = InteractiveShell.instance()
    sh.run_line_magic("load_ext", "pcnb")
    yield sh
    magic = sh.magics_manager.registry["PowerClerkMagic"]
    if magic.session.background is not None:
        magic.session.background.thread.join(60)
    sh.run_line_magic("powerclerk", "connect --sandbox --projects 5")


@pytest.mark.slow
def test_a_second_cell_runs_while_the_background_sync_fetches(shell, tmp_path, capsys):
    magic = shell.magics_manager.registry["PowerClerkMagic"]
    ws = Workspace.sandbox(projects=300, seed=4, rate_limit="60/1", store_path=tmp_path / "bg.sqlite")
    magic.session.opened(ws)
    shell.run_line_magic("powerclerk", "sync --background --no-inquiries")
    bg = magic.session.background
    assert bg.running
    start = time.monotonic()
    projects = shell.run_line_magic("powerclerk", "projects")  # a second cell, from the cache, at once
    programs = ws.client.programs()  # an interactive call: it takes a slot the sync leaves free
    took = time.monotonic() - start
    assert bg.running and took < 1.5, took
    assert programs.get("Programs")
    time.sleep(1.0)
    seen = ws.status_events()["project_id"].n_unique()  # what the sync has fetched so far
    assert 0 < seen < 300 and bg.running and projects is not None
    shell.run_line_magic("powerclerk", "info")
    assert "sync: histories" in capsys.readouterr().out  # the live line: stage, calls of planned, budget, ETA
    report = bg.wait(60)
    assert report is not None and report.complete and report.histories == 300
    assert ws.status_events()["project_id"].n_unique() == 300
    out = capsys.readouterr().out
    assert "% " not in out or "calls" in out  # printed progress lines are whole sentences


def test_background_is_refused_while_another_sync_holds_the_store(shell, tmp_path):
    magic = shell.magics_manager.registry["PowerClerkMagic"]
    ws = Workspace.sandbox(projects=30, seed=4, store_path=tmp_path / "busy.sqlite")
    magic.session.opened(ws)
    lock = FileLock(str(ws.store.path) + ".sync.lock")
    with lock:  # as another process's sync holds it
        with pytest.raises(UsageError, match="another sync is already running") as err:
            shell.run_line_magic("powerclerk", "sync --background")
        assert "\n" not in str(err.value)
        with pytest.raises(SyncBusy):
            BackgroundSync(ws).start()
    assert ws.status_events().height == 0  # nothing was fetched, nothing lost
    shell.run_line_magic("powerclerk", "sync --background --no-inquiries")
    report = magic.session.background.wait(60)
    assert report.complete and report.histories == 30
    with pytest.raises(UsageError, match="not parse"):
        shell.run_line_magic("powerclerk", "sync --background --where 'status ===== 1'")
