"""Cache -> polars frames load time at scale (issue #31: 166k projects / ~1M status events, cold < 0.5 s).

Cold: ``frames.projects`` + ``frames.status_events`` in a fresh Python process (modules imported,
not timed), the first load after the store changed, so no snapshot is usable: SQLite is read (the
columnar reader, pcnb.cache.sqlite_columns) and the parquet snapshot writes go to a background
thread (their time is not part of the load; they do compete for the cores). Before each run one
project is changed (a data write: a new generation). The operating system's file cache holds the
store, as after a sync. Each run is repeated (--runs) and the median reported; the same runs are
made with the code of --baseline (the commit before the columnar reader) for an old/new ratio, and
the load average is recorded beside them. Warm: later loads read the snapshots.

The store is filled directly from the sandbox generator (no HTTP: this measures the read path),
with enough projects to reach one million status events. The same data is then copied into a
PostgreSQL store (team mode, issue #28: a server from PCNB_TEST_PG_URL, else a throwaway one started
by tests/pg.py) and loaded there: cold is Arrow columns through ADBC, warm the reader's own snapshot.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
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


ROOT = Path(__file__).resolve().parent.parent
#: the last commit that read SQLite one Python tuple per row (before pcnb.cache.sqlite_columns)
BASELINE = "cbfda53"
#: a fresh process's cold load, then its warm loads; run with PYTHONPATH set to the code measured
CHILD = """
import json, sys, time
import numpy, polars  # imported before timing: an import is not the read (the old code imported numpy lazily)
from pcnb.cache import frames
from pcnb.cache.store import Store
store = Store(sys.argv[1])
out = {"code": frames.__file__, "generation": store.generation()}
cpu = time.process_time()
if sys.argv[2] == "together":  # as a notebook's setup loads them: frames.load, one thread each
    start = time.perf_counter()
    frames.load(store, "projects", "status_events")
    out["total"] = time.perf_counter() - start
else:  # one after the other (and the only way the baseline's code can)
    for name, load in (("projects", frames.projects), ("status_events", frames.status_events)):
        start = time.perf_counter()
        load(store)
        out[name] = time.perf_counter() - start
    out["total"] = out["projects"] + out["status_events"]
out["cpu"] = time.process_time() - cpu  # every thread of the process, the snapshot writes begun so far included
frames.wait_for_snapshots()
warm = []
for _ in range(3):
    start = time.perf_counter()
    frames.projects(store), frames.status_events(store)
    warm.append(time.perf_counter() - start)
out["warm"] = min(warm)
print(json.dumps(out))
"""


def cold_in_fresh_processes(store: Store, runs: int,
                            trees: dict[str, tuple[Path, str]]) -> dict[str, list[dict[str, float]]]:
    """``runs`` cold loads per (code tree, way of loading), alternating them, each after a
    one-project change."""
    got: dict[str, list[dict[str, float]]] = {label: [] for label in trees}
    for run in range(runs):
        for label, (tree, mode) in trees.items():
            with store.tx() as conn:  # a sync that changed one project: a new generation, no usable snapshot
                conn.execute("UPDATE projects SET last_change = last_change + 1 WHERE rowid = ?", (run + 1,))
            done = subprocess.run([sys.executable, "-P", "-c", CHILD, str(store.path), mode], capture_output=True,
                                  text=True,
                                  env={**os.environ, "PYTHONPATH": str(tree)}, check=True)
            out = json.loads(done.stdout.strip().splitlines()[-1])
            assert Path(out["code"]).is_relative_to(tree), f"{label} ran {out['code']}, not {tree}"
            assert out["generation"] == store.generation()
            got[label].append(out)
    return got


def baseline_tree(commit: str, into: Path) -> Path | None:
    """The pcnb package of ``commit`` exported into ``into`` (None: not in this clone)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "pcnb"], capture_output=True)
    if archive.returncode:
        return None
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


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
        ("cold (PostgreSQL through ADBC, first load after the store changed, in the benchmark's process): "
         "same frames",
         f"{sum(cold.values()):.3f} s (status_events {cold['status_events']:.3f} s)", "beside SQLite's"),
        ("warm (PostgreSQL: this reader's parquet snapshot, unchanged generation): same frames",
         f"{sum(warm.values()):.3f} s (status_events {warm['status_events']:.3f} s)", "< 1 s"),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=166_000)
    ap.add_argument("--runs", type=int, default=5, help="fresh-process cold loads per code tree (median)")
    ap.add_argument("--baseline", default=BASELINE, help="commit to compare with ('' for none)")
    ap.add_argument("--no-postgresql", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        store = Store(Path(d) / "bench.sqlite")
        n_events = fill(store, args.projects)
        n_projects = frames.projects(store).height
        frames.wait_for_snapshots()
        trees = {"together": (ROOT, "together"), "new": (ROOT, "each")}
        old = baseline_tree(args.baseline, Path(d) / "baseline") if args.baseline else None
        if old:
            trees["old"] = (old, "each")
        load_before = os.getloadavg()
        runs = cold_in_fresh_processes(store, args.runs, trees)
        load_after = os.getloadavg()
        team = [] if args.no_postgresql else postgresql_rows(store)

    def median(label: str, key: str = "total") -> float:
        return statistics.median(r[key] for r in runs[label])

    new, together = median("new"), median("together")

    def each(label: str) -> str:
        return ", ".join(f"{r['total']:.3f}" for r in runs[label])

    rows = [
        (f"cold (SQLite, fresh process, first load after the store changed): {n_projects:,} projects + "
         f"{n_events:,} events, loaded together as a notebook's setup does (frames.load, a thread each)",
         f"{together:.3f} s median of {args.runs} (runs {each('together')})",
         "< 0.5 s"),
        ("cold, same runs, one frame after the other (frames.projects, then frames.status_events)",
         f"{new:.3f} s median (projects {median('new', 'projects'):.3f} s, status_events "
         f"{median('new', 'status_events'):.3f} s; runs {each('new')})", "-"),
    ]
    if "old" in runs:
        before = median("old")
        rows.append((f"cold, same runs, with the row reader of commit {args.baseline} (before issue #31's columnar "
                     "reader)", f"{before:.3f} s median (projects {median('old', 'projects'):.3f} s, status_events "
                     f"{median('old', 'status_events'):.3f} s): old/new {before / new:.2f}x", "-"))
    cpu = f"{median('new', 'cpu'):.3f} s"
    if "old" in runs:
        cpu += f" / {median('old', 'cpu'):.3f} s: old/new {median('old', 'cpu') / median('new', 'cpu'):.2f}x"
    rows.append(("cold: CPU time of the loading process (every thread), median: new" + (" / old" * ("old" in runs)),
                 cpu, "-"))
    rows += [
        ("load average (1, 5, 15 min) before / after the cold runs",
         f"{' '.join(f'{x:.2f}' for x in load_before)} / {' '.join(f'{x:.2f}' for x in load_after)} "
         f"({os.cpu_count()} cores)", "-"),
        ("warm (parquet snapshot, unchanged store): same frames", f"{median('new', 'warm'):.3f} s", "< 1 s"),
        *team,
    ]
    record("Cache -> frames (frames_load.py)", rows)


def _time(fn, store) -> float:
    start = time.perf_counter()
    fn(store)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
