"""PowerClerkClient against the real sandbox over HTTP: every endpoint, JSON and XML."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pcnb.errors import BadRequest, Forbidden, InputError, NotFound, ValidationError
from tests.conftest import END


def _drop_nulls(obj):
    if isinstance(obj, dict):
        return {k: _drop_nulls(v) for k, v in obj.items() if v is not None and k != "RequestTimestamp"}
    if isinstance(obj, list):
        return [_drop_nulls(v) for v in obj]
    return obj


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_every_endpoint_round_trip(fresh_sandbox, make_client, fmt):
    """Walk one new project through every V2 endpoint and check each answer's content."""
    c = make_client(fresh_sandbox, fmt=fmt)
    P = fresh_sandbox.program_id
    assert c.programs()["Programs"][0]["ProgramId"] == P
    forms = c.forms(P)["Forms"]
    assert [f["CustomId"] for f in forms] == ["APPLICATION", "COMPLETION", "UTILITY_REVIEW"]
    schema = c.form_schema(P, "APPLICATION")["FormSchema"]
    size = next(f for f in schema["DataFields"] if f["CustomId"] == "SYSTEM_SIZE_KW")
    assert size["Type"] == "Number" and size["Required"] is True and size["Properties"]["Max"] == 5000
    tech = next(f for f in schema["DataFields"] if f["CustomId"] == "TECHNOLOGY")
    assert "Solar PV" in tech["Choices"] and "Properties" not in tech
    statuses = c.status_list(P)["Statuses"]
    assert len(statuses) == 9 and statuses[0]["Name"] == "Unsubmitted"
    assert c.custom_list_choices(P, "FEEDERS")["Choices"][0]["Value"] == "F-101"

    new = c.create_project(P)["Project"]
    J = new["ProjectId"]
    assert new["CurrentStatus"]["Name"] == "Unsubmitted" and not new.get("ProjectNumber")
    data = c.set_project_data(P, J, "APPLICATION", {
        "SYSTEM_SIZE_KW": "7.5", "TECHNOLOGY": "Solar PV", "INSTALLER": "Acme", "SITE_ADDRESS": "1 Main St",
        "EXPECTED_INSTALL_DATE": "2026-12-01", "NET_METERING": "true", "INVERTER_MODELS": ["A1", "B2"]})
    assert data["Project"]["CanSubmit"] is True
    draft = c.project_data(P, J, "APPLICATION", draft=True)["Project"]["DataFields"]
    assert next(f for f in draft if f["CustomId"] == "INVERTER_MODELS")["Values"] == ["A1", "B2"]
    submitted = c.project_data(P, J, "APPLICATION")["Project"]["DataFields"]
    assert next(f for f in submitted if f["CustomId"] == "SYSTEM_SIZE_KW").get("Value") is None
    c.upload_attachment(P, J, "APPLICATION", "SLD", b"%PDF-1.4 test", filename="sld.pdf")
    done = c.submit_project(P, J, "APPLICATION")["Project"]
    number = done["ProjectNumber"]
    assert done["CurrentStatus"]["Name"] == "Application Submitted" and number.startswith("DGI-")
    name, content = c.download_attachment(P, number, "APPLICATION", "SLD")
    assert (name, content) == ("sld.pdf", b"%PDF-1.4 test")
    meta = c.attachment_metadata(P, number, "SLD")["AttachmentMetadata"]
    assert meta["FileSize"] == len(content) and meta["AttachmentStatus"] == "Pending"
    meta = c.set_attachment_metadata(P, number, "SLD", "Approve", note="ok")["AttachmentMetadata"]
    assert meta["AttachmentStatus"] == "Approved" and meta["Note"] == "ok"

    assert c.projects_by_number(P, [number])["Projects"][0]["ProjectId"] == J
    hits = c.projects_by_data(P, {"SITE_ADDRESS": "1 Main St"})["Projects"]
    assert [h["ProjectId"] for h in hits] == [J]
    status = c.set_project_status(P, J, "REVIEW", auto_communication=False)["Status"]
    assert status["Name"] == "Application Review"
    hist = c.status_history(P, J)["StatusHistory"]
    assert [h["Name"] for h in hist] == ["Application Review", "Application Submitted", "Unsubmitted"]
    c.set_status_report_as(P, J, hist[0]["StatusId"], hist[0]["Timestamp"], "suppress")
    assert c.status_history(P, J)["StatusHistory"][0]["ReportAs"] == "suppress"
    c.set_project_data(P, J, "UTILITY_REVIEW", {"FEEDER": "F-102"}, admin=True, run_followup_actions=False)
    everything = c.all_project_data(P, J)["Project"]["DataFields"]
    assert next(f for f in everything if f["CustomId"] == "FEEDER")["Value"] == "F-102"
    groups = c.export_project(P, J)["Project"]["Groups"]
    feeder = next(f for g in groups for f in g["DataFields"] if f["CustomId"] == "FEEDER")
    assert feeder["ChangedBy"] == "Avery Admin"
    assert c.set_assignee(P, J, "reviewer@utility.example")["Assignee"]["Email"] == "reviewer@utility.example"
    assert c.set_owner(P, J, "new.owner@example.com")["Owner"]["Name"] == "New Owner"

    note = c.set_inquiry_note(P, J, "Please confirm the inverter.", subject="Inverter")
    T = note["ThreadId"]
    c.set_inquiry_note(P, J, "Still waiting.", thread_id=T)
    notes = c.inquiry_notes(P, T)["Notes"]
    assert [n["IsAdmin"] for n in notes] == [True, True] and notes[1]["Text"] == "Still waiting."
    assert c.set_thread_status(P, T, "Closed")["InquiryThread"]["Status"] == "Closed"
    assert c.set_thread_external_id(P, T, "JIRA-12")["InquiryThread"]["ExternalId"] == "JIRA-12"
    threads = c.inquiry_threads(P, J)["InquiryThreads"]
    assert threads[0]["Subject"] == "Inverter" and threads[0]["ExternalId"] == "JIRA-12"


