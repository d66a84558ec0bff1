"""Outcome inference on programs nobody here designed: the issue's queue, random programs, and what
the user is told while the outcomes are guesses (issue 24, deliverable 1)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pcnb.commands import Session, parse, run
from pcnb.profile_outcomes import LOW, low_confidence
from pcnb.sandbox.definition import from_dict
from pcnb.sandbox.random_programs import STYLES, random_program
from pcnb.workspace import Workspace
from tests.conftest import END

QUEUE = str(Path(__file__).resolve().parent / "programs" / "eastern_queue.yaml")


@pytest.fixture(scope="module")
def queue():
    with Workspace.sandbox(projects=900, seed=3, program=QUEUE, end=END) as ws:
        session = Session()
        session.workspace = ws
        run(parse("sync"), session)
        yield ws, session


def test_the_queue_that_removes_more_than_it_completes_gets_its_outcomes_the_right_way_round(queue):
    """The issue's program: 'Removed From Queue' is the final status most projects reach, the utility
    enters all three finals, and no name is in a word list; completion is still 'In Service'."""
    ws, _ = queue
    prof = ws.profile
    entered = ws.status_events().group_by("status").len()
    count = dict(zip(entered["status"].cast(str).to_list(), entered["len"].to_list(), strict=True))
    assert count["Removed From Queue"] > count["In Service"]  # the count alone would pick it
    assert prof.roles.completion == "In Service"
    assert prof.roles.exits == {"completed": ["In Service"], "withdrawn": [], "rejected": ["Denied"],
                                "cancelled": ["Removed From Queue"]}
    chances = prof.confidence["roles.completion"]
    assert next(iter(chances)) == "In Service" and chances["In Service"] >= LOW
    assert abs(sum(chances.values()) - 1) < 0.01
    assert "confidence" in prof.guessed["roles.completion"] and "runner-up" in prof.guessed["roles.completion"]


def test_charts_notebooks_and_the_profile_say_outcomes_are_guessed_until_confirmed(queue):
    from pcnb.reportview import title_block

    ws, session = queue
    for name in ("throughput", "backlog"):
        assert "outcomes guessed, not confirmed" in run(parse(f"chart {name}"), session).layout.title.text
    header = title_block(ws, END)
    assert "outcomes guessed, not confirmed" in header._repr_html_()
    # the environment in a manager's words: a report from the sandbox says its data is not real
    assert "Environment: sandbox: generated demonstration data, not a real program" in repr(header)
    zone = ws.profile.calendar.timezone  # the zone in words: a director does not read "America/Los_Angeles"
    assert f"({zone.rsplit('/', 1)[-1].replace('_', ' ')} time)" in repr(header) and f"({zone})" not in repr(header)
    assert "profile confirm" in run(parse("profile"), session)
    out = run(parse("profile confirm"), session)
    assert "confirmed" in out and "roles.completion" in out
    assert "outcomes guessed" not in run(parse("chart throughput"), session).layout.title.text
    assert "outcomes guessed" not in title_block(ws, END)._repr_html_()
    again = ws.reload_profile()
    assert not any(k.startswith("roles.") for k in again.guessed) and again.confidence == {}
    with pytest.raises(Exception, match="nothing guessed under 'roles'"):
        run(parse("profile confirm"), session)


def test_a_wrong_guess_is_flagged_low_confidence_and_named():
    """Where the inference gets a program wrong, the profile says which guess is unsure, against
    which runner-up, and the charts' line names the least sure guesses as questions, in words."""
    from pcnb.profile_outcomes import unconfirmed

    prof, truth, _, _ = _random_profile(WRONG)
    assert prof.roles.completion != truth.completion  # the known miss
    low = low_confidence(prof)
    unsure = [line for line in low if truth.completion in line]  # the guess that keeps the right answer out
    assert unsure and all(float(line.rsplit(" ", 1)[1]) > 0 for line in unsure), low  # ... with its chance
    said = unconfirmed(prof)[0]
    status = low[0].removeprefix("final: ").removeprefix("kind of ").rsplit(": '", 1)[0]  # the least sure one
    assert status and f"least sure: is {status} " in said, (said, low)
    assert "low confidence" in prof.describe() and "%powerclerk" not in said  # on paper: no commands


#: held-out seeds (the weights were fitted on seeds below 100000), one per naming style, each right
#: and sure in benchmarks/inference.py: bigger programs with loops, alternatives, fast tracks
RIGHT = {"codes": 100029, "english": 100037, "french": 100005, "german": 100044, "neutral": 100089,
         "spanish": 100069}
#: a held-out seed whose outcome roles the inference gets wrong: a rejection deep in a long road
#: looks more like the end of it than the completion few projects reached
WRONG = 100049


def _random_profile(seed: int):
    """The profile inferred from ``seed``'s history as the benchmark scores it: ending at the
    benchmark's fixed HISTORY_END (another end is another history, and the seeds above were named on
    this one); the inference reads no clock, so the moved-clock runs still test it at other dates."""
    from benchmarks.inference import HISTORY_END, inferred

    return inferred(seed, HISTORY_END)


@pytest.mark.slow  # a sandbox, a full sync and an inference per program
@pytest.mark.parametrize("seed", sorted(RIGHT.values()))
def test_random_programs_served_over_http_get_the_roles_their_designer_meant(seed, tmp_path):
    """The benchmark builds the inference's inputs without HTTP; here the same programs are served
    and synced as a user would, and the profile names the roles the generator meant."""
    definition, truth = random_program(seed)
    path = tmp_path / "program.yaml"
    path.write_text(yaml.safe_dump(definition, allow_unicode=True, sort_keys=False), encoding="utf-8")
    from benchmarks.inference import HISTORY_END, projects_of

    with Workspace.sandbox(projects=projects_of(seed), seed=seed, program=str(path), end=HISTORY_END) as ws:
        ws.sync(progress=False)
        prof = ws.profile
        entered = set(ws.status_events()["status"].cast(str).to_list())
    assert prof.roles.completion == truth.completion
    got = {k: sorted(v) for k, v in prof.roles.exits.items() if k != "completed"}
    assert got == {k: sorted(s for s in v if s in entered) for k, v in truth.exits.items()}
    assert prof.roles.intake == truth.intake and prof.roles.draft == [truth.start]
    assert not low_confidence(prof)  # and sure of it
    direct, *_ = _random_profile(seed)  # the benchmark's inputs, built without HTTP, give the same profile
    assert (direct.roles, direct.confidence) == (prof.roles, prof.confidence)


def test_the_random_programs_differ_in_shape_and_naming():
    drawn = [random_program(seed) for seed in range(100_000, 100_060)]
    styles = {t.style for _, t in drawn}
    assert styles == set(STYLES)
    sizes = {len(d["statuses"]) for d, _ in drawn}
    assert min(sizes) <= 6 and max(sizes) >= 20
    assert any(len(t.exits["withdrawn"]) == 2 for _, t in drawn) and any(not t.exits["rejected"] for _, t in drawn)
    for definition, truth in drawn:
        prog = from_dict(definition, "random")  # every one is a valid definition
        assert prog.status(truth.completion) is not None


def test_the_benchmark_on_its_first_twenty_programs():
    """benchmarks/inference.py's figures, on a slice small enough for the test run."""
    from benchmarks.inference import run as bench

    scores = bench(20, 100_000)
    misses = [s for s in scores if not s.right]
    assert len(misses) <= 1 and all(s.flagged for s in misses), [(s.seed, s.detail) for s in misses]
