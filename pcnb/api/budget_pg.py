"""The API key's budget through the team's PostgreSQL server: every process on every machine that
uses the key spends from one window (issue #28), where pcnb.api.budget's SQLite bucket only spans the
processes of one machine.

Why our own table and not pyrate-limiter's PostgresBucket: the budget needs what its bucket does not
offer — background work leaving ``reserve`` slots to interactive calls, and an ETA — which means
reading the window's timestamps anyway, and its check-and-put fails fast under contention (NOWAIT)
where callers here should queue. The table is one row per operation sent; a transaction-level
advisory lock per key makes check-and-insert atomic across machines; every time is the server's
``clock_timestamp()`` (one clock for all machines, and a test's moved Python clock cannot skew it).
"""

from __future__ import annotations

import copy
import time

from pcnb import pgconn
from pcnb.api.budget import Budget, BudgetSnapshot, RateBudget, key_fingerprint

TABLE = "pcnb_rate_budget"
#: made with the store's schema too (the writer role, pcnb.cache.store), so the analysts' role can be
#: granted it before any of them spends from it
BUDGET_DDL = (f"CREATE TABLE IF NOT EXISTS {TABLE} (key TEXT NOT NULL, ts DOUBLE PRECISION NOT NULL);"
              f"CREATE INDEX IF NOT EXISTS {TABLE}_key_ts ON {TABLE} (key, ts)")
NOW_EXPR = "extract(epoch FROM clock_timestamp())::float8"
NOW = f"SELECT {NOW_EXPR}"


def for_key(api_key: str, limit: int, period: float, store_url: str | None = None) -> Budget:
    """The key's budget: through the team's PostgreSQL server when there is one (every machine
    shares it), else this machine's SQLite bucket."""
    if store_url:
        return ServerBudget(api_key, limit, period, url=store_url)
    return RateBudget(api_key, limit, period)


class ServerBudget:
    """Shared limit of ``limit`` operations per ``period`` seconds for one API key, kept in the
    PostgreSQL database at ``url`` (the team's store URL)."""

    def __init__(self, api_key: str, limit: int = 60, period: float = 60.0, *, url: str, reserve: int = 5,
                 buffer_s: float = 0.5):
        if limit < 1 or period <= 0:
            raise ValueError("a rate budget needs limit >= 1 and a positive period")
        self.limit, self.period = limit, period
        self.reserve = min(reserve, max(limit - 1, 0))
        self.window_s = period + buffer_s
        self.key = key_fingerprint(api_key)  # the key itself never reaches the database
        self.url = url
        self.db = pgconn.PgConnection(url)
        self.lock_key = pgconn.lock_key("rate-budget", self.key)
        if self.db.execute("SELECT to_regclass(?)", (TABLE,)).fetchone()[0] is None:  # no store made it yet
            self.db.begin()  # several processes starting at once: one creates it, under the lock
            try:
                self.db.execute("SELECT pg_advisory_xact_lock(?)", (pgconn.lock_key("rate-budget-table"),))
                for statement in BUDGET_DDL.split(";"):
                    self.db.execute(statement)
                self.db.commit()
            except BaseException:
                self.db.rollback_quietly()
                raise
        self.waited_s = 0.0
        self.acquired = 0
        self._last: float | None = None  # the server time recorded for the last slot, to settle

    def twin(self) -> ServerBudget:
        """The same key's budget through a database connection of its own, for another thread."""
        other = copy.copy(self)
        other.db, other.waited_s, other.acquired, other._last = pgconn.PgConnection(self.url), 0.0, 0, None
        return other

    def _window(self) -> tuple[float, list[float]]:
        now = float(self.db.execute(NOW).fetchone()[0])
        rows = self.db.execute(f"SELECT ts FROM {TABLE} WHERE key = ? AND ts >= ? ORDER BY ts",
                               (self.key, now - self.window_s)).fetchall()
        return now, [float(r[0]) for r in rows]

    def _take(self, allowed: int) -> float:
        """Record one operation if fewer than ``allowed`` are in the window: 0.0; else the seconds
        until a slot frees (nothing recorded). A count and one indexed row, not the whole window."""
        self.db.begin()
        try:
            self.db.execute("SELECT pg_advisory_xact_lock(?)", (self.lock_key,))
            now = float(self.db.execute(NOW).fetchone()[0])
            since = now - self.window_s
            used = int(self.db.execute(f"SELECT COUNT(*) FROM {TABLE} WHERE key = ? AND ts >= ?",
                                       (self.key, since)).fetchone()[0])
            if used < allowed:
                self.db.execute(f"INSERT INTO {TABLE} (key, ts) VALUES (?, ?)", (self.key, now))
                self._last = now
                self.db.execute(f"DELETE FROM {TABLE} WHERE key = ? AND ts < ?", (self.key, now - 2 * self.window_s))
                wait = 0.0
            else:  # the slot frees when the (used - allowed + 1)-th oldest operation leaves the window
                oldest = self.db.execute(f"SELECT ts FROM {TABLE} WHERE key = ? AND ts >= ? ORDER BY ts "
                                         "LIMIT 1 OFFSET ?", (self.key, since, used - allowed)).fetchone()[0]
                wait = max(float(oldest) + self.window_s - now, 0.01)
            self.db.commit()
            return wait
        except BaseException:
            self.db.rollback_quietly()
            raise

    def acquire(self, priority: str = "interactive", timeout: float | None = None) -> None:
        """Block until one operation may be sent; background work keeps ``reserve`` slots free."""
        if priority not in ("interactive", "background"):
            raise ValueError("priority must be 'interactive' or 'background'")
        allowed = self.limit - (self.reserve if priority == "background" else 0)
        start = time.monotonic()
        while (pause := self._take(allowed)) > 0:
            if timeout is not None and time.monotonic() + pause > start + timeout:
                raise TimeoutError("rate budget: no slot within the timeout")
            time.sleep(min(pause, 1.0))
        self.waited_s += time.monotonic() - start
        self.acquired += 1

    def settle(self) -> None:
        """Move the last slot to the server's now, when its answer is back (pcnb.api.budget says
        why). Moving a slot later only narrows the window, so no lock is needed."""
        if self._last is None:
            return
        stamp, self._last = self._last, None
        self.db.execute(f"UPDATE {TABLE} SET ts = {NOW_EXPR} WHERE ctid = (SELECT ctid FROM {TABLE} "
                        "WHERE key = ? AND ts = ? LIMIT 1)", (self.key, stamp))

    def snapshot(self) -> BudgetSnapshot:
        used = len(self._window()[1])
        return BudgetSnapshot(self.limit, self.period, used, max(self.limit - used, 0))

    def eta(self, calls: int) -> float:
        """Seconds until ``calls`` more operations can all have been sent, at the full rate."""
        if calls <= 0:
            return 0.0
        now, stamps = self._window()
        free = self.limit - len(stamps)
        if calls <= free:
            return 0.0
        rounds, index = divmod(calls - free - 1, self.limit)
        base = stamps[index] if index < len(stamps) else now
        return max(0.0, base + self.window_s * (rounds + 1) - now)

    def close(self) -> None:
        self.db.close()
