"""Issue #16 items 1-2: no change is missed by incremental sync, even two in one second.

The sandbox's clock is frozen inside one second (it still orders changes by microsecond ticks), so
note and status timestamps, which the API reports to the whole second, collide for real.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pcnb.cache.store import Store
from pcnb.cache.sync import sync
from pcnb.sandbox import running
from tests.cache.helpers import cached, truth
from tests.conftest import END, FAST


@pytest.fixture
def frozen():
    """A private sandbox whose clock stands still in the middle of one second (now, real time)."""
    with running(projects=60, seed=16, rate_limit=FAST, end=END) as sb:
        t0 = datetime.now(UTC).replace(microsecond=300_000)
        sb.state.now = lambda: t0
        yield sb


def _store_notes(store: Store, thread: str) -> list[str]:
    return [r[0] for r in store.conn.execute("SELECT text FROM inquiry_notes WHERE thread_id = ? ORDER BY seq",
                                             (thread,))]


def test_second_note_in_the_same_second_is_fetched(frozen, make_client, tmp_path):
    client = make_client(frozen)
    store = Store(tmp_path / "s.sqlite")
    assert sync(client, store, frozen.program_id, progress=False).complete
    pid, thread = next((t.project_id, t.thread_id) for t in frozen.state.threads.values())
    client.set_inquiry_note(frozen.program_id, pid, "first", thread_id=thread)
    assert sync(client, store, frozen.program_id, progress=False).complete
    assert _store_notes(store, thread)[-1] == "first"
    client.set_inquiry_note(frozen.program_id, pid, "second", thread_id=thread)  # same second as "first"
    for _ in range(2):
        report = sync(client, store, frozen.program_id, progress=False)
        assert report.complete
    assert _store_notes(store, thread)[-2:] == ["first", "second"]
    assert cached(store) == truth(frozen)


def test_two_status_moves_in_the_same_second_are_fetched(frozen, make_client, tmp_path):
    client = make_client(frozen)
    store = Store(tmp_path / "s.sqlite")
    assert sync(client, store, frozen.program_id, progress=False).complete
    pid = next(p.project_id for p in frozen.state.projects.values() if p.status == "REVIEW")
    client.set_project_status(frozen.program_id, pid, "RETURNED")
    assert sync(client, store, frozen.program_id, progress=False).complete
    before = len(frozen.state.projects[pid].history)
    client.set_project_status(frozen.program_id, pid, "REVIEW")  # two more moves, same second: the
    client.set_project_status(frozen.program_id, pid, "RETURNED")  # listing's CurrentStatus is unchanged
    for _ in range(2):
        assert sync(client, store, frozen.program_id, progress=False).complete
    n = store.conn.execute("SELECT COUNT(*) FROM status_events WHERE project_id = ?", (pid,)).fetchone()[0]
    assert n == before + 2 == len(frozen.state.projects[pid].history)
    assert cached(store) == truth(frozen)


def test_settled_changes_cost_no_extra_call(frozen, make_client, tmp_path):
    """Once the clock has moved past a change's second, a later note costs threads + notes only
    (no history call): the same-second re-check is bounded to changes younger than 2 s at sync time."""
    client = make_client(frozen)
    store = Store(tmp_path / "s.sqlite")
    pid = next(p.project_id for p in frozen.state.projects.values() if p.status == "REVIEW")
    thread = frozen.state.projects[pid].thread_ids[0] if frozen.state.projects[pid].thread_ids else None
    client.set_project_status(frozen.program_id, pid, "RETURNED")
    assert sync(client, store, frozen.program_id, progress=False).complete
    t1 = frozen.state.now() + timedelta(seconds=5)
    frozen.state.now = lambda: t1
    assert sync(client, store, frozen.program_id, progress=False).complete  # settles the young change
    client.set_inquiry_note(frozen.program_id, pid, "later", thread_id=thread, subject=None if thread else "S")
    report = sync(client, store, frozen.program_id, progress=False)
    assert report.complete and report.histories == 0
    assert report.calls == report.pages + 2  # threads + the changed thread's notes
    assert cached(store) == truth(frozen)


def test_a_resumed_sync_says_it_covers_only_the_interrupted_runs_listing(fresh_sandbox, make_client, tmp_path):
    sb, client, store = fresh_sandbox, make_client(fresh_sandbox), Store(tmp_path / "s.sqlite")
    assert sync(client, store, sb.program_id, progress=False).complete
    for pid in list(sb.state.projects)[:6]:
        client.set_inquiry_note(sb.program_id, pid, "queued change", subject="Early")
    part = sync(client, store, sb.program_id, progress=False, max_calls=3)
    assert not part.complete
    queued = {r[0] for r in store.conn.execute("SELECT project_id FROM queue WHERE done = 0")}
    pid = next(p for p in sb.state.projects if p not in queued)
    client.set_inquiry_note(sb.program_id, pid, "after the interrupted listing", subject="Late")
    done = sync(client, store, sb.program_id, progress=False)
    assert done.complete and done.covers_until is not None
    assert "complete up to" in str(done) and "next sync" in str(done)
    assert "after the interrupted listing" not in {t for (t,) in store.conn.execute("SELECT text FROM inquiry_notes")}
    caught_up = sync(client, store, sb.program_id, progress=False)
    assert caught_up.complete and caught_up.covers_until is None and str(caught_up).startswith("sync complete:")
    assert cached(store) == truth(sb)
