"""The Store's PostgreSQL backend: one shared store for a team (issue #28).

The connection (pcnb.pgconn) runs the store's SQL text as written for SQLite; here is what differs in
the schema: :func:`ddl` carries a migration of ``store.MIGRATIONS`` to PostgreSQL's types, so an
appended migration runs on both backends unchanged, and :data:`PG_EXTRA` adds what SQLite has built
in. :func:`reader_grants` gives the analysts' read-only role its rights.

Guarantees match the SQLite file's: every write transaction first takes a transaction-level
advisory lock of its store (writers queue as they do behind SQLite's ``BEGIN IMMEDIATE``), so a page
or item commits with its queue update or not at all; the sync's "one syncer" lock is a session
advisory lock, released by the server when the holder's connection ends (a kill -9 included), on
any machine.
"""

from __future__ import annotations

import re

from pcnb.pgconn import PgConnection as PgConnection
from pcnb.pgconn import PgStoreError as PgStoreError
from pcnb.pgconn import is_url as is_url

#: extra statements a migration needs on PostgreSQL only (SQLite has them built in)
PG_EXTRA: dict[int, str] = {1: "ALTER TABLE projects ADD COLUMN rowid BIGSERIAL"}  # frames keep listing order
_DDL = [
    (re.compile(r"\bINTEGER PRIMARY KEY\b"), "BIGSERIAL PRIMARY KEY"),
    (re.compile(r"\bINTEGER\b"), "BIGINT"),
    (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
    (re.compile(r"\bBLOB\b"), "BYTEA"),
]


def ddl(script: str) -> str:
    """A migration's text (SQLite types) with PostgreSQL's types: 64-bit integers (microsecond
    timestamps do not fit 32 bits), double precision (PostgreSQL's REAL is 4 bytes), bytea."""
    for pattern, repl in _DDL:
        script = pattern.sub(repl, script)
    return script


def reader_grants(role: str, schema: str = "public", writer: str | None = None) -> list[str]:
    """The statements (run by the store's owner, the writer role) that let ``role`` open the store
    read-only: read every table; write only the write-back journal (two analysts must not send one
    batch twice) and the request ledger. ``writer``: tables its later migrations add are readable too."""
    from psycopg import sql

    r, s = sql.Identifier(role), sql.Identifier(schema)
    out = [sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, r),
           sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(s, r),
           sql.SQL("GRANT INSERT, UPDATE ON {}.journal TO {}").format(s, r),
           sql.SQL("GRANT INSERT ON {}.ledger TO {}").format(s, r),
           sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, r),
           # their own interactive calls spend from the key's one budget (pcnb.api.budget_pg)
           sql.SQL("GRANT SELECT, INSERT, DELETE ON {}.pcnb_rate_budget TO {}").format(s, r)]
    if writer:
        out.append(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}")
                   .format(sql.Identifier(writer), s, r))
    return [q.as_string(None) for q in out]
