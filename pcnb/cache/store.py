"""Local SQLite cache of one (environment, program): the system of record for analytics.

Why SQLite in WAL mode: many readers (kernels, reports) and one writer (a sync) across processes,
with atomic commits of data + sync cursor + work queue, so a crash at any point loses and
duplicates nothing. Timestamps are stored as integer microseconds since the epoch (UTC) so frames
load without parsing strings; the raw JSON of every project listing is kept so derived columns can
be rebuilt after a schema change.
"""

from __future__ import annotations

import json
import os
import sqlite3
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pcnb.cache import pg
from pcnb.cache.dbapi import Conn
from pcnb.config import data_dir
from pcnb.contract import parse_timestamp
from pcnb.errors import StoreError as StoreError

MIGRATIONS: list[str] = [
    # 1: initial schema
    """
    CREATE TABLE projects (
        project_id TEXT PRIMARY KEY, program_id TEXT, project_number TEXT, status_id TEXT,
        status_custom_id TEXT, status_name TEXT, status_ts INTEGER, last_change INTEGER,
        owner_name TEXT, owner_email TEXT, url TEXT, first_seen INTEGER, deleted INTEGER DEFAULT 0,
        raw TEXT NOT NULL);
    CREATE TABLE statuses (code INTEGER PRIMARY KEY, status_id TEXT UNIQUE, custom_id TEXT, name TEXT);
    CREATE TABLE people (code INTEGER PRIMARY KEY, name TEXT UNIQUE);
    CREATE TABLE status_events (
        project_id TEXT NOT NULL, seq INTEGER NOT NULL, status_code INTEGER NOT NULL, ts INTEGER,
        changed_by_code INTEGER, report_as TEXT, PRIMARY KEY (project_id, seq));
    CREATE TABLE inquiry_threads (
        thread_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, subject TEXT, status TEXT, external_id TEXT,
        created INTEGER, last_note INTEGER, raw TEXT);
    CREATE TABLE inquiry_notes (
        note_id TEXT PRIMARY KEY, thread_id TEXT NOT NULL, project_id TEXT NOT NULL, seq INTEGER,
        author_name TEXT, author_email TEXT, is_admin INTEGER, text TEXT, ts INTEGER);
    CREATE TABLE form_data (
        project_id TEXT NOT NULL, form_id TEXT NOT NULL, raw TEXT NOT NULL, fetched_at INTEGER,
        PRIMARY KEY (project_id, form_id));
    CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE queue (
        item_id TEXT NOT NULL, kind TEXT NOT NULL, project_id TEXT NOT NULL, reason TEXT,
        priority INTEGER DEFAULT 0, attempts INTEGER DEFAULT 0, last_error TEXT, done INTEGER DEFAULT 0,
        run_id TEXT, PRIMARY KEY (item_id, kind));
    CREATE TABLE ledger (
        id INTEGER PRIMARY KEY, time REAL, endpoint TEXT, method TEXT, status INTEGER, latency_ms REAL,
        request_id TEXT);
    CREATE INDEX status_events_ts ON status_events (ts);
    CREATE INDEX queue_pending ON queue (done, priority);
    CREATE INDEX notes_thread ON inquiry_notes (thread_id, seq);
    """,
    # 2: write-back journal
    """
    CREATE TABLE journal (
        id INTEGER PRIMARY KEY, batch_id TEXT NOT NULL, seq INTEGER NOT NULL, action TEXT NOT NULL,
        project_id TEXT, target TEXT, before TEXT, after TEXT, state TEXT NOT NULL, request_id TEXT,
        error TEXT, created REAL, updated REAL, UNIQUE (batch_id, seq));
    """,
    # 3: reconciliation (which run last listed a project)
    """
    ALTER TABLE projects ADD COLUMN listed_run TEXT;
    """,
    # 4: each project's history packed as one blob (a read copy of status_events, same transaction)
    """
    CREATE TABLE history_packed (project_id TEXT PRIMARY KEY, events BLOB NOT NULL);
    """,
    # 5: the few history entries marked ReportAs = suppress, found without a scan (frames.status_events)
    """
    CREATE INDEX IF NOT EXISTS status_events_suppressed ON status_events (project_id, seq) WHERE report_as = 'suppress';
    """,
    # 6: since when (server time, us) the cached history / notes are known complete: the API reports
    # status and note times to the whole second, so a change in that same second is only visible
    # through LastChangeTimestamp (full precision); see fetch_rules.SETTLE_US
    """
    ALTER TABLE projects ADD COLUMN history_as_of INTEGER;
    ALTER TABLE inquiry_threads ADD COLUMN notes_as_of INTEGER;
    """,
    # 7: journal claims: one owner sends a row (owner, lease_until); when its request left (sent_at)
    # and from when a check on the server is conclusive (check_after), all epoch seconds
    """
    ALTER TABLE journal ADD COLUMN owner TEXT;
    ALTER TABLE journal ADD COLUMN lease_until REAL;
    ALTER TABLE journal ADD COLUMN sent_at REAL;
    ALTER TABLE journal ADD COLUMN check_after REAL;
    """,
    # 8: what a scoped sync compares (pcnb.cache.scope): the CurrentStatus timestamp a cached history
    # was fetched at, the LastChangeTimestamp cached inquiries were fetched at (us); a store synced
    # before 8 counts every history it holds as current, unless one is still queued
    """
    ALTER TABLE projects ADD COLUMN history_status_ts INTEGER;
    ALTER TABLE projects ADD COLUMN inquiries_change INTEGER;
    UPDATE projects SET history_status_ts = status_ts WHERE project_id IN (SELECT project_id FROM history_packed)
        AND project_id NOT IN (SELECT project_id FROM queue WHERE done = 0 AND kind = 'history');
    UPDATE projects SET inquiries_change = last_change WHERE project_id IN (SELECT project_id FROM history_packed)
        AND project_id NOT IN (SELECT project_id FROM queue WHERE done = 0 AND kind = 'inquiries')
    """,
]

