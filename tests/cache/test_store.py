"""Store migrations: a cache written by an older pcnb opens, upgrades in place and loses nothing."""

from __future__ import annotations

import sqlite3

from pcnb.cache import frames, owner
from pcnb.cache.store import MIGRATIONS, Store
from pcnb.cache.sync import sync


def test_schema_3_store_upgrades_and_packs_its_histories(sandbox, make_client, tmp_path):
    path = tmp_path / "old.sqlite"
    store = Store(path)
    sync(make_client(sandbox), store, sandbox.program_id, progress=False)
    expected = frames.status_events(store, wait=True)
    store.close()
    old = sqlite3.connect(path)  # turn it into what pcnb wrote before migration 4
    old.execute("DROP TABLE history_packed")
    old.execute("ALTER TABLE projects DROP COLUMN history_as_of")  # added by migration 6
    old.execute("ALTER TABLE inquiry_threads DROP COLUMN notes_as_of")
    for column in ("owner", "lease_until", "sent_at", "check_after"):  # added by migration 7
        old.execute(f"ALTER TABLE journal DROP COLUMN {column}")
    for column in ("history_status_ts", "inquiries_change"):  # added by migration 8
        old.execute(f"ALTER TABLE projects DROP COLUMN {column}")
    old.execute("PRAGMA user_version=3")
    old.commit()
    old.close()
    for p in tmp_path.glob("old.*.parquet"):
        p.unlink()
    upgraded = Store(path)
    assert upgraded.schema_version == len(MIGRATIONS) == 8
    assert upgraded.conn.execute("SELECT COUNT(*) FROM history_packed").fetchone()[0] == expected[
        "project_id"].n_unique()
    assert frames.status_events(upgraded).equals(expected)
    current = upgraded.conn.execute("SELECT COUNT(*) FROM projects WHERE history_status_ts = status_ts "
                                    "AND inquiries_change = last_change").fetchone()[0]
    assert current == expected["project_id"].n_unique()  # a synced store's histories count as current
    frames.wait_for_snapshots()


def test_a_cache_file_records_its_program_adopts_old_files_and_refuses_another_program(tmp_path, store_at):
    """One PCNB_STORE_PATH for two programs made program B sync on top of program A's cache; a file
    written before the record existed is adopted (its data kept), a file of another program refused."""
    import pytest

    from pcnb.cache.store import StoreError

    path = store_at("shared")  # an SQLite file, or a PostgreSQL schema: the owner record is the same
    old = Store(path)
    with old.tx() as conn:  # an existing cache, from before the record: data and a watermark
        Store.put_state(conn, watermark="2026-01-01T00:00:00Z")
    old.close()
    store = Store(path)
    owner.claim(store, "trial", "A", "https://trial.example/services/v2")
    assert store.get_state()["watermark"] == "2026-01-01T00:00:00Z"  # adopted, nothing lost
    owner.claim(store, "trial", "A", "https://trial.example/services/v2")  # the same program: fine, again
    owner.claim(store, "custom", "A", "https://trial.example/services/v2")  # the same server as Custom URLs
    owner.claim(store, "trial", "A", "https://trial.example:8443/services/v2")  # the same environment
    with pytest.raises(StoreError):
        owner.claim(store, "production", "A", "https://production.example/services/v2")  # another server
    with pytest.raises(StoreError) as err:
        owner.claim(store, "trial", "B", "https://trial.example/services/v2")
    assert "PCNB_STORE_PATH" in str(err.value) and "'A'" in str(err.value)
    store.close()
