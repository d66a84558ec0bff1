"""The API key's operation budget, shared by every process that uses the key.

PowerClerk allows 60 operations a minute per API key [doc], and every kernel, CLI run and
background sync of one analyst spends from the same allowance. A pyrate-limiter SQLite bucket with
a file lock in the user cache dir makes the budget cross-process. The window is padded
(``buffer_s``) because the server counts arrivals, not our departures: network jitter could
otherwise squeeze 61 arrivals into its 60 s window. And once an operation's answer is back, its slot is
moved to that instant (``settle``), a time the server's count cannot be later than: a burst of 30
acquired in a millisecond reaches a busy server over a few hundred, and the slots must leave our window
no sooner than the server's do (CI saw three 429s on a loaded machine before this).

Priorities: interactive calls (a user waiting on a cell) take any free slot; background work
(sync) leaves ``reserve`` slots free so a user never waits a full minute behind a sync.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from pyrate_limiter import Limiter, Rate, SQLiteBucket

from pcnb.config import cache_dir

TABLE = "operations"


def key_fingerprint(api_key: str) -> str:
    """Bucket file name for a key: a hash, so the key itself never lands on disk."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class BudgetSnapshot:
    limit: int
    period_s: float
    used: int
    remaining: int

    def __str__(self) -> str:
        return f"{self.used}/{self.limit} operations used in the last {self.period_s:g}s ({self.remaining} left)"


def _user_only(path: Path) -> None:
    """Create ``path`` user-only, or make an existing one so (an older pcnb left it 0644)."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


class Budget(Protocol):
    """What the channel, sync and plans ask of a budget: this machine's (RateBudget) or the team
    server's (pcnb.api.budget_pg.ServerBudget)."""

    limit: int
    period: float
    reserve: int
    waited_s: float
    acquired: int

    def acquire(self, priority: str = "interactive", timeout: float | None = None) -> None: ...

    def settle(self) -> None:
        """The operation last acquired here has its answer (or failed): its slot counts from now."""
        ...

    def twin(self) -> Budget:
        """The same key's budget through a connection of its own (for another thread)."""
        ...

    def snapshot(self) -> BudgetSnapshot: ...

    def eta(self, calls: int) -> float: ...

    def close(self) -> None: ...


class RateBudget:
    """Shared limit of ``limit`` operations per ``period`` seconds for one API key."""

    def __init__(self, api_key: str, limit: int = 60, period: float = 60.0, path: str | Path | None = None,
                 reserve: int = 5, buffer_s: float = 0.5):
        if limit < 1 or period <= 0:
            raise ValueError("a rate budget needs limit >= 1 and a positive period")
        self.limit, self.period = limit, period
        self.reserve = min(reserve, max(limit - 1, 0))
        self.window_ms = int((period + buffer_s) * 1000)
        if path is None:
            path = cache_dir() / "ratelimit" / f"{key_fingerprint(api_key)}.sqlite"
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _user_only(self.path)  # named by the key: 0600 (SQLite gives its -wal/-shm the same mode)
        self.bucket = SQLiteBucket.init_from_file([Rate(limit, self.window_ms)], table=TABLE,
                                                  db_path=str(self.path), use_file_lock=True)
        for extra in self.path.parent.glob(self.path.name + "*"):  # the bucket's lock file
            _user_only(extra)
        self.limiter = Limiter(self.bucket)
        self.waited_s = 0.0
        self.acquired = 0
        self._last: tuple[str, int] | None = None  # (item name, ms before it was put) to settle

    def _timestamps(self) -> list[int]:
        now = time.time_ns() // 1_000_000
        with sqlite3.connect(self.path, timeout=10) as conn:
            rows = conn.execute(f"SELECT item_timestamp FROM '{TABLE}' WHERE item_timestamp >= ? "
                                "ORDER BY item_timestamp", (now - self.window_ms,)).fetchall()
        return [r[0] for r in rows]

    def _used(self) -> tuple[int, int | None]:
        """(operations in the window now, the timestamp whose leaving frees a background slot, when
        the window is past the reserve): counted in SQLite, so a sandbox's high limit (thousands of
        rows in the window) costs no Python list per call."""
        now = time.time_ns() // 1_000_000
        with sqlite3.connect(self.path, timeout=10) as conn:
            used = conn.execute(f"SELECT COUNT(*) FROM '{TABLE}' WHERE item_timestamp >= ?",
                                (now - self.window_ms,)).fetchone()[0]
            if self.limit - used > self.reserve:
                return used, None
            row = conn.execute(f"SELECT item_timestamp FROM '{TABLE}' WHERE item_timestamp >= ? "
                               "ORDER BY item_timestamp LIMIT 1 OFFSET ?",
                               (now - self.window_ms, max(used - (self.limit - self.reserve), 0))).fetchone()
        return used, row[0] if row else now

    def snapshot(self) -> BudgetSnapshot:
        used = self._used()[0]
        return BudgetSnapshot(self.limit, self.period, used, max(self.limit - used, 0))

    def eta(self, calls: int) -> float:
        """Seconds until ``calls`` more operations can all have been sent, at the full rate."""
        if calls <= 0:
            return 0.0
        stamps = self._timestamps()
        free = self.limit - len(stamps)
        if calls <= free:
            return 0.0
        now = time.time_ns() // 1_000_000
        beyond = calls - free  # operations that must wait for slots to leave the window
        rounds, index = divmod(beyond - 1, self.limit)
        base = stamps[index] if index < len(stamps) else now
        return max(0.0, (base + self.window_ms * (rounds + 1) - now) / 1000)

    def acquire(self, priority: str = "interactive", timeout: float | None = None) -> None:
        """Block until one operation may be sent; background work keeps ``reserve`` slots free."""
        if priority not in ("interactive", "background"):
            raise ValueError("priority must be 'interactive' or 'background'")
        start = time.monotonic()
        deadline = None if timeout is None else start + timeout
        if priority == "background" and self.reserve:
            while True:
                used, oldest = self._used()
                if oldest is None:
                    break
                now = time.time_ns() // 1_000_000
                pause = max((oldest + self.window_ms - now) / 1000, 0.01)
                if deadline is not None and time.monotonic() + pause > deadline:
                    raise TimeoutError("rate budget: no background slot within the timeout")
                time.sleep(min(pause, 1.0))
        left = -1 if deadline is None else max(deadline - time.monotonic(), 0.001)
        name = f"op:{os.getpid()}:{id(self)}:{self.acquired}"  # this slot's row, for settle
        before = time.time_ns() // 1_000_000
        if not self.limiter.try_acquire(name, blocking=True, timeout=left):
            raise TimeoutError("rate budget: no slot within the timeout")
        self.waited_s += time.monotonic() - start
        self.acquired += 1
        self._last = (name, before)

    def settle(self) -> None:
        """Move the last slot to now, when its answer is back (the module's docstring says why)."""
        if self._last is None:
            return
        name, before = self._last
        self._last = None
        with self.bucket.lock:  # the bucket's file lock: one writer across processes
            self.bucket.conn.execute(f"UPDATE '{TABLE}' SET item_timestamp = ? WHERE item_timestamp >= ? "
                                     "AND name = ?", (time.time_ns() // 1_000_000, before, name))
            self.bucket.conn.commit()

    def twin(self) -> RateBudget:
        """The same key's budget (its file) through a connection of its own, for another thread."""
        return RateBudget("", self.limit, self.period, path=self.path, reserve=self.reserve,
                          buffer_s=self.window_ms / 1000 - self.period)

    def close(self) -> None:
        self.limiter.close()
