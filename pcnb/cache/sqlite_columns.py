"""Read SQLite rows into polars columns without a Python object per value (frames' cold load).

Python's sqlite3 module hands back one tuple per row and one object per value: for 166,000 projects
that alone is ~0.3 s, before polars has seen a value. Here SQLite does the per-value work in C and
returns a few large values instead:

* :func:`frame`: one JSON array per column (``json_group_array``; all columns of a chunk of rows come
  from one aggregate query, so in the same row order, and all chunks from one read transaction),
  decoded by polars' JSON reader (Rust). JSON is chosen over a joined text with separators because it
  is exact by construction: NULL stays ``null`` (not an empty string), quotes, backslashes, control
  characters (separators included) and non-ASCII text are escaped and decoded by the standard, and
  integers (microsecond timestamps) are JSON integers, read as Int64 without a detour through floats.
* :func:`blobs`: the packed histories (``store.EVENT``) joined by ``group_concat`` into one buffer,
  next to a JSON array of their keys and byte lengths, for numpy to split.

SQLite does not promise an aggregate's input order (before 3.44 there is no ``ORDER BY`` inside an
aggregate), so neither function relies on it: :func:`frame` carries a sort key column and sorts by it
when the rows did not come in order (they do on a plain table scan, so that costs a check), and
:func:`blobs` returns its keys and lengths aligned with the buffer, in whatever order they came.

The alternative readers that return Arrow directly (ADBC, connectorx) bundle a second SQLite library:
see pcnb.cache.frames for why that is not an option.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

#: the sort key column's name in the queries built here
KEY = "sort_key"
#: the name the caller's query gets in them (a WITH clause that names its columns by position)
CTE = "columnar_source"

#: how a column is carried in JSON: integers for every numeric or temporal type (cast afterwards by
#: the caller's schema), strings for the rest
_INTEGER = (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64, pl.Boolean,
            pl.Datetime, pl.Date, pl.Duration)


def json_dtype(dtype: pl.DataType) -> pl.DataType:
    """The type a column is decoded as from its JSON array: Int64 for integers, booleans (stored
    0/1) and timestamps (stored as integer microseconds), String for text and categoricals."""
    return pl.Int64() if isinstance(dtype, _INTEGER) else pl.String()


def frame(path: Path, sql: str, schema: Mapping[str, pl.DataType], bounds: str | None = None,
          chunks: int = 4) -> pl.DataFrame:
    """The rows of ``sql`` in the SQLite file ``path``: a SELECT of an integer sort key and then
    ``schema``'s columns (matched by position, as a row reader would), sorted by the key and
    without it; each column as ``json_dtype`` of its type (the caller casts to the schema).

    ``bounds``: a cheap SELECT of about the key's lowest and highest value (e.g. a table's min and max
    rowid, read from its b-tree's ends; never a scan). The rows are then read in ``chunks`` key
    ranges between them (the first and last open-ended, so bounds only balance the chunks, they
    cannot lose rows), on a connection of its own, in one read transaction (one snapshot for every
    chunk, and the store's shared connection is never held in a transaction): while polars decodes a
    chunk (without the GIL), a thread has SQLite build the next one (sqlite3 releases the GIL too),
    so the two halves of the work run on two cores. Without ``bounds``: one chunk. An SQLite built
    without JSON functions gets :func:`rows`."""
    names = _names(schema)
    source = f"WITH {CTE}({', '.join(names)}) AS ({sql}) SELECT {', '.join(f'json_group_array({n})' for n in names)} "
    types = {KEY: pl.Int64(), **{n: json_dtype(t) for n, t in schema.items()}}
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("BEGIN")  # deferred: a read transaction from the first SELECT to the end
        low, high = (conn.execute(bounds).fetchone() if bounds else None) or (None, None)
        starts: list[int] = []  # of the 2nd.. chunks; Python integers: exact, whatever the keys' range
        if isinstance(low, int) and isinstance(high, int) and high > low:
            count = min(max(1, chunks), high - low + 1)
            starts = [low + (high - low + 1) * i // count for i in range(1, count)]
        ranges = list(zip([None, *starts], [*starts, None], strict=True))
        count = len(ranges)

        def chunk(r: tuple[int | None, int | None]) -> tuple[str, ...]:
            clauses = [f"{KEY} >= ?"] * (r[0] is not None) + [f"{KEY} < ?"] * (r[1] is not None)
            where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
            got: tuple[str, ...] = conn.execute(f"{source} FROM {CTE}{where}",
                                                [b for b in r if b is not None]).fetchone()
            return got

        parts = []
        with ThreadPoolExecutor(1, thread_name_prefix="pcnb-columns") as pool:
            try:
                pending = pool.submit(chunk, ranges[0])
                texts = pending.result()
            except sqlite3.OperationalError as exc:
                if "no such function" not in str(exc):
                    raise
                return rows(conn, sql, schema)
            for i in range(count):
                if i + 1 < count:
                    pending = pool.submit(chunk, ranges[i + 1])
                if texts[0] != "[]":  # a key range without rows (its empty arrays would explode to a null row)
                    parts.append(pl.DataFrame([pl.Series(n, [text]).str.json_decode(pl.List(types[n])).explode()
                                               for n, text in zip(types, texts, strict=True)]))
                if i + 1 < count:
                    texts = pending.result()
        conn.execute("COMMIT")
    finally:
        conn.close()
    if not parts:
        return pl.DataFrame(schema={n: types[n] for n in schema})
    df = pl.concat(parts)
    if not df[KEY].is_sorted():
        df = df.sort(KEY)
    return df.drop(KEY)


def rows(conn: sqlite3.Connection, sql: str, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """The frame :func:`frame` returns, read the plain way: one Python tuple per row (~3x slower).
    The fallback for an SQLite without JSON functions, and the reference :func:`frame` is tested
    and benchmarked against."""
    names = _names(schema)
    got = conn.execute(f"WITH {CTE}({', '.join(names)}) AS ({sql}) SELECT {', '.join(names[1:])} FROM {CTE} "
                       f"ORDER BY {KEY}").fetchall()
    return pl.DataFrame(got, schema={n: json_dtype(t) for n, t in schema.items()}, orient="row")


def _names(schema: Mapping[str, pl.DataType]) -> list[str]:
    """The CTE's column names: the sort key, then the schema's (plain identifiers, never quoted: a
    double-quoted name SQLite cannot resolve silently becomes a string literal)."""
    names = [KEY, *schema]
    bad = [n for n in names[1:] if not n.isidentifier() or n == KEY]
    if bad:
        raise ValueError(f"column names must be plain identifiers other than {KEY}: {bad}")
    return names


def blobs(conn: sqlite3.Connection, table: str, key: str, blob: str) -> tuple[pl.Series, npt.NDArray[np.int64], bytes]:
    """Every row's ``key`` (text) and ``blob`` of ``table``: the keys, each blob's length in bytes and
    the blobs joined into one buffer, all three in the same (unspecified) row order.

    group_concat joins blobs byte for byte in a UTF-8 database (pcnb's stores are); the total length
    is checked against the lengths, so a store where that does not hold fails loudly, not silently."""
    if not all(n.isidentifier() for n in (table, key, blob)):
        raise ValueError(f"plain identifiers only: {table}, {key}, {blob}")
    n, keys, lengths, joined = conn.execute(
        f"SELECT count(*), json_group_array({key}), json_group_array(length({blob})), "
        f"CAST(group_concat({blob}, '') AS BLOB) FROM {table}").fetchone()
    if n == 0:
        return pl.Series(key, [], pl.String), np.zeros(0, dtype=np.int64), b""
    ids = pl.Series(key, [keys]).str.json_decode(pl.List(pl.String)).explode()
    sizes = pl.Series([lengths]).str.json_decode(pl.List(pl.Int64)).explode().to_numpy()
    buffer = joined or b""  # NULL when every blob is empty
    if int(sizes.sum()) != len(buffer):
        raise sqlite3.DatabaseError(f"{table}.{blob}: joined {len(buffer)} bytes, lengths say {int(sizes.sum())}")
    return ids, sizes, buffer
