"""A sync in a kernel thread (``%powerclerk sync --background``): the notebook stays usable.

Why a thread of the kernel and not a subprocess: the analyst's next cell should see what the sync
has fetched so far (pcnb.analytics.estimates: figures from the sample so far), and the kernel
already holds the credentials; a thread needs neither a second login nor a hand-off file.

What keeps it safe beside the notebook's own work:

- its own client and its own cache connection (a Workspace of its own on the same file):
  SQLite in WAL mode lets the notebook read while it writes, and no transaction of one thread
  ever sees the other's half-done one;
- the key's shared budget (pcnb.api.budget): the sync's calls are "background", which leave
  slots for interactive calls, so a cell's call jumps ahead of the sync's queue;
- the store's sync lock: a second sync (another kernel, a terminal, a second --background)
  is refused in one line at once instead of waiting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from filelock import FileLock, Timeout

from pcnb.api.client import PowerClerkClient
from pcnb.cache.progress import Progress
from pcnb.cache.sync import SyncBusy, SyncReport


class BackgroundSync:
    """The running (or finished) background sync of a workspace: ``line`` is its progress now."""

    def __init__(self, ws: Any, **kw: Any):
        self.ws, self.kw = ws, kw
        self.on_done: Callable[[str], None] | None = None  # given the last line (report or error)
        self.progress: Progress | None = None
        self.listeners: list[Callable[[Progress], None]] = []  # e.g. a LinePrinter where no display updates
        self.report: SyncReport | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="pcnb-background-sync", daemon=True)

    @property
    def running(self) -> bool:
        return self.thread.is_alive()

    @property
    def line(self) -> str:
        if self.error is not None:
            return f"background sync failed: {self.error}"
        if self.report is not None:
            return f"background {self.report}".split("\n")[0]
        return str(self.progress) if self.progress else "PowerClerk sync: starting…"

    def __repr__(self) -> str:
        return self.line

    def start(self) -> BackgroundSync:
        lock = FileLock(str(self.ws.store.path) + ".sync.lock")
        try:  # refuse now, in one line, rather than in the thread a moment later
            lock.acquire(timeout=0)
        except Timeout:
            raise SyncBusy(f"another sync is already running on {self.ws.store.path}",
                           "wait for it (`%powerclerk info` shows its queue), or run this sync without "
                           "--background after it") from None
        lock.release()
        self.thread.start()
        return self

    def wait(self, timeout: float | None = None) -> SyncReport | None:
        self.thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.report

    def _on_progress(self, p: Progress) -> None:
        self.progress = p
        for listener in self.listeners:
            listener(p)

    def _run(self) -> None:
        from pcnb.workspace import Workspace

        try:
            mine = Workspace(_client_like(self.ws.client), self.ws.program, self.ws.store.path)
            mine.sandbox_program = self.ws.sandbox_program
            try:
                self.report = mine.sync(progress=False, on_progress=self._on_progress, **self.kw)
            finally:
                mine.store.close()
        except BaseException as exc:  # reported by ``line`` and re-raised by ``wait``
            self.error = exc
        if self.on_done is not None:
            self.on_done(self.line)


def _client_like(client: PowerClerkClient) -> PowerClerkClient:
    """A client of the same key, settings and budget file (no shared connection between threads)."""
    shared = None if client.budget is None else client.budget.twin()
    twin = PowerClerkClient(client.settings, client.credentials, budget=shared)
    twin.is_admin = client.is_admin
    return twin


__all__ = ["BackgroundSync"]
