"""Issue #16 items 3-5: a journaled write reaches PowerClerk exactly once, across processes, after
a 5xx that hid an applied write, and after a slow write that lands once its client gave up."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from pcnb import writeback
from pcnb.sandbox import running
from pcnb.workspace import Workspace
from pcnb.writeback import journal
from tests.conftest import END, FAST

pytestmark = pytest.mark.slow  # the slow tier: pytest -m slow

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sb():
    with running(projects=80, seed=16, rate_limit=FAST, end=END) as handle:
        yield handle


def _ws(sb, make_client, target) -> Workspace:
    ws = Workspace(make_client(sb), sb.program_id, target)
    ws.sync(progress=False)
    return ws


def _notes(sb, pid: str, text: str) -> int:
    return sum(n.text == text for t in sb.state.threads.values() if t.project_id == pid for n in t.notes)


def _cfg(sb, ws, tmp_path, batch: str) -> dict:
    return {"base_url": sb.base_url, "token_url": sb.token_url, "creds": sb.credentials("admin"),
            "program": sb.program_id, "store": ws.store.target, "bucket": str(tmp_path / "b.sqlite"),
            "batch": batch}


def _spawn(cfg: dict, n: int) -> list[subprocess.Popen]:
    """n workers, all started (imported, connected) before any of them sends a write."""
    args = [sys.executable, "-m", "tests.reliability.workers", "writeback", json.dumps({**cfg, "wait_for_go": True})]
    procs = [subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(n)]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    return procs


@pytest.mark.parametrize("workers", [2, 4])
def test_one_batch_resumed_by_several_processes_at_once_sends_each_row_once(sb, make_client, tmp_path, store_at,
                                                                          workers):
    ws = _ws(sb, make_client, store_at("w"))
    pids = ws.projects().filter(pl.col("project_number").is_not_null())["project_id"].to_list()[:10]
    plan = ws.plan([{"action": "note", "project": pid, "subject": f"Parallel {i}", "text": f"parallel note {i}"}
                    for i, pid in enumerate(pids)])
    assert plan.ok, plan.problems
    journal.record(ws.store, plan.batch_id, plan.ops)
    sb.sandbox.faults.update(latency_s=0.2)  # every process is mid-batch while the others start
    procs = _spawn(_cfg(sb, ws, tmp_path, plan.batch_id), workers)
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
    sb.sandbox.faults.update(latency_s=0.0)
    assert [_notes(sb, pid, f"parallel note {i}") for i, pid in enumerate(pids)] == [1] * 10
    assert set(journal.states(ws.store, plan.batch_id).values()) == {"done"}


def test_a_5xx_after_the_write_was_applied_is_unknown_and_not_resent(sb, make_client, tmp_path, store_at):
    ws = _ws(sb, make_client, store_at("w"))
    pid = ws.projects().filter(pl.col("project_number").is_not_null())["project_id"][0]
    plan = ws.plan({"action": "note", "project": pid, "subject": "Gateway", "text": "behind a 502"})
    sb.sandbox.faults.update(bad_gateway_after_next=1, match="SetInquiryNote")  # applied, then 502
    first = plan.execute(confirm=True, progress=False, irreversible="sandbox")
    assert first.frame["state"].to_list() == ["unknown"], first.frame
    assert "re-run" in first.summary()
    again = ws.plan({"action": "note", "project": pid, "subject": "Gateway", "text": "behind a 502"})
    second = again.execute(confirm=True, progress=False, irreversible="sandbox")  # what the summary advises
    assert second.frame["state"].to_list() == ["done (verified)"], second.frame
    assert _notes(sb, pid, "behind a 502") == 1


def test_a_slow_write_is_not_checked_before_it_can_no_longer_land(sb, make_client, tmp_path, store_at):
    ws = _ws(sb, make_client, store_at("w"))
    ws.client.http.timeout = 1.0
    pid = ws.projects().filter(pl.col("project_number").is_not_null())["project_id"][0]
    plan = ws.plan({"action": "note", "project": pid, "subject": "Slow", "text": "slow note"})
    sb.sandbox.faults.update(latency_s=2.5)  # the server applies it 2.5 s after it arrived
    first = plan.execute(confirm=True, progress=False, irreversible="sandbox")
    sb.sandbox.faults.update(latency_s=0.0)
    assert first.frame["state"].to_list() == ["unknown"], first.frame
    started = time.monotonic()
    second = writeback.resume(ws, plan.batch_id, progress=False)  # immediately
    assert second.frame["state"].to_list() == ["done (verified)"], second.frame
    assert _notes(sb, pid, "slow note") == 1
    assert time.monotonic() - started < 15  # it waited for the landing window, not much longer


@pytest.fixture
def sb200():
    with running(projects=200, seed=21, rate_limit=FAST, end=END) as handle:
        yield handle


def _kill_two_senders(procs, sb, target: str, points: list[int]) -> list[int]:
    """At each point (operations served by the sandbox), SIGKILL a live worker that holds a claimed
    row at that moment (its pid is in the row's owner): every kill lands mid-operation."""
    import os
    import signal

    from pcnb.cache.store import Store

    killed: list[int] = []
    start = sb.sandbox.rate.accepted  # the workers were just told to go
    db = Store(target).conn  # the journal as the workers see it, on either backend
    try:
        for at in points:
            while sb.sandbox.rate.accepted - start < at and any(p.poll() is None for p in procs):
                time.sleep(0.0005)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                owners = [r[0] for r in db.execute("SELECT owner FROM journal WHERE state = 'sending' AND owner "
                                                   "IS NOT NULL")]
                holder = next((i for i, p in enumerate(procs) if i not in killed and p.poll() is None
                               and any(f"|{p.pid}|" in o for o in owners)), None)
                if holder is not None:
                    os.kill(procs[holder].pid, signal.SIGKILL)
                    killed.append(holder)
                    break
                time.sleep(0.0005)
    finally:
        db.close()
    return killed


@pytest.mark.parametrize("seed", range(3))
def test_four_processes_resume_one_batch_while_two_are_killed(sb200, make_client, tmp_path, store_at, seed):
    """40 operations (20 data sets, 10 new inquiry threads, 10 status moves) resumed by 4 processes
    at once; 2 of them are SIGKILLed at random points. After the survivors and one final resume,
    the server holds every operation exactly once and the journal is all done."""
    import random
    import signal

    sb, rng = sb200, random.Random(16_000 + seed)
    ws = _ws(sb, make_client, store_at("w"))
    p = ws.projects()
    pool = p.filter(pl.col("project_number").is_not_null())["project_id"].to_list()
    approved = [x for x in p.filter(pl.col("status") == "Approved to Install")["project_id"].to_list()
                if x not in pool[:30]]
    assert len(approved) >= 10
    tag = f"mp{seed}"
    changes = [{"action": "set", "project": pid, "form": "APPLICATION", "field": "INSTALLER", "value": f"{tag}-{i}"}
               for i, pid in enumerate(pool[:20])]
    changes += [{"action": "note", "project": pid, "subject": f"{tag} subject {i}", "text": f"{tag} note {i}"}
                for i, pid in enumerate(pool[20:30])]
    changes += [{"action": "status", "project": pid, "status": "Inspection Pending"} for pid in approved[:10]]
    rng.shuffle(changes)
    plan = ws.plan(changes)
    assert plan.ok and len(plan.ops) == 40, plan.problems
    journal.record(ws.store, plan.batch_id, plan.ops)
    moves_before = {pid: len(sb.state.projects[pid].history) for pid in approved[:10]}

    sb.sandbox.faults.update(latency_s=0.03)
    procs = _spawn({**_cfg(sb, ws, tmp_path, plan.batch_id), "timeout": 2.0}, 4)
    killed = _kill_two_senders(procs, sb, ws.store.target, sorted(rng.sample(range(1, 16), 2)))
    for proc in procs:
        proc.communicate(timeout=300)
    assert [procs[i].returncode for i in killed] == [-signal.SIGKILL] * 2  # both died holding a row
    sb.sandbox.faults.update(latency_s=0.0)
    time.sleep(0.05)  # a request in flight when a worker died is still applied by the server

    result = writeback.resume(ws, plan.batch_id, progress=False)
    assert set(ws.journal(plan.batch_id)["state"]) == {"done"}, result.frame
    for i, pid in enumerate(pool[:20]):
        assert sb.state.projects[pid].submitted["APPLICATION"]["INSTALLER"] == f"{tag}-{i}"
    for i, pid in enumerate(pool[20:30]):
        assert _notes(sb, pid, f"{tag} note {i}") == 1
    for pid in approved[:10]:
        assert sb.state.projects[pid].status == "INSPECTION"
        assert len(sb.state.projects[pid].history) == moves_before[pid] + 1
