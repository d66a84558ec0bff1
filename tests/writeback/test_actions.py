"""Every write-back action against the sandbox, checked in the sandbox's own state."""

from __future__ import annotations

import polars as pl

from pcnb.workspace import Workspace
from tests.conftest import writes


def _in_status(ws, name: str) -> str:
    return ws.projects().filter(pl.col("status") == name)["project_id"][0]


def test_status_note_thread_assign_owner(ws, fresh_sandbox):
    sb = fresh_sandbox
    approved = _in_status(ws, "Approved to Install")
    thread = ws.inquiry_threads().row(0, named=True)
    flip = "open" if thread["status"] == "Closed" else "closed"
    notes_before = len(sb.state.threads[thread["thread_id"]].notes)
    plan = ws.plan([
        {"action": "status", "project": approved, "status": "Inspection Pending", "auto_communication": False},
        {"action": "note", "project": approved, "subject": "Inspection slot", "text": "Please pick a date."},
        {"action": "note", "project": thread["project_id"], "thread": thread["thread_id"], "text": "Any news?"},
        {"action": "thread-status", "thread": thread["thread_id"], "status": flip},
        {"action": "assign", "project": approved, "email": "reviewer@utility.example"},
        {"action": "owner", "project": approved, "email": "new.owner@example.com"},
    ])
    assert plan.ok, plan.problems
    assert plan.diff.filter(pl.col("action") == "status")["current"][0] == "Approved to Install"
    result = plan.execute(confirm=True, progress=False, irreversible="sandbox")  # status moves, notes: no undo
    assert result.counts == {"done": 6}, result.frame
    p = sb.state.projects[approved]
    assert p.status == "INSPECTION" and p.assignee_email == "reviewer@utility.example"
    assert p.owner_email == "new.owner@example.com"
    new_threads = [sb.state.threads[t] for t in p.thread_ids if sb.state.threads[t].subject == "Inspection slot"]
    assert len(new_threads) == 1 and new_threads[0].notes[-1].text == "Please pick a date."
    t = sb.state.threads[thread["thread_id"]]
    assert len(t.notes) == notes_before + 1 and t.notes[-1].text == "Any news?" and t.status != thread["status"]
    assert writes(ws) == ["set_project_status", "set_inquiry_note", "set_inquiry_note", "set_thread_status",
                          "set_assignee", "set_owner"]


def test_applicant_draft_upload_submit(fresh_sandbox, make_client, tmp_path):
    """The applicant's path: fill the draft, attach the single-line diagram, submit."""
    sb = fresh_sandbox
    client = make_client(sb, role="applicant")
    ws = Workspace(client, sb.program_id, tmp_path / "applicant.sqlite")
    try:
        created = client.create_project(sb.program_id)["Project"]["ProjectId"]
        ws.sync(progress=False)
        sld = tmp_path / "sld.pdf"
        sld.write_bytes(b"%PDF-1.4 single line diagram")
        fields = [("SYSTEM_SIZE_KW", 6.2), ("TECHNOLOGY", "Solar PV"), ("INSTALLER", "Sam Installer"),
                  ("SITE_ADDRESS", "1 Main St, Fresno, CA")]
        plan = ws.plan([
            {"action": "upload", "project": created, "attachment": "SLD", "file": str(sld), "form": "APPLICATION"},
            *({"action": "draft", "project": created, "form": "APPLICATION", "submit": True, "field": f, "value": v}
              for f, v in fields),
        ])
        assert plan.ok, plan.problems
        assert [op.action for op in plan.ops] == ["upload", "draft", "submit"]
        assert plan.execute(confirm=True, progress=False, irreversible="sandbox").counts == {"done": 3}
        p = sb.state.projects[created]
        assert p.status == "SUBMITTED" and p.number
        assert p.submitted["APPLICATION"]["SYSTEM_SIZE_KW"] == "6.2"
        assert p.attachments["SLD"].file_name == "sld.pdf"
    finally:
        ws.close()


def test_attachment_review_and_failed_draft_skips_its_submit(ws, fresh_sandbox, make_client, tmp_path):
    sb = fresh_sandbox
    with_sld = next(pid for pid, p in sb.state.projects.items() if "SLD" in p.attachments
                    and pid in set(ws.projects()["project_id"]))
    plan = ws.plan({"project": with_sld, "attachment": "SLD", "decision": "reject", "note": "Unreadable scan"},
                   action="attachment")
    assert plan.execute(confirm=True, progress=False, irreversible="sandbox").counts == {"done": 1}
    assert sb.state.projects[with_sld].attachments["SLD"].status == "Rejected"
    assert sb.state.projects[with_sld].attachments["SLD"].note == "Unreadable scan"

    unsub = _in_status(ws, "Unsubmitted")
    sb.sandbox.faults.update(match=f"POST /services/v2/Programs/{sb.program_id}/Projects/{unsub}/", burst_5xx=1)
    draft = ws.plan({"project": unsub, "INSTALLER": "Someone Else"}, action="draft", form="APPLICATION", submit=True)
    result = draft.execute(confirm=True, progress=False, irreversible="sandbox")  # the submit has no undo
    assert result.frame["state"].to_list() == ["failed", "failed"]
    assert result.frame["error"][1] == "its draft data was not saved"
    assert sb.state.projects[unsub].status == "UNSUBMITTED"
