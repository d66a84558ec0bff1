"""Every shipped report shape (pcnb/compliance/shapes/) on two built-in programs, through the
commands a compliance analyst types: each program's statuses are bound in the test's own rule files
(tests/compliance/rules/PROGRAM/SHAPE.yaml, `based_on` + `statuses`), not in code. Each pack's
figures are traced back to the cases it lists; and a shape left unbound names what to bind."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import yaml

from pcnb.commands import CommandError, Session, parse, run
from pcnb.compliance import shapes
from pcnb.compliance.rules import RulesError, load
from pcnb.workspace import Workspace
from tests.conftest import END

HERE = Path(__file__).parent / "rules"
PROGRAMS = ("residential", "large-dg")
LABELS = {"quarter": "2026Q2", "half": "2026H1", "year": "2025"}  # complete periods before END (2026-11-01)


@pytest.fixture(scope="module", params=PROGRAMS)
def session(request):
    with Workspace.sandbox(projects=400, seed=4, program=request.param, end=END) as ws:
        ws.sync(progress=False)
        size_form = str(ws.profile.segments["size"]).split("/", 1)[0]
        ws.sync(progress=False, forms=(size_form,))  # levels by size and capacity need each project's size
        s = Session()
        s.workspace = ws
        yield request.param, s


def test_every_shape_has_a_rule_file_for_each_program():
    assert len(shapes.names()) == 6
    for program in PROGRAMS:
        assert sorted(p.stem for p in (HERE / program).glob("*.yaml")) == shapes.names()


@pytest.mark.slow
@pytest.mark.parametrize("shape", shapes.names())
def test_each_shape_makes_a_traceable_pack(session, shape, tmp_path):
    program, s = session
    rule_file = HERE / program / f"{shape}.yaml"
    assert "is valid for this program" in run(parse(f"rules check {rule_file}"), s)
    export = yaml.safe_load(rule_file.read_text()).get("export_field")
    if export:  # the export field's form, fetched as a user would (`sync --forms`)
        run(parse(f"sync --forms {export.split('/')[0]}"), s)
    period = yaml.safe_load(shapes.path_of(shape).read_text())["period"]
    said = run(parse(f"compliance {rule_file} --period {LABELS[period]} --pack {tmp_path / 'p'} --no-report"), s)
    assert "written to" in said
    manifest = json.loads((tmp_path / "p" / "manifest.json").read_text())
    assert manifest["period"] == LABELS[period] and set(manifest["files"]) >= {"pack.xlsx"}
    figures, exported = 0, 0.0
    if (tmp_path / "p" / "table.csv").exists():
        table, found = pl.read_csv(tmp_path / "p" / "table.csv"), pl.read_csv(tmp_path / "p" / "cases.csv")
        for row in table.iter_rows(named=True):
            mine = found.filter(pl.col("step") == row["step"])
            if row["tier"] is not None and row["tier"] != "other":
                mine = mine.filter(pl.col("tier") == row["tier"])
            elif row["tier"] == "other":
                named = table.filter(pl.col("step") == row["step"])["tier"].drop_nulls().to_list()
                mine = mine.filter(~pl.col("tier").is_in(named) | pl.col("tier").is_null())
            verdicts = mine["verdict"].to_list()
            assert row["A"] == sum(v in ("completed", "late") for v in verdicts), row
            assert (row["B"], row["C"]) == (verdicts.count("late"), verdicts.count("open late")), row
            figures += row["A"] + row["C"]
    if (tmp_path / "p" / "counts.csv").exists():
        counts, behind = pl.read_csv(tmp_path / "p" / "counts.csv"), pl.read_csv(tmp_path / "p" / "count_cases.csv")
        unit = next(c for c in counts.columns if c.startswith("capacity_"))
        for row in counts.iter_rows(named=True):
            mine = behind.filter((pl.col("count") == row["count"]) & (pl.col("tier") == row["tier"]))
            assert row["projects"] == mine.height, row
            assert row[unit] == pytest.approx(mine["size"].sum()), row
            if export:
                assert row[f"export_{unit}"] == pytest.approx(mine["export"].sum()), row
                exported += row[f"export_{unit}"]
            figures += row["projects"]
    assert figures > 0  # the pack counted something: not an empty result passing by default
    if export:  # an export field's values were summed, not left empty
        assert exported > 0


def test_an_unbound_shape_names_what_to_bind(tmp_path):
    (tmp_path / "mine.yaml").write_text("based_on: ny-sir-steps\n", encoding="utf-8")
    statuses = ["Received", "Complete", "Paid", "Signed"]
    with pytest.raises(RulesError) as err:
        load(tmp_path / "mine.yaml", statuses, {"intake": "Received", "approval": "Signed", "completion": None})
    text = str(err.value)
    assert "statuses.application complete (used by steps[0] (Completeness review).end)" in text
    assert "statuses.payment requested" in text and "role:" not in text.split("statuses.application received")[0]
    (tmp_path / "mine.yaml").write_text(
        "based_on: ny-sir-steps\nstatuses:\n  application complete: Complete\n  payment requested: Complete\n"
        "  payment received: Paid\n", encoding="utf-8")
    rules = load(tmp_path / "mine.yaml", statuses, {"intake": "Received", "approval": "Signed", "completion": None})
    assert [(s.start, s.end, s.days) for s in rules.steps] == [("Received", "Complete", 10), ("Complete", "Paid", 90),
                                                               ("Paid", "Signed", 15)]
    assert rules.name.startswith("SIR step timelines")  # the shape's keys, the file's statuses


def test_based_on_a_shape_that_does_not_exist(tmp_path):
    (tmp_path / "mine.yaml").write_text("based_on: texas-puc\nstatuses: {}\n", encoding="utf-8")
    with pytest.raises(RulesError) as err:
        load(tmp_path / "mine.yaml", ["A"], {})
    assert "'texas-puc' is neither a shipped shape nor a rule file" in str(err.value)
    assert "ma-dpu-timelines" in str(err.value)  # the fix lists the shipped shapes


def test_rules_commands_say_what_is_wrong(tmp_path):
    s = Session()
    with pytest.raises(CommandError) as err:
        run(parse("rules check"), s)
    assert "needs the rule file" in str(err.value)
    listed = run(parse("rules shapes"), s)
    assert all(name in listed for name in shapes.names()) and "based_on: NAME" in listed


# A utility's own tariff, written from docs/compliance.md's text alone (no shape, no code read): the
# large-DG program's studies on the utility's clock in calendar days by study track, the system impact
# study held by a third party (the transmission operator), and decisions counted per year with capacity.
OWN_TARIFF = """
name: Large generator study timelines (our tariff, annual)
source: Example Electric tariff, Attachment X, sections 4-6 (2025); check against the current text
period: year
unit: calendar_days
clock: utility
third_party: [System Impact Study]
tier_by: track
tier_names: {Fast Track: Expedited}
steps:
  - name: Completeness review
    start: role:intake
    end: Feasibility Study
    days: 30
  - name: Studies
    start: Feasibility Study
    end: Agreement Tendered
    days: {Expedited: 120, Independent Study: 240, other: 365}
