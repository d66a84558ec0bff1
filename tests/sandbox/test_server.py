"""Sandbox refusals and contract details over raw HTTP (status codes, bodies, headers, XML)."""

from __future__ import annotations

import requests

from pcnb.api import codec
from pcnb.sandbox import running
from tests.conftest import END


def _headers(sb, role="admin"):
    c = sb.credentials(role)
    tok = requests.post(sb.token_url, data={"grant_type": "client_credentials"},
                        auth=(c["client_id"], c["client_secret"]), timeout=10).json()["access_token"]
    return {"X-ApiKey": c["api_key"], "Authorization": f"Bearer {tok}"}


def test_auth_refusals(sandbox):
    base = f"{sandbox.base_url}/Programs"
    h = _headers(sandbox)
    assert requests.get(base, timeout=10).status_code == 401
    r = requests.get(base, headers={"Authorization": h["Authorization"]}, timeout=10)
    assert r.status_code == 401 and "X-ApiKey" in r.json()["message"] and r.headers["x-amzn-RequestId"]
    r = requests.get(base, headers={**h, "Authorization": "Bearer nope"}, timeout=10)
    assert r.status_code == 401
    other = _headers(sandbox, "applicant")
    r = requests.get(base, headers={**h, "X-ApiKey": other["X-ApiKey"]}, timeout=10)
    assert r.status_code == 401 and "does not belong" in r.json()["message"]
    bad = requests.post(sandbox.token_url, data={"grant_type": "client_credentials"}, auth=("x", "y"), timeout=10)
    assert bad.status_code == 400 and bad.json() == {"error": "invalid_client"}


def test_bad_bodies_and_formats(sandbox):
    h = _headers(sandbox)
    P = sandbox.program_id
    pid = next(iter(sandbox.state.projects))
    url = f"{sandbox.base_url}/Programs/{P}/Projects/ByNumber"
    assert requests.post(url, headers=h, data=b"{not json", timeout=10).status_code == 400
    assert requests.post(url, headers=h, json={"ProjectNumbers": "DGI-1"}, timeout=10).status_code == 400
    r = requests.get(f"{sandbox.base_url}/Programs/{P}/Projects", params={"limit": "5000"}, headers=h, timeout=10)
    assert r.status_code == 400 and "limit" in r.json()["message"]
    for bad in ("2024-01-01T00:00:00Z", "2024-01-01 00:00:00-07:00", "2024-01-01T00:00:00.12345678-07:00"):
        r = requests.get(f"{sandbox.base_url}/Programs/{P}/Projects", params={"changed_since": bad},
                         headers=h, timeout=10)
        assert r.status_code == 400, bad
    ok = requests.get(f"{sandbox.base_url}/Programs/{P}/Projects",
                      params={"changed_since": "2026-10-01T00:00:00.1234567-07:00"}, headers=h, timeout=10)
    assert ok.status_code == 200
    assert requests.get(f"{sandbox.base_url}/Programs/NOPE/Forms", headers=h, timeout=10).status_code == 404
    r = requests.get(f"{sandbox.base_url}/Programs/{P}/Projects/{pid}/Forms/APPLICATION/Data",
                     headers={**h, "Accept": "application/xml"}, timeout=10)
    assert r.headers["content-type"].startswith("application/xml")
    assert r.content.startswith(b"<?xml") and b"<OperationResponse" in r.content
    assert codec.loads(r.content)["Project"]["ProjectId"] == pid


def test_xml_request_body(fresh_sandbox):
    h = _headers(fresh_sandbox)
    P = fresh_sandbox.program_id
    pid = next(p.project_id for p in fresh_sandbox.state.projects.values() if p.number)
    body = codec.dumps({"Project": {"DataFields": [{"DataFieldId": "REVIEWER_NOTES", "Value": "via xml"}]}},
                     "ProjectDataSetRequest")
    r = requests.post(f"{fresh_sandbox.base_url}/Programs/{P}/Projects/{pid}/Forms/UTILITY_REVIEW/Data",
                      headers={**h, "Content-Type": "application/xml", "Accept": "application/xml"},
                      data=body, timeout=10)
    assert r.status_code == 200, r.text
    assert fresh_sandbox.state.projects[pid].submitted["UTILITY_REVIEW"]["REVIEWER_NOTES"] == "via xml"


def test_rate_limit_429_with_retry_after():
    with running(projects=5, rate_limit="5/30", end=END) as sb:
        h = _headers(sb)
        codes = [requests.get(f"{sb.base_url}/Programs", headers=h, timeout=10) for _ in range(7)]
        assert [r.status_code for r in codes] == [200] * 5 + [429] * 2
        assert 1 <= int(codes[-1].headers["Retry-After"]) <= 30
        assert codes[-1].json()["message"] == "Too Many Requests"


def test_workflow_rules(fresh_sandbox):
    h = _headers(fresh_sandbox)
    base = f"{fresh_sandbox.base_url}/Programs/{fresh_sandbox.program_id}"
    pid = requests.post(f"{base}/NewProject", headers=h, timeout=10).json()["Project"]["ProjectId"]
    r = requests.post(f"{base}/Projects/{pid}/Forms/COMPLETION/Draft/Data", headers=h,
                      json={"Project": {"DataFields": [{"DataFieldId": "INSTALL_DATE", "Value": "2026-01-01"}]}},
                      timeout=10)
    assert r.status_code == 400 and "not available" in r.json()["message"]
    r = requests.post(f"{base}/Projects/{pid}/Forms/APPLICATION/Draft/Data", headers=h, timeout=10,
                      json={"Project": {"DataFields": [{"DataFieldId": "TECHNOLOGY", "Name": "Tech", "Value": "x"}]}})
    assert r.status_code == 400 and "does not match" in r.json()["Errors"][0]
    r = requests.post(f"{base}/Projects/{pid}/Status/PTO", headers=h, timeout=10)
    assert r.status_code == 400 and "valid next status" in r.json()["message"]
    before = fresh_sandbox.state.projects[pid].last_change
    requests.post(f"{base}/Projects/{pid}/Assignee", headers=h, json={"AssigneeEmail": "a@b.example"}, timeout=10)
    assert fresh_sandbox.state.projects[pid].last_change > before


def test_openapi_documents_every_operation(sandbox):
    spec = requests.get(sandbox.base_url.replace("/services/v2", "/openapi.json"), timeout=10).json()
    ops = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {"GetProjects", "SetProjectStatus", "GetNotesInInquiryThread", "UploadAttachment", "Token"} <= ops
    assert len(ops) == 31


def test_the_connection_file_appears_whole(sandbox, tmp_path, monkeypatch):
    """A reader that sees the file must be able to read all of it (the CLI test read it half-written
    under load): the file is written beside its name and renamed into place."""
    import json
    import threading
    import time

    from pcnb.sandbox import runner

    real_dump = json.dump

    def slow_dump(obj, fh, **kw):  # widens the window a busy machine opens between create and write
        time.sleep(0.5)
        real_dump(obj, fh, **kw)

    monkeypatch.setattr(runner.json, "dump", slow_dump)
    path = tmp_path / "sandbox.json"
    writer = threading.Thread(target=sandbox.write_connection, args=(path,))
    writer.start()
    deadline = time.monotonic() + 10
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    seen = path.read_text()
    writer.join()
    assert json.loads(seen)["program_id"] == sandbox.program_id
