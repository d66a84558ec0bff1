"""Deviations injected into generated histories are found by conformance with their exact counts."""

from __future__ import annotations

import polars as pl
import pytest

from benchmarks.process import model_of
from pcnb.analytics import Calendar, status_intervals
from pcnb.analytics.conformance import conformance, deviations
from pcnb.sandbox import definition
from pcnb.sandbox.deviations import KINDS
from pcnb.sandbox.generator import generate
from tests.conftest import END

ASK = {"skipped_step": 7, "out_of_order": 5, "unexpected_transition": 6, "re_entry": 4}
NAMES = {"skipped_step": "skipped step", "out_of_order": "out of order",
         "unexpected_transition": "unexpected transition", "re_entry": "re-entry"}


def events_of(state) -> pl.DataFrame:
    names = {s.custom_id: s.name for s in state.program.statuses}
    rows = [(pid, i, names[e.status], e.ts) for pid, p in state.projects.items() for i, e in enumerate(p.history)]
    return pl.DataFrame(rows, schema={"project_id": pl.String, "seq": pl.Int32, "status": pl.String,
                                      "ts": pl.Datetime("us", "UTC")}, orient="row")


@pytest.mark.parametrize("program", definition.BUILTINS)
def test_injected_deviations_are_found_exactly(program):
    prog = definition.load(program)
    state = generate(400, seed=3, end=END, program=prog, deviations=ASK)
    assert [sum(1 for i in state.injected if i.kind == k) for k in KINDS] == [ASK[k] for k in KINDS]
    names = {s.custom_id: s.name for s in prog.statuses}
    truth = {(i.project_id, NAMES[i.kind], names[i.from_status], names[i.to_status]) for i in state.injected}
    iv = status_intervals(events_of(state), Calendar(prog.timezone), END, terminal=[names[s] for s in prog.terminal])
    # whichever final status a profile calls the completion, the same deviations
    for completion in [None, *sorted(names[s] for s in prog.terminal)]:
        found = deviations(iv, model_of(prog, completion))
        assert set(found.select("project_id", "kind", "from_status", "to_status").iter_rows()) == truth, completion
    per = conformance(iv, model_of(prog))
    assert per.height == 400 and per.filter(~pl.col("conforming")).height == sum(ASK.values())


def test_a_definition_asks_for_deviations_and_a_clean_one_has_none(tmp_path):
    import yaml

    data = yaml.safe_load(definition.builtin_path("residential").read_text())
    data["deviations"] = {"skipped_step": 2, "re_entry": 1}
    path = tmp_path / "deviant.yaml"
    path.write_text(yaml.safe_dump(data))
    state = generate(150, seed=2, end=END, program=str(path))
    assert sorted(i.kind for i in state.injected) == ["re_entry", "skipped_step", "skipped_step"]
    clean = generate(150, seed=2, end=END)
    assert clean.injected == []
    prog = clean.program
    iv = status_intervals(events_of(clean), Calendar(prog.timezone), END,
                          terminal=[s.name for s in prog.statuses if s.custom_id in prog.terminal])
    assert deviations(iv, model_of(prog)).height == 0  # the generator itself follows the workflow
    data["deviations"] = {"skipped": 2}
    with pytest.raises(definition.ProgramDefinitionError, match="deviations"):
        definition.from_dict(data)
