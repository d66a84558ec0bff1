"""The project browser driven as a user would: filters, row selection, Plan, Execute."""

from __future__ import annotations

import polars as pl

from pcnb.widgets.browser import ProjectBrowser
from tests.conftest import writes


def test_filter_select_plan_execute(ws, fresh_sandbox):
    b = ProjectBrowser(ws)
    assert b.count.value.startswith(f"{ws.projects().height:,} project(s)")
    b.status.value = "Approved to Install"
    approved = ws.projects().filter(pl.col("status") == "Approved to Install")
    assert len(b.rows.options) == approved.height > 1
    # the grid shows the same rows as the Select list, in the same order, as an itables grid
    assert b.table.frame["project_id"].to_list() == [v for _, v in b.rows.options]
    assert "new ITable(" in b.table.html and approved["project_number"][0] in b.table.html
    number = approved["project_number"][0]
    b.search.value = number.lower()
    assert [v for _, v in b.rows.options] == [approved["project_id"][0]]
    b.search.value = ""
    picked = tuple(v for _, v in b.rows.options[:2])
    b.rows.value = picked

    b.action.value = "status"
    assert b.to_status.layout.display == "" and b.field.layout.display == "none"
    b.to_status.value = "Inspection Pending"
    assert b.execute_button.disabled
    b.plan_button.click()
    assert b.plan is not None and b.plan.ok and not b.execute_button.disabled
    assert "Approved to Install" in b.diff.html and "Inspection Pending" in b.diff.html
    assert "new ITable(" in b.diff.html and b.diff.frame.height == 2  # a grid, holding the plan's diff
    assert "click Execute" in b.message.value and "execute(" not in b.message.value
    b.to_status.value = "Permission to Operate"  # changing anything after planning invalidates the plan
    assert b.execute_button.disabled and b.plan is None
    b.to_status.value = "Inspection Pending"
    b.plan_button.click()
    assert b.confirm_env.layout.display is None and "type sandbox" in b.confirm_env.placeholder
    assert "2 cannot be undone (status)" in b.message.value and "type sandbox in Confirm" in b.message.value
    b.execute_button.click()  # a status move has no undo: not without the environment typed
    assert "cannot be undone" in b.message.value and writes(ws) == [] and b.plan is not None
    b.confirm_env.value = "production"  # the wrong environment is no confirmation either
    b.execute_button.click()
    assert "you named &#x27;production&#x27;" in b.message.value and writes(ws) == []
    b.confirm_env.value = "sandbox"
    b.execute_button.click()
    assert "2 done" in b.message.value and "click Sync" in b.message.value and "%powerclerk" not in b.message.value
    assert [fresh_sandbox.state.projects[p].status for p in picked] == ["INSPECTION", "INSPECTION"]
    assert writes(ws) == ["set_project_status"] * 2
    b.sync_button.click()  # the cache learns the new statuses: the filtered grid no longer lists them
    assert "synced" in b.message.value
    assert not set(picked) & set(b.table.frame["project_id"].to_list())
    b.status.value = "Inspection Pending"
    assert set(picked) <= set(b.table.frame["project_id"].to_list())


def test_bad_input_is_reported_and_execute_stays_off(ws):
    b = ProjectBrowser(ws)
    b.plan_button.click()
    assert "no projects selected" in b.message.value and b.execute_button.disabled
    b.status.value = "Permission to Operate"
    b.rows.value = (b.rows.options[0][1],)
    b.action.value = "set"
    b.field.value, b.value.value = "SYSTEM_SIZE_KW", "-3"
    b.plan_button.click()
    assert "problems" in b.message.value and "below the minimum" in b.diff.html
    assert "click Plan again" in b.message.value
    assert b.execute_button.disabled
    b.execute_button.click()  # a disabled button clicked programmatically still must not send
    assert "plan first" in b.message.value and writes(ws) == []


def test_undo_of_the_last_batch_from_the_browser(ws, fresh_sandbox):
    b = ProjectBrowser(ws)
    pid = ws.projects().filter(pl.col("project_number").is_not_null())["project_id"][0]
    before = fresh_sandbox.state.projects[pid].submitted["APPLICATION"]["INSTALLER"]
    assert b.undo_button.disabled  # nothing executed yet
    b.rows.value = (pid,)
    b.action.value = "set"
    b.field.value, b.value.value = "INSTALLER", "Browser Crew"
    b.plan_button.click()
    assert b.confirm_env.layout.display == "none" and "every one can be undone" in b.message.value
    b.execute_button.click()  # a data change can be undone: no environment to type
    assert "1 done" in b.message.value and not b.undo_button.disabled
    assert fresh_sandbox.state.projects[pid].submitted["APPLICATION"]["INSTALLER"] == "Browser Crew"
    b.undo_button.click()
    assert "undo of wb-" in b.message.value and "Browser Crew" in b.diff.html and b.undo_button.disabled
    b.execute_button.click()
    assert fresh_sandbox.state.projects[pid].submitted["APPLICATION"]["INSTALLER"] == before
    assert ws.journal()["state"].to_list().count("undone") == 1
