"""The state's holidays read from the days the utility's staff moved nothing (issue 24: the inferred
calendar had federal holidays only although the data shows no event on the state's holidays).
Histories end at the inference benchmark's fixed end: the inference reads no clock."""

from __future__ import annotations

import pytest

from benchmarks.inference import HISTORY_END, inputs
from pcnb.profile_infer import infer
from pcnb.sandbox.definition import load
from pcnb.sandbox.generator import generate
from tests.test_profile_inference import QUEUE

COMMUNITY = str(QUEUE).replace("eastern_queue", "community_solar")


def _inferred(program: str, projects: int):
    prog = load(program)
    data = inputs(generate(projects, seed=3, end=HISTORY_END, program=prog))
    return infer("sandbox", prog.program_id, data["statuses"], data["events"], data["projects"],
                 timestamps=data["timestamps"])


@pytest.mark.parametrize(("program", "state"), [(QUEUE, "VA"), (COMMUNITY, "HI"), ("rebate", "NY"),
                                                ("large-dg", "CO")])
def test_the_state_whose_holidays_nobody_worked_is_found(program, state):
    prof = _inferred(program, 900)
    assert prof.calendar.subdivision == state, prof.guessed["calendar.subdivision"]
    assert prof.guessed["calendar.subdivision"].startswith(f"US-{state}: its ")  # the evidence, as a guess


def test_a_utility_that_works_state_holidays_keeps_national_ones_and_says_why():
    prof = _inferred("residential", 900)  # its definition: federal holidays only
    assert prof.calendar.subdivision is None
    assert "worked on the extra holidays" in prof.guessed["calendar.subdivision"]


def test_too_little_data_to_tell_is_said_not_guessed():
    prof = _inferred(QUEUE, 120)
    assert prof.calendar.subdivision is None
    assert "too few to tell" in prof.guessed["calendar.subdivision"]
