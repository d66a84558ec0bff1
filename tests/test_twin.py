"""A twin of a synced program reproduces its workflow and copies no project data."""

from __future__ import annotations

import statistics
from datetime import date, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from pcnb.cache import frames
from pcnb.profile_infer import infer
from pcnb.sandbox.definition import from_dict
from pcnb.sandbox.generator import BusinessCalendar, generate
from pcnb.twin import build, step_durations, write
from pcnb.workspace import Workspace
from tests.conftest import END


def _synced_twin(tmp_path):
    with Workspace.sandbox(projects=1500, seed=5, end=END) as ws:
        ws.sync(progress=False, forms=("APPLICATION",))
        events, projects, threads = ws.status_events(), ws.projects(), ws.inquiry_threads()
        c, program = ws.client, ws.program
        stamps = [e["Timestamp"] for pid in projects["project_id"].head(40).to_list()
                  for e in c.status_history(program, pid)["StatusHistory"]]
        prof = infer("sandbox", program, c.status_list(program)["Statuses"], events, projects, timestamps=stamps,
                     program_name="Residential")
        forms = c.forms(program)["Forms"]
        schemas = {f["CustomId"]: c.form_schema(program, f["CustomId"])["FormSchema"] for f in forms}
        values: dict[str, list] = {}
        fv = frames.form_values(ws.store)
        for form, field, value in zip(fv["form_id"], fv["field"], fv["value"], strict=True):
            values.setdefault(f"{form}/{field}", []).append(value)
        definition = build(prof, events, projects, forms, schemas, threads, values)
        return definition, write(definition, tmp_path / "twin.yaml"), events, projects, prof


def _medians(events: pl.DataFrame, tz: str) -> dict[tuple[str, str], tuple[float, int]]:
    first, last = events["ts"].min(), events["ts"].max()
    assert isinstance(first, datetime) and isinstance(last, datetime)
    cal = BusinessCalendar(tz, first.date(), last.date())
    return {k: (statistics.median(v), len(v)) for k, v in step_durations(events, cal).items()}


@pytest.mark.slow
def test_twin_reproduces_the_workflow_and_copies_no_project_data(tmp_path):
    definition, path, events, projects, prof = _synced_twin(tmp_path)
    text = path.read_text()
    for number in projects["project_number"].drop_nulls().to_list():
        assert number not in text
    owners = set(projects["owner_name"].drop_nulls().to_list()) | set(projects["owner_email"].drop_nulls().to_list())
    assert owners and not [o for o in owners if o in text]
    assert "placeholder question" in text and "permits@" not in text

    twin = from_dict(definition, str(path))
    assert twin.prefix == "DGIT" and twin.timezone == "America/Los_Angeles"
    source_moves = {(a, b) for a, b, n in prof.workflow}
    state = generate(8000, seed=9, end=END, program=twin)  # many projects: the twin's own sampling noise is small
    by_name = {s.custom_id: s.name for s in twin.statuses}
    twin_moves = {(by_name[a.status], by_name[b.status]) for p in state.projects.values()
                  for a, b in zip(p.history, p.history[1:], strict=False)}
    assert twin_moves == source_moves  # same statuses and transitions (p > 0 ones are all exercised)
    assert {s.name for s in twin.statuses} == {s.name for s in prof.statuses}

    rows = [(p.project_id, i, by_name[e.status], e.ts, e.changed_by) for p in state.projects.values()
            for i, e in enumerate(p.history)]
    twin_events = pl.DataFrame(rows, schema=["project_id", "seq", "status", "ts", "changed_by"], orient="row")
    src, out = _medians(events, twin.timezone), _medians(twin_events, twin.timezone)
    compared = 0
    for move, (median, n) in src.items():
        if n >= 40 and out.get(move, (0, 0))[1] >= 300:
            assert abs(out[move][0] - median) <= 0.10 * median, (move, median, out[move])
            compared += 1
    assert compared >= 6, compared


def test_the_twin_carries_the_profile_deadlines_it_can():
    """Untracked rules on statuses the twin has, in custom ids; a tracked rule is left out (the twin's
    forms draw fresh values, not the program's track field)."""
    from benchmarks.inference import HISTORY_END, inputs
    from pcnb.sandbox.definition import load

    prog = load("residential")
    data = inputs(generate(400, seed=2, end=HISTORY_END, program=prog))
    prof = infer("sandbox", prog.program_id, data["statuses"], data["events"], data["projects"])
    prof.set("deadlines.Application Review", "10")
    prof.set("deadlines.Application Submitted -> Permission to Operate", "60 clock=utility")
    prof.set("deadlines.Inspection Pending", "5 track=Fast")
    definition = build(prof, data["events"], data["projects"], prefix="TW")
    review = next(s["custom_id"] for s in definition["statuses"] if s["name"] == "Application Review")
    assert {"status": review, "days": 10.0, "unit": "business_days"} in definition["deadlines"]
    assert any(d.get("clock") == "utility" and d["days"] == 60.0 for d in definition["deadlines"])
    assert len(definition["deadlines"]) == 2
    assert len(from_dict(definition, "twin").deadlines) == 2  # and the definition accepts them


def test_the_twin_states_outcomes_and_the_utilitys_closed_days():
    """Each final status's outcome from the profile's exits, and its closures as closed days, so a
    twin played by the sandbox keeps them (a guessed outcome is written as the profile has it)."""
    from benchmarks.inference import HISTORY_END, inputs
    from pcnb.sandbox.definition import load

    prog = load("residential")
    data = inputs(generate(400, seed=2, end=HISTORY_END, program=prog))
    prof = infer("sandbox", prog.program_id, data["statuses"], data["events"], data["projects"])
    prof.set("calendar.closures", "2025-12-26")
    definition = build(prof, data["events"], data["projects"], prefix="TW")
    twin = from_dict(definition, "twin")
    names = {s.custom_id: s.name for s in twin.statuses}
    stated = {names[k]: v for k, v in twin.outcomes.items()}
    assert stated == {s: kind for kind, members in prof.roles.exits.items() for s in members if s in stated}
    assert stated["Permission to Operate"] == "completed" and stated["Withdrawn"] == "withdrawn"
    assert twin.closed_days == (date(2025, 12, 26),)
    state = generate(300, seed=1, end=HISTORY_END, program=twin)
    assert not [e for p in state.projects.values() for e in p.history
                if e.ts.astimezone(ZoneInfo(twin.timezone)).date() == date(2025, 12, 26)]
