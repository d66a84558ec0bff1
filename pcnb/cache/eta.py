"""A sync's time-left estimate that does not jump from seconds to hours.

Why not tqdm's own: it extrapolates from the last few calls, so one slow call (a 429's
Retry-After, a token refresh, a 5xx retry) multiplied by a thousand queued calls read as hours
for a sync that finished a minute later. Here:

- warm-up: "estimating…" until ``warmup`` calls have finished; their median seeds the rate;
- after it, an exponentially weighted mean of seconds per call (weight ``alpha``) in which one
  call counts at most ``clip`` times the current mean: an outlier moves the estimate by at most
  ``alpha * (clip - 1)`` (60 % with the defaults), while a lasting slow-down (the rate limit
  starting to bite) still wins within a few calls, by that factor per call;
- a floor: never less than the rate budget says the remaining calls need (``floor``), which
  is exact once the queue is larger than the key's free slots.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

MIN_PER_CALL = 0.001  # seconds: the clip's base when the mean is 0


class SyncEta:
    def __init__(self, alpha: float = 0.2, warmup: int = 5, clip: float = 4.0,
                 clock: Callable[[], float] = time.monotonic):
        if not 0 < alpha <= 1 or warmup < 1 or clip < 1:
            raise ValueError("alpha in (0, 1], warmup >= 1, clip >= 1")
        self.alpha, self.warmup, self.clip, self.clock = alpha, warmup, clip, clock
        self.last = clock()
        self.first: list[float] = []
        self.per_call: float | None = None  # smoothed seconds per call, None while warming up

    def tick(self, now: float | None = None) -> None:
        """One call finished (at ``now``, default the clock)."""
        now = self.clock() if now is None else now
        dt, self.last = max(now - self.last, 0.0), now
        if self.per_call is None:
            self.first.append(dt)
            if len(self.first) >= self.warmup:
                self.per_call = statistics.median(self.first)
            return
        # a mean of 0 (calls faster than the clock's tick) still clips: at least a millisecond a call
        sample = min(dt, self.clip * max(self.per_call, MIN_PER_CALL))
        self.per_call += self.alpha * (sample - self.per_call)

    def seconds(self, remaining: int, floor: float = 0.0) -> float | None:
        """Seconds left for ``remaining`` calls; None until warmed up."""
        if self.per_call is None:
            return None
        return max(remaining * self.per_call, floor)

    def text(self, remaining: int, floor: float = 0.0) -> str:
        return describe(self.seconds(remaining, floor))


def describe(seconds: float | None) -> str:
    """"estimating…", "~40 s left", "~12 min left" or "~1.5 h left" (rounded: it is an estimate)."""
    if seconds is None:
        return "estimating…"
    if seconds < 90:
        return f"~{max(round(seconds), 1)} s left"
    if seconds < 90 * 60:
        return f"~{round(seconds / 60)} min left"
    return f"~{seconds / 3600:.1f} h left"
