"""Sync under injected faults: the store must end equal to the sandbox's truth, with nothing lost."""

from __future__ import annotations

import sqlite3
import time
from types import SimpleNamespace

import pytest

from pcnb.cache.store import Store, StoreError
from pcnb.cache.sync import sync
from pcnb.sandbox import running
from tests.cache.helpers import cached, truth
from tests.conftest import END, FAST

pytestmark = pytest.mark.slow  # the slow tier: pytest -m slow


def _sync_until_complete(client, store, program, rounds: int = 5):
    for _ in range(rounds):
        report = sync(client, store, program, progress=False)
        if report.complete:
            return report
    raise AssertionError(f"sync did not complete in {rounds} runs: {report}")


def test_sync_through_5xx_drops_and_latency(make_client, tmp_path):
    with running(projects=80, seed=31, rate_limit=FAST, end=END) as sb:
        sb.sandbox.faults.update(error_rate=0.08, drop_rate=0.04, latency_s=0.002, latency_jitter_s=0.01, seed=3)
        client = make_client(sb, backoff_cap=0.02)
        store = Store(tmp_path / "f.sqlite")
        _sync_until_complete(client, store, sb.program_id)
        sb.sandbox.faults.update(error_rate=0, drop_rate=0)
        assert cached(store) == truth(sb)


def test_token_revoked_mid_sync(make_client, tmp_path):
    with running(projects=60, seed=32, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        seen = {"n": 0}

        def ledger(entry):
            seen["n"] += 1
            if seen["n"] in (20, 70):
                sb.sandbox.identity.revoke_all()

        client.http.ledger = ledger
        store = Store(tmp_path / "t.sqlite")
        assert sync(client, store, sb.program_id, progress=False).complete
        assert cached(store) == truth(sb)


def test_long_retry_after_stops_sync_then_resumes(make_client, tmp_path):
    with running(projects=60, seed=33, rate_limit=FAST, end=END) as sb:
        client = make_client(sb, max_retry_after=2)
        store = Store(tmp_path / "r.sqlite")
        first = sync(client, store, sb.program_id, max_calls=15, progress=False)
        sb.sandbox.faults.update(force_429=1, retry_after=30)
        stopped = sync(client, store, sb.program_id, progress=False)
        assert not stopped.complete and "rate limited" in stopped.stopped_because and not first.complete
        done = sync(client, store, sb.program_id, progress=False)
        assert done.complete and cached(store) == truth(sb)


def test_disk_full_is_clear_loses_nothing_and_resumes(make_client, tmp_path):
    with running(projects=120, seed=34, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        path = tmp_path / "d.sqlite"
        store = Store(path)
        sync(client, store, sb.program_id, max_calls=40, progress=False)
        before = cached(store)
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite answers SQLITE_FULL from here on
        with pytest.raises(StoreError, match="disk is full") as err:
            sync(client, store, sb.program_id, progress=False)
        assert "free disk space" in str(err.value)
        store.close()
        reopened = Store(path)  # the cache still opens and holds everything committed before
        assert set(before["events"]) <= set(cached(reopened)["events"])
        assert sqlite3.connect(path).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert sync(client, reopened, sb.program_id, progress=False).complete
        assert cached(reopened) == truth(sb)


def _restart_during(client, store, sb, port: int, down_s: float, after_calls: int) -> dict:
    """Run a sync in a thread; after ``after_calls`` operations stop the server, keep it down for
    ``down_s``, drop every issued token (a restarted server forgets them) and serve again on the
    same port with the same program state."""
    import threading

    from pcnb.sandbox.runner import running as serve

    outcome: dict = {}

    def work():
        try:
            outcome["report"] = sync(client, store, sb.state.program.program_id, progress=False)
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever ended the sync
            outcome["error"] = exc

    server = serve(port=port, sandbox=sb)
    server.__enter__()
    thread = threading.Thread(target=work)
    thread.start()
    start = sb.rate.accepted
    while sb.rate.accepted - start < after_calls and thread.is_alive():
        time.sleep(0.001)
    server.__exit__(None, None, None)
    time.sleep(down_s)
    sb.identity.revoke_all()
    server = serve(port=port, sandbox=sb)
    server.__enter__()
    thread.join(timeout=120)
    outcome["server"] = server
    return outcome


@pytest.mark.parametrize("down_s", [1.0, 8.0])
def test_sandbox_restarted_mid_sync(make_client, tmp_path, down_s):
    """A short outage is ridden out by the read retries; a long one pauses the sync (checkpointed,
    "could not be reached"), and the next run resumes. Either way the store ends equal to the truth."""
    import socket

    from pcnb.sandbox.runner import build

    sb = build(projects=80, seed=35, rate_limit=FAST, end=END)
    sb.faults.update(latency_s=0.003)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with running(port=port, sandbox=sb) as handle:  # only to build a client for the fixed port
        client = make_client(handle, backoff_cap=2.0)
    client.http.retry.max_attempts = 4  # backoff 1 + 2 + 2 s: rides out ~5 s of outage
    store = Store(tmp_path / "restart.sqlite")
    outcome = _restart_during(client, store, sb, port, down_s, after_calls=60)
    try:
        if down_s < 3:
            assert "report" in outcome and outcome["report"].complete, {k: str(v) for k, v in outcome.items()}
        else:
            stopped = outcome["report"]
            assert not stopped.complete and "could not be reached" in stopped.stopped_because
            assert sync(client, store, sb.state.program.program_id, progress=False).complete
        assert cached(store) == truth(SimpleNamespace(state=sb.state))  # truth() reads only .state
    finally:
        outcome["server"].__exit__(None, None, None)
