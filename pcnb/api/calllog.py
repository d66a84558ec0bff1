"""The call log: every operation sent, counted and (optionally) handed to a ledger, e.g. the store's."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

#: receives one CallRecord as a dict per operation sent (Store.record_call is one)
Ledger = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class CallRecord:
    endpoint: str
    method: str
    status: int | None  # None: no answer (connection lost)
    request_id: str | None
    latency_ms: float
    time: float


class CallLog:
    """Counts operations sent (retries and refused ones included: the gateway counts them too)."""

    def __init__(self, ledger: Ledger | None = None):
        self.ledger = ledger
        self.calls = 0
        self.count_429 = 0

    def sent(self) -> None:
        self.calls += 1

    def record(self, endpoint: str, method: str, status: int | None, started: float,
               request_id: str | None) -> CallRecord:
        rec = CallRecord(endpoint, method, status, request_id, round((time.monotonic() - started) * 1000, 1),
                         time.time())
        if status == 429:
            self.count_429 += 1
        if self.ledger is not None:
            self.ledger(asdict(rec))
        return rec