def test_json_and_xml_agree(sandbox, make_client):
    P = sandbox.program_id
    j, x = make_client(sandbox, fmt="json"), make_client(sandbox, fmt="xml")
    pj, px = j.projects(P, limit=5), x.projects(P, limit=5)
    assert _drop_nulls(pj) == _drop_nulls(px)
    some = pj["Projects"][2]["ProjectId"]
    assert _drop_nulls(j.status_history(P, some)) == _drop_nulls(x.status_history(P, some))
    assert _drop_nulls(j.form_schema(P, "APPLICATION")) == _drop_nulls(x.form_schema(P, "APPLICATION"))


def test_paging_and_changed_since(sandbox, make_client):
    c = make_client(sandbox)
    P = sandbox.program_id
    pages = list(c.iter_project_pages(P, page_size=100))
    ids = [p["ProjectId"] for page in pages for p in page["Projects"]]
    assert len(pages) == 4 and len(ids) == 300 == len(set(ids))
    assert ids == list(sandbox.state.projects)  # ordered by creation
    cutoff = END - timedelta(days=150)
    recent = c.projects(P, changed_since=cutoff)["Projects"]
    truth = {p.project_id for p in sandbox.state.projects.values() if p.last_change > cutoff}
    assert {p["ProjectId"] for p in recent} == truth and 0 < len(truth) < 300


@pytest.mark.parametrize("bad", [
    lambda c, P: c.projects(P, changed_since=datetime(2024, 1, 1)),  # naive
    lambda c, P: c.projects(P, changed_since="2024-01-01"),
    lambda c, P: c.projects(P, limit=0),
    lambda c, P: c.projects(P, limit=1001),
    lambda c, P: c.project_data(P, "", "APPLICATION"),
    lambda c, P: c.project_data(P, "bad/id", "APPLICATION"),
    lambda c, P: c.set_owner(P, "X", "not-an-email"),
    lambda c, P: c.set_thread_status(P, "T", "Pending"),
    lambda c, P: c.set_inquiry_note(P, "X", "text"),
])
def test_bad_input_rejected_before_any_call(sandbox, make_client, bad):
    c = make_client(sandbox)
    before = c.http.calls
    with pytest.raises(InputError) as err:
        bad(c, sandbox.program_id)
    assert c.http.calls == before and str(err.value)


def test_server_refusals_map_to_typed_errors(fresh_sandbox, make_client):
    c = make_client(fresh_sandbox)
    P = fresh_sandbox.program_id
    with pytest.raises(NotFound) as nf:
        c.status_history(P, "NOSUCHPROJ01")
    assert nf.value.request_id and nf.value.request_id in str(nf.value)
    pid = next(p.project_id for p in fresh_sandbox.state.projects.values() if p.status == "PTO")
    with pytest.raises(BadRequest, match="not a valid next status"):
        c.set_project_status(P, pid, "REVIEW")
    draft = c.create_project(P)["Project"]["ProjectId"]
    with pytest.raises(ValidationError) as ve:
        c.set_project_data(P, draft, "APPLICATION", {"SYSTEM_SIZE_KW": "big", "EXPECTED_INSTALL_DATE": "12/01/2026"})
    assert any("invariant decimal" in e for e in ve.value.errors)
    assert any("yyyy-MM-dd" in e for e in ve.value.errors)
    with pytest.raises(BadRequest, match="missing required"):
        c.submit_project(P, draft, "APPLICATION")
    # a 400 from the server for a changed_since we pass through as a raw string is still typed
    with pytest.raises(BadRequest):
        c.http.request("GET", f"/Programs/{P}/Projects", name="raw", params={"changed_since": "yesterday"})


def test_non_admin_refused(sandbox, make_client):
    c = make_client(sandbox, role="applicant")
    P = sandbox.program_id
    with pytest.raises(Forbidden) as err:
        c.status_history(P, next(iter(sandbox.state.projects)))
    assert err.value.request_id
    assert c.detect_role(P) is False
    before = c.http.calls
    with pytest.raises(Forbidden, match="admin-only"):
        c.inquiry_threads(P, "ANYPROJECT01")
    assert c.http.calls == before  # refused locally once the role is known
    mine = c.projects(P)["Projects"]
    assert mine and all(p["ProjectOwner"]["Email"].startswith("permits@sunnyday") for p in mine)


def test_changed_since_window_includes_fractional_timestamps(fresh_sandbox, make_client):
    c = make_client(fresh_sandbox)
    P = fresh_sandbox.program_id
    page = c.projects(P, limit=1)
    started = datetime.fromisoformat(page["RequestTimestamp"])
    pid = page["Projects"][0]["ProjectId"]
    c.set_owner(P, pid, "x@example.com")
    after = c.projects(P, changed_since=started - timedelta(microseconds=1))["Projects"]
    assert [p["ProjectId"] for p in after] == [pid]
