"""Write-back through %powerclerk and %%powerclerk in a real IPython shell, checked in the sandbox."""

from __future__ import annotations

import polars as pl
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from pcnb import writeback


@pytest.fixture(scope="module")
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pcnb")
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 150 --seed 3")
    shell.run_line_magic("powerclerk", "sync")
    yield shell
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 5")


def _state(ip):
    magic = ip.magics_manager.registry["PowerClerkMagics"]
    return magic.session, magic.session.workspace.sandbox_handle.state


def _submitted(ip, n: int) -> list[str]:
    ws = _state(ip)[0].workspace
    return ws.projects().filter(pl.col("project_number").is_not_null())["project_number"].head(n).to_list()


def test_line_plan_then_apply(ip):
    session, state = _state(ip)
    a, b = _submitted(ip, 2)
    plan = ip.run_line_magic("powerclerk", f"set {a} {b} INSTALLER='Line Crew' --form APPLICATION")
    assert isinstance(plan, writeback.Plan) and session.pending is plan
    assert plan.diff["new"].to_list() == ["Line Crew", "Line Crew"]
    assert state.project(a).submitted["APPLICATION"]["INSTALLER"] != "Line Crew"  # nothing sent yet
    result = ip.run_line_magic("powerclerk", "apply")
    assert result.counts == {"done": 2}
    assert state.project(a).submitted["APPLICATION"]["INSTALLER"] == "Line Crew"
    with pytest.raises(UsageError, match="no plan to apply"):
        ip.run_line_magic("powerclerk", "apply")


def test_cell_of_commands_is_one_batch(ip):
    session, state = _state(ip)
    ws = session.workspace
    approved = ws.projects().filter(pl.col("status") == "Approved to Install")["project_number"].head(1).to_list()
    a, b = _submitted(ip, 2)
    cell = f"""
# one batch, confirmed once
status {approved[0]} --to 'Inspection Pending' --auto-communication off
note {b} --subject 'Site photos' --text 'Please upload site photos.'
assign {a} {b} --email reviewer@utility.example
"""
    result = ip.run_cell_magic("powerclerk", "--yes", cell)
    assert result.counts == {"done": 4}
    assert state.project(approved[0]).status == "INSPECTION"
    assert state.project(b).assignee_email == "reviewer@utility.example"


def test_cell_csv_and_from_variable(ip):
    session, state = _state(ip)
    a, b = _submitted(ip, 2)
    plan = ip.run_cell_magic("powerclerk", "set --form APPLICATION",
                             f"project,SYSTEM_SIZE_KW,NET_METERING\n{a},8.25,false\n{b},9,\n")
    assert plan.ok and plan.diff.height == 3
    ip.run_line_magic("powerclerk", "apply")
    assert state.project(a).submitted["APPLICATION"]["SYSTEM_SIZE_KW"] == "8.25"
    assert state.project(b).submitted["APPLICATION"]["SYSTEM_SIZE_KW"] == "9"
    ip.user_ns["owners"] = pl.DataFrame({"project": [a], "email": ["owner@example.com"]})
    result = ip.run_line_magic("powerclerk", "owner --from owners --yes")
    assert result.counts == {"done": 1} and state.project(a).owner_email == "owner@example.com"


def test_journal_listing_and_undo(ip):
    session, state = _state(ip)
    (a,) = _submitted(ip, 1)
    before = state.project(a).submitted["APPLICATION"]["SITE_ADDRESS"]
    result = ip.run_line_magic("powerclerk", f"set {a} SITE_ADDRESS='9 Elm St, Chico, CA' --form APPLICATION --yes")
    batches = ip.run_line_magic("powerclerk", "journal")
    assert result.batch_id in batches["batch_id"].to_list()
    rows = ip.run_line_magic("powerclerk", f"journal {result.batch_id}")
    assert rows["state"].to_list() == ["done"] and rows["request_id"][0]
    ip.run_line_magic("powerclerk", f"journal --undo {result.batch_id} --yes")
    assert state.project(a).submitted["APPLICATION"]["SITE_ADDRESS"] == before
    assert ip.run_line_magic("powerclerk", f"journal {result.batch_id}")["state"].to_list() == ["undone"]


def test_write_errors_name_the_line_and_the_fix(ip):
    (a,) = _submitted(ip, 1)
    with pytest.raises(UsageError, match="FIELD=VALUE"):
        ip.run_line_magic("powerclerk", f"set {a} --form APPLICATION")
    with pytest.raises(UsageError, match="cell line 2: 'sync' is not a write command"):
        ip.run_cell_magic("powerclerk", "", f"status {a} --to Approved\nsync\n")
    with pytest.raises(UsageError, match="cell line 1: put --yes on the %%powerclerk line"):
        ip.run_cell_magic("powerclerk", "", f"status {a} --to Approved --yes\n")
    with pytest.raises(UsageError, match="CSV line 3 has 3 cells"):
        ip.run_cell_magic("powerclerk", "set --form APPLICATION", f"project,INSTALLER\n{a},X\n{a},Smith, Pat\n")
    with pytest.raises(UsageError, match="no polars DataFrame"):
        ip.run_line_magic("powerclerk", "set --from nothing_here --form APPLICATION")
    plan = ip.run_line_magic("powerclerk", f"status {a} --to 'Application Submitted'")
    assert not plan.ok and "not a transition" in plan.problems["check"][0]
    with pytest.raises(UsageError, match="did not pass validation; nothing was sent"):
        ip.run_line_magic("powerclerk", "apply")