capacity: MW
counts:
  - {name: Received, entered: role:intake}
  - {name: Agreement tendered, entered: Agreement Tendered}
  - {name: Withdrawn after tender, entered: exit:withdrawn, after: Agreement Tendered}
"""


@pytest.mark.slow
def test_a_rule_file_written_from_the_docs_alone(session, tmp_path):
    program, s = session
    if program != "large-dg":
        pytest.skip("the file names the large-DG program's statuses")
    (tmp_path / "ours.yaml").write_text(OWN_TARIFF, encoding="utf-8")
    assert "is valid for this program: 2 steps and 3 counts, calendar days" in run(parse(
        f"rules check {tmp_path / 'ours.yaml'}"), s)
    run(parse(f"compliance {tmp_path / 'ours.yaml'} --period 2025 --pack {tmp_path / 'p'} --no-report"), s)
    table = pl.read_csv(tmp_path / "p" / "table.csv")
    studies = table.filter(pl.col("step") == "Studies")
    assert set(studies["tier"].to_list()) >= {"Expedited", "Independent Study", "other"}
    assert studies["A"].sum() > 0 and table.filter(pl.col("step") == "Completeness review")["A"].sum() > 0
    cases = pl.read_csv(tmp_path / "p" / "cases.csv")
    assert (cases.filter(pl.col("step") == "Studies")["third_party_days"] > 0).any()  # the operator's time apart
    counts = pl.read_csv(tmp_path / "p" / "counts.csv")
    assert counts.filter(pl.col("count") == "Received")["projects"].sum() > 0 and "capacity_MW" in counts.columns
