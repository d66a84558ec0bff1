"""Fault injection for reliability tests and demos of resilience.

Configured per run (constructor, ``pcnb sandbox --faults``, or POST /_sandbox/faults). Counted
faults (``burst_5xx``, ``drop_next``, ``force_429``) fire on the next N API requests; rates fire at
random with a seeded generator so a failing test can be replayed.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass
class Faults:
    latency_s: float = 0.0  # added to every API response
    latency_jitter_s: float = 0.0  # uniform extra 0..jitter
    error_rate: float = 0.0  # share of requests answered 503
    drop_rate: float = 0.0  # share of requests whose connection is cut mid-response
    burst_5xx: int = 0  # the next N requests answer 503
    drop_next: int = 0  # the next N requests are cut mid-response
    force_429: int = 0  # the next N requests answer 429
    drop_after_next: int = 0  # the next N requests are processed, then their response is cut (write applied)
    bad_gateway_after_next: int = 0  # the next N requests are processed, then answered 502 (write applied)
    retry_after: int | None = 1  # Retry-After on forced 429s; None sends no header
    match: str = ""  # when set, counted faults fire only on requests whose "METHOD /path" contains it
    seed: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def update(self, **changes: object) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault setting(s) {sorted(unknown)}; known: {sorted(known)}")
        with self._lock:
            for k, v in changes.items():
                setattr(self, k, v)
            if "seed" in changes:
                self._rng = random.Random(self.seed)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def draw(self, target: str = "") -> tuple[str | None, float]:
        """Decide this request's fault ('503', 'drop', 'drop_after', '502_after', '429' or None) and its added
        latency. ``target`` is "METHOD /path", matched against ``match`` for the counted faults."""
        with self._lock:
            delay = self.latency_s + (self._rng.random() * self.latency_jitter_s if self.latency_jitter_s else 0)
            if self.match and self.match not in target:
                pass
            elif self.drop_after_next > 0:
                self.drop_after_next -= 1
                return "drop_after", delay
            elif self.bad_gateway_after_next > 0:
                self.bad_gateway_after_next -= 1
                return "502_after", delay
            elif self.force_429 > 0:
                self.force_429 -= 1
                return "429", delay
            elif self.burst_5xx > 0:
                self.burst_5xx -= 1
                return "503", delay
            elif self.drop_next > 0:
                self.drop_next -= 1
                return "drop", delay
            roll = self._rng.random()
            if roll < self.error_rate:
                return "503", delay
            if roll < self.error_rate + self.drop_rate:
                return "drop", delay
            return None, delay

    @classmethod
    def parse(cls, spec: str) -> Faults:
        """``"latency_s=0.2,error_rate=0.05"`` -> Faults (the CLI's --faults value)."""
        out = cls()
        changes: dict[str, object] = {}
        for part in filter(None, (s.strip() for s in spec.split(","))):
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"fault {part!r} must be key=value, e.g. error_rate=0.05")
            if key == "match":
                changes[key] = value
            else:
                changes[key] = None if value == "none" else (float(value) if "." in value else int(value))
        out.update(**changes)
        return out
