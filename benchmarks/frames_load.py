"""Cache -> polars frames load time at scale (target: 100k projects / 1M status events < 1 s).

Cold: the first load after the store changed reads SQLite (project rows + one packed history blob
per project) and hands the parquet snapshot writes to a background thread. Warm: later loads read
the snapshots.

The store is filled directly from the sandbox generator (no HTTP: this measures the read path),
with enough projects to reach one million status events. The same data is then copied into a
PostgreSQL store (team mode, issue #28: a server from PCNB_TEST_PG_URL, else a throwaway one started
by tests/pg.py) and loaded there: cold is Arrow columns through ADBC, warm the reader's own snapshot.
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


LOADERS = (("projects", frames.projects), ("status_events", frames.status_events))


def cold_and_warm(store: Store) -> tuple[dict[str, float], dict[str, float]]:
    cold = {name: _time(fn, store) for name, fn in LOADERS}
    frames.wait_for_snapshots()  # the snapshot writes run behind the cold load; not part of its wait
    warm = {name: min(_time(fn, store) for _ in range(3)) for name, fn in LOADERS}
    return cold, warm


def copy_to_postgresql(source: Store, target: Store) -> None:
    """Every table of the SQLite store into the PostgreSQL one (COPY, one transaction)."""
    tables = ("projects", "statuses", "people", "status_events", "history_packed", "sync_state")
    with target.tx(data=False), target.pg._live().cursor() as cur:
        for table in tables:
            columns = [r[1] for r in source.conn.execute(f"PRAGMA table_info({table})")]
            names = ", ".join(columns)
            with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:  # type: ignore[arg-type]
                for row in source.conn.execute(f"SELECT {names} FROM {table} ORDER BY rowid"):
                    copy.write_row(row)
        for table, key in (("statuses", "code"), ("people", "code")):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), "  # type: ignore[arg-type]
                        f"(SELECT COALESCE(MAX({key}), 0) + 1 FROM {table}), false)")


def postgresql_rows(sqlite_store: Store) -> list[tuple[str, str, str]]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests import pg

    folder = pg.start_if_needed()
    try:
        if pg.unavailable():
            return [("PostgreSQL", f"not measured: {pg.unavailable()}", "-")]
        store = Store(pg.fresh_schema("bench"))
        copy_to_postgresql(sqlite_store, store)
        cold, warm = cold_and_warm(store)
        store.close()
    finally:
        if folder:
            pg.stop(folder)
    return [
        ("cold (PostgreSQL through ADBC, first load after the store changed): same frames",
         f"{sum(cold.values()):.3f} s (status_events {cold['status_events']:.3f} s)", "beside SQLite's"),
        ("warm (PostgreSQL: this reader's parquet snapshot, unchanged generation): same frames",
         f"{sum(warm.values()):.3f} s (status_events {warm['status_events']:.3f} s)", "< 1 s"),
    ]


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "bench.sqlite")
        n_events = fill(store, 166_000)
        cold, warm = cold_and_warm(store)
        n_projects = frames.projects(store).height
        team = postgresql_rows(store)
    record("Cache -> frames (frames_load.py)", [
        (f"cold (SQLite, first load after the store changed): {n_projects:,} projects + {n_events:,} events",
         f"{sum(cold.values()):.3f} s (status_events {cold['status_events']:.3f} s)",
         "< 1 s"),
        ("warm (parquet snapshot, unchanged store): same frames", f"{sum(warm.values()):.3f} s "
         f"(status_events {warm['status_events']:.3f} s)", "< 1 s"),
        *team,
    ])


def _time(fn, store) -> float:
    start = time.perf_counter()
    fn(store)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
