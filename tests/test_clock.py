"""pcnb.clock: the one source of "now", which tests set and time-machine moves, in every process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from pcnb import clock
from pcnb.analytics.asof import resolve
from pcnb.sandbox.generator import generate

INSTANT = datetime(2031, 3, 9, 9, 30, tzinfo=UTC)  # a DST change day in the US (2nd Sunday of March)


def test_frozen_sets_every_now_that_product_code_reads_and_restores_it():
    with clock.frozen(INSTANT):
        assert clock.now() == INSTANT and resolve(None) == INSTANT
        assert clock.midnight() == datetime(2031, 3, 9, tzinfo=UTC)
        assert max(e.ts for p in generate(5, seed=1).projects.values() for e in p.history) < INSTANT
    assert abs((clock.now() - datetime.now(UTC)).total_seconds()) < 5


def test_a_naive_frozen_instant_is_refused():
    with pytest.raises(ValueError, match="time zone"):
        with clock.frozen(datetime(2031, 3, 9)):
            pass


def test_time_machine_moves_the_clock_and_the_sandbox_default_end():
    with time_machine.travel(datetime(2030, 12, 31, 23, 59, tzinfo=UTC), tick=False):
        assert clock.now() == datetime(2030, 12, 31, 23, 59, tzinfo=UTC)
        assert clock.midnight() == datetime(2030, 12, 31, tzinfo=UTC)


def test_the_moved_clock_reaches_child_processes_by_one_offset(tmp_path: Path):
    """scripts/moved-clock.sh: a child and a grandchild agree with the parent's moved clock."""
    code = ("import datetime, subprocess, sys; print(datetime.datetime.now(datetime.UTC).isoformat()); "
            "print(subprocess.run([sys.executable, '-c', 'import datetime; "
            "print(datetime.datetime.now(datetime.UTC).isoformat())'], capture_output=True, text=True).stdout)")
    env = {k: v for k, v in os.environ.items() if k not in ("PCNB_TEST_CLOCK", "PCNB_TEST_CLOCK_SHIFT")}
    env |= {"PYTHONPATH": str(Path(__file__).parent / "clock"), "PCNB_TEST_CLOCK": "2025-12-31T23:30:00Z"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    stamps = [datetime.fromisoformat(line) for line in out.stdout.split()]
    assert len(stamps) == 2, out.stderr
    target = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    assert all(timedelta(0) <= s - target < timedelta(seconds=30) for s in stamps), stamps
