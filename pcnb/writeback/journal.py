"""The write-back journal: every operation is recorded in the store before it is sent and updated
after, so a crash, a kill or a failed row never leaves us guessing what reached PowerClerk.

States (model.JournalState): ``planned`` -> ``sending`` (committed before the request leaves) ->
``done`` | ``failed`` | ``unknown`` (sent, answer lost); ``done`` -> ``undone`` once an undo batch
restored it. The journal's SQL is here, at the end of this module (the store's versioned
migrations create the table with the rest of the schema). A re-run of the same batch (same
operations, same batch id) skips ``done`` rows and checks ``sending`` / ``unknown`` rows of
non-idempotent actions against the server before sending them again.

Claims: a row is sent only by the run that moved it to ``sending`` in one SQLite transaction
(``claim``), which records its owner (host, pid, process start, run nonce) and a lease. Other
processes, kernels or machines sharing the journal skip a row whose owner holds a live lease; a
lease ends when it expires or, on the same host, as soon as the owner process is gone. The owner
re-checks its claim (and renews the lease) right before each attempt leaves (``renew``).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import polars as pl

from pcnb.writeback.model import PENDING, JournalRow, JournalState, Op

if TYPE_CHECKING:
    from pcnb.cache.store import Store

JOURNAL_SCHEMA: dict[str, Any] = {
    "batch_id": pl.String, "seq": pl.Int64, "action": pl.String, "project_id": pl.String,
    "project_number": pl.String, "target": pl.String, "before": pl.String, "after": pl.String,
    "state": pl.String, "request_id": pl.String, "result": pl.String, "created": pl.Datetime("us", "UTC"),
    "updated": pl.Datetime("us", "UTC"),
}


def batch_id(ops: list[Op]) -> str:
    """Same operations -> same id: re-running a cell after a failure resumes the same batch."""
    key = [(o.action, o.project_id, o.form, o.target, o.payload) for o in ops]
    return "wb-" + hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:12]


def _after(op: Op) -> str:
    return json.dumps({"form": op.form, "label": op.label, "project_number": op.project_number,
                       "payload": op.payload}, sort_keys=True, default=str)


def record(store: Store, batch: str, ops: list[Op]) -> dict[int, str]:
    """Insert the batch's rows (state planned) unless present; return seq -> current state."""
    _insert(store, batch, [(o.seq, o.action, o.project_id, o.target, json.dumps(o.before, default=str),
                                  _after(o)) for o in ops], time.time())
    return states(store, batch)


def states(store: Store, batch: str) -> dict[int, str]:
    return _states(store, batch)


def mark(store: Store, batch: str, seq: int, state: JournalState, request_id: str | None = None,
         error: str | None = None, check_after: float | None = None) -> None:
    _mark(store, batch, seq, JournalState(state).value, request_id, error, time.time(), check_after)


def _start_ticks(pid: int) -> str:
    """A process's start time (Linux /proc), so a reused pid is not taken for the dead owner."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


def new_owner() -> str:
    """This run's claim identity: host, pid, process start, nonce (two runs of one process differ)."""
    return f"{socket.gethostname()}|{os.getpid()}|{_start_ticks(os.getpid())}|{uuid.uuid4().hex[:8]}"


def owner_dead(owner: str) -> bool:
    """True only when the owner certainly cannot send any more: a process of this host that has
    exited (or whose pid now belongs to another process). Other hosts: unknown, so the lease rules."""
    try:
        host, pid_text, ticks, _ = owner.split("|")
        pid = int(pid_text)
    except ValueError:
        return False
    if host != socket.gethostname() or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return ticks != "?" and _start_ticks(pid) not in ("?", ticks)


def claim(store: Store, batch: str, seq: int, owner: str, lease_s: float
          ) -> tuple[bool, str | None, float | None, float | None]:
    """(claimed, previous state, sent_at, check_after); see _claim."""
    now = time.time()
    return _claim(store, batch, seq, owner, now, now + lease_s, owner_dead)


def renew(store: Store, batch: str, seq: int, owner: str, lease_until: float, land_s: float | None = None) -> bool:
    """Extend our claim; ``land_s``: the request leaves now and may land until ``land_s`` later
    (the sender's timeout + margin: whoever takes the row over checks the server after that)."""
    now = time.time()
    return _renew(store, batch, seq, owner, lease_until, None if land_s is None else now,
                               None if land_s is None else now + land_s)


def sent_at(store: Store, batch: str, seq: int) -> float:
    return _updated(store, batch, seq)


def rows(store: Store, batch: str | None = None) -> pl.DataFrame:
    """The journal as a frame, newest batch first (``batch`` to show one). ``result`` says what became of
    a row beyond its state: the error of a failed one, "undone by wb-..." for an undone one."""
    out: list[dict[str, Any]] = []
    for r in _rows(store, batch):
        after = json.loads(r[4])
        out.append({"batch_id": r[0], "seq": r[1], "action": r[2], "project_id": r[3],
                    "project_number": after.get("project_number"), "target": after.get("label") or r[5],
                    "before": r[6], "after": json.dumps(after.get("payload"), default=str), "state": r[7],
                    "request_id": r[8], "result": r[9], "created": int(r[10] * 1e6), "updated": int(r[11] * 1e6)})
    df = pl.DataFrame(out, schema={**JOURNAL_SCHEMA, "created": pl.Int64, "updated": pl.Int64})
    return df.with_columns(pl.col("created", "updated").cast(pl.Datetime("us", "UTC"))).sort(
        ["created", "seq"], descending=[True, False])


