"""frames.py: the frames carry the ReportAs (suppress) flag, a change of it is seen after the next sync,
and the cache's freshness is said in one statement."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from pcnb.analytics import status_intervals
from pcnb.cache import frames
from tests.analytics.helpers import CAL, EXITS, _la


def test_bug4_frames_carry_the_report_as_flag(tmp_path, store_at):
    try:  # the cache package of the layout change; before it, top-level modules
        from pcnb.cache import frames  # type: ignore[import-not-found,unused-ignore]
        from pcnb.cache.store import Store  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from pcnb.store import Store  # type: ignore[no-redef,unused-ignore]

        from pcnb import frames  # type: ignore[no-redef,unused-ignore]

    store = Store(store_at("s"))
    entries = [  # newest first, as V2 sends them
        {"StatusId": "s3", "Name": "Application Review", "Timestamp": "2024-07-03T10:00:00-07:00",
         "ReportAs": "normal"},
        {"StatusId": "s9", "Name": "Rejected", "Timestamp": "2024-07-03T09:00:00-07:00", "ReportAs": "suppress"},
        {"StatusId": "s2", "Name": "Application Review", "Timestamp": "2024-07-02T09:00:00-07:00"},
    ]
    with store.tx() as conn:
        Store.replace_history(conn, "P1", entries)
    ev = frames.status_events(store, wait=True)
    assert ev.sort("seq")["suppressed"].to_list() == [False, True, False]
    iv = status_intervals(ev, CAL, _la(7, 15, 9), terminal=EXITS)
    assert iv.select("status", "visit").rows() == [("Application Review", 1)]
    store.close()


def test_bug4_report_as_change_is_seen_after_the_next_sync(ws):
    """A ReportAs change only moves LastChangeTimestamp: the default sync (one call per status change)
    does not refetch the history; refresh_histories=True does, at one call per changed project."""
    pid = ws.status_events().group_by("project_id").len().filter(pl.col("len") >= 3)["project_id"][0]
    entry = ws.client.status_history(ws.program, pid)["StatusHistory"][1]  # newest first: not the current one
    ws.client.set_status_report_as(ws.program, pid, entry["StatusId"], entry["Timestamp"], "suppress")
    report = ws.sync(progress=False, refresh_histories=True)
    assert report.histories == 1  # just the changed project's history
    ev = ws.status_events().filter(pl.col("project_id") == pid)
    assert ev["suppressed"].sum() == 1


def test_freshness_is_one_statement_in_the_programs_local_time(tmp_path):
    """Issue 26: `ws.health()` said 'as of ... UTC (1556 min ago)' under a title block saying the data
    was synced at another time, and the next line was in Pacific time. One statement now: when it was
    synced and up to which change it holds, both local, the zone named."""
    from pcnb import clock
    from pcnb.cache.store import Store, to_us

    store = Store(tmp_path / "s.sqlite")
    synced = datetime(2026, 3, 7, 17, 33, tzinfo=UTC)  # 09:33 PST, the day before the spring-forward day
    with store.tx(data=False) as conn:
        Store.put_state(conn, watermark=to_us(datetime(2026, 3, 7, 17, 20, tzinfo=UTC)), last_run=synced.timestamp())
    with clock.frozen(datetime(2026, 3, 8, 18, 0, tzinfo=UTC)):  # 11:00 PDT the next day
        text = str(frames.health(store, "America/Los_Angeles"))
    assert text == "synced 2026-03-07 09:33 PST (24 h ago); the newest change it holds is from 2026-03-07 09:20 PST"
    assert str(frames.health(Store(tmp_path / "empty.sqlite"))) == "never synced"


def test_frames_are_the_same_on_both_backends_and_snapshots_follow_the_generation(tmp_path, store_at, monkeypatch):
    """A PostgreSQL store's frames (read as Arrow columns) equal the SQLite store's of the same data;
    each reader keeps its own snapshot, named by the store's generation; a data write makes it stale."""
    from benchmarks.frames_load import fill
    from pcnb.cache.store import Store

    reference = Store(tmp_path / "ref.sqlite")
    fill(reference, 300)
    store = Store(store_at("s"))
    fill(store, 300)
    for load in (frames.projects, frames.status_events, frames.inquiry_threads, frames.inquiry_notes):
        assert load(store, wait=True).equals(load(reference, wait=True)), load.__name__
    generation = store.generation()
    snapshot = frames.snapshot_path(store, "status_events", generation)
    assert snapshot.exists() and pl.read_parquet(snapshot).height == frames.status_events(store).height
    with store.tx() as conn:  # one more event: the next load reads the store, not the old snapshot
        Store.replace_history(conn, "NEW", [{"StatusId": "x", "Name": "Added", "Timestamp": "2026-01-02T03:04:05Z"}])
    assert store.generation() == generation + 1
    assert frames.status_events(store, wait=True).filter(pl.col("project_id") == "NEW").height == 1
    assert frames.snapshot_path(store, "status_events", generation + 1).exists() and not snapshot.exists()
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path / "another-reader"))
    other = Store(store.target)  # another analyst's machine: snapshots of its own, the same data
    assert other.path != store.path or not store.shared
    assert frames.status_events(other).equals(frames.status_events(store))
    for s in (reference, store, other):
        s.close()


#: text a columnar reader could get wrong: empty, separators, quotes, JSON-looking text, non-ASCII
TRICKY = ["", " ", "\x1f", "\x1e", ",", '"', "'", "\\", "\n", "null", "[1]", "é", "漢字", "🙂", "a\x1fb\x1ec", None]


