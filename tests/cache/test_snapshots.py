"""Frame snapshots (pcnb.cache.snapshots): one build per frame and store generation in a process,
however many threads ask at once or before its file is written, and frames.load reading several
frames at once (issue #31's cold load), equal to loading them one by one, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time

import polars as pl
import pytest

from benchmarks.frames_load import fill
from pcnb.cache import frames, snapshots
from pcnb.cache.store import Store


@pytest.fixture
def store(store_at):
    s = Store(store_at("snap"))
    fill(s, 200)
    yield s
    frames.wait_for_snapshots()
    s.close()


def test_loading_together_equals_loading_one_by_one(store, tmp_path):
    reference = Store(tmp_path / "reference.sqlite")
    fill(reference, 200)
    together = frames.load(store, "projects", "status_events", "threads", "notes")
    one_by_one = [frames.build(reference, n) for n in ("projects", "status_events", "threads", "notes")]
    assert [f.height for f in together][:2] == [200, one_by_one[1].height] and one_by_one[1].height > 200
    for got, want in zip(together, one_by_one, strict=True):
        assert got.equals(want)
    with pytest.raises(ValueError, match="unknown frame.*histories: choose from projects, status_events"):
        frames.load(store, "projects", "histories")
    reference.close()


def test_threads_asking_at_once_share_one_build_and_its_error(store, monkeypatch):
    built: list[int] = []
    written = threading.Event()
    release = threading.Event()
    real_write = snapshots._write

    def slow_build() -> pl.DataFrame:
        built.append(1)
        time.sleep(0.3)  # long enough for every thread below to arrive while it runs
        return pl.DataFrame({"x": [1, 2, 3]})

    def held_write(*args) -> None:  # the snapshot file lands only when the test says so
        release.wait(10)
        real_write(*args)
        written.set()

    monkeypatch.setattr(snapshots, "_write", held_write)
    got: list[pl.DataFrame] = []
    askers = [threading.Thread(target=lambda: got.append(snapshots.cached(store, "x", slow_build))) for _ in range(4)]
    for t in askers:
        t.start()
    for t in askers:
        t.join(10)
    assert len(built) == 1 and len(got) == 4 and all(g.equals(got[0]) for g in got)
    # built, its file not written yet: the next load (the next cell) takes the frame, no second read
    assert snapshots.cached(store, "x", slow_build).equals(got[0]) and len(built) == 1
    release.set()
    assert written.wait(10)
    assert snapshots.snapshot_path(store, "x", store.generation()).exists()
    assert snapshots.cached(store, "x", slow_build).equals(got[0]) and len(built) == 1  # the file now

    def broken() -> pl.DataFrame:
        built.append(1)
        time.sleep(0.2)
        raise RuntimeError("the store went away")

    errors: list[BaseException] = []

    def ask() -> None:
        try:
            snapshots.cached(store, "y", broken)
        except RuntimeError as exc:
            errors.append(exc)

    askers = [threading.Thread(target=ask) for _ in range(3)]
    for t in askers:
        t.start()
    for t in askers:
        t.join(10)
    assert len(errors) == 3 and len(built) == 2  # one failed build, its error to every caller waiting on it
    with pytest.raises(RuntimeError):
        snapshots.cached(store, "y", broken)  # a failure is not remembered: the next load tries again
    assert len(built) == 3


def test_a_new_generation_is_built_again(store):
    first = frames.load(store, "status_events")[0]
    with store.tx() as conn:
        Store.replace_history(conn, "NEW", [{"StatusId": "x", "Name": "Added", "Timestamp": "2026-01-02T03:04:05Z"}])
    again = frames.load(store, "status_events", "projects")[0]
    assert again.height == first.height + 1 and again.filter(pl.col("project_id") == "NEW").height == 1
