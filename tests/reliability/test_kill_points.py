"""kill -9 at random points of a sync and of a write-back batch, then invariant checks.

The kill point is a random number of API operations into the run (seeded; the seed is in the
test id so a failure replays). ``PCNB_KILL_POINTS`` sets how many points (default 20 each).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from pcnb import writeback
from pcnb.cache.store import Store
from pcnb.cache.sync import sync
from pcnb.sandbox import running
from pcnb.workspace import Workspace
from pcnb.writeback import journal
from tests.cache.helpers import cached, truth
from tests.conftest import END, FAST

pytestmark = pytest.mark.slow  # the slow tier: pytest -m slow

ROOT = Path(__file__).resolve().parents[2]
POINTS = int(os.environ.get("PCNB_KILL_POINTS", "20"))
#: PostgreSQL gets the first quarter of the points (same seeds): CI time, and its transactions are the
#: server's (what can differ from SQLite is the adapter, not where in the run the kill lands)
PG_POINTS = int(os.environ.get("PCNB_PG_KILL_POINTS", str(max(POINTS // 4, 1))))
SEED = 20261122
BACKEND_POINTS = [("sqlite", p) for p in range(POINTS)] + [("postgresql", p) for p in range(PG_POINTS)]


def _spawn(kind: str, cfg: dict) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.workers", kind, json.dumps(cfg)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "started"
    return proc


def _kill_at(proc: subprocess.Popen, sb, calls: int) -> int:
    """SIGKILL the worker once the sandbox has served ``calls`` more operations; returns how many
    it had served when the kill landed (the worker may also have finished first)."""
    start = sb.sandbox.rate.accepted
    while sb.sandbox.rate.accepted - start < calls and proc.poll() is None:
        time.sleep(0.0005)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return sb.sandbox.rate.accepted - start


@pytest.fixture(scope="module")
def sandbox_100():
    with running(projects=100, seed=12, rate_limit=FAST, end=END) as sb:
        sb.sandbox.faults.update(latency_s=0.002)  # spreads a sync over ~1.5 s so kills land everywhere
        yield sb


@pytest.mark.parametrize(("store_backend", "point"), BACKEND_POINTS, indirect=["store_backend"])
def test_sync_killed_at_a_random_point(sandbox_100, make_client, tmp_path, store_at, point):
    sb = sandbox_100
    kill_after = random.Random(SEED + point).randint(1, 230)  # a full first sync is ~240 operations
    cfg = {"base_url": sb.base_url, "token_url": sb.token_url, "creds": sb.credentials("admin"),
           "program": sb.program_id, "store": store_at("k"), "bucket": str(tmp_path / "b.sqlite")}
    _kill_at(_spawn("sync", cfg), sb, kill_after)

    store = Store(store_at("k"))  # opens: migrations done, WAL recovered
    if not store.shared:
        assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    committed = store.conn.execute("SELECT COUNT(DISTINCT project_id) FROM status_events").fetchone()[0]
    rest = sync(make_client(sb), store, sb.program_id, progress=False)
    assert rest.complete and cached(store) == truth(sb)
    assert rest.histories == 100 - committed  # committed histories are not fetched again
    dupes = store.conn.execute("SELECT COUNT(*) - COUNT(DISTINCT project_id || ':' || seq) FROM status_events")
    assert dupes.fetchone()[0] == 0


@pytest.fixture
def batch_sandbox():
    """A fresh program per kill point: status moves and notes must be counted from a known start."""
    with running(projects=150, seed=21, rate_limit=FAST, end=END) as sb:
        yield sb


@pytest.mark.parametrize(("store_backend", "point"), BACKEND_POINTS, indirect=["store_backend"])
def test_write_back_killed_at_a_random_point(batch_sandbox, make_client, tmp_path, store_at, point):
    """30 operations (20 data sets, 5 new inquiry threads, 5 status moves); after the kill a resume
    finishes the batch: every operation applied exactly once, the journal all done."""
    sb = batch_sandbox
    rng = random.Random(SEED + 1000 + point)
    ws = Workspace(make_client(sb), sb.program_id, store_at("w"))
    ws.sync(progress=False)
    p = ws.projects()
    pool = p.filter(pl.col("project_number").is_not_null())["project_id"].to_list()
    approved = [x for x in p.filter(pl.col("status") == "Approved to Install")["project_id"].to_list()
                if x not in pool[:25]]
    assert len(approved) >= 5
    tag = f"k{point}-{rng.randint(0, 10**6)}"
    changes = [{"action": "set", "project": pid, "form": "APPLICATION", "field": "INSTALLER", "value": f"{tag}-{i}"}
               for i, pid in enumerate(pool[:20])]
    changes += [{"action": "note", "project": pid, "subject": f"{tag} subject {i}", "text": f"{tag} note {i}"}
                for i, pid in enumerate(pool[20:25])]
    changes += [{"action": "status", "project": pid, "status": "Inspection Pending"} for pid in approved[:5]]
    plan = ws.plan(changes)
    assert plan.ok, plan.problems
    journal.record(ws.store, plan.batch_id, plan.ops)
    moves_before = {pid: len(sb.state.projects[pid].history) for pid in approved[:5]}

    cfg = {"base_url": sb.base_url, "token_url": sb.token_url, "creds": sb.credentials("admin"),
           "program": sb.program_id, "store": ws.store.target, "bucket": str(tmp_path / "b.sqlite"),
           "batch": plan.batch_id, "timeout": 3.0}  # a taken-over note/move is checked 3 + 5 s after it left
    sb.sandbox.faults.update(latency_s=0.01)
    try:
        _kill_at(_spawn("writeback", cfg), sb, rng.randint(1, 29))
    finally:
        sb.sandbox.faults.update(latency_s=0.0)
    time.sleep(0.05)  # a request in flight when the worker died is still applied by the server

    states = journal.states(ws.store, plan.batch_id)
    assert set(states.values()) <= {"planned", "sending", "done"}  # nothing half-written or unknown
    assert list(states.values()).count("sending") <= 1  # one operation in flight at most
    result = writeback.resume(ws, plan.batch_id, progress=False)
    assert set(ws.journal(plan.batch_id)["state"]) == {"done"}, result.frame
    for i, pid in enumerate(pool[:20]):
        assert sb.state.projects[pid].submitted["APPLICATION"]["INSTALLER"] == f"{tag}-{i}"
    for i, pid in enumerate(pool[20:25]):
        texts = [n.text for t in sb.state.threads.values() if t.project_id == pid for n in t.notes]
        assert texts.count(f"{tag} note {i}") == 1  # never sent twice
    for pid in approved[:5]:
        assert sb.state.projects[pid].status == "INSPECTION"
        assert len(sb.state.projects[pid].history) == moves_before[pid] + 1  # moved exactly once
    ws.close()
