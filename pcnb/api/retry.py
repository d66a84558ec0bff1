"""The retry policy: which failures are retried, and how long to wait. Pure: no I/O, no clock.

Retries are our own loop rather than urllib3's ``Retry`` (a deliberate change from the original
design): every attempt is an operation the API gateway counts, so each one must pass through the
shared rate budget, which only the channel (pcnb.api.channel) sees.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RetryPolicy:
    """Idempotent operations are retried on 5xx and lost connections with jittered exponential
    backoff; every operation is retried on 429 after Retry-After (missing or 0: backoff), unless
    the wait is longer than ``max_retry_after`` (then the caller gets RateLimited and checkpoints)."""

    max_attempts: int = 5
    backoff_cap: float = 30.0
    max_retry_after: float = 120.0

    def next_delay(self, delay: float) -> float:
        return min(delay * 2, self.backoff_cap)

    def jittered(self, delay: float, rand: float) -> float:
        """The sleep before a backoff retry; ``rand`` in [0, 1) spreads concurrent clients."""
        return delay * (0.5 + rand / 2)

    def retry_failure(self, attempt: int, idempotent: bool) -> bool:
        """After a lost connection or a 5xx: is another attempt allowed?"""
        return idempotent and attempt < self.max_attempts

    def wait_for_429(self, retry_after: float, delay: float) -> tuple[float, float]:
        """(seconds to wait, next backoff delay) after a 429 with this Retry-After."""
        if retry_after:
            return retry_after, delay
        return min(delay, self.backoff_cap), self.next_delay(delay)

    def give_up_on_429(self, attempt: int, wait: float) -> bool:
        return wait > self.max_retry_after or attempt >= self.max_attempts
