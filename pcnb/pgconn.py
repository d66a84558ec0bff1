"""A PostgreSQL connection that speaks the store's SQL (issue #28: a team's shared store), through
psycopg 3; used by the store (pcnb.cache.pg) and by the key's rate budget (pcnb.api.budget_pg).

Why a thin adapter instead of a second copy of the store's SQL: the store, sync, journal and catalog
speak one SQL text (SQLite's, with ``?`` placeholders). :func:`dml` carries a statement to PostgreSQL
with a few fixed substitutions. Transactions are explicit (``begin``/``commit``: the connection is
otherwise in autocommit); a connection the server dropped is replaced at the next statement outside a
transaction, never inside one. Advisory locks (``session_lock``, ``lock_key``) are what serialise
writers and syncs across machines. Errors are one line naming the fix, the URL's password masked.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from pcnb.errors import ConfigError, StoreError
from pcnb.redact import redact_store_url

if TYPE_CHECKING:
    import polars as pl
    import psycopg

SCHEMES = ("postgresql://", "postgres://")
#: (the role and password are described apart: any text shaped like a URL with a password is masked)
URL_FORM = ("postgresql://HOST:PORT/DATABASE with ROLE:PASSWORD@ in front of the host (URL-encode special "
            "characters: @ as %40)")
RESUME = ("check that the PostgreSQL server is up, then re-run: the sync resumes from its last commit, "
          "nothing committed is lost or fetched twice")
_DML = [  # SQLite forms the store's SQL uses -> PostgreSQL's
    (re.compile(r"\bMAX\((COALESCE\(|queue\.priority)"), r"GREATEST(\1"),
    (re.compile(r"\bIS NOT \?"), "IS DISTINCT FROM ?"),
]


class PgStoreError(StoreError):
    """The shared PostgreSQL store could not be reached, read or written."""


def is_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(SCHEMES)


@lru_cache(maxsize=512)
def dml(sql: str, params: bool = True) -> str:
    """A statement of the store's SQL (SQLite dialect, ``?`` placeholders) as PostgreSQL runs it."""
    for pattern, repl in _DML:
        sql = pattern.sub(repl, sql)
    return sql.replace("%", "%%").replace("?", "%s") if params else sql


def lock_key(*parts: str) -> int:
    """A signed 64-bit advisory-lock key for this store (database + schema) and purpose."""
    return int.from_bytes(hashlib.blake2b("|".join(parts).encode(), digest_size=8).digest(), "big", signed=True)


def role_of(url: str) -> str:
    return unquote(urlsplit(url).username or "") or "(your login name)"


def connect_error(url: str, exc: Exception) -> PgStoreError:
    """One line naming what is wrong with the store URL and how to fix it."""
    where, text = redact_store_url(url), (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    low = str(exc).lower()
    parts = urlsplit(url)
    database = unquote(parts.path.lstrip("/")) or "(the role's name)"
    if "password authentication failed" in low or "no password supplied" in low:
        # PostgreSQL answers a missing role the same way, so as not to say which roles exist
        return PgStoreError(f"the PostgreSQL server refused role {role_of(url)!r} with this password ({where}): "
                            "a wrong password, or no such role",
                            "correct the password in the store URL (URL-encode @ : / % as %40 %3A %2F %25, or "
                            "put it in ~/.pgpass) or the role (docs/teams.md: pcnb_reader for analysts, "
                            "pcnb_writer for the worker)")
    if re.search(r'role ".*" does not exist', low):
        return PgStoreError(f"the PostgreSQL role {role_of(url)!r} does not exist on {where}",
                            "use the role your administrator created for pcnb (docs/teams.md: "
                            "pcnb_reader for analysts, pcnb_writer for the worker)")
    if re.search(r'database ".*" does not exist', low):
        return PgStoreError(f"the database {database!r} does not exist on {where}",
                            f"create it (createdb -O pcnb_writer {database}) or correct its name in the store URL")
    if type(exc).__name__ == "ProgrammingError" or ("invalid" in low and "connection option" in low):
        return PgStoreError(f"the store URL is not a valid PostgreSQL URL ({where}): {text}", f"write it as {URL_FORM}")
    return PgStoreError(f"cannot reach the PostgreSQL store at {where}: {text}",
                        "check the host and port in the store URL and that the server is running")


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise ConfigError("a PostgreSQL store needs psycopg", "pip install 'pcnb[postgres]'") from None
    return psycopg


class PgCursor:
    """The part of sqlite3.Cursor the store's callers use."""

    def __init__(self, cur: psycopg.Cursor[Any]):
        self._cur = cur

    @property
    def rowcount(self) -> int:
        return self._cur.rowcount

    def fetchone(self) -> Any:
        return self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        return self._cur.fetchall()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cur.fetchall())


