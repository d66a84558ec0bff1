"""Typed polars frames from the Store: projects, status_events, inquiry_threads, inquiry_notes.

Schemas are explicit (below) so analytics never guess types: timestamps are
``Datetime("us", "UTC")`` (convert with ``.dt.convert_time_zone(program_tz)``), statuses are
``Categorical``. Loading avoids per-row Python work: SQLite returns integer microseconds, which
become datetimes by a single cast.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from pcnb.store import Store, from_us

TS = pl.Datetime("us", "UTC")

PROJECTS_SCHEMA: dict[str, pl.DataType] = {
    "project_id": pl.String(), "program_id": pl.String(), "project_number": pl.String(),
    "status": pl.Categorical(), "status_id": pl.String(), "status_custom_id": pl.String(),
    "status_ts": TS, "last_change": TS, "owner_name": pl.String(), "owner_email": pl.String(),
}
STATUS_EVENTS_SCHEMA: dict[str, pl.DataType] = {
    "project_id": pl.String(), "seq": pl.Int32(), "status": pl.Categorical(), "status_id": pl.String(),
    "ts": TS, "changed_by": pl.String(),
}
THREADS_SCHEMA: dict[str, pl.DataType] = {
    "thread_id": pl.String(), "project_id": pl.String(), "subject": pl.String(), "status": pl.Categorical(),
    "external_id": pl.String(), "created": TS, "last_note": TS,
}
NOTES_SCHEMA: dict[str, pl.DataType] = {
    "note_id": pl.String(), "thread_id": pl.String(), "project_id": pl.String(), "seq": pl.Int32(),
    "author_name": pl.String(), "author_email": pl.String(), "is_admin": pl.Boolean(), "text": pl.String(),
    "ts": TS,
}


def _load(conn: sqlite3.Connection, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    rows = conn.execute(sql).fetchall()
    raw_schema = {k: (pl.Int64 if v == TS else pl.String if isinstance(v, pl.Categorical)
                      else pl.Int64 if v == pl.Boolean() else v) for k, v in schema.items()}
    df = pl.DataFrame(rows, schema=raw_schema, orient="row")
    return df.with_columns(pl.col(k).cast(v) for k, v in schema.items())


def projects(store: Store) -> pl.DataFrame:
    return _load(store.conn, """SELECT project_id, program_id, project_number, status_name, status_id,
        status_custom_id, status_ts, last_change, owner_name, owner_email FROM projects WHERE deleted = 0
        ORDER BY rowid""", PROJECTS_SCHEMA)


def status_events(store: Store) -> pl.DataFrame:
    """One row per status entry, oldest first per project; ``seq`` is the source order."""
    return _load(store.conn, "SELECT project_id, seq, name, status_id, ts, changed_by FROM status_events "
                             "ORDER BY project_id, seq", STATUS_EVENTS_SCHEMA)


def inquiry_threads(store: Store) -> pl.DataFrame:
    return _load(store.conn, "SELECT thread_id, project_id, subject, status, external_id, created, last_note "
                             "FROM inquiry_threads ORDER BY created", THREADS_SCHEMA)


def inquiry_notes(store: Store) -> pl.DataFrame:
    return _load(store.conn, "SELECT note_id, thread_id, project_id, seq, author_name, author_email, is_admin, "
                             "text, ts FROM inquiry_notes ORDER BY thread_id, seq", NOTES_SCHEMA)


@dataclass(frozen=True)
class SyncHealth:
    """How fresh and complete the cache is: shown by %powerclerk status and on every chart."""

    as_of: datetime | None
    watermark_age_s: float | None
    queue_depth: int
    count_429: int
    last_run: datetime | None
    interrupted_run: bool

    def __str__(self) -> str:
        if self.as_of is None:
            return "never synced"
        age = f"{self.watermark_age_s / 60:.0f} min" if self.watermark_age_s is not None else "?"
        extra = ", an interrupted run will resume" if self.interrupted_run else ""
        return (f"as of {self.as_of:%Y-%m-%d %H:%M} UTC ({age} ago), {self.queue_depth} queued, "
                f"{self.count_429} x 429{extra}")


def health(store: Store) -> SyncHealth:
    st = store.get_state()
    as_of = from_us(st.get("watermark"))
    n429 = store.conn.execute("SELECT COUNT(*) FROM ledger WHERE status = 429").fetchone()[0]
    age = (datetime.now(UTC) - as_of).total_seconds() if as_of else None
    last = datetime.fromtimestamp(st["last_run"], tz=UTC) if st.get("last_run") else None
    return SyncHealth(as_of, age, store.pending(), n429, last, bool(st.get("run_id")))
