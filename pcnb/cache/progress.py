"""A sync's progress as one line: stage, calls done of planned, the key's budget share, time left.

Why not only tqdm's bar: a background sync (pcnb.background) has no cell of its own to draw a bar
in, and a log file (a terminal that is not a TTY: CI, cron, ``pcnb sync > log``) fills with
carriage-return redraws. The same line is shown three ways: a notebook display updated in place
(the background sync), a bar's postfix (a foreground sync in a notebook or TTY), or one printed
line per ``step`` percent (not a TTY).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from pcnb.cache.eta import describe

STAGES = {"listing": "listing", "history": "histories", "inquiries": "inquiries", "notes": "notes", "form": "forms"}


@dataclass(frozen=True)
class Progress:
    stage: str  # listing | history | inquiries | notes | form | done
    calls: int  # spent by this run so far
    planned: int  # calls + what is queued now (notes appear as inquiry lists show them)
    budget_used: int | None = None  # operations of the key in the current window, every process
    budget_limit: int | None = None
    seconds_left: float | None = None

    @property
    def percent(self) -> float:
        return 100.0 * self.calls / self.planned if self.planned else 100.0

    def __str__(self) -> str:
        parts = [f"PowerClerk sync: {STAGES.get(self.stage, self.stage)}", f"{self.calls:,} of {self.planned:,} calls"]
        if self.budget_limit:
            parts.append(f"budget {self.budget_used}/{self.budget_limit} a minute in use")
        parts.append(describe(self.seconds_left) if self.stage != "done" else "done")
        return " · ".join(parts)


Listener = Callable[[Progress], None]


class LinePrinter:
    """One printed line per ``step`` percent (and the last): a log stays readable."""

    def __init__(self, step: float = 10.0, out: TextIO | None = None):
        self.step, self.out, self.next = step, out, 0.0

    def __call__(self, p: Progress) -> None:
        if p.percent + 1e-9 >= self.next or p.stage == "done":
            print(str(p), file=self.out or sys.stderr, flush=True)
            self.next = (p.percent // self.step + 1) * self.step


class Throttled:
    """Pass at most one update every ``every`` seconds on (and always the last, stage done)."""

    def __init__(self, listener: Listener, every: float = 0.5, clock: Callable[[], float] = time.monotonic):
        self.listener, self.every, self.clock, self.last = listener, every, clock, -1e18

    def __call__(self, p: Progress) -> None:
        now = self.clock()
        if p.stage == "done" or now - self.last >= self.every:
            self.last = now
            self.listener(p)


def in_kernel() -> bool:
    """Running in a Jupyter kernel (a display can be updated in place), not merely with ipykernel
    imported (tests, nbclient) or in a terminal IPython."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def is_tty(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stderr
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


__all__ = ["LinePrinter", "Listener", "Progress", "Throttled", "in_kernel", "is_tty"]
