"""Typed polars frames from the Store: projects, status_events, inquiry_threads, inquiry_notes.

Schemas are explicit (below) so analytics never guess types: timestamps are
``Datetime("us", "UTC")`` (convert with ``.dt.convert_time_zone(program_tz)``), statuses are
``Categorical``. The store stays the system of record; each frame is also kept as a parquet snapshot
beside the store (for a shared PostgreSQL store: in this reader's own data dir), tagged with the
store's write generation, so repeated loads are a parquet read and only the first load after a
change pays for reading rows (pcnb.cache.snapshots; frames.load reads several at once).

The first load after a change ("cold") reads SQLite without a Python object per value (issue #31:
166,000 projects and ~1M events; one tuple per row was ~0.3 s of projects alone). Projects come as
one JSON array per column (pcnb.cache.sqlite_columns.frame): JSON because it is exact by
construction (nulls stay null, separators, quotes and any text are escaped, microsecond integers stay
integers), where a separator-joined text would need an escape scheme of its own; read in key-range
chunks in one read transaction, SQLite building the next chunk while polars decodes the last.
Histories are already one packed blob per project (store.EVENT); SQLite joins them into one buffer
that numpy splits (sqlite_columns.blobs). Neither relies on SQLite's aggregate order: rows carry
their key and are put in order here. The row reader (``build(..., columnar=False)``) stays as the
reference the tests compare with and the fallback for an SQLite without JSON functions.

Why not an Arrow-native SQLite reader (ADBC, connectorx): they bundle their own SQLite library, and
two SQLite libraries in one process do not see each other's WAL (stale reads were observed) and
break each other's POSIX locks; Python's sqlite3 does all SQLite reads here. PostgreSQL has no such
trap: its frames come through ADBC's PostgreSQL driver as Arrow columns (pcnb.cache.pg.PgConnection.frame).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl

from pcnb import clock
from pcnb.cache import sqlite_columns
from pcnb.cache.snapshots import cached as _snapshot
from pcnb.cache.snapshots import snapshot_path, wait_for_snapshots  # noqa: F401  (frames' API since before the split)
from pcnb.cache.store import EVENT, NULL_INT, Store, StoreError, from_us

#: the ReportAs value that hides a history entry (V2 contract: normal | suppress)
SUPPRESSED = "report_as = 'suppress'"

TS = pl.Datetime("us", "UTC")

PROJECTS_SCHEMA: dict[str, pl.DataType] = {
    "project_id": pl.String(), "program_id": pl.String(), "project_number": pl.String(),
    "status": pl.Categorical(), "status_id": pl.String(), "status_custom_id": pl.String(),
    "status_ts": TS, "last_change": TS, "owner_name": pl.String(), "owner_email": pl.String(),
}
STATUS_EVENTS_SCHEMA: dict[str, pl.DataType] = {
    "project_id": pl.String(), "seq": pl.Int32(), "status": pl.Categorical(), "status_id": pl.String(),
    "ts": TS, "changed_by": pl.String(), "suppressed": pl.Boolean(),
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


def _read(store: Store, sql: str, columns: list[str]) -> pl.DataFrame:
    if store.shared:  # PostgreSQL: Arrow columns through ADBC, no Python row loop
        df = store.pg.frame(sql)
        return df.rename(dict(zip(df.columns, columns, strict=True)))
    rows = store.conn.execute(sql).fetchall()
    return pl.DataFrame(rows, schema=columns, orient="row")


def _load(store: Store, sql: str, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return _typed(_read(store, sql, list(schema)), schema)


def _typed(raw: pl.DataFrame, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    if raw.height == 0:
        return pl.DataFrame(schema=schema)
    return raw.with_columns(pl.col(k).cast(pl.Int64).cast(v) if v == TS else pl.col(k).cast(v)
                            for k, v in schema.items())


_PROJECT_COLUMNS = """project_id, program_id, project_number, status_name, status_id, status_custom_id,
    status_ts, last_change, owner_name, owner_email FROM projects WHERE deleted = 0"""
PROJECTS_SQL = f"SELECT {_PROJECT_COLUMNS} ORDER BY rowid"
#: SQLite: the same rows, their listing order first (pcnb.cache.sqlite_columns sorts by it)
PROJECTS_KEYED_SQL = f"SELECT rowid, {_PROJECT_COLUMNS}"
THREADS_SQL = ("SELECT thread_id, project_id, subject, status, external_id, created, last_note "
               "FROM inquiry_threads ORDER BY created")
NOTES_SQL = ("SELECT note_id, thread_id, project_id, seq, author_name, author_email, is_admin, text, ts "
             "FROM inquiry_notes ORDER BY thread_id, seq")


def projects(store: Store, wait: bool = False) -> pl.DataFrame:
    return _snapshot(store, "projects", lambda: _projects(store), wait)


def build(store: Store, name: str, columnar: bool = True) -> pl.DataFrame:
    """Frame ``name`` (projects, status_events, threads, notes) read from the store now, without the
    snapshot: the cold load. ``columnar=False`` reads SQLite one Python tuple per row, the reader
    before the columnar one (pcnb.cache.sqlite_columns): the reference tests and the benchmark
    compare it with; threads and notes are small and always read that way."""
    if name == "projects":
        return _projects(store, columnar)
    if name == "status_events":
        return _status_events(store, columnar)
    return _load(store, {"threads": THREADS_SQL, "notes": NOTES_SQL}[name],
                 {"threads": THREADS_SCHEMA, "notes": NOTES_SCHEMA}[name])


def _projects(store: Store, columnar: bool = True) -> pl.DataFrame:
    """Each project's status under the name the program uses now: a project listed before a rename
    keeps the name it was listed with in its row, so the name comes from the status list
    (pcnb.cache.catalog keeps it current) or, without one, from the newest listed project in that
    status (its CurrentStatus name is current by definition)."""
    if store.shared:
        df = _load(store, PROJECTS_SQL, PROJECTS_SCHEMA)
    else:
        raw = (sqlite_columns.frame(store.path.absolute(), PROJECTS_KEYED_SQL, PROJECTS_SCHEMA,
                                    "SELECT min(rowid), max(rowid) FROM projects") if columnar
               else sqlite_columns.rows(store.sqlite, PROJECTS_KEYED_SQL, PROJECTS_SCHEMA))
        df = _typed(raw, PROJECTS_SCHEMA)
    if df.height == 0:
        return df
    listed = dict(store.conn.execute("SELECT status_id, name FROM statuses WHERE name IS NOT NULL").fetchall())
    newest = pl.col("status").cast(pl.String).sort_by("last_change", descending=True, nulls_last=True)
    name = pl.col("status_id").replace_strict(listed, default=newest.first().over("status_id"),
                                              return_dtype=pl.String)
    return df.with_columns(pl.when(pl.col("status_id").is_null()).then(pl.col("status").cast(pl.String))
                           .otherwise(name).cast(pl.Categorical).alias("status"))


def status_events(store: Store, wait: bool = False) -> pl.DataFrame:
    """One row per status entry, oldest first per project; ``seq`` is the source order.

    ``suppressed`` is true for entries the program marks ReportAs = suppress (analytics leave them
    out unless asked to include them, for audits); it is read at the last sync of the project's
    history.

    Stored as integer codes and decoded with the small status/people lookups: integer columns are
    what keeps the cold load of a million events quick."""
    return _snapshot(store, "status_events", lambda: _status_events(store), wait)


def _status_events(store: Store, columnar: bool = True) -> pl.DataFrame:
    if store.shared or not columnar:  # PostgreSQL: Arrow columns through ADBC; SQLite: a tuple per project
        rows = _read(store, "SELECT project_id, events FROM history_packed", ["project_id", "b"])
        blobs = rows["b"].cast(pl.Binary).to_list()
        raw = _unpack(rows["project_id"].cast(pl.String), np.fromiter(map(len, blobs), np.int64, len(blobs)),
                      b"".join(blobs))
    else:  # SQLite: the blobs joined by SQLite, no Python object per project
        raw = _unpack(*sqlite_columns.blobs(store.sqlite, "history_packed", "project_id", "events"))
    if raw.height == 0:
        return pl.DataFrame(schema=STATUS_EVENTS_SCHEMA)
    statuses = store.conn.execute("SELECT code, name, status_id FROM statuses").fetchall()
    people = dict(store.conn.execute("SELECT code, name FROM people").fetchall())
    if not raw.select(_by_code("status_code", {c: True for c, _, _ in statuses}, pl.Boolean()).fill_null(False)
                      .all()).item():
        raise StoreError(f"{store.where}: a status history refers to a status the store does not list",
                         "the cache is inconsistent: move it aside and run a full sync")
    # few rows, read through a partial index (store migration 5): no scan of a million events
    hidden = store.conn.execute(f"SELECT project_id, seq FROM status_events WHERE {SUPPRESSED}").fetchall()
    suppressed = pl.DataFrame(hidden, schema={"project_id": pl.String, "seq": pl.Int64}, orient="row")
    keys = suppressed.select(pl.struct("project_id", "seq")).to_series().implode()
    flag = pl.struct("project_id", "seq").is_in(keys) if hidden else pl.lit(False)
    return raw.select(
        pl.col("project_id").cast(pl.String),
        pl.col("seq").cast(pl.Int32),
        _by_code("status_code", {c: n for c, n, _ in statuses}, pl.Categorical()).alias("status"),
        _by_code("status_code", {c: i for c, _, i in statuses}, pl.String()).alias("status_id"),
        pl.col("ts").cast(pl.Int64).cast(TS),
        _by_code("changed_by_code", people, pl.String()).alias("changed_by"),
        flag.alias("suppressed"),
    )


def _by_code(code: str, table: dict[int, Any], dtype: pl.DataType) -> pl.Expr:
    """Column ``code`` (statuses', people's INTEGER PRIMARY KEY: small, dense) decoded by gathering
    from an array indexed by code: a million events cost one gather, not a hash lookup each. A code
    the table does not hold (or null) decodes to null."""
    size = max(table, default=0) + 1
    values = pl.Series([table.get(c) for c in range(size + 1)], dtype=dtype)  # [size]: the null
    return pl.lit(values).gather(pl.when(pl.col(code).is_between(0, size - 1)).then(pl.col(code)).otherwise(size))


def _unpack(ids: pl.Series, sizes: npt.NDArray[np.int64], joined: bytes) -> pl.DataFrame:
    """history_packed blobs (each project's id, its blob's size in bytes, the blobs joined in the same
    order) -> one row per event (store.EVENT layout), ordered by project id, then seq: numpy reads the
    buffer as four int64 columns, no Python object per event."""
    counts = sizes // EVENT.size
    fields = np.frombuffer(joined, dtype="<i8").reshape(-1, 4)
    # sorting 1 key per project here (not 1 per event in SQLite or later) keeps the output ordered
    order = ids.arg_sort().to_numpy()
    if not np.array_equal(order, np.arange(len(order))):  # move each project's run of events into place
        counts, starts = counts[order], (np.cumsum(counts) - counts)[order]
        fields = np.take(fields, np.repeat(starts - (np.cumsum(counts) - counts), counts) + np.arange(counts.sum()),
                         axis=0)
    null = pl.lit(NULL_INT, pl.Int64)
    out = pl.DataFrame({"project_id": ids.gather(np.repeat(order, counts)),
                        "seq": fields[:, 0], "status_code": fields[:, 1], "ts": fields[:, 2],
                        "changed_by_code": fields[:, 3]})
    return out.with_columns(pl.when(pl.col(c) != null).then(pl.col(c)).alias(c) for c in ("ts", "changed_by_code"))


def inquiry_threads(store: Store, wait: bool = False) -> pl.DataFrame:
    return _snapshot(store, "threads", lambda: _load(store, THREADS_SQL, THREADS_SCHEMA), wait)


def inquiry_notes(store: Store, wait: bool = False) -> pl.DataFrame:
    return _snapshot(store, "notes", lambda: _load(store, NOTES_SQL, NOTES_SCHEMA), wait)


def form_values(store: Store) -> pl.DataFrame:
    """Cached submitted form data (``sync(forms=...)``), one row per project, form and field.

    Values stay strings as V2 sends them (numbers invariant, dates yyyy-MM-dd, true/false);
    multi-instance fields join their values with "; "."""
    import json

    rows = []
    for pid, form, raw in store.conn.execute("SELECT project_id, form_id, raw FROM form_data"):
        for f in json.loads(raw).get("DataFields") or []:
            value = f.get("Value")
            if value is None and f.get("Values"):
                value = "; ".join(map(str, f["Values"]))
            rows.append((pid, form, f.get("CustomId") or f.get("DataFieldId"), f.get("Name"), value))
    return pl.DataFrame(rows, schema={"project_id": pl.String, "form_id": pl.String, "field": pl.String,
                                      "name": pl.String, "value": pl.String}, orient="row")


#: every frame a snapshot is kept of, by the name frames.load and build take
LOADERS: dict[str, Callable[..., pl.DataFrame]] = {"projects": projects, "status_events": status_events,
                                                   "threads": inquiry_threads, "notes": inquiry_notes}


def load(store: Store, *names: str) -> list[pl.DataFrame]:
    """Frames ``names`` (projects, status_events, threads, notes) loaded at once, one thread each:
    the cold load of the two big ones takes the longer of their reads, not the sum (pcnb.cache.snapshots).
    A shared PostgreSQL store's are read one after the other (its connection serves one read at a time)."""
    from concurrent.futures import ThreadPoolExecutor

    unknown = [n for n in names if n not in LOADERS]
    if unknown:
        raise ValueError(f"unknown frame(s) {', '.join(unknown)}: choose from {', '.join(LOADERS)}")
    if len(names) < 2 or store.shared:  # a PostgreSQL store reads through one connection: one at a time
        return [LOADERS[n](store) for n in names]
    with ThreadPoolExecutor(len(names), thread_name_prefix="pcnb-frame") as pool:
        return list(pool.map(lambda n: LOADERS[n](store), names))