PUT_PACKED = ("INSERT INTO history_packed VALUES (?, ?) "
              "ON CONFLICT (project_id) DO UPDATE SET events = excluded.events")

#: history_packed layout: per event four little-endian int64 (seq, status code, ts us, changed-by code);
#: nulls are stored as NULL_INT. One blob per project is what lets a million events load in a
#: fraction of a second: Python touches 1 row per project, polars decodes the bytes.
EVENT = struct.Struct("<4q")
NULL_INT = -(2**63)


def _status_code(conn: Conn, e: dict[str, Any]) -> int:
    """Statuses and people are stored once and referenced by integer codes: one million status
    events then load as integer columns, which is what keeps cache -> frames under a second."""
    key = e.get("StatusId") or e.get("Name") or "?"
    row = conn.execute("SELECT code FROM statuses WHERE status_id = ?", (key,)).fetchone()
    if row:
        return int(row[0])
    return int(conn.execute("INSERT INTO statuses (status_id, custom_id, name) VALUES (?,?,?) RETURNING code",
                            (key, e.get("CustomId"), e.get("Name"))).fetchone()[0])


def _person_code(conn: Conn, name: str | None) -> int | None:
    if name is None:
        return None
    row = conn.execute("SELECT code FROM people WHERE name = ?", (name,)).fetchone()
    if row:
        return None if row[0] is None else int(row[0])
    return int(conn.execute("INSERT INTO people (name) VALUES (?) RETURNING code", (name,)).fetchone()[0])


def _pack(rows: list[tuple[Any, ...]]) -> bytes:
    n = NULL_INT
    return b"".join(EVENT.pack(seq, code, n if ts is None else ts, n if by is None else by)
                    for _, seq, code, ts, by, _ in rows)


def _backfill_packed(conn: Conn) -> None:
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for r in conn.execute("SELECT project_id, seq, status_code, ts, changed_by_code, report_as FROM status_events "
                          "ORDER BY project_id, seq"):
        rows.setdefault(r[0], []).append(r)
    conn.executemany(PUT_PACKED, [(p, _pack(r)) for p, r in rows.items()])


