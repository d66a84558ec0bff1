"""The shared rate budget: unit behaviour and three processes sharing one key (real sandbox), on
this machine's SQLite bucket and through the team's PostgreSQL server (pcnb.api.budget_pg)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from pcnb.api.budget import RateBudget, key_fingerprint
from pcnb.sandbox import running
from pcnb.sandbox.faults import Faults
from tests.conftest import END

WORKER = r"""
import json, sys, time
from pcnb.api.auth import Credentials
from pcnb.api.client import PowerClerkClient
from pcnb.config import Settings
from pcnb.errors import RateLimited
from pcnb.api.budget import RateBudget
cfg = json.loads(sys.argv[1])
s = Settings(environment="custom", base_url=cfg["base_url"], token_url=cfg["token_url"],
             rate_limit=cfg["limit"], rate_period=cfg["period"])
c = cfg["creds"]
creds = Credentials.from_dict(c, "test")
if cfg.get("url"):
    from pcnb.api.budget_pg import ServerBudget
    budget = ServerBudget(c["api_key"], cfg["limit"], cfg["period"], url=cfg["url"], buffer_s=0.1)
else:
    budget = RateBudget(c["api_key"], cfg["limit"], cfg["period"], path=cfg["bucket"], buffer_s=0.1)
client = PowerClerkClient(s, creds, budget=budget, max_attempts=1)
client.programs()
ok = 0
end = time.monotonic() + cfg["seconds"]
while time.monotonic() < end:
    try:
        client.programs(); ok += 1
    except RateLimited:
        print(json.dumps({"ok": ok, "429": 1})); sys.exit(0)
print(json.dumps({"ok": ok, "429": client.http.count_429}))
"""


def _budget(target: str, key: str, **kw):
    """The key's budget kept in this store's place: an SQLite bucket file, or the PostgreSQL server."""
    if target.startswith("postgresql://"):
        from pcnb.api.budget_pg import ServerBudget

        return ServerBudget(key, url=target, **kw)
    return RateBudget(key, path=target.replace(".sqlite", ".bucket.sqlite"), **kw)


def test_budget_snapshot_and_eta(store_at):
    b = _budget(store_at("b"), "key", limit=4, period=1.0, buffer_s=0.0)
    for _ in range(4):
        b.acquire()
    snap = b.snapshot()
    assert (snap.used, snap.remaining) == (4, 0)
    assert 0.5 < b.eta(1) <= 1.0
    assert b.eta(5) > b.eta(1)


def test_bucket_file_is_named_by_the_key_hash_not_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("PCNB_CACHE_DIR", str(tmp_path))
    key = "raw-api-key-" + "0123456789"
    b = RateBudget(key, limit=4, period=1.0)
    assert b.path == tmp_path / "ratelimit" / f"{key_fingerprint(key)}.sqlite" and b.path.exists()
    assert key not in str(b.path) and key.encode() not in b.path.read_bytes()


def test_background_leaves_reserve_for_interactive(store_at):
    b = _budget(store_at("r"), "k2", limit=5, period=1.0, reserve=2, buffer_s=0.0)
    start = time.monotonic()
    for _ in range(3):
        b.acquire("background")
    assert time.monotonic() - start < 0.5
    b.acquire("background")  # only 2 left: background must wait for the window
    assert time.monotonic() - start >= 0.8
    assert b.snapshot().remaining >= 1


def _workers(tmp_path, store_at, sb, limit: int, period: float, seconds: float, n: int = 3) -> list[dict]:
    """``n`` processes calling programs() for ``seconds`` on one key, each through its own budget
    object (SQLite: one bucket file; PostgreSQL: the server, as ``n`` machines would)."""
    cfg = {"base_url": sb.base_url, "token_url": sb.token_url, "limit": limit, "period": period,
           "creds": sb.credentials("admin"), "bucket": str(tmp_path / "shared.sqlite"), "seconds": seconds}
    target = store_at("shared")
    if target.startswith("postgresql://"):
        cfg["url"] = target
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(cfg)], stdout=subprocess.PIPE,
                              text=True) for _ in range(n)]
    return [json.loads(p.communicate(timeout=60)[0].strip().splitlines()[-1]) for p in procs]


@pytest.mark.slow
def test_three_processes_share_one_key_without_429(tmp_path, store_at):
    """Server limit 30 per 2 s; three processes share the key's bucket for ~8 s (PostgreSQL: as three
    machines would, nothing shared but the server)."""
    seconds = 8.0
    with running(projects=10, rate_limit="30/2", end=END) as sb:
        results = _workers(tmp_path, store_at, sb, 30, 2.0, seconds)
        stats = sb.sandbox.rate
    assert sum(r["429"] for r in results) == 0 and stats.rejected == 0
    # the server's budget over the run is 30 per 2 s; we must use at least 90 % of it with no 429
    achieved = sum(r["ok"] for r in results)
    budget = 30 * seconds / 2.0
    assert achieved >= 0.9 * budget, (achieved, budget)


@pytest.mark.slow
def test_uneven_answer_times_do_not_push_arrivals_into_the_next_window(tmp_path, store_at):
    """The server counts a call when it reaches it, 0 to 0.6 s after it left here (a slow gateway in
    front of the counter). A slot kept from its departure would leave our 0.1 s-padded window before
    the server's and draw 429s (it did: CI, a loaded machine, a burst); kept from its answer, none."""
    with running(projects=10, rate_limit="4/1", end=END, faults=Faults(latency_jitter_s=0.6, seed=3)) as sb:
        results = _workers(tmp_path, store_at, sb, 4, 1.0, 5.0)
        stats = sb.sandbox.rate
    assert sum(r["429"] for r in results) == 0 and stats.rejected == 0, (results, stats.rejected)
    assert stats.accepted >= 12, stats.accepted  # the calls flowed: no 429 because nothing was sent is no pass


def test_a_slot_counts_from_its_answer(store_at):
    """settle() moves the last slot to the moment its answer came back: the window frees it a period
    after the answer, not after the departure."""
    b = _budget(store_at("s"), "k4", limit=2, period=1.0, reserve=0, buffer_s=0.0)
    start = time.monotonic()
    b.acquire()
    time.sleep(0.5)
    b.settle()  # the answer took 0.5 s
    b.acquire()
    b.settle()
    time.sleep(max(0.0, 1.1 - (time.monotonic() - start)))
    b.acquire()  # the first slot leaves at 1.5 s (its answer + 1 s), not at 1.0 s
    assert time.monotonic() - start >= 1.4
    b.settle()
    b.settle()  # nothing left to settle: no error


def test_interactive_calls_jump_ahead_of_background_waiting_on_the_server(store_at):
    """A background caller waits for the window while an interactive one still gets a reserved slot
    at once, from another budget object (another machine) on the same key."""
    import threading

    target = store_at("p")
    background = _budget(target, "k3", limit=4, period=1.5, reserve=1, buffer_s=0.0)
    interactive = _budget(target, "k3", limit=4, period=1.5, reserve=1, buffer_s=0.0)
    for _ in range(3):
        background.acquire("background")
    done: list[float] = []
    start = time.monotonic()
    waiter = threading.Thread(target=lambda: (background.acquire("background"), done.append(time.monotonic())))
    waiter.start()
    time.sleep(0.2)
    interactive.acquire("interactive")  # the reserved slot: no wait behind the background caller
    assert time.monotonic() - start < 0.5 and not done
    waiter.join(timeout=10)
    assert done and done[0] - start >= 1.2  # the background caller waited for the window to move
    assert interactive.snapshot().used >= 2  # the window holds the interactive and the late background call