class PgConnection:
    """A psycopg connection (autocommit; explicit BEGIN/COMMIT in Store.tx) that takes the store's
    SQL as sqlite3 does. A connection the server dropped is replaced at the next statement outside
    a transaction, so a sync re-run after a server restart simply resumes."""

    def __init__(self, url: str):
        self.url, self.where = url, redact_store_url(url)
        self.psycopg = _psycopg()
        self.in_transaction = False
        self._adbc: Any = None  # the Arrow reader's own connection (frame), made at the first load
        self._conn = self._connect()
        row = self._conn.execute("SELECT current_database(), current_schema(), current_user").fetchone()
        database, schema, role = row or ("", "", "")
        self.role: str = str(role)
        self.space = f"{database}|{schema}"

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn: psycopg.Connection[Any] = self.psycopg.connect(self.url, autocommit=True, connect_timeout=10,
                                                                 application_name="pcnb")
        except (self.psycopg.Error, ValueError) as exc:
            raise connect_error(self.url, exc) from None
        return conn

    def key(self, purpose: str) -> int:
        return lock_key(self.space, purpose)

    def _live(self) -> psycopg.Connection[Any]:
        """The connection; one the server dropped is replaced, but never inside a transaction (its
        statements would run outside it): there the loss is an error and the caller rolls back."""
        if self._conn.closed or self._conn.broken:
            if self.in_transaction:
                raise PgStoreError(f"lost the connection to the shared store {self.where} mid-transaction", RESUME)
            self._conn = self._connect()
        return self._conn

    def begin(self) -> None:
        self.execute("BEGIN")
        self.in_transaction = True

    def commit(self) -> None:
        self.execute("COMMIT")
        self.in_transaction = False

    def rollback_quietly(self) -> None:
        self.in_transaction = False
        try:
            if not self._conn.broken and self._conn.info.transaction_status != self.psycopg.pq.TransactionStatus.IDLE:
                self._conn.execute("ROLLBACK")
        except self.psycopg.Error:
            pass  # the connection is gone: the server rolled the transaction back

    def _fail(self, exc: Exception) -> PgStoreError:
        errors = self.psycopg.errors
        if isinstance(exc, errors.InsufficientPrivilege | errors.ReadOnlySqlTransaction):
            return PgStoreError(f"the database role {self.role!r} may not write this part of the shared store "
                                f"({self.where})", "syncing is the worker's job: run `pcnb worker` with the writer "
                                "role's store URL; analysts open the store read-only")
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, self.psycopg.OperationalError):
            return PgStoreError(f"lost the connection to the shared store {self.where}: {first}", RESUME)
        return PgStoreError(f"the shared store {self.where} refused a statement: {first}")

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> PgCursor:
        conn = self._live()
        try:
            return PgCursor(conn.execute(dml(sql, bool(params)), tuple(params) or None))
        except self.psycopg.Error as exc:
            raise self._fail(exc) from None

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]], /) -> PgCursor:
        cur = self._live().cursor()
        try:
            cur.executemany(dml(sql), [tuple(r) for r in rows])
        except self.psycopg.Error as exc:
            raise self._fail(exc) from None
        return PgCursor(cur)

    @contextmanager
    def session_lock(self, purpose: str, wait: float) -> Iterator[None]:
        """A session advisory lock (one holder across every machine; freed when its connection ends).
        Raises TimeoutError when another session holds it for ``wait`` seconds."""
        key, deadline = self.key(purpose), time.monotonic() + wait
        while not (self.execute("SELECT pg_try_advisory_lock(?)", (key,)).fetchone() or (False,))[0]:
            if time.monotonic() >= deadline:
                raise TimeoutError(purpose)
            time.sleep(0.1)
        try:
            yield
        finally:
            try:
                self.execute("SELECT pg_advisory_unlock(?)", (key,))
            except PgStoreError:
                pass  # connection lost: the server already released it

    def frame(self, sql: str) -> pl.DataFrame:
        """A query's result as a polars frame through ADBC (libpq's binary protocol straight into
        Arrow columns): no Python object per row, which is what keeps a million events quick."""
        import polars as pl

        try:
            if self._adbc is None:
                from adbc_driver_postgresql import dbapi

                self._adbc = dbapi.connect(self.url, autocommit=True)
            with self._adbc.cursor() as cur:
                cur.execute(sql)
                table = cur.fetch_arrow_table()
        except ImportError:
            raise ConfigError("frames from a PostgreSQL store need the ADBC driver",
                              "pip install 'pcnb[postgres]'") from None
        except Exception as exc:  # the driver's own error tree (adbc_driver_manager.Error and friends)
            self._adbc = None  # a dropped connection is made again at the next load
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise PgStoreError(f"could not read frames from the shared store {self.where}: {first}", RESUME) from None
        out = pl.from_arrow(table)
        assert isinstance(out, pl.DataFrame)
        return out

    def may(self, privilege: str, table: str) -> bool:
        """Whether this role holds ``privilege`` (INSERT, UPDATE...) on a table of the store."""
        row = self.execute("SELECT has_table_privilege(current_user, to_regclass(?), ?)", (table, privilege)).fetchone()
        return bool(row and row[0])

    def close(self) -> None:
        self._conn.close()
        if self._adbc is not None:
            self._adbc.close()