def to_us(value: str | datetime | None) -> int | None:
    """ISO 8601 (with offset) or aware datetime -> integer microseconds since the epoch, UTC."""
    if value is None or value == "":
        return None
    dt = parse_timestamp(value) if isinstance(value, str) else value
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(value: int | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value / 1_000_000, tz=UTC)


def default_path(environment: str, program: str) -> Path:
    safe = "".join(ch for ch in f"{environment}-{program}" if ch.isalnum() or ch in "-_")
    return data_dir() / "stores" / f"{safe}.sqlite"


def pg_local_path(url: str) -> Path:
    """Where this machine keeps its own files of a shared store (frame snapshots, the profile): a
    name made of the server, database and schema, never of the role or password."""
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query)).get("options", "")
    name = f"pg-{parts.netloc.rsplit('@', 1)[-1]}-{parts.path.strip('/')}-{options}"
    return data_dir() / "stores" / ("".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in name) + ".pgstore")


class Store:
    """One store: an SQLite file (a path) or a shared PostgreSQL database (a ``postgresql://`` URL,
    pcnb.cache.pg); use ``with store.tx() as conn:`` for every write.

    ``path`` is always a local file name: the SQLite file itself, or for PostgreSQL the name this
    machine's snapshots and profile are kept beside. ``where`` names the store in messages (a URL
    without its password); ``target`` opens it again (another process's ``Store(target)``)."""

    conn: Conn

    def __init__(self, target: str | Path):
        self.url = str(target) if pg.is_url(target) else None
        if self.url is not None:
            self.pg = pg.PgConnection(self.url)  # first: a malformed URL is its one-line error
            self.path = pg_local_path(self.url)
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.conn, self.where, self.target = self.pg, self.pg.where, self.url
            try:
                self._migrate()
            except BaseException:
                self.pg.close()
                raise
            return
        self.path = Path(target)
        self.where = self.target = str(self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.path.touch(mode=0o600, exist_ok=True)  # user-only before SQLite writes anything into it
            os.chmod(self.path, 0o600)
            self.sqlite = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            self.conn = self.sqlite
            self.sqlite.execute("PRAGMA journal_mode=WAL")
            self.sqlite.execute("PRAGMA synchronous=NORMAL")
            self.sqlite.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot open the cache {self.path}: {exc}",
                             "if the file is corrupt, move it aside and run a full sync") from exc

    def __repr__(self) -> str:
        return f"Store({self.where!r})"

    @property
    def shared(self) -> bool:
        """A PostgreSQL store (team mode), not this user's SQLite file."""
        return self.url is not None

    def _migrate(self) -> None:
        version = self.schema_version
        if version > len(MIGRATIONS):
            raise StoreError(f"the cache {self.where} was written by a newer pcnb (schema {version})",
                             "upgrade pcnb (pip install -U pcnb), or point the store at a new "
                             + ("database" if self.shared else "file"))
        if version == len(MIGRATIONS):
            return
        try:
            self._apply_migrations()
        except pg.PgStoreError as exc:
            if "may not write" not in exc.message:
                raise
            raise StoreError(f"the shared store {self.where} has schema {version}, this pcnb needs "
                             f"{len(MIGRATIONS)}, and role {self.pg.role!r} may not change it",
                             "run `pcnb worker` (or one sync) with the writer role's store URL: it migrates "
                             "the schema") from None

    def _apply_migrations(self) -> None:
        with self.tx(data=False, lock="migrate") as conn:
            version = self.schema_version  # another process may have migrated while we waited
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, (pg.ddl(script) if self.shared else script).split(";")):
                    conn.execute(statement)
                if self.shared and number in pg.PG_EXTRA:
                    conn.execute(pg.PG_EXTRA[number])
                if self.shared:
                    conn.execute("DELETE FROM pcnb_schema")
                    conn.execute("INSERT INTO pcnb_schema (version) VALUES (?)", (number,))
                else:
                    conn.execute(f"PRAGMA user_version={number}")
                if number == 4:  # a store written before 4: pack its existing histories
                    _backfill_packed(conn)
            if self.shared:
                from pcnb.api.budget_pg import BUDGET_DDL

                for statement in BUDGET_DDL.split(";"):
                    conn.execute(statement)

    def generation(self) -> int:
        row = self.conn.execute("SELECT value FROM sync_state WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    @property
    def schema_version(self) -> int:
        if not self.shared:
            return int(self.conn.execute("PRAGMA user_version").fetchone()[0])
        if self.conn.execute("SELECT to_regclass('pcnb_schema')").fetchone()[0] is None:
            return 0
        row = self.conn.execute("SELECT max(version) FROM pcnb_schema").fetchone()
        return int(row[0] or 0)

    @contextmanager
    def sync_lock(self, wait: float) -> Iterator[None]:
        """One sync at a time per store: a lock file beside SQLite, a session advisory lock on
        PostgreSQL (every machine; freed by the server when its holder dies). TimeoutError if busy."""
        if self.shared:
            if not self.pg.may("INSERT", "projects"):
                raise StoreError(f"role {self.pg.role!r} opens the shared store {self.where} read-only: "
                                 "analysts' notebooks do not sync it",
                                 "the sync worker keeps it fresh (`pcnb worker --every 15m` with the writer role's "
                                 "store URL); `%powerclerk info` shows its last run")
            with self.pg.session_lock("sync", wait):
                yield
            return
        lock = FileLock(str(self.path) + ".sync.lock")
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise TimeoutError(str(self.path)) from None
        try:
            yield
        finally:
            lock.release()

    def _begin(self, lock: str) -> None:
        if self.shared:  # writers of one store queue here, as behind SQLite's BEGIN IMMEDIATE
            self.pg.begin()
            try:
                self.conn.execute("SELECT pg_advisory_xact_lock(?)", (self.pg.key(lock),))
                if lock == "migrate":  # under the lock (two first openers at once) and in the transaction
                    self.conn.execute("CREATE TABLE IF NOT EXISTS pcnb_schema (version INTEGER NOT NULL)")
            except BaseException:
                self.pg.rollback_quietly()
                raise
        else:
            self.conn.execute("BEGIN IMMEDIATE")

    def _rollback(self) -> None:
        if self.shared:
            self.pg.rollback_quietly()
        elif self.sqlite.in_transaction:  # SQLite may already have rolled back on SQLITE_FULL
            self.sqlite.execute("ROLLBACK")

    @contextmanager
    def tx(self, data: bool = True, lock: str = "write") -> Iterator[Conn]:
        """One atomic write transaction (writers queue instead of failing late).

        ``data=False`` for bookkeeping (queue attempts, run state, watermark, write-back journal):
        it does not bump the generation, so the frame snapshots stay valid."""
        try:
            self._begin(lock)
        except sqlite3.OperationalError as exc:
            raise StoreError(f"cannot start a write on {self.path}: {exc}") from exc
        try:
            yield self.conn
        except sqlite3.OperationalError as exc:  # e.g. "database or disk is full" mid-transaction
            self._rollback()
            raise StoreError(f"could not write to the cache {self.path}: {exc}",
                             "free disk space and re-run; nothing of the failed step was kept and the "
                             "sync resumes from its last commit") from exc
        except BaseException:
            self._rollback()
            raise
        try:
            if data:  # a data write bumps the generation: frame snapshots (frames.py) know they are stale
                self.conn.execute("INSERT INTO sync_state (key, value) VALUES ('generation', '1') "
                                  "ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(sync_state.value AS BIGINT) + 1 "
                                  "AS TEXT)")
            if self.shared:
                self.pg.commit()
            else:
                self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:  # e.g. disk full: nothing of this tx was kept
            self._rollback()
            raise StoreError(f"could not write to the cache {self.path}: {exc}",
                             "free disk space and re-run; the sync resumes from its last commit") from exc
        except BaseException:
            self._rollback()
            raise

    # ---- whose cache this is: pcnb.cache.owner (claim, verify) reads and writes the "owner" state ----

    # ---- sync state ----------------------------------------------------------------------------
    def get_state(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM sync_state")}

    @staticmethod
    def put_state(conn: Conn, **values: Any) -> None:
        conn.executemany("INSERT INTO sync_state (key, value) VALUES (?, ?) "
                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                         [(k, json.dumps(v)) for k, v in values.items()])

    # ---- projects ------------------------------------------------------------------------------
    def project_index(self, ids: list[str]) -> dict[str, tuple[str | None, int | None, int | None, int | None]]:
        """project_id -> (status_id, status_ts, last_change, history_as_of) of these ids, for change
        detection (one page's ids, not the whole table: a 100k-project first sync reads it 100 times)."""
        out: dict[str, tuple[str | None, int | None, int | None, int | None]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            rows = self.conn.execute("SELECT project_id, status_id, status_ts, last_change, history_as_of FROM "
                                     f"projects WHERE project_id IN ({','.join('?' * len(chunk))})", chunk)
            out.update({r[0]: (r[1], r[2], r[3], r[4]) for r in rows})
        return out

    @staticmethod
    def set_history_as_of(conn: Conn, project_id: str, as_of: int) -> None:
        conn.execute("UPDATE projects SET history_as_of = MAX(COALESCE(history_as_of, ?), ?) WHERE project_id = ?",
                     (as_of, as_of, project_id))

    @staticmethod
    def set_notes_as_of(conn: Conn, thread_id: str, as_of: int) -> None:
        conn.execute("UPDATE inquiry_threads SET notes_as_of = MAX(COALESCE(notes_as_of, ?), ?) WHERE thread_id = ?",
                     (as_of, as_of, thread_id))

    @staticmethod
    def settle_project(conn: Conn, project_id: str, as_of: int) -> None:
        """The server listed the project unchanged at ``as_of``: its cached history and notes (all
        fetched after its cached LastChangeTimestamp) are complete up to then."""
        conn.execute("UPDATE projects SET history_as_of = MAX(COALESCE(history_as_of, ?), ?) "
                     "WHERE project_id = ? AND history_as_of IS NOT NULL", (as_of, as_of, project_id))
        conn.execute("UPDATE inquiry_threads SET notes_as_of = MAX(COALESCE(notes_as_of, ?), ?) "
                     "WHERE project_id = ? AND notes_as_of IS NOT NULL", (as_of, as_of, project_id))

    @staticmethod
    def upsert_project(conn: Conn, p: dict[str, Any], seen_us: int, run_id: str | None = None) -> None:
        status = p.get("CurrentStatus") or {}
        owner = p.get("ProjectOwner") or {}
        conn.execute(
            """INSERT INTO projects (project_id, program_id, project_number, status_id, status_custom_id,
                   status_name, status_ts, last_change, owner_name, owner_email, url, first_seen, deleted, raw,
                   listed_run)
               VALUES (?,?,?,?,?,?,?,?,?,?,?,?,0,?,?)
               ON CONFLICT(project_id) DO UPDATE SET program_id=excluded.program_id,
                   project_number=excluded.project_number, status_id=excluded.status_id,
                   status_custom_id=excluded.status_custom_id, status_name=excluded.status_name,
                   status_ts=excluded.status_ts, last_change=excluded.last_change,
                   owner_name=excluded.owner_name, owner_email=excluded.owner_email, url=excluded.url,
                   deleted=0, raw=excluded.raw, listed_run=excluded.listed_run""",
            (p["ProjectId"], p.get("ProgramId"), p.get("ProjectNumber"), status.get("StatusId"),
             status.get("CustomId"), status.get("Name"), to_us(status.get("Timestamp")),
             to_us(p.get("LastChangeTimestamp")), owner.get("Name"), owner.get("Email"), p.get("Url"),
             seen_us, json.dumps(p), run_id))

    @staticmethod
    def replace_history(conn: Conn, project_id: str, entries: list[dict[str, Any]]) -> None:
        """History arrives newest first [v1]; stored oldest first with seq = source order."""
        conn.execute("DELETE FROM status_events WHERE project_id = ?", (project_id,))
        rows = [(project_id, seq, _status_code(conn, e), to_us(e.get("Timestamp")),
                 _person_code(conn, e.get("ChangedBy")), e.get("ReportAs")) for seq, e in enumerate(reversed(entries))]
        conn.executemany("INSERT INTO status_events VALUES (?,?,?,?,?,?)", rows)
        conn.execute(PUT_PACKED, (project_id, _pack(rows)))

    @staticmethod
    def upsert_thread(conn: Conn, project_id: str, t: dict[str, Any]) -> None:
        conn.execute(
            """INSERT INTO inquiry_threads (thread_id, project_id, subject, status, external_id, created,
                   last_note, raw) VALUES (?,?,?,?,?,?,?,?)
               ON CONFLICT(thread_id) DO UPDATE SET subject=excluded.subject, status=excluded.status,
                   external_id=excluded.external_id, last_note=excluded.last_note, raw=excluded.raw""",
            (t["ThreadId"], project_id, t.get("Subject"), t.get("Status"), t.get("ExternalId"),
             to_us(t.get("CreatedTimestamp")), to_us(t.get("LastNoteTimestamp")), json.dumps(t)))

    @staticmethod
    def replace_notes(conn: Conn, project_id: str, thread_id: str, notes: list[dict[str, Any]]) -> None:
        conn.execute("DELETE FROM inquiry_notes WHERE thread_id = ?", (thread_id,))
        conn.executemany(
            "INSERT INTO inquiry_notes VALUES (?,?,?,?,?,?,?,?,?)",
            [(n.get("NoteId") or f"{thread_id}:{i}", thread_id, project_id, i,
              (n.get("Author") or {}).get("Name"), (n.get("Author") or {}).get("Email"),
              1 if n.get("IsAdmin") else 0, n.get("Text"), to_us(n.get("Timestamp")))
             for i, n in enumerate(notes)])

    @staticmethod
    def put_form_data(conn: Conn, project_id: str, form_id: str, data: dict[str, Any],
                      fetched_us: int) -> None:
        conn.execute("INSERT INTO form_data VALUES (?,?,?,?) ON CONFLICT(project_id, form_id) DO UPDATE SET "
                     "raw = excluded.raw, fetched_at = excluded.fetched_at",
                     (project_id, form_id, json.dumps(data), fetched_us))

    @staticmethod
    def mark_unlisted_deleted(conn: Conn, run_id: str) -> None:
        """After a complete listing by run ``run_id``: every project it did not list is gone."""
        conn.execute("UPDATE projects SET deleted = 1 WHERE listed_run IS NOT ? OR listed_run IS NULL", (run_id,))

    def thread_last_notes(self, project_id: str) -> dict[str, tuple[int | None, int | None]]:
        """thread_id -> (LastNoteTimestamp, notes_as_of) (us) of a project's cached threads."""
        return {r[0]: (r[1], r[2]) for r in self.conn.execute(
            "SELECT thread_id, last_note, notes_as_of FROM inquiry_threads WHERE project_id = ?", (project_id,))}

    def cached_form_fields(self) -> dict[str, set[str]]:
        """form custom id -> the field custom ids of its cached data (GetProjectData's ``DataFields``;
        one cached project per form is enough: a form's fields are the same for every project)."""
        out: dict[str, set[str]] = {}
        for form_id, raw in self.conn.execute("SELECT form_id, MIN(raw) FROM form_data GROUP BY form_id"):
            fields = (json.loads(raw or "{}") or {}).get("DataFields") or []
            out[form_id] = {str(f["CustomId"]) for f in fields if isinstance(f, dict) and f.get("CustomId")}
        return out

    def status_refs(self) -> list[tuple[str, str | None, str]]:
        """(status_id, custom_id, name) of every status the cache has seen."""
        return list(self.conn.execute("SELECT status_id, custom_id, name FROM statuses"))

    # ---- sync work queue -----------------------------------------------------------------------
    @staticmethod
    def enqueue(conn: Conn, item_id: str, kind: str, project_id: str, reason: str, priority: int,
                run_id: str) -> None:
        conn.execute(
            """INSERT INTO queue (item_id, kind, project_id, reason, priority, run_id) VALUES (?,?,?,?,?,?)
               ON CONFLICT(item_id, kind) DO UPDATE SET done = 0, attempts = 0, reason = excluded.reason,
                   priority = MAX(queue.priority, excluded.priority), run_id = excluded.run_id""",
            (item_id, kind, project_id, reason, priority, run_id))

    @staticmethod
    def enqueue_missing_forms(conn: Conn, form: str, run_id: str) -> int:
        """Queue ``form`` for every live project without cached data of it: a form added to the
        sync later (e.g. a tracked deadline's track field) is filled in for unchanged projects too."""
        cur = conn.execute(
            """INSERT INTO queue (item_id, kind, project_id, reason, priority, run_id)
               SELECT p.project_id || '/' || ?, 'form', p.project_id, 'form not cached yet', 0, ? FROM projects p
               WHERE p.deleted = 0 AND NOT EXISTS (
                   SELECT 1 FROM form_data f WHERE f.project_id = p.project_id AND f.form_id = ?)
               ON CONFLICT(item_id, kind) DO UPDATE SET done = 0, attempts = 0, reason = excluded.reason,
                   run_id = excluded.run_id""", (form, run_id, form))
        return cur.rowcount

    def next_item(self, max_attempts: int) -> tuple[str, str, str] | None:
        """(item_id, kind, project_id) of the most urgent pending item with attempts left."""
        row = self.conn.execute("SELECT item_id, kind, project_id FROM queue WHERE done = 0 AND attempts < ? "
                                "ORDER BY priority DESC LIMIT 1", (max_attempts,)).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    @staticmethod
    def item_done(conn: Conn, item_id: str, kind: str, error: str | None = None) -> None:
        conn.execute("UPDATE queue SET done = 1, last_error = ? WHERE item_id = ? AND kind = ?", (error, item_id, kind))

    @staticmethod
    def item_failed(conn: Conn, item_id: str, kind: str, error: str) -> None:
        conn.execute("UPDATE queue SET attempts = attempts + 1, last_error = ? WHERE item_id = ? AND kind = ?",
                     (error, item_id, kind))

    @staticmethod
    def reset_attempts(conn: Conn) -> None:
        """A new run is a new chance: the attempt cap is per run."""
        conn.execute("UPDATE queue SET attempts = 0 WHERE done = 0 AND attempts > 0")

    @staticmethod
    def drop_kinds(conn: Conn, kinds: tuple[str, ...], error: str) -> None:
        """Mark every pending item of these kinds done (e.g. admin-only work for a non-admin)."""
        conn.execute(f"UPDATE queue SET done = 1, last_error = ? WHERE done = 0 AND kind IN "
                     f"({','.join('?' * len(kinds))})", (error, *kinds))

    @staticmethod
    def purge_done(conn: Conn) -> None:
        conn.execute("DELETE FROM queue WHERE done = 1")

    def record_call(self, entry: dict[str, Any]) -> None:
        """Request ledger (autocommit outside of any open transaction of this connection)."""
        if self.shared and not self._ledger_writable():
            return  # a role without INSERT on the ledger: diagnostics only, never an error
        try:
            self.conn.execute("INSERT INTO ledger (time, endpoint, method, status, latency_ms, request_id) "
                              "VALUES (?,?,?,?,?,?)", (entry["time"], entry["endpoint"], entry["method"],
                                                       entry["status"], entry["latency_ms"], entry["request_id"]))
        except (sqlite3.OperationalError, StoreError):
            pass  # diagnostics only: a full disk surfaces as a StoreError at the next data commit

    def _ledger_writable(self) -> bool:
        if not hasattr(self, "_ledger_ok"):
            self._ledger_ok = self.pg.may("INSERT", "ledger")
        return self._ledger_ok

    def pending(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM queue WHERE done = 0").fetchone()[0])

    def close(self) -> None:
        if self.shared:
            self.pg.close()
        else:
            self.sqlite.close()
