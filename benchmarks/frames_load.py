"""Cache -> polars frames load time at scale (target: 100k projects / 1M status events < 1 s).

Cold: the first load after the store changed reads SQLite (project rows + one packed history blob
per project) and hands the parquet snapshot writes to a background thread. Warm: later loads read
the snapshots.

The store is filled directly from the sandbox generator (no HTTP: this measures the read path),
with enough projects to reach one million status events.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._results import record  # noqa: E402
from pcnb.cache import frames  # noqa: E402
from pcnb.cache.store import Store  # noqa: E402
from pcnb.sandbox.generator import generate  # noqa: E402


def fill(store: Store, n: int) -> int:
    state = generate(n, seed=1, end=datetime(2026, 11, 1, tzinfo=UTC))
    events = 0
    with store.tx() as conn:
        for pid, p in state.projects.items():
            Store.upsert_project(conn, state.summary(p), 0)
            Store.replace_history(conn, pid, state.history(p)["StatusHistory"])
            events += len(p.history)
    return events


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "bench.sqlite")
        n_events = fill(store, 166_000)
        loaders = (("projects", frames.projects), ("status_events", frames.status_events))
        cold = {name: _time(fn, store) for name, fn in loaders}
        frames.wait_for_snapshots()  # the snapshot writes run behind the cold load; not part of its wait
        warm = {name: min(_time(fn, store) for _ in range(3)) for name, fn in loaders}
        n_projects = frames.projects(store).height
    record("Cache -> frames (frames_load.py)", [
        (f"cold (SQLite, first load after the store changed): {n_projects:,} projects + {n_events:,} events",
         f"{sum(cold.values()):.3f} s (status_events {cold['status_events']:.3f} s)",
         "< 1 s"),
        ("warm (parquet snapshot, unchanged store): same frames", f"{sum(warm.values()):.3f} s "
         f"(status_events {warm['status_events']:.3f} s)", "< 1 s"),
    ])


def _time(fn, store) -> float:
    start = time.perf_counter()
    fn(store)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
