"""The richer definition format on a program that uses every key (tests/programs/queue_with_timers.yaml):
outcomes stated, routing by a size field, calendar-day durations, a removal on a 30-day timer,
closed days, a closure and a state holiday with no work on them, arrivals that grow and stop in
August; and each mistake in those keys refused with where it is and what would be right."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import median
from zoneinfo import ZoneInfo

import holidays
import pytest
import yaml

from pcnb.sandbox import definition
from pcnb.sandbox.definition import ProgramDefinitionError
from pcnb.sandbox.generator import generate

PATH = Path(__file__).resolve().parents[1] / "programs" / "queue_with_timers.yaml"
END = datetime(2026, 11, 1, tzinfo=UTC)
NY = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def state():
    return generate(1500, seed=3, end=END, program=str(PATH))


def _stays(state, status):
    """(entered, next event or None, next status or None) for every stay in ``status``."""
    out = []
    for p in state.projects.values():
        for i, e in enumerate(p.history):
            if e.status == status:
                nxt = p.history[i + 1] if i + 1 < len(p.history) else None
                out.append((e.ts, nxt.ts if nxt else None, nxt.status if nxt else None))
    return out


def test_outcomes_are_stated():
    prog = definition.load(str(PATH))
    assert prog.outcomes == {"SERVICE": "completed", "REMOVED": "withdrawn", "DENIED": "rejected"}
    assert prog.prefix == "SIR"


def test_the_timer_removes_at_thirty_calendar_days_unless_the_applicant_answers_first(state):
    stays = _stays(state, "DEFICIENT")
    timed = [(a, b) for a, b, nxt in stays if nxt == "REMOVED"]
    answered = [(a, b) for a, b, nxt in stays if nxt == "CHECK"]
    assert len(timed) > 20 and len(answered) > 20
    assert all(b - a == timedelta(days=30) for a, b in timed)  # exactly on the timer
    assert all(b - a <= timedelta(days=30) for a, b in answered)  # nobody stays past it
    still = [a for a, b, _ in stays if b is None]
    assert all(END - a <= timedelta(days=30) for a in still)


def test_large_requests_are_routed_to_the_study(state):
    routed = {"large": set(), "small": set()}
    for p in state.projects.values():
        size = float(p.submitted["REQUEST"]["SIZE_KW"]) if "REQUEST" in p.submitted else None
        for e, nxt in zip(p.history, p.history[1:], strict=False):
            if e.status == "SCREEN" and size is not None:
                routed["large" if size > 500 else "small"].add(nxt.status)
    assert routed["large"] <= {"STUDY", "DENIED"} and "STUDY" in routed["large"]
    assert "STUDY" not in routed["small"] and "AGREEMENT" in routed["small"]


def test_calendar_day_durations_count_calendar_days(state):
    """Agreement -> in service is 40 calendar days (median); as business days it would be ~56."""
    gaps = [(b - a).total_seconds() / 86400 for a, b, nxt in _stays(state, "AGREEMENT") if nxt == "SERVICE"]
    assert len(gaps) > 100
    assert 36 <= median(gaps) <= 44


def test_no_work_on_closed_days_closures_or_the_state_holiday(state):
    closed = {date(2025, 3, 14), date(2026, 3, 13)} | {date(2025, 12, 22) + timedelta(days=k) for k in range(12)}
    state_holidays = {d for d, name in holidays.country_holidays("US", subdiv="NY", years=[2025, 2026]).items()
                      if d not in holidays.country_holidays("US", years=[2025, 2026])}
    assert state_holidays  # New York has days of its own (e.g. Lincoln's Birthday)
    days = [e.ts.astimezone(NY).date() for p in state.projects.values() for e, prev in
            zip(p.history, [None, *p.history], strict=False)
            if not (prev is not None and prev.status == "DEFICIENT" and e.status == "REMOVED")]  # timer moves
    assert len(days) > 5000
    assert not closed & set(days) and not state_holidays & set(days)


def test_arrivals_grow_and_stop_in_august(state):
    created = [p.created.astimezone(NY).date() for p in state.projects.values()]
    assert not [d for d in created if d.month == 8]
    first = sum(1 for d in created if d < date(2025, 11, 1))
    second = sum(1 for d in created if d >= date(2025, 11, 1))
    assert 1.4 <= second / first <= 2.0  # a rate rising 1 -> 3 over two years: 2.5 / 1.5 = 1.67


@pytest.mark.parametrize(("change", "words"), [
    (lambda d: d["transitions"]["DEFICIENT"][1].update(p=0.2), "a timer step names where it goes (to) and no p"),
    (lambda d: d["transitions"]["DEFICIENT"].append({"to": "DENIED", "timer": 60}), "at most one timer"),
    (lambda d: d["transitions"]["SCREEN"][0]["when"].update(field="REQUEST/SIZE"), "unknown field 'REQUEST/SIZE'"),
    (lambda d: d["transitions"]["SCREEN"][1].update(p=0.2), "probabilities (when"),
    (lambda d: d["transitions"].update(SCREEN=d["transitions"]["SCREEN"][:2]), "every step has a `when`"),
    (lambda d: d["holidays"].update(closures=[["2026-01-02", "2025-12-22"]]), "is after"),
    (lambda d: d["statuses"][1].update(outcome="completed"), "only a final status has an outcome"),
    (lambda d: d["arrivals"].update(seasonality=[1, 2]), "arrivals.seasonality"),
    (lambda d: d["transitions"]["CHECK"][0].pop("p"), "needs p (its probability) or timer"),
])
def test_mistakes_in_the_new_keys_are_refused(change, words):
    data = copy.deepcopy(yaml.safe_load(PATH.read_text()))
    change(data)
    with pytest.raises(ProgramDefinitionError) as err:
        definition.from_dict(data, "queue.yaml")
    assert words in str(err.value)
