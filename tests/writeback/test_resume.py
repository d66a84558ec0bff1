"""Lost answers and rate-limit stops: nothing sent twice that is not idempotent, nothing lost."""

from __future__ import annotations

import polars as pl
import pytest

from pcnb import writeback
from tests.conftest import writes


@pytest.fixture
def any_ws(store_backend, ws, fresh_sandbox, make_client, store_at):
    """The synced workspace on this test's backend: the SQLite copy, or a team store on PostgreSQL
    synced from the same sandbox (the journal's claims and leases in the shared store)."""
    if store_backend == "sqlite":
        yield ws
        return
    from pcnb.workspace import Workspace

    team = Workspace(make_client(fresh_sandbox), fresh_sandbox.program_id, store_at("team"))
    team.sandbox_program = fresh_sandbox.state.program
    team.sync(progress=False)
    yield team
    team.close()


def test_lost_answers_are_verified_not_resent(any_ws, fresh_sandbox):
    ws = any_ws
    sb = fresh_sandbox
    approved = ws.projects().filter(pl.col("status") == "Approved to Install")["project_id"].head(2).to_list()
    changes = [
        {"action": "note", "project": approved[0], "subject": "Meter swap", "text": "Meter swap booked."},
        {"action": "status", "project": approved[1], "status": "Inspection Pending"},
        {"action": "set", "project": approved[0], "form": "APPLICATION", "field": "INSTALLER", "value": "Volt Bros"},
    ]
    plan = ws.plan(changes)
    # every write is applied by the server but its answer is cut on the way back
    sb.sandbox.faults.update(match="POST ", drop_after_next=3)
    first = plan.execute(confirm=True, progress=False, irreversible="sandbox")
    assert first.frame["state"].to_list() == ["unknown"] * 3
    assert sb.state.projects[approved[1]].status == "INSPECTION"
    assert len(writes(ws)) == 3

    result = writeback.resume(ws, plan.batch_id, progress=False)
    states = dict(zip(result.frame["action"], result.frame["state"], strict=True))
    assert states == {"note": "done (verified)", "status": "done (verified)", "set": "done"}
    assert writes(ws)[3:] == ["set_project_data_admin"]  # only the idempotent one was sent again
    notes = [n.text for t in sb.state.threads.values() if t.project_id == approved[0] for n in t.notes]
    assert notes.count("Meter swap booked.") == 1
    assert [e.status for e in sb.state.projects[approved[1]].history].count("INSPECTION") == 1
    assert set(ws.journal(plan.batch_id)["state"]) == {"done"}


def test_rate_limit_stops_the_batch_and_resume_finishes_it(any_ws, fresh_sandbox):
    ws = any_ws
    sb = fresh_sandbox
    ids = ws.projects().filter(pl.col("project_number").is_not_null())["project_id"].head(4).to_list()
    plan = ws.plan(pl.DataFrame({"project": ids, "INSTALLER": [f"Crew {i}" for i in range(4)]}),
                   action="set", form="APPLICATION")
    sb.sandbox.faults.update(match="", force_429=1, retry_after=3600)  # longer than anyone should block a cell
    stopped = plan.execute(confirm=True, progress=False)
    assert stopped.frame["state"].to_list() == ["planned"]
    assert "rate limit" in stopped.frame["error"][0] and "re-run" in stopped.summary()
    assert ws.journal(plan.batch_id)["state"].to_list() == ["planned"] * 4
    done = writeback.resume(ws, plan.batch_id, progress=False)
    assert done.counts == {"done": 4}
    assert [sb.state.projects[i].submitted["APPLICATION"]["INSTALLER"] for i in ids] == [f"Crew {i}" for i in range(4)]
