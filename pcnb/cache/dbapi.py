"""The connection interface the store's callers write through: sqlite3's, which the PostgreSQL
adapter (pcnb.cache.pg.PgConnection) also offers, so sync, journal and catalog code is one text."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from pcnb.errors import StoreError as StoreError  # its home is the error tree; the cache's callers import it here


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Conn(Protocol):
    def execute(self, sql: str, params: Any = ..., /) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Any], /) -> Cursor: ...
