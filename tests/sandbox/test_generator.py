"""Generator determinism and realism; state save/load; simulated activity."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import holidays

from pcnb.sandbox.activity import simulate
from pcnb.sandbox.generator import generate
from pcnb.sandbox.state import State
from tests.conftest import END


def _fingerprint(state: State) -> list:
    return [(p.project_id, p.number, p.status, [(e.status, e.ts) for e in p.history])
            for p in state.projects.values()]


def test_deterministic_for_a_seed():
    a, b, c = generate(400, seed=3, end=END), generate(400, seed=3, end=END), generate(400, seed=4, end=END)
    assert _fingerprint(a) == _fingerprint(b)
    assert _fingerprint(a) != _fingerprint(c)


def test_realistic_program():
    s = generate(2000, seed=7, end=END)
    mix = Counter(p.status for p in s.projects.values())
    n = len(s.projects)
    assert 0.55 < mix["PTO"] / n < 0.85
    assert 0.03 < mix["WITHDRAWN"] / n < 0.15 and 0.01 < mix["REJECTED"] / n < 0.08
    in_flight = sum(mix[k] for k in ("SUBMITTED", "REVIEW", "RETURNED", "APPROVED", "INSPECTION"))
    assert in_flight / n > 0.05
    returned = sum(1 for p in s.projects.values() if any(e.status == "RETURNED" for e in p.history))
    assert 0.15 < returned / n < 0.45
    reviewed = [p for p in s.projects.values() if any(e.status == "REVIEW" for e in p.history)]
    with_threads = sum(1 for p in reviewed if p.thread_ids)
    assert 0.22 < with_threads / len(reviewed) < 0.38
    la, hol = ZoneInfo("America/Los_Angeles"), holidays.US(years=range(END.year - 4, END.year + 1))
    for p in list(s.projects.values())[:300]:
        for e in p.history:
            local = e.ts.astimezone(la)
            assert local.weekday() < 5 and local.date() not in hol and 8 <= local.hour < 17
    created = [p.created for p in s.projects.values()]
    assert created == sorted(created) and min(created) >= END - timedelta(days=3 * 366)  # three years of history
    installs = [(_first(p, "INSPECTION") - _first(p, "APPROVED")).days for p in s.projects.values()
                if p.status == "PTO"]
    assert 20 < statistics.median(installs) < 60  # ~25 business days, lognormal
    sizes = [float(p.submitted["APPLICATION"]["SYSTEM_SIZE_KW"]) for p in s.projects.values() if p.submitted]
    assert 5 < statistics.median(sizes) < 12 and max(sizes) > 100
    for t in list(s.threads.values())[:200]:
        assert [n.is_admin for n in t.notes] == [i % 2 == 0 for i in range(len(t.notes))]


def _first(p, status):
    return next(e.ts for e in p.history if e.status == status)


def test_save_load_round_trip(tmp_path):
    s = generate(150, seed=2, end=END)
    simulate(s, 0.1, seed=1)
    s.save(tmp_path / "state.json")
    t = State()
    t.load(tmp_path / "state.json")
    assert _fingerprint(s) == _fingerprint(t)
    assert {k: len(v.notes) for k, v in s.threads.items()} == {k: len(v.notes) for k, v in t.threads.items()}


def test_simulated_activity_reports_what_changed():
    s = generate(300, seed=9, end=END)
    before = {pid: (p.status, p.last_change) for pid, p in s.projects.items()}
    report = simulate(s, 0.05, seed=2)
    changed = {pid for pid, p in s.projects.items() if p.last_change != before[pid][1]}
    assert changed == report.changed and len(changed) == 15
    assert {pid for pid in changed if s.projects[pid].status != before[pid][0]} == report.status_changed
