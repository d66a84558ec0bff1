"""sqlite_columns.py: the columnar SQLite reader returns exactly what the plain row reader and the
values written give, whatever the text holds (nulls, empty strings, separators, quotes, unicode, NUL),
for integers of any size, in the key's order whatever order SQLite aggregates in; the joined blobs
line up with their keys and lengths."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pcnb.cache import sqlite_columns

SCHEMA: dict[str, pl.DataType] = {"name": pl.String(), "ts": pl.Datetime("us", "UTC"), "flag": pl.Boolean(),
                                  "label": pl.Categorical()}
TRICKY = ["", " ", "\x1f", "\x1e", ",", '"', "'", "\\", "\n", "\x00", "null", "[]", "é", "漢字", "🙂", "a\x1fb\x1ec"]
text = st.one_of(st.none(), st.sampled_from(TRICKY), st.text())  # st.text: any code point but surrogates
row = st.tuples(text, st.one_of(st.none(), st.integers(-(2**63) + 1, 2**63 - 1)), st.one_of(st.none(), st.booleans()),
                text)
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _table(path: Path, rows: list[tuple[object, ...]], keys: list[int]) -> sqlite3.Connection:
    """A table written in ``keys``' order (so its rowid order is not the key order)."""
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t (k INTEGER, name TEXT, ts INTEGER, flag INTEGER, label TEXT)")
    conn.executemany("INSERT INTO t VALUES (?,?,?,?,?)", [(k, *r) for k, r in zip(keys, rows, strict=True)])
    return conn


@SETTINGS
@given(st.lists(row, max_size=40), st.data(), st.integers(1, 5))
def test_columns_equal_the_row_reader_and_the_values_written(tmp_path_factory, rows, data, chunks):
    """Keys in any order, sparse (key ranges without rows) and anywhere in int64; read in 1 to 5 chunks
    between bounds that are the keys' own, none, or any two integers (bounds only balance the chunks:
    narrower than the keys they must not lose rows)."""
    int64 = st.integers(-(2**63), 2**63 - 1)
    keys = data.draw(st.lists(int64, min_size=len(rows), max_size=len(rows), unique=True))
    bounds = data.draw(st.one_of(st.none(), st.just("SELECT min(k), max(k) FROM t"),
                                 st.tuples(int64, int64).map(lambda b: f"SELECT {b[0]}, {b[1]}")))
    path = tmp_path_factory.getbasetemp() / "columns.sqlite"
    conn = _table(path, rows, keys)
    sql = "SELECT k, name, ts, flag, label FROM t"
    got = sqlite_columns.frame(path, sql, SCHEMA, bounds, chunks)
    assert got.equals(sqlite_columns.rows(conn, sql, SCHEMA))
    written = [r for _, r in sorted(zip(keys, rows, strict=True))]
    assert got.rows() == [(a, b, None if c is None else int(c), d) for a, b, c, d in written]
    assert got.dtypes == [pl.String, pl.Int64, pl.Int64, pl.String]
    conn.close()


def test_an_empty_result_is_an_empty_frame_of_the_carried_types(tmp_path):
    _table(tmp_path / "t.sqlite", [], [])
    got = sqlite_columns.frame(tmp_path / "t.sqlite", "SELECT k, name, ts, flag, label FROM t", SCHEMA)
    assert got.height == 0 and got.schema == pl.Schema({"name": pl.String, "ts": pl.Int64, "flag": pl.Int64,
                                                        "label": pl.String})


def test_the_chunks_are_one_snapshot_of_the_store(tmp_path):
    """Writes committed while the chunks are read (another connection rewrites every row, again and
    again) are in none of them: the chunks are one read transaction, all rows of one version."""
    path = tmp_path / "t.sqlite"
    conn = _table(path, [("0", None, None, None)] * 2_000, list(range(2_000)))
    conn.execute("PRAGMA journal_mode=WAL")
    stop, versions = threading.Event(), [0]

    def writer() -> None:
        w = sqlite3.connect(path, isolation_level=None)
        while not stop.is_set():
            versions.append(versions[-1] + 1)
            w.execute("UPDATE t SET name = ?", (str(versions[-1]),))
            time.sleep(0.002)
        w.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(versions) < 3:  # the writer is going
            time.sleep(0.001)
        for _ in range(5):
            before = len(versions)
            got = sqlite_columns.frame(path, "SELECT k, name, ts, flag, label FROM t", SCHEMA,
                                       "SELECT min(k), max(k) FROM t", chunks=100)
            if len(versions) > before + 1:  # at least one write committed during the read
                break
    finally:
        stop.set()
        thread.join()
    assert len(versions) > before + 1, "no write happened during the read: the test proved nothing"
    assert got.height == 2_000 and got["name"].n_unique() == 1
    conn.close()


def test_columns_are_matched_by_position_not_by_a_name_sqlite_would_turn_into_a_string(tmp_path):
    """A column named "status" in the schema but status_name in the table: matched by position. A
    double-quoted name SQLite cannot resolve would silently be the text 'status' on every row."""
    path = tmp_path / "p.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE p (status_name TEXT)")
    conn.execute("INSERT INTO p VALUES ('Approved')")
    got = sqlite_columns.frame(path, "SELECT rowid, status_name FROM p", {"status": pl.Categorical()})
    assert got["status"].to_list() == ["Approved"]
    with pytest.raises(sqlite3.OperationalError):  # one column short: an error, not shifted columns
        sqlite_columns.frame(path, "SELECT rowid FROM p", {"status": pl.String()})
    with pytest.raises(ValueError):
        sqlite_columns.frame(path, "SELECT rowid, status_name FROM p", {'a"b': pl.String()})


@SETTINGS
@given(st.dictionaries(st.text(), st.binary(max_size=64).map(lambda b: b[: len(b) // 8 * 8]), max_size=30),
       st.randoms())
def test_blobs_line_up_with_their_keys_and_lengths(packed, rnd):
    items = list(packed.items())
    rnd.shuffle(items)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE h (project_id TEXT PRIMARY KEY, events BLOB NOT NULL)")
    conn.executemany("INSERT INTO h VALUES (?, ?)", items)
    ids, sizes, joined = sqlite_columns.blobs(conn, "h", "project_id", "events")
    assert len(ids) == len(sizes) == len(items)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    assert {k: joined[starts[i]:starts[i + 1]] for i, k in enumerate(ids.to_list())} == packed
