"""Incremental, resumable sync against the real sandbox with a real SQLite file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from pcnb.cache import frames
from pcnb.cache.store import Store
from pcnb.cache.sync import SyncBusy, sync
from pcnb.sandbox import running
from pcnb.sandbox.activity import simulate
from tests.cache.helpers import cached, truth
from tests.conftest import END, FAST


def test_first_sync_equals_truth_then_incremental_is_exact(make_client, tmp_path, store_at):
    with running(projects=400, seed=21, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        store = Store(store_at("c"))
        first = sync(client, store, sb.program_id, progress=False)
        assert first.complete and cached(store) == truth(sb)
        assert first.calls == first.pages + 400 + 400 + len(sb.state.threads)  # history + threads + notes
        report = simulate(sb.state, 0.03, seed=4)
        second = sync(client, store, sb.program_id, progress=False)
        expected = (second.pages + len(report.status_changed) + len(report.changed)
                    + len(report.inquiry_changed))
        assert second.calls == expected, (second, report.as_dict())
        assert second.pages == 1 and len(report.changed) == 12
        assert cached(store) == truth(sb)
        naive = 1 + 400 + 400 + len(sb.state.threads)
        assert naive / second.calls > 20


def test_frames_are_typed(make_client, tmp_path, store_at):
    with running(projects=60, seed=3, rate_limit=FAST, end=END) as sb:
        store = Store(store_at("f"))
        sync(make_client(sb), store, sb.program_id, progress=False)
        ev = frames.status_events(store)
        assert ev.schema == frames.STATUS_EVENTS_SCHEMA and ev.height == sum(len(p.history) for p in
                                                                               sb.state.projects.values())
        pj = frames.projects(store)
        assert pj.schema["status_ts"].time_zone == "UTC" and pj.height == 60
        assert frames.inquiry_notes(store).schema == frames.NOTES_SCHEMA
        assert frames.health(store).queue_depth == 0


def test_budget_stop_and_resume(make_client, tmp_path, store_at):
    with running(projects=150, seed=8, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        store = Store(store_at("b"))
        part = sync(client, store, sb.program_id, max_calls=50, progress=False)
        assert not part.complete and part.calls == 50 and "max_calls" in part.stopped_because
        assert frames.health(store).interrupted_run and store.get_state().get("watermark") is None
        rest = sync(client, store, sb.program_id, progress=False)
        assert rest.complete and cached(store) == truth(sb)
        assert part.calls + rest.calls == 1 + 150 + 150 + len(sb.state.threads)


def test_lookback_catches_a_late_visible_change(make_client, tmp_path, store_at):
    with running(projects=80, seed=9, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        store = Store(store_at("l"))
        done = sync(client, store, sb.program_id, progress=False)
        # a change that becomes visible late, stamped just before the watermark
        p = next(p for p in sb.state.projects.values() if p.status == "APPROVED")
        sb.state.move(p, "INSPECTION", "Late Writer", ts=done.watermark - timedelta(minutes=2))
        assert sync(client, store, sb.program_id, lookback=timedelta(0), progress=False).histories == 0
        caught = sync(client, store, sb.program_id, lookback=timedelta(minutes=10), progress=False)
        assert caught.histories == 1 and cached(store) == truth(sb)


def _spawn(sb, tmp_path, store_at, limit: int) -> subprocess.Popen:
    cfg = {"base_url": sb.base_url, "token_url": sb.token_url, "creds": sb.credentials("admin"),
           "program": sb.program_id, "store": store_at("k"), "bucket": str(tmp_path / "k-bucket.sqlite"),
           "limit": limit}
    root = Path(__file__).resolve().parents[2]  # the shared kill-test worker (tests/reliability/workers.py)
    proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.workers", "sync", json.dumps(cfg)], cwd=root,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "started"
    return proc


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [0.6, 1.7])
def test_kill_9_mid_sync_then_resume(make_client, tmp_path, store_at, kill_after):
    with running(projects=100, seed=12, rate_limit=FAST, end=END) as sb:
        proc = _spawn(sb, tmp_path, store_at, limit=100)  # ~100 calls/s: the whole sync takes ~2.5 s
        time.sleep(kill_after)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        store = Store(store_at("k"))
        committed = store.conn.execute("SELECT COUNT(DISTINCT project_id) FROM status_events").fetchone()[0]
        pending = store.conn.execute("SELECT COUNT(*) FROM queue WHERE done = 0 AND kind = 'inquiries'").fetchone()[0]
        # killed mid-sync: in the listing, among the histories, or (histories come first) among the inquiries
        assert 0 < committed < 100 or store.get_state().get("parent_done") is False or pending > 0
        rest = sync(make_client(sb), store, sb.program_id, progress=False)
        assert rest.complete and cached(store) == truth(sb)
        assert rest.histories == 100 - committed  # no committed work fetched twice
        if committed == 100:  # the kill came among the inquiries: only the pending ones were fetched again
            assert rest.inquiry_calls - rest.note_calls == pending
        dupes = store.conn.execute("SELECT COUNT(*) - COUNT(DISTINCT project_id || ':' || seq) "
                                   "FROM status_events").fetchone()[0]
        assert dupes == 0


@pytest.mark.slow
def test_two_processes_do_not_sync_the_same_store_at_once(make_client, tmp_path, store_at):
    with running(projects=100, seed=12, rate_limit=FAST, end=END) as sb:
        proc = _spawn(sb, tmp_path, store_at, limit=40)
        try:
            time.sleep(0.5)
            with pytest.raises(SyncBusy, match="already syncing"):
                sync(make_client(sb), Store(store_at("k")), sb.program_id, progress=False)
        finally:
            proc.wait(timeout=60)
        again = sync(make_client(sb), Store(store_at("k")), sb.program_id, progress=False)
        assert again.complete and again.histories == 0


def test_reconciliation_marks_deleted_and_costs_only_pages(make_client, tmp_path, store_at):
    with running(projects=90, seed=41, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        store = Store(store_at("rec"))
        assert sync(client, store, sb.program_id, progress=False).complete
        gone = list(sb.state.projects)[5]
        del sb.state.projects[gone]
        quiet = sync(client, store, sb.program_id, progress=False)
        assert gone in frames.projects(store)["project_id"].to_list() and quiet.calls == 1
        swept = sync(client, store, sb.program_id, reconcile=True, page_size=50, progress=False)
        assert swept.complete and swept.calls == swept.pages == 2 and swept.histories == 0
        ids = frames.projects(store)["project_id"].to_list()
        assert gone not in ids and len(ids) == 89
        assert store.get_state()["last_reconcile"] > 0


def test_reconciliation_runs_when_older_than_its_age(make_client, tmp_path, store_at):
    with running(projects=30, seed=42, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        store = Store(store_at("age"))
        sync(client, store, sb.program_id, progress=False)
        with store.tx() as conn:
            Store.put_state(conn, last_reconcile=0)  # long ago
        del sb.state.projects[next(iter(sb.state.projects))]
        sync(client, store, sb.program_id, progress=False)
        assert frames.projects(store).height == 29


def test_form_data_option(make_client, tmp_path, store_at):
    with running(projects=40, seed=43, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        store = Store(store_at("forms"))
        plain = sync(client, Store(store_at("plain")), sb.program_id, progress=False)
        with_forms = sync(client, store, sb.program_id, forms=("APPLICATION",), progress=False)
        assert with_forms.calls == plain.calls + 40
        vals = frames.form_values(store).filter(pl.col("field") == "SYSTEM_SIZE_KW")
        truth_sizes = {pid: (p.submitted.get("APPLICATION") or {}).get("SYSTEM_SIZE_KW")
                       for pid, p in sb.state.projects.items()}
        assert dict(zip(vals["project_id"], vals["value"], strict=True)) == truth_sizes


def test_workspace_sync_leaves_fresh_snapshots(tmp_path):
    from pcnb.workspace import Workspace

    with Workspace.sandbox(projects=50, rate_limit=FAST, store_path=tmp_path / "ws.sqlite") as ws:
        ws.sync(progress=False)
        generation = ws.store.generation()
        snap = frames.snapshot_path(ws.store, "status_events", generation)
        assert snap.exists()  # written by the sync itself, before it returned
        assert ws.status_events().height == sum(len(p.history) for p in ws.sandbox_handle.state.projects.values())
        simulate(ws.sandbox_handle.state, 0.2, seed=3)
        ws.sync(progress=False)
        assert ws.store.generation() != generation and not snap.exists()  # the stale one is gone
        assert frames.snapshot_path(ws.store, "status_events", ws.store.generation()).exists()
        assert ws.status_events().height == sum(len(p.history) for p in ws.sandbox_handle.state.projects.values())


def test_non_admin_sync_spends_one_call_on_admin_only_data(fresh_sandbox, make_client, tmp_path):
    """An applicant may not read status histories or inquiries: the first 403 settles it, the
    rest of the queue is dropped instead of failing five times per project."""
    client = make_client(fresh_sandbox, role="applicant")
    store = Store(tmp_path / "applicant.sqlite")
    report = sync(client, store, fresh_sandbox.program_id, progress=False)
    own = [p for p in fresh_sandbox.state.projects.values() if p.owner_email == fresh_sandbox.users["applicant"].email]
    assert report.complete and report.projects_seen == len(own) > 0
    assert report.calls == report.pages + 1 and "admin-only" in str(report)
    assert client.is_admin is False and store.pending() == 0
    again = sync(client, store, fresh_sandbox.program_id, progress=False)
    assert again.calls == again.pages and "admin-only" in str(again)


def test_cache_files_are_user_only(fresh_sandbox, make_client, tmp_path):
    """Store, WAL and frame snapshots hold program data: 0600 files in a 0700 folder (a sync of its
    own: the shared ``ws`` fixture's store is a copy, not written by the product)."""
    from pcnb.workspace import Workspace

    ws = Workspace(make_client(fresh_sandbox), fresh_sandbox.program_id, tmp_path / "store.sqlite")
    ws.sync(progress=False)
    ws.projects()
    files = [p for p in ws.store.path.parent.iterdir() if p.name.startswith(ws.store.path.stem)]
    assert any(p.suffix == ".parquet" for p in files) and any(p.name.endswith("-wal") for p in files)
    for p in files:
        if p.suffix in (".sqlite", ".parquet") or p.name.endswith(("-wal", "-shm")):
            assert oct(p.stat().st_mode & 0o777) == "0o600", p.name


def test_bookkeeping_keeps_frame_snapshots_valid(ws):
    """A quiet incremental sync and a write-back batch change no cached data: the generation (and
    so every parquet snapshot) stays; a sync that brings changes moves it."""
    g = ws.store.generation()
    assert ws.sync(progress=False).complete and ws.store.generation() == g
    pid = ws.projects().filter(pl.col("project_number").is_not_null())["project_id"][0]
    ws.plan({"project": pid, "INSTALLER": "Quiet Crew"}, action="set", form="APPLICATION").execute(
        confirm=True, progress=False)
    assert ws.store.generation() == g and frames.snapshot_path(ws.store, "projects", g).exists()
    assert ws.sync(progress=False).projects_seen >= 1 and ws.store.generation() > g  # the write shows up