def _tricky(store) -> tuple[dict[str, tuple], list[tuple]]:
    """Projects and histories with TRICKY text in every column, nulls, microsecond timestamps, projects
    written out of id order, some no longer listed (deleted) and some without a status id (their
    status comes from the row). Returns the listed projects' values by id and every event's
    (project, seq, status id, ts, changed by, suppressed), ordered as the frame is."""
    from datetime import timedelta

    from pcnb.cache.store import Store, to_us

    t0 = datetime(2024, 7, 1, 12, 0, 0, 123457, tzinfo=UTC)
    listed, events = {}, []
    with store.tx() as conn:
        for i in range(120):
            pid, v = f"P{(i * 37) % 120:03d}-{TRICKY[i % 7]}", TRICKY[i % len(TRICKY)]
            w = TRICKY[(i * 5) % len(TRICKY)]
            ts = None if i % 9 == 4 else (t0 + timedelta(days=i, microseconds=i)).isoformat()
            status = {"StatusId": None if i % 10 == 3 else f"S{i % 4}", "CustomId": w, "Name": f"Step {v}",
                      "Timestamp": ts}
            p = {"ProjectId": pid, "ProgramId": w, "ProjectNumber": v, "CurrentStatus": status,
                 "LastChangeTimestamp": None if i % 11 == 5 else (t0 - timedelta(hours=i)).isoformat(),
                 "ProjectOwner": {"Name": v, "Email": w}}
            Store.upsert_project(conn, p, 0, None if i % 13 == 6 else "run")
            if i % 13 != 6:
                listed[pid] = (pid, w, v, status["Name"], status["StatusId"], w, to_us(ts),
                               to_us(p["LastChangeTimestamp"]), v, w)
            history = [{"StatusId": f"S{(i + k) % 4}", "Name": f"Step {TRICKY[k % 3]}",
                        "ChangedBy": TRICKY[(i + k) % 9],
                        "Timestamp": None if (i + k) % 8 == 0 else (t0 + timedelta(days=k, microseconds=i)).isoformat(),
                        "ReportAs": "suppress" if (i + k) % 6 == 0 else "normal"} for k in range(i % 5)]
            Store.replace_history(conn, pid, history[::-1])  # newest first, as V2 sends them
            events += [(pid, k, e["StatusId"], to_us(e["Timestamp"]), e["ChangedBy"], e["ReportAs"] == "suppress")
                       for k, e in enumerate(history)]
        Store.mark_unlisted_deleted(conn, "run")
    return listed, sorted(events, key=lambda e: (e[0].encode(), e[1]))


def test_cold_frames_equal_the_row_readers_frames_and_the_values_written(tmp_path, store_at):
    """Issue #31: SQLite's cold load reads columns (pcnb.cache.sqlite_columns), not one tuple per row.
    Its frames equal the row reader's and, on PostgreSQL (ADBC), the SQLite store's of the same data."""
    from pcnb.cache.store import Store

    reference = Store(tmp_path / "ref.sqlite")
    listed, events = _tricky(reference)
    old = {name: frames.build(reference, name, columnar=False) for name in ("projects", "status_events")}
    new = {name: frames.build(reference, name) for name in ("projects", "status_events")}
    for name in old:
        assert new[name].equals(old[name]), name
    got = new["projects"].with_columns(pl.col("status_ts", "last_change").dt.epoch("us"))
    row_named = got.filter(pl.col("status_id").is_null())  # the others: the status list's name (_projects)
    assert row_named.height > 5 and row_named.rows() == [listed[pid] for pid in row_named["project_id"]]
    assert got.drop("status").rows() == [listed[pid][:3] + listed[pid][4:] for pid in got["project_id"]]
    assert sorted(got["project_id"]) == sorted(listed) and new["projects"].height < 120
    got = new["status_events"].with_columns(pl.col("ts").dt.epoch("us"))
    assert got.select("project_id", "seq", "status_id", "ts", "changed_by", "suppressed").rows() == events
    assert len(events) > 100 and got["suppressed"].any()
    store = Store(store_at("s"))
    _tricky(store)
    for name in ("projects", "status_events"):
        assert frames.build(store, name).equals(new[name]), name
    reference.close()
    store.close()


def test_a_history_entry_of_an_unlisted_status_is_an_error_and_an_unknown_person_is_null(tmp_path):
    """Codes are decoded by position in the status and people lists: a code neither list holds must
    not decode to another status (the store is broken: say so), nor to another person (null)."""
    import pytest

    from pcnb.cache.store import Store, StoreError

    store = Store(tmp_path / "s.sqlite")
    with store.tx() as conn:
        Store.replace_history(conn, "P1", [{"StatusId": "s2", "Name": "Review", "ChangedBy": "Ann",
                                            "Timestamp": "2024-07-02T09:00:00Z"},
                                           {"StatusId": "s1", "Name": "Draft", "ChangedBy": "Bob",
                                            "Timestamp": "2024-07-01T09:00:00Z"}])
    with store.tx() as conn:
        conn.execute("DELETE FROM people WHERE name = 'Bob'")
    assert frames.build(store, "status_events")["changed_by"].to_list() == [None, "Ann"]
    with store.tx() as conn:
        conn.execute("DELETE FROM statuses WHERE status_id = 's2'")
    with pytest.raises(StoreError, match="does not list"):
        frames.build(store, "status_events")
    store.close()