def batches(store: Store) -> pl.DataFrame:
    """One row per batch: when, how many operations in each state."""
    df = rows(store)
    if df.height == 0:
        return pl.DataFrame(schema={"batch_id": pl.String, "created": pl.Datetime("us", "UTC"), "operations": pl.UInt32,
                                    "done": pl.UInt32, "failed": pl.UInt32, "pending": pl.UInt32,
                                    "undone": pl.UInt32, "actions": pl.String})
    return df.group_by("batch_id").agg(
        pl.col("created").min(), pl.len().alias("operations"),
        (pl.col("state") == JournalState.DONE.value).sum().alias("done"),
        (pl.col("state") == JournalState.FAILED.value).sum().alias("failed"),
        pl.col("state").is_in(sorted(s.value for s in PENDING)).sum().alias("pending"),
        (pl.col("state") == JournalState.UNDONE.value).sum().alias("undone"),
        pl.col("action").unique().sort().str.join(", ").alias("actions"),
    ).sort("created", descending=True)


def load(store: Store, batch: str) -> list[JournalRow]:
    """Raw rows of one batch, for undo: before/after decoded."""
    out: list[JournalRow] = []
    for _, seq, action, pid, after, target, before, state, *_ in sorted(_rows(store, batch), key=lambda r: r[1]):
        out.append(JournalRow(seq=seq, action=action, project_id=pid, target=target,
                              before=json.loads(before or "{}"), after=json.loads(after), state=state))
    return out


# ---- the journal's SQL (its table is created by the store's versioned migrations) ---------------
def _insert(store: Store, batch: str, rows: list[tuple[int, str, str | None, str | None, str, str]],
                   now: float) -> None:
    """Insert (seq, action, project_id, target, before, after) rows as planned, unless present."""
    with store.tx(data=False) as conn:
        conn.executemany(
            "INSERT INTO journal (batch_id, seq, action, project_id, target, before, after, state, "
            "created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, 'planned', ?, ?) ON CONFLICT DO NOTHING",
            [(batch, *r, now, now) for r in rows])

def _states(store: Store, batch: str) -> dict[int, str]:
    return dict(store.conn.execute("SELECT seq, state FROM journal WHERE batch_id = ?", (batch,)))

def _mark(store: Store, batch: str, seq: int, state: str, request_id: str | None, error: str | None,
                 now: float, check_after: float | None = None) -> None:
    """Set a row's state; leaving ``sending`` releases its claim (owner, lease)."""
    with store.tx(data=False) as conn:
        conn.execute("UPDATE journal SET state = ?, request_id = COALESCE(?, request_id), error = ?, "
                     "updated = ?, check_after = ?, owner = CASE WHEN ? = 'sending' THEN owner END, "
                     "lease_until = CASE WHEN ? = 'sending' THEN lease_until END WHERE batch_id = ? AND seq = ?",
                     (state, request_id, error, now, check_after, state, state, batch, seq))

def _claim(store: Store, batch: str, seq: int, owner: str, now: float, lease_until: float,
                  dead: Callable[[str], bool]) -> tuple[bool, str | None, float | None, float | None]:
    """Atomically make ``owner`` the only sender of a row: (claimed, previous state, sent_at,
    check_after). A row is claimable unless done/undone or ``sending`` under another owner whose
    lease runs and who is not ``dead``; the claim sets it ``sending`` in the same transaction."""
    with store.tx(data=False) as conn:
        row = conn.execute("SELECT state, owner, lease_until, sent_at, check_after, updated FROM journal "
                           "WHERE batch_id = ? AND seq = ?", (batch, seq)).fetchone()
        if row is None:
            return False, None, None, None
        state, holder, lease, sent_at, check_after, updated = row
        if state in ("done", "undone"):
            return False, state, sent_at, check_after
        if state == "sending" and holder not in (None, owner) and (lease or 0) > now and not dead(holder):
            return False, state, sent_at, check_after
        if state == "sending" and holder is None and sent_at is None:
            sent_at = updated  # written before claims existed: the request may have left then
        conn.execute("UPDATE journal SET state = 'sending', owner = ?, lease_until = ?, updated = ? "
                     "WHERE batch_id = ? AND seq = ?", (owner, lease_until, now, batch, seq))
        return True, state, sent_at, check_after

def _renew(store: Store, batch: str, seq: int, owner: str, lease_until: float, sent_at: float | None = None,
                  check_after: float | None = None) -> bool:
    """Extend our claim (and record that the request is leaving now): False if it is not ours."""
    with store.tx(data=False) as conn:
        cur = conn.execute("UPDATE journal SET lease_until = ?, sent_at = COALESCE(?, sent_at), "
                           "check_after = COALESCE(?, check_after) "
                           "WHERE batch_id = ? AND seq = ? AND state = 'sending' AND owner = ?",
                           (lease_until, sent_at, check_after, batch, seq, owner))
        return cur.rowcount == 1

def _updated(store: Store, batch: str, seq: int) -> float:
    row = store.conn.execute("SELECT updated FROM journal WHERE batch_id = ? AND seq = ?", (batch, seq)).fetchone()
    return float(row[0]) if row else 0.0

def _rows(store: Store, batch: str | None = None) -> list[tuple[Any, ...]]:
    """(batch_id, seq, action, project_id, after, target, before, state, request_id, error, created,
    updated), newest batch first."""
    sql = ("SELECT batch_id, seq, action, project_id, after, target, before, state, request_id, error, "
           "created, updated FROM journal" + (" WHERE batch_id = ?" if batch else "") + " ORDER BY id DESC, seq")
    return list(store.conn.execute(sql, (batch,) if batch else ()))
