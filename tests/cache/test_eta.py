"""The sync's time-left estimate: steady under one slow call, and what the real sync prints."""

from __future__ import annotations

import re

import pytest

from pcnb.cache.eta import SyncEta, describe
from pcnb.cache.store import Store
from pcnb.cache.sync import sync
from pcnb.sandbox import running
from tests.conftest import END


def _estimates(timings: list[float], total: int) -> list[float | None]:
    """Feed call durations; the estimate after each call for the calls still queued."""
    clock = [0.0]
    eta = SyncEta(clock=lambda: clock[0])
    out = []
    for i, dt in enumerate(timings, 1):
        clock[0] += dt
        eta.tick()
        out.append(eta.seconds(total - i))
    return out


def test_one_slow_call_does_not_turn_seconds_into_hours():
    timings = [0.5] * 40
    timings[20] = 60.0  # one call waited out a 429's Retry-After
    est = _estimates(timings, total=1000)
    assert est[:4] == [None] * 4 and describe(est[0]) == "estimating…"  # warm-up: no number yet
    truth = [(1000 - i) * 0.5 for i in range(1, 41)]
    after = est[20:]
    assert all(e is not None and e <= 1.7 * t for e, t in zip(after, truth[20:], strict=True))  # bounded jump
    assert est[-1] is not None and abs(est[-1] - truth[-1]) / truth[-1] < 0.05  # and it recovers
    assert "h left" not in describe(max(e for e in after if e is not None))


def test_a_slow_call_in_the_warm_up_does_not_skew_it_and_a_lasting_slowdown_wins():
    est = _estimates([0.5, 45.0, 0.5, 0.5, 0.5], total=100)
    assert est[-1] == pytest.approx(95 * 0.5)  # the median of the warm-up, not its mean
    est = _estimates([0.1] * 10 + [1.0] * 15, total=500)  # the rate limit starts to bite: 1 call/s
    assert est[-1] is not None and est[-1] > 0.9 * 475
    clock = [0.0]
    eta = SyncEta(clock=lambda: clock[0])
    for _ in range(6):
        clock[0] += 0.01
        eta.tick()
    assert eta.seconds(600, floor=540.0) == 540.0  # the rate budget's floor: 600 calls at 60/min after the free ones
    assert [describe(s) for s in (0.2, 42, 600, 5400)] == ["~1 s left", "~42 s left", "~10 min left", "~1.5 h left"]


@pytest.mark.parametrize("tty", [True, False])
def test_the_real_sync_prints_estimating_then_a_bounded_estimate(make_client, tmp_path, monkeypatch, capsys, tty):
    """On a terminal a tqdm bar; in a log (not a TTY) one line per 10 %, no carriage-return redraws."""
    monkeypatch.setenv("TQDM_MININTERVAL", "0")  # every update is drawn, so the output shows each estimate
    monkeypatch.setattr("pcnb.cache.sync.is_tty", lambda: tty)
    monkeypatch.setattr("pcnb.cache.sync.PROGRESS_EVERY_S", 0.0)
    with running(projects=60, seed=2, rate_limit="100000/60", end=END) as sb:
        report = sync(make_client(sb), Store(tmp_path / "e.sqlite"), sb.program_id, progress=True)
    assert report.complete
    err = capsys.readouterr().err
    assert "estimating…" in err and ("PowerClerk sync" if tty else "sync: histories") in err
    lefts = [int(n) for n in re.findall(r"~(\d+) s left", err)]
    assert lefts and max(lefts) < 120 and "h left" not in err and "min left" not in err
    if not tty:
        lines = err.strip().splitlines()
        assert "\r" not in err and 5 <= len(lines) <= 12 and lines[-1].endswith("done")


def test_zero_length_warm_up_does_not_let_one_slow_call_through_unclipped():
    """Red team: with a warm-up median of 0 s (calls faster than the clock's resolution: Windows' monotonic
    clock ticks every ~16 ms), the clip was skipped (per_call > 0 was false), so one 30 s Retry-After wait
    turned ~1 s for 1000 calls into "~1.7 h left" -- the jump this module exists to prevent."""
    eta = SyncEta(clock=lambda: 0.0)
    for _ in range(5):
        eta.tick(0.0)
    eta.tick(30.0)
    assert eta.seconds(1000) is not None and eta.seconds(1000) < 60
