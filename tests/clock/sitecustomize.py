"""Moves the wall clock of every Python process of a test run (pytest, kernels, workers, CLI runs).

Used as ``PYTHONPATH=$PWD/tests/clock PCNB_TEST_CLOCK=2027-12-06T15:00:00Z python -m pytest``
(``scripts/moved-clock.sh`` does it). The first process turns the destination into an offset from
the real clock and exports it, so every child started later is moved by the same offset and all
processes of the run agree on "now" (a token issued by the sandbox process expires when the client
process thinks it does). time-machine moves ``datetime.now``, ``date.today`` and ``time.time``; the
monotonic clock (timeouts, rate windows) keeps running as it does.
"""

from __future__ import annotations

import os
import time
from datetime import datetime


def _travel() -> None:
    shift = os.environ.get("PCNB_TEST_CLOCK_SHIFT")
    if shift is None:
        target = os.environ.get("PCNB_TEST_CLOCK")
        if not target:
            return
        shift = str(datetime.fromisoformat(target.replace("Z", "+00:00")).timestamp() - time.time())
        os.environ["PCNB_TEST_CLOCK_SHIFT"] = shift
    import time_machine

    time_machine.travel(time.time() + float(shift), tick=True).start()


_travel()
