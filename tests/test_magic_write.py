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
    magic = ip.magics_manager.registry["PowerClerkMagic"]
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
    with pytest.raises(UsageError, match=r"4 operation\(s\) of this plan cannot be undone \(assign, note, status\) "
                                         r"and would go to sandbox program .*nothing was sent — fix: "
                                         r"`%powerclerk apply --irreversible sandbox`"):
        ip.run_cell_magic("powerclerk", "--yes", cell)
    assert state.project(approved[0]).status != "INSPECTION"  # nothing was sent
    plan = ip.run_cell_magic("powerclerk", "--irreversible sandbox", cell)  # named with the plan, no --yes
    assert plan.ok and state.project(approved[0]).status != "INSPECTION"
    result = ip.run_line_magic("powerclerk", "apply")  # the name typed with the plan is its confirmation
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
    result = ip.run_line_magic("powerclerk", "owner --from owners --yes --irreversible sandbox")
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
    with pytest.raises(UsageError, match="cell line 1: put --yes and --irreversible on the %%powerclerk line"):
        ip.run_cell_magic("powerclerk", "", f"status {a} --to Approved --yes\n")
    with pytest.raises(UsageError, match="CSV line 3 has 3 cells"):
        ip.run_cell_magic("powerclerk", "set --form APPLICATION", f"project,INSTALLER\n{a},X\n{a},Smith, Pat\n")
    with pytest.raises(UsageError, match="no polars DataFrame"):
        ip.run_line_magic("powerclerk", "set --from nothing_here --form APPLICATION")
    plan = ip.run_line_magic("powerclerk", f"status {a} --to 'Application Submitted'")
    assert not plan.ok and "not a transition" in plan.problems["check"][0]
    with pytest.raises(UsageError, match="did not pass validation; nothing was sent"):
        ip.run_line_magic("powerclerk", "apply")


def test_bulk_50_through_the_magic_with_failure_rerun_and_undo(ip):
    """The issue's scenario typed as an analyst would: a frame of 50 changes, plan, apply with one
    injected failure, re-run (only the missing one is sent), undo (verified in the sandbox)."""
    session, state = _state(ip)
    ws = session.workspace
    sb = ws.sandbox_handle
    ids = ws.projects().filter(pl.col("project_number").is_not_null())["project_id"].tail(50).to_list()
    original = {p: state.projects[p].submitted["APPLICATION"].get("EXPECTED_INSTALL_DATE") for p in ids}
    new = {p: f"2027-01-{i % 28 + 1:02d}" for i, p in enumerate(ids)}
    ip.user_ns["bulk"] = pl.DataFrame({"project": ids, "EXPECTED_INSTALL_DATE": [new[p] for p in ids]})
    plan = ip.run_line_magic("powerclerk", "set --from bulk --form APPLICATION")
    assert plan.ok and plan.diff.height == 50
    sb.sandbox.faults.update(match=f"/Projects/{ids[7]}/", burst_5xx=1)
    result = ip.run_line_magic("powerclerk", "apply")
    assert result.counts == {"done": 49, "failed": 1} and result.failed["project_id"].to_list() == [ids[7]]
    posts = sb.sandbox.rate.accepted
    rerun = ip.run_line_magic("powerclerk", "set --from bulk --form APPLICATION --yes")
    assert rerun.batch_id == plan.batch_id and rerun.counts == {"done": 1, "skipped (already done)": 49}
    assert sb.sandbox.rate.accepted - posts == 2 + 50 + 1  # forms + schema + 50 reads to plan, 1 write
    assert {p: state.projects[p].submitted["APPLICATION"]["EXPECTED_INSTALL_DATE"] for p in ids} == new
    ip.run_line_magic("powerclerk", f"journal --undo {plan.batch_id} --yes")
    restored = {p: state.projects[p].submitted["APPLICATION"].get("EXPECTED_INSTALL_DATE") for p in ids}
    assert restored == {p: (v or "") for p, v in original.items()}


def test_browse_opens_the_project_browser(ip):
    from ipywidgets import VBox

    widget = ip.run_line_magic("powerclerk", "browse --status 'Permission to Operate'")
    session, _ = _state(ip)
    assert isinstance(widget, VBox) and session.panel.status.value == "Permission to Operate"
    labels = [label for label, _ in session.panel.rows.options]
    assert labels and all("Permission to Operate" in label for label in labels)
    with pytest.raises(UsageError, match="not in the cache"):
        ip.run_line_magic("powerclerk", "browse --status Nowhere")


def test_yes_shows_the_plan_without_a_ready_hint(ip, capsys):
    """`set ... --yes` printed "ready: execute(confirm=True) or `%powerclerk apply` sends it" and
    then sent it itself: a following `apply` would say there is no plan. With --yes: the plan's
    counts, then the result."""
    (a,) = _submitted(ip, 1)
    capsys.readouterr()
    result = ip.run_line_magic("powerclerk", f"set {a} INSTALLER='Yes Crew' --form APPLICATION --yes")
    out = capsys.readouterr().out
    assert "plan " in out and "1 to send" in out and "ready" not in out and "apply" not in out
    assert isinstance(result, writeback.Result) and "ready" not in result.summary()
