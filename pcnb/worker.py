"""``pcnb worker --every 15m``: the one process that keeps a team's shared store fresh (issue #28).

Why a worker: with a shared PostgreSQL store the analysts' notebooks open it read-only and never
sync; one process with the writer role spends the API key's budget once for everybody. Each run is
``Workspace.sync`` (incremental sync, the program's status/form check, the profile), then one log
line. A PowerClerk outage or a lost database connection ends that run with an error in its line and
the worker tries again at the next tick; a restart resumes the interrupted sync from its queue
(every item commits with its queue update). SIGTERM (systemd stop, docker stop) ends it cleanly:
the run in progress stops at once, its uncommitted item rolls back, exit status 0.

The last run (when, how long, calls, errors, outcome) is kept in the store's sync state under
``worker``: ``info`` and :meth:`pcnb.workspace.Workspace.worker_last_run` show it to every analyst.
"""

from __future__ import annotations

import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from pcnb import clock
from pcnb.errors import InputError, PowerClerkError
from pcnb.redact import redact

STATE_KEY = "worker"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> float:
    """``15m``, ``1h``, ``90s``, ``1d`` -> seconds (at least 1 s)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text or "")
    if not m or float(m.group(1)) * _UNITS[m.group(2)] < 1:
        raise InputError(f"--every {text!r} is not an interval", "write a number and a unit: 90s, 15m, 1h or 1d")
    return float(m.group(1)) * _UNITS[m.group(2)]


@dataclass
class RunRecord:
    """One run of the worker, as ``info`` shows it."""

    at: float  # epoch seconds (pcnb.clock) when the run started
    seconds: float
    calls: int
    errors: int
    outcome: str  # "complete", "paused: ...", "failed: ..."

    def line(self) -> str:
        when = clock.local_time(datetime.fromtimestamp(self.at, tz=UTC), "UTC")
        return f"worker run {when}: {self.outcome}; {self.calls} calls, {self.errors} errors, {self.seconds:.1f}s"


class Stopped(BaseException):
    """SIGTERM arrived during a run (BaseException: no ``except Exception`` swallows it)."""


def last_run(store: Any) -> RunRecord | None:
    """The worker's last run recorded in ``store`` (None if no worker ran on it)."""
    raw = store.get_state().get(STATE_KEY)
    return RunRecord(**raw) if isinstance(raw, dict) else None


class Worker:
    """Runs ``open_workspace()`` + ``sync`` every ``every_s`` seconds until stopped."""

    def __init__(self, open_workspace: Callable[[], Any], every_s: float, log: Callable[[str], None] | None = None,
                 sync_options: dict[str, Any] | None = None):
        self.open_workspace, self.every_s = open_workspace, every_s
        self.log = log or (lambda line: print(redact(line), flush=True))
        self.sync_options = sync_options or {}
        self.ws: Any = None
        self.stop = threading.Event()
        self._in_run = False

    def run_once(self) -> RunRecord:
        """One sync; never raises for PowerClerk or store faults (they are the run's outcome)."""
        started, t0 = clock.now().timestamp(), time.monotonic()
        calls = errors = 0
        try:
            if self.ws is None:
                self.ws = self.open_workspace()
            report = self.ws.sync(progress=False, **self.sync_options)
            calls, errors = report.calls, len(report.errors)
            outcome = "complete" if report.complete else f"paused: {report.stopped_because}"
        except PowerClerkError as exc:  # the store's server or PowerClerk is gone: next tick tries again
            errors += 1
            outcome = f"failed: {exc.message}" + (f" (fix: {exc.hint})" if exc.hint else "")
            self._drop_workspace()
        except Exception as exc:  # anything else is this run's failure too: a daemon outlives it
            errors += 1
            outcome = f"failed: {type(exc).__name__}: {exc}".splitlines()[0]
            self._drop_workspace()
        record = RunRecord(started, round(time.monotonic() - t0, 1), calls, errors, outcome)
        self._remember(record)
        self.log(record.line())
        return record

    def _remember(self, record: RunRecord) -> None:
        if self.ws is None:
            return  # no store reachable: the log line is the record
        try:
            with self.ws.store.tx(data=False) as conn:
                self.ws.store.put_state(conn, **{STATE_KEY: asdict(record)})
        except PowerClerkError:
            self._drop_workspace()

    def _drop_workspace(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:  # a dead connection may fail to close; it is dropped either way
                pass
            self.ws = None

    def _on_sigterm(self, signum: int, frame: FrameType | None) -> None:
        self.stop.set()
        if self._in_run:
            raise Stopped()

    def loop(self, once: bool = False) -> int:
        """Run until SIGTERM (exit status 0), or once (a cron line: 1 if that run failed, so cron
        mails it and a timer unit shows it)."""
        previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        self.log(f"worker started: a sync every {self.every_s:g}s")
        try:
            while not self.stop.is_set():
                self._in_run = True
                try:
                    record = self.run_once()
                except Stopped:
                    self.log("worker stopped by SIGTERM during a run: its uncommitted step rolled back, "
                             "the next start resumes it")
                    return 0
                finally:
                    self._in_run = False
                if once:
                    return 1 if record.outcome.startswith("failed") else 0
                self.stop.wait(self.every_s)
            if self.stop.is_set():
                self.log("worker stopped by SIGTERM")
            return 0
        finally:
            self._drop_workspace()
            signal.signal(signal.SIGTERM, previous)


def main(open_workspace: Callable[[], Any], every: str, once: bool = False, max_calls: int | None = None) -> int:
    """The console script's ``pcnb worker`` (``open_workspace``: the workspace from the environment:
    PCNB_ENVIRONMENT, PCNB_STORE_URL with the writer role, credentials from PCNB_* or the keyring)."""
    try:
        seconds = parse_every(every)
    except InputError as exc:
        print(f"pcnb worker: {exc}", file=sys.stderr)
        return 2
    options = {"max_calls": max_calls} if max_calls else {}
    return Worker(open_workspace, seconds, sync_options=options).loop(once)
