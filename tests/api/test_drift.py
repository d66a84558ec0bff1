"""Contract drift: a quirky sandbox (renamed, retyped, extra fields) against the client's shape checks."""

from __future__ import annotations

import json
import re

import pytest
import requests

from pcnb.cache.store import Store
from pcnb.cache.sync import sync
from pcnb.errors import ContractMismatch

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def quirks(sb, **changes):
    r = requests.post(f"{sb.control_url}/quirks", json=changes, headers={"X-Sandbox-Control": sb.control_token},
                      timeout=10)
    r.raise_for_status()
    return r.json()


def test_renamed_required_field_is_a_contract_mismatch_at_the_client_with_the_request_id(
        fresh_sandbox, make_client, tmp_path):
    quirks(fresh_sandbox, rename="ProjectId=ProjectID")
    client = make_client(fresh_sandbox)
    store = Store(tmp_path / "s.sqlite")
    calls: list[dict] = []
    client.ledger = calls.append
    with pytest.raises(ContractMismatch) as info:  # was: KeyError 'ProjectId' in sync._commit_page
        sync(client, store, fresh_sandbox.program_id, progress=False)
    exc = info.value
    assert (exc.endpoint, exc.field, exc.expected, exc.seen) == ("projects", "Projects[].ProjectId", "string", "absent")
    assert exc.request_id and UUID.match(exc.request_id)
    assert exc.request_id == calls[-1]["request_id"]  # the very answer that broke the contract
    text = str(exc)
    assert "projects: field Projects[].ProjectId expected string, saw absent" in text
    assert f"x-amzn-RequestId: {exc.request_id}" in text and "pcnb doctor --record" in text
    assert "Projects[].ProjectID" in client.drift.summary()  # the new name is counted as unknown
    store.close()


@pytest.mark.parametrize(("retype", "field", "expected", "seen"), [
    ("LastChangeTimestamp=badtime", "Projects[].LastChangeTimestamp", "timestamp", "string 'last Tuesday'"),
    ("Projects=object", "Projects", "list", "object"),
    ("StatusId=number", None, None, None),  # a number where a string id is expected is tolerated (XML-like)
    ("StatusId=list", "Projects[].CurrentStatus.StatusId", "string", "list"),
])
def test_mistyped_fields(fresh_sandbox, make_client, retype, field, expected, seen):
    quirks(fresh_sandbox, retype=retype)
    client = make_client(fresh_sandbox)
    if field is None:
        assert client.projects(fresh_sandbox.program_id, limit=5)["Projects"]
        return
    with pytest.raises(ContractMismatch) as info:
        client.projects(fresh_sandbox.program_id, limit=5)
    assert info.value.field == field
    assert info.value.expected.startswith(expected) and info.value.seen == seen
    assert UUID.match(info.value.request_id or "")


def test_extra_fields_are_kept_and_counted(fresh_sandbox, make_client, tmp_path):
    quirks(fresh_sandbox, extra="Region=west,Queue=7")
    client = make_client(fresh_sandbox)
    store = Store(tmp_path / "s.sqlite")
    report = sync(client, store, fresh_sandbox.program_id, progress=False, inquiries=False)
    assert report.complete
    unknown = client.drift.unknown_fields
    assert unknown["projects:Projects[].Region"] >= 1
    assert unknown["projects:Projects[].CurrentStatus.Queue"] >= 1
    assert unknown["status_history:StatusHistory[].Region"] >= 1
    raw = json.loads(store.conn.execute("SELECT raw FROM projects LIMIT 1").fetchone()[0])
    assert raw["Region"] == "west"  # kept in the stored raw JSON
    assert "unknown field Projects[].Region" in client.drift.summary()
    store.close()


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_the_sandbox_speaks_exactly_the_modelled_contract(sandbox, make_client, tmp_path, fmt):
    """No drift against our own sandbox: the shapes and the sandbox agree (either format)."""
    client = make_client(sandbox, fmt=fmt)
    p = sandbox.program_id
    client.programs()
    client.forms(p)
    client.status_list(p)
    page = client.projects(p, limit=20)
    for proj in page["Projects"][:5]:
        client.status_history(p, proj["ProjectId"])
        client.inquiry_threads(p, proj["ProjectId"])
    form = client.forms(p)["Forms"][0]["FormId"]
    client.form_schema(p, form)
    client.project_data(p, page["Projects"][0]["ProjectId"], form)
    assert client.drift.summary().startswith("no drift"), client.drift.summary()
    assert client.drift.checked["projects"] == 1
