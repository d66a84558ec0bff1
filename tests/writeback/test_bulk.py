"""The issue's acceptance scenario: 50 projects planned, confirmed, executed with one injected
failure; a re-run sends only the missing one; undo restores every value (checked in the sandbox)."""

from __future__ import annotations

import polars as pl
import pytest

from pcnb import writeback
from pcnb.errors import InputError
from tests.conftest import writes


def _size(sb, pid: str) -> object:
    return sb.state.projects[pid].submitted["APPLICATION"].get("SYSTEM_SIZE_KW")


def test_bulk_change_with_failure_rerun_and_undo(ws, fresh_sandbox):
    sb = fresh_sandbox
    targets = ws.projects().filter(pl.col("project_number").is_not_null()).head(50)
    assert targets.height == 50
    ids = targets["project_id"].to_list()
    original = {pid: _size(sb, pid) for pid in ids}
    new = {pid: f"{10 + i}.5" for i, pid in enumerate(ids)}
    changes = targets.select(pl.col("project_number").alias("project"),
                             pl.col("project_id").replace_strict(new).alias("SYSTEM_SIZE_KW"))

    plan = ws.plan(changes, action="set", form="APPLICATION")
    assert plan.ok, plan.problems
    diff = plan.diff
    assert diff.height == 50 and set(diff["check"]) == {"ok"}
    # the diff's current values are the server's, field names are the schema's
    assert dict(zip(diff["project_id"], diff["current"], strict=True)) == original
    assert set(diff["target"]) == {"System Size (kW AC)"}

    with pytest.raises(InputError, match="confirmation"):
        plan.execute()
    assert writes(ws) == []

    victim = ids[17]
    sb.sandbox.faults.update(match=f"POST /services/v2/Programs/{sb.program_id}/Projects/{victim}/", burst_5xx=1)
    result = plan.execute(confirm=True, progress=False)
    assert result.counts == {"done": 49, "failed": 1}
    failed = result.failed.row(0, named=True)
    assert failed["project_id"] == victim and failed["error"].startswith("503")
    assert failed["request_id"]  # the gateway's x-amzn-RequestId, for support
    assert {pid: _size(sb, pid) for pid in ids} == {pid: (original[pid] if pid == victim else new[pid]) for pid in ids}
    j = ws.journal(plan.batch_id)
    assert j.height == 50 and j["state"].value_counts().sort("state").rows() == [("done", 49), ("failed", 1)]
    assert j.filter(pl.col("state") == "done")["request_id"].null_count() == 0

    # re-run: plan the same changes again -> same batch; only the failed one is sent
    sent_before = len(writes(ws))
    again = ws.plan(changes, action="set", form="APPLICATION")
    assert again.batch_id == plan.batch_id
    assert again.diff["check"].value_counts().sort("check").rows() == [("done", 49), ("ok", 1)]
    rerun = again.execute(confirm=True, progress=False)
    assert len(writes(ws)) - sent_before == 1
    assert rerun.counts == {"done": 1, "skipped (already done)": 49}
    assert {pid: _size(sb, pid) for pid in ids} == new

    # undo restores the journaled before-values, verified in the sandbox's own state
    back = ws.undo(plan.batch_id)
    assert back.ok and back.diff.height == 50
    assert dict(zip(back.diff["project_id"], back.diff["new"], strict=True)) == original
    assert back.execute(confirm=True, progress=False).counts == {"done": 50}
    assert {pid: _size(sb, pid) for pid in ids} == original
    assert set(ws.journal(plan.batch_id)["state"]) == {"undone"}
    batches = writeback.journal.batches(ws.store)
    assert batches.height == 2 and batches["operations"].to_list() == [50, 50]
