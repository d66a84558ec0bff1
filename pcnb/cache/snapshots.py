"""Parquet snapshots of the cache's frames, and one build per frame and store generation per process.

Each frame (pcnb.cache.frames) is kept as a parquet file beside the store, its store generation in
the file name, so a reader can never pair old data with a new tag, whatever writers race; a load
while the generation is unchanged is a parquet read. After a rebuild the file is written in a
background thread (polars releases the GIL), so a first load costs only the build.

Until that file exists, a second load of the same frame in this process (another thread, or the
next cell) takes the frame just built, or waits for the build under way, instead of reading SQLite
again: frames.load builds several frames at once on their own threads (issue #31: the cold load of
166,000 projects and ~1M events ran its two reads one after the other on a 2-core machine, and the
first frame's snapshot write then slowed the second's read).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

import polars as pl

from pcnb.cache.store import Store

#: builds under way or done in this process whose snapshot file is not written yet, by its path
_pending: dict[Path, Future[pl.DataFrame]] = {}
_lock = threading.Lock()


def snapshot_path(store: Store, name: str, generation: int) -> Path:
    """The snapshot of frame ``name`` at a store generation."""
    return store.path.with_name(f"{store.path.stem}.{name}.g{generation}.parquet")


def cached(store: Store, name: str, build: Callable[[], pl.DataFrame], wait: bool = False) -> pl.DataFrame:
    """Frame ``name`` valid at the store's generation now: its snapshot, the build of it this process
    already made or is making, or a new build (then written behind; ``wait=True``, Workspace.sync's
    refresh: written before returning)."""
    generation = store.generation()  # read before building: the data is at least this new
    path = snapshot_path(store, name, generation)
    try:
        if path.exists():
            snapshot: pl.DataFrame = pl.read_parquet(path)
            return snapshot
    except (OSError, pl.exceptions.ComputeError):
        pass  # unreadable snapshot: rebuild below
    with _lock:
        under_way = _pending.get(path)
        if under_way is None:
            mine: Future[pl.DataFrame] = Future()
            _pending[path] = mine
    if under_way is not None:
        return under_way.result()  # the same generation's frame: the same data
    try:
        df = build()
    except BaseException as exc:
        mine.set_exception(exc)
        with _lock:
            _pending.pop(path, None)  # the next load tries again
        raise
    mine.set_result(df)
    if wait:
        _write(df, path, store, name)
    else:
        threading.Thread(target=_write, args=(df, path, store, name), name=f"pcnb-snapshot-{name}").start()
    return df


def wait_for_snapshots() -> None:
    """Join background snapshot writes (benchmarks and tests that time or inspect the files)."""
    for t in threading.enumerate():
        if t.name.startswith("pcnb-snapshot-"):
            t.join()


def _write(df: pl.DataFrame, path: Path, store: Store, name: str) -> None:
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        df.write_parquet(tmp, compression="lz4")  # zstd: ~40 % smaller, twice the CPU to write and to read
        os.chmod(tmp, 0o600)  # same privacy as the store it mirrors
        os.replace(tmp, path)
        for old in path.parent.glob(f"{store.path.stem}.{name}.g*.parquet"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        tmp.unlink(missing_ok=True)  # a read-only or full disk only costs speed next time
    finally:
        with _lock:
            _pending.pop(path, None)  # the file (or, on a full disk, the next load) takes over
