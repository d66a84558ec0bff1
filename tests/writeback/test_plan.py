"""Validation before any write: every kind of bad change is reported on its row, nothing is sent."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from pcnb import writeback
from pcnb.errors import Forbidden, InputError
from pcnb.workspace import Workspace
from tests.conftest import writes


def _submitted(ws, n: int = 2) -> list[str]:
    return ws.projects().filter(pl.col("project_number").is_not_null())["project_number"].head(n).to_list()


def test_field_values_are_checked_against_the_schema(ws):
    a, b = _submitted(ws)
    changes = [
        {"project": a, "field": "SYSTEM_SIZE_KW", "value": "7,5"},
        {"project": a, "field": "TECHNOLOGY", "value": "solar pv"},
        {"project": a, "field": "EXPECTED_INSTALL_DATE", "value": "2026-02-30"},
        {"project": a, "field": "NET_METERING", "value": "maybe"},
        {"project": b, "field": "SYSTEM_SIZE_KW", "value": 0.01},
        {"project": b, "field": "INSTALLER", "value": ""},
        {"project": b, "field": "NO_SUCH_FIELD", "value": "x"},
    ]
    plan = ws.plan(changes, action="set", form="APPLICATION")
    assert not plan.ok
    checks = {(r["project_number"], r["target"]): r["check"] for r in plan.diff.iter_rows(named=True)}
    assert "'7,5' is not a decimal number with a '.' point" in checks[(a, "System Size (kW AC)")]
    assert "0.01 is below the minimum 0.1" in checks[(b, "System Size (kW AC)")]
    checks = {t: c for (_, t), c in checks.items()}
    assert "did you mean 'Solar PV'" in checks["Technology"]
    assert "not a real calendar date" in checks["Expected Install Date"]
    assert "must be true or false" in checks["Net Metering"]
    assert "required and cannot be cleared" in checks["Installer"]
    assert "is not on form Interconnection Application (fields: SYSTEM_SIZE_KW" in checks["NO_SUCH_FIELD"]
    problems = plan.problems
    assert problems.height == 7 and problems["check"].str.contains("row ").all()
    with pytest.raises(InputError, match="did not pass validation"):
        plan.execute(confirm=True)
    assert writes(ws) == []


def test_python_values_are_converted_to_the_wire_format(ws):
    (a,) = _submitted(ws, 1)
    plan = ws.plan({"project": a, "SYSTEM_SIZE_KW": 12, "EXPECTED_INSTALL_DATE": date(2026, 3, 31),
                    "NET_METERING": False, "INVERTER_MODELS": ["IQ8M"]}, action="set", form="APPLICATION")
    new = dict(zip(plan.diff["target"], plan.diff["new"], strict=True))
    assert new["System Size (kW AC)"] == "12" and new["Expected Install Date"] == "2026-03-31"
    assert new["Net Metering"] == "false"
    assert new["Inverter Models"] == "IQ8M"  # a one-item list for the multi-value text field
    assert plan.ok and plan.problems.height == 0


def test_unknown_projects_forms_statuses_and_bad_transitions(ws):
    p = ws.projects()
    pto = p.filter(pl.col("status") == "Permission to Operate")["project_number"][0]
    unsub = p.filter(pl.col("status") == "Unsubmitted")["project_id"][0]
    plan = ws.plan([
        {"action": "status", "project": "DGI-99999", "status": "Application Review"},
        {"action": "status", "project": pto, "status": "Application Review"},
        {"action": "status", "project": unsub, "status": "Approved to Lunch"},
        {"action": "set", "project": pto, "field": "SYSTEM_SIZE_KW", "value": "5", "form": "NOPE"},
        {"action": "assign", "project": pto, "email": "not-an-email"},
        {"action": "note", "project": pto, "text": "hello"},
        {"action": "thread-status", "thread": "ZZZZZZZZZZZZ", "status": "Closed"},
        {"action": "upload", "project": pto, "attachment": "SLD", "file": "/no/such/file.pdf",
         "form": "APPLICATION"},
    ])
    checks = plan.diff["check"].to_list()
    assert "DGI-99999" in checks[0] and "not in the cache" in checks[0]
    assert "not a transition this program's history shows" in checks[1]
    assert "Approved to Lunch" in checks[2] and "unknown" in checks[2]
    assert "form 'NOPE' is not in this program" in checks[3]
    assert "not an email address" in checks[4]
    assert "needs a subject" in checks[5]
    assert "not in the cache" in checks[6]
    assert "does not exist" in checks[7]
    assert writes(ws) == []


def test_draft_on_a_closed_form_and_unchanged_values(ws, fresh_sandbox):
    p = ws.projects()
    pto = p.filter(pl.col("status") == "Permission to Operate")["project_id"][0]
    plan = ws.plan({"project": pto, "INSTALLER": "X"}, action="draft", form="APPLICATION")
    assert "is not open in status Permission to Operate" in plan.diff["check"][0]
    current = fresh_sandbox.state.projects[pto].submitted["APPLICATION"]["INSTALLER"]
    same = ws.plan({"project": pto, "INSTALLER": current}, action="set", form="APPLICATION")
    assert same.diff["check"].to_list() == ["unchanged"]
    assert same.execute(confirm=True, progress=False).counts == {"unchanged": 1}
    assert writes(ws) == []


def test_bad_shapes_are_refused_with_the_fix():
    with pytest.raises(InputError, match="no 'action' column"):
        writeback.changes.normalize([{"project": "A"}])
    with pytest.raises(InputError, match="needs a project"):
        writeback.changes.normalize([{"SYSTEM_SIZE_KW": 1}], "set")
    with pytest.raises(InputError, match="nothing to plan"):
        writeback.changes.normalize(pl.DataFrame({"project": ["A"], "X": [None]}), "set")
    with pytest.raises(InputError, match="unknown write-back option"):
        writeback.changes.normalize([{"project": "A", "X": 1}], "set", colour="red")
    with pytest.raises(InputError, match="action 'explode' is unknown"):
        writeback.changes.normalize([{"project": "A", "action": "explode"}])


def test_csv_specs():
    df = writeback.parse_csv("project,SYSTEM_SIZE_KW,INSTALLER\nDGI-1,7.5,\nDGI-2,,<clear>\n")
    reqs = writeback.changes.normalize(df, "set", form="APPLICATION")
    assert [(r["project"], r["target"], r["value"]) for r in reqs] == [
        ("DGI-1", "SYSTEM_SIZE_KW", "7.5"), ("DGI-2", "INSTALLER", "")]
    with pytest.raises(InputError, match="line 3 has 3 cells but the header has 2"):
        writeback.parse_csv("project,SYSTEM_SIZE_KW\nDGI-1,7.5\nDGI-2,Smith, Pat\n")
    with pytest.raises(InputError, match="header line and at least one row"):
        writeback.parse_csv("project,SYSTEM_SIZE_KW\n")
    with pytest.raises(InputError, match="repeated column"):
        writeback.parse_csv("project,A,A\n1,2,3\n")


def test_non_admin_is_refused_before_any_write(fresh_sandbox, make_client, tmp_path, ws):
    applicant = make_client(fresh_sandbox, role="applicant")
    w = Workspace(applicant, fresh_sandbox.program_id, tmp_path / "applicant.sqlite")
    try:
        w.sync(progress=False)
        calls = applicant.http.calls
        for action, row in [("set", {"SYSTEM_SIZE_KW": 5}), ("status", {"status": "Application Review"}),
                            ("note", {"text": "x", "subject": "y"})]:
            with pytest.raises(Forbidden, match="need program-admin credentials.*nothing was sent"):
                w.plan({"project": "DGI-00001", **row}, action=action, form="APPLICATION")
        assert applicant.http.calls == calls  # the role was already known from the sync: no call at all
        assert writes(w) == []
    finally:
        w.close()


def test_a_plan_says_where_it_writes_and_what_cannot_be_undone(ws, fresh_sandbox):
    """Issue 26: two projects moved from the browser, 'done', and `journal --undo` then said there was
    nothing to undo. A plan now names its environment and program, counts what can and cannot be
    undone, and sends what cannot only when the environment is named (typed)."""
    from pcnb.errors import IrreversibleUnconfirmed

    approved = ws.projects().filter(pl.col("status") == "Approved to Install")["project_id"].head(2).to_list()
    plan = ws.plan([{"action": "status", "project": approved[0], "status": "Inspection Pending"},
                    {"action": "set", "project": approved[1], "form": "APPLICATION", "field": "INSTALLER",
                     "value": "Undo Crew"}])
    text = plan.summary()
    assert f"for sandbox program {ws.program}: 2 operation(s), 2 to send" in text
    assert "1 can be undone, 1 cannot (status: no undo in PowerClerk, or no move back in the workflow)" in text
    assert "irreversible='sandbox'" in text  # the histories never move Inspection Pending back to Approved
    assert [op.action for op in plan.irreversible()] == ["status"]
    for named in (None, "production", "Sandbox"):
        with pytest.raises(IrreversibleUnconfirmed, match="1 operation.s. of this plan cannot be undone .status. and "
                                                          f"would go to sandbox program {ws.program}"):
            plan.execute(confirm=True, progress=False, irreversible=named)
    assert writes(ws) == [] and ws.journal().height == 0  # refused before anything was journaled or sent
    # one rule in every front end: the name as typed, spaces around it ignored (the browser's box, the prompt)
    assert plan.execute(confirm=True, progress=False, irreversible=" sandbox ").counts == {"done": 2}
    assert fresh_sandbox.state.projects[approved[0]].status == "INSPECTION"
    ws.sync(progress=False)  # status moves are planned from the cached status: bring it up to date
    undo = writeback.undo(ws, plan.batch_id)  # the data change; the move back is refused by the workflow
    assert sorted(op.action for op in undo.ops) == ["set", "status"] and undo.irreversible() == []
    assert "is not a transition this program's history shows" in undo.problems["check"][0]
    assert undo.execute(confirm=True, progress=False, skip_invalid=True).counts == {"done": 1, "invalid": 1}


def test_a_data_only_plan_needs_no_second_confirmation_and_its_undo_is_journaled(ws, fresh_sandbox):
    pid = ws.projects().filter(pl.col("project_number").is_not_null())["project_id"][0]
    before = fresh_sandbox.state.projects[pid].submitted["APPLICATION"]["INSTALLER"]
    plan = ws.plan({"project": pid, "INSTALLER": "Data Crew"}, action="set", form="APPLICATION")
    assert "every one can be undone (journal --undo)" in plan.summary() and plan.irreversible() == []
    done = plan.execute(confirm=True, progress=False)
    assert done.counts == {"done": 1}
    writeback.undo(ws, done.batch_id).execute(confirm=True, progress=False)
    assert fresh_sandbox.state.projects[pid].submitted["APPLICATION"]["INSTALLER"] == before
    row = ws.journal(done.batch_id).row(0, named=True)
    assert row["state"] == "undone" and row["result"].startswith("undone by wb-")
    assert "error" not in ws.journal().columns


def test_a_status_move_the_workflow_can_take_back_is_undone(ws, fresh_sandbox):
    """Review -> Returned to Applicant moves back (Returned -> Review is in the histories): no second
    confirmation, and the undo moves it back and marks the row undone."""
    review = ws.projects().filter(pl.col("status") == "Application Review")["project_id"][0]
    plan = ws.plan({"project": review, "status": "Returned to Applicant"}, action="status")
    assert plan.irreversible() == [] and "every one can be undone" in plan.summary()
    assert plan.execute(confirm=True, progress=False).counts == {"done": 1}
    assert fresh_sandbox.state.projects[review].status == "RETURNED"
    ws.sync(progress=False)  # the undo is planned from the project's status now
    back = writeback.undo(ws, plan.batch_id)
    assert back.diff.select("action", "current", "new").row(0) == ("status", "Returned to Applicant",
                                                                   "Application Review")
    assert back.execute(confirm=True, progress=False).counts == {"done": 1}
    assert fresh_sandbox.state.projects[review].status == "REVIEW"
    assert ws.journal(plan.batch_id)["state"].to_list() == ["undone"]


def test_undo_of_a_batch_with_nothing_to_take_back_says_why(ws):
    pid = ws.projects().filter(pl.col("project_number").is_not_null())["project_id"][0]
    plan = ws.plan({"project": pid, "subject": "Photos", "text": "Please send photos."}, action="note")
    plan.execute(confirm=True, progress=False, irreversible="sandbox")
    with pytest.raises(InputError, match=r"no completed data changes to undo: it holds only operations PowerClerk has "
                                         r"no undo for \(note\)"):
        writeback.undo(ws, plan.batch_id)