def refresh(store: Store) -> None:
    """Rebuild every snapshot now (after a sync), so the analyst's next loads are parquet reads."""
    for load in LOADERS.values():
        load(store, wait=True)


@dataclass(frozen=True)
class SyncHealth:
    """How fresh and complete the cache is: shown by %powerclerk status and on every chart."""

    as_of: datetime | None
    watermark_age_s: float | None
    queue_depth: int
    count_429: int
    last_run: datetime | None
    interrupted_run: bool
    timezone: str = "UTC"  # the program's: every time here is said in its local time
    now: datetime | None = None
    scope: str = "all projects"  # which projects' histories the cache holds (pcnb.cache.scope)

    def __str__(self) -> str:
        """The one freshness statement (title blocks, `info`, notebooks): when the cache was last synced
        and up to which change it holds, in the program's local time."""
        if self.as_of is None:  # no complete run yet: a first sync may have been cut short
            if self.queue_depth or self.interrupted_run:
                return (f"partial: the first sync was interrupted, {self.queue_depth} queued; "
                        "run sync again to resume")
            return "never synced"
        synced = f"synced {clock.local_time(self.last_run, self.timezone)}" if self.last_run else "synced"
        if self.last_run and self.now:
            synced += f" ({clock.ago((self.now - self.last_run).total_seconds())})"
        extra = "; an interrupted run will resume" if self.interrupted_run else ""
        queued = f"; {self.queue_depth} item(s) still queued" if self.queue_depth else ""
        limited = f"; {self.count_429} x 429 so far" if self.count_429 else ""
        scoped = f"; scope: {self.scope}" if self.scope != "all projects" else ""
        newest = clock.local_time(self.as_of, self.timezone)  # "holds changes up to" read as "stale since"
        return f"{synced}; the newest change it holds is from {newest}{queued}{limited}{extra}{scoped}"


def health(store: Store, timezone: str = "UTC") -> SyncHealth:
    st = store.get_state()
    as_of = from_us(st.get("watermark"))
    n429 = store.conn.execute("SELECT COUNT(*) FROM ledger WHERE status = 429").fetchone()[0]
    now = clock.now()
    age = (now - as_of).total_seconds() if as_of else None
    last = datetime.fromtimestamp(st["last_run"], tz=UTC) if st.get("last_run") else None
    return SyncHealth(as_of, age, store.pending(), n429, last, bool(st.get("run_id")), timezone, now,
                      st.get("scope_text") or "all projects")  # pcnb.cache.scope's words for the cache's scope
