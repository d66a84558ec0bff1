"""Report packs on a synced sandbox, as a compliance analyst runs them (`compliance`, `explain`):
byte-for-byte reproducible, every cell traceable to its cases, a restatement that names the projects,
and bad rule files refused with the key and the fix."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
import yaml

from pcnb.commands import CommandError, Session, parse, run
from pcnb.compliance.rules import RulesError, from_dict
from pcnb.errors import ConfigError
from tests.conftest import END

RULES = {"name": "Residential timelines", "source": "a test tariff, section 5", "period": "quarter",
         "clock": "utility",
         "steps": [{"name": "Review to approval", "start": "role:intake", "end": "Approved to Install", "days": 12},
                   {"name": "Inspection", "start": "Inspection Pending", "end": "role:completion", "days": 5}]}


def _quarter(back: int) -> str:
    day = END.date() - timedelta(days=92 * back)
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


@pytest.fixture
def session(ws, tmp_path):
    s = Session()
    s.workspace = ws
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(RULES), encoding="utf-8")
    return s


def test_a_pack_is_reproduced_byte_for_byte_and_traceable(session, tmp_path):
    label = _quarter(1)
    line = f"compliance {tmp_path / 'rules.yaml'} --period {label}"
    said = run(parse(f"{line} --pack {tmp_path / 'a'} --no-report"), session)
    run(parse(f"{line} --pack {tmp_path / 'b'} --no-report"), session)
    assert "pack for" in said and label in said
    for name in ("table.csv", "cases.csv", "stays.csv", "pack.xlsx", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    table = pl.read_csv(tmp_path / "a" / "table.csv")
    cases = pl.read_csv(tmp_path / "a" / "cases.csv")
    for row in table.iter_rows(named=True):  # every cell is its cases, counted
        mine = cases.filter(pl.col("step") == row["step"])
        assert row["A"] == mine.filter(pl.col("verdict").is_in(["completed", "late"])).height
        assert row["B"] == mine.filter(pl.col("verdict") == "late").height
        assert row["C"] == mine.filter(pl.col("verdict") == "open late").height
    assert table["A"].sum() > 0
    import zipfile

    with zipfile.ZipFile(tmp_path / "a" / "pack.xlsx") as book:  # a real workbook, a sheet per table
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        assert len(sheets) == 3 and b"Review to approval" in book.read("xl/sharedStrings.xml")
    manifest = (tmp_path / "a" / "manifest.json").read_text()
    assert '"period": "' + label + '"' in manifest and '"sha256": "' in manifest and "store_generation" in manifest


def test_explain_shows_the_stays_behind_a_case(session, tmp_path):
    label = _quarter(1)
    run(parse(f"compliance {tmp_path / 'rules.yaml'} --period {label} --pack {tmp_path / 'p'} --no-report"), session)
    case = pl.read_csv(tmp_path / "p" / "cases.csv").filter(pl.col("project_number").is_not_null()).row(0, named=True)
    text = run(parse(f"explain {case['project_number']} --rules {tmp_path / 'rules.yaml'} --period {label}"), session)
    assert f"{case['step']}: {case['counted_days']:g} counted of {case['allowed_days']:g} allowed" in text
    assert "(utility)" in text and case["verdict"] in text


def test_a_restatement_names_the_cells_and_projects(session, tmp_path, fresh_sandbox):
    label = _quarter(0)  # the quarter under way: later data changes it
    rules = tmp_path / "rules.yaml"
    run(parse(f"compliance {rules} --period {label} --pack {tmp_path / 'old'} --no-report"), session)
    before = pl.read_csv(tmp_path / "old" / "cases.csv")
    open_ = before.filter(pl.col("verdict").is_in(["open", "open late"]))
    assert open_.height, before
    from pcnb.sandbox.activity import simulate

    simulate(fresh_sandbox.state, fraction=0.8, seed=3)  # the program moves on: some open steps finish
    session.workspace.sync(progress=False)
    changed = run(parse(f"compliance {rules} --period {label} --pack {tmp_path / 'new'} --no-report "
                        f"--compare {tmp_path / 'old'}"), session)
    assert changed.height > 0 and set(changed.columns) == {"step", "column", "before", "after", "projects"}
    assert changed["projects"].drop_nulls().str.contains("->").all()


@pytest.mark.parametrize(("change", "words"), [
    ({"steps": [{"name": "x", "start": "Aplication Review", "end": "Approved to Install", "days": 3}]},
     "did you mean 'Application Review'"),
    ({"steps": [{"name": "x", "start": "role:intake", "end": "role:intake", "days": 3}]}, "the same status"),
    ({"steps": [{"name": "x", "start": "role:review", "end": "Approved to Install", "days": 3}]}, "not a role"),
    ({"steps": [{"name": "x", "start": "role:intake", "end": "Approved to Install", "days": 3},
                {"name": "y", "start": "role:intake", "end": "Approved to Install", "days": 5}]},
     "one span is one step"),
    ({"period": "month"}, "one of: quarter, half, year"),
    ({"steps": [{"name": "x", "start": "role:intake", "end": "Approved to Install", "days": -1}]}, "steps.0.days"),
    ({"third_party": ["Utility Study"]}, "third_party: 'Utility Study' is not a status"),
])
def test_bad_rule_files_are_refused_with_the_key_and_fix(ws, change, words):
    prof = ws.profile
    roles = {"intake": prof.roles.intake, "approval": prof.roles.approval, "completion": prof.roles.completion}
    with pytest.raises(RulesError, match="fix") as err:
        from_dict({**RULES, **change}, [s.name for s in prof.statuses], roles)
    assert words in str(err.value), str(err.value)


def test_a_period_without_data_and_a_bad_period_are_said(session, tmp_path):
    with pytest.raises(ConfigError, match="no status history in or before 2001Q1"):
        run(parse(f"compliance {tmp_path / 'rules.yaml'} --period 2001Q1"), session)
    with pytest.raises(ConfigError, match="write it as 2025Q3"):
        run(parse(f"compliance {tmp_path / 'rules.yaml'} --period Q3-2025"), session)
    with pytest.raises(ConfigError, match="reports per quarter and 2025 is a year"):  # not an annual report
        run(parse(f"compliance {tmp_path / 'rules.yaml'} --period 2025"), session)
    with pytest.raises(CommandError, match="--compare needs --pack"):
        run(parse(f"compliance {tmp_path / 'rules.yaml'} --period {_quarter(1)} --compare old"), session)
