"""%powerclerk support after failing calls: every item the vendor asks for, and no secret in any encoding."""

from __future__ import annotations

import base64
import re
import stat
from urllib.parse import quote, quote_plus

import pytest
import requests

from pcnb.commands import Session, parse, run
from pcnb.errors import ContractMismatch, Forbidden


def encodings(value: str) -> set[str]:
    """The actual value raw, base64 (std/url-safe, padded or not) and URL-encoded."""
    out = {value, quote(value, safe=""), quote_plus(value)}
    for enc in (base64.b64encode, base64.urlsafe_b64encode):
        b = enc(value.encode()).decode()
        out |= {b, b.rstrip("=")}
    return out


def assert_no_secret(text: str, client) -> None:
    c = client.credentials
    values = [*c.secret_values(), client.http.transport.session.token["access_token"]]
    assert len(values) >= 4
    found = [v for value in values for v in encodings(value) if v in text]
    basic = base64.b64encode(f"{c.client_id}:{c.client_secret}".encode()).decode()
    assert not found and basic not in text and basic.rstrip("=") not in text


def control(sb, what, **body):
    requests.post(f"{sb.control_url}/{what}", json=body, headers={"X-Sandbox-Control": sb.control_token},
                  timeout=10).raise_for_status()


def test_support_bundle_after_failing_calls_has_every_item_and_no_secret(ws, fresh_sandbox, tmp_path):
    client, pid = ws.client, ws.program
    client.detect_role(pid)  # known once a sync or doctor ran in this session (ws's store is a copy)
    client.credentials.mfa_session_token = next(iter(fresh_sandbox.users["mfa"].mfa_session_tokens))
    client.credentials.sources["mfa_session_token"] = "argument"  # a real secret, sent in a header
    project = client.projects(pid, limit=1)["Projects"][0]["ProjectId"]
    form = client.forms(pid)["Forms"][0]["FormId"]
    with pytest.raises(Forbidden) as info:  # the failing call: sensitive data without the privilege
        client.project_data(pid, project, form, reveal_sensitive_data=True)
    failed_id = info.value.request_id
    control(fresh_sandbox, "faults", burst_5xx=1, match="/Projects")
    client.http.sleep = lambda s: None
    client.projects(pid, limit=2)  # a 503 then a 200: intermittent
    out = tmp_path / "ticket.txt"
    session_b64 = base64.b64encode((client.credentials.mfa_session_token or "").encode()).decode()
    secret_in_prose = (f"my key {client.credentials.api_key} and {quote(client.credentials.client_secret or '')} "
                       f"and {session_b64}")
    text = run(parse(f'support --no-doctor --account pat@utility.example --file {out} '
                     f'--attempted "reading sensitive data for a report ({secret_in_prose})"'),
               Session(workspace=ws))
    assert f"1. ProgramID: {pid}" in text
    assert re.search(rf"2\. x-amzn-RequestId of the failing call\(s\): .*{failed_id}", text)
    assert f"3. User account making the calls: pat@utility.example; admin in program {pid}: yes" in text
    assert "reading sensitive data for a report (my key <redacted> and <redacted> and <redacted>)" in text
    assert "GetProjectData answered 403: Forbidden: your role lacks the sensitive-data privilege" in text
    url = f"GET {fresh_sandbox.base_url}/Programs/{pid}/Projects/{project}/Forms/{form}/Data?reveal_sensitive_data=true"
    assert f"- GetProjectData: {url}" in text
    assert f"response code: 403; x-amzn-RequestId: {failed_id}" in text
    assert "X-ApiKey: <redacted>" in text and "Authorization: Bearer <redacted>" in text
    assert "Mfa-Session-Token: <redacted>" in text and "request body: (none)" in text
    assert 'response body: {"message":"Forbidden: your role lacks the sensitive-data privilege"}' in text
    assert re.search(r"6\. Call pattern and frequency:\n   this session: \d+ call\(s\) over", text)
    assert "call log (this cache):" in text and "routine: pcnb syncs incrementally" in text
    assert "GetProjectData: continuous (1 of 1 call(s) failed)" in text
    assert re.search(r"GetProjects: intermittent \(1 of \d+ call\(s\) failed\)", text)
    assert re.search(r"8\. Timestamps \(UTC\) of the failing calls: 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", text)
    assert_no_secret(text, client)
    written = out.read_text()
    assert written in text and stat.S_IMODE(out.stat().st_mode) == 0o600
    assert_no_secret(written, client)


def test_support_reports_a_contract_mismatch_with_its_request_id(ws, fresh_sandbox, tmp_path):
    control(fresh_sandbox, "quirks", rename="StatusHistory=History")
    project = ws.client.projects(ws.program, limit=1)["Projects"][0]["ProjectId"]
    with pytest.raises(ContractMismatch) as info:
        ws.client.status_history(ws.program, project)
    text = run(parse(f"support --no-doctor --file {tmp_path / 't.txt'}"), Session(workspace=ws))
    rid = info.value.request_id
    assert rid and f"x-amzn-RequestId of the failing call(s): {rid}" in text
    assert ("GetProjectStatusHistory answered 200: status_history: field StatusHistory expected list, saw absent "
            "(contract mismatch)") in text
    assert "3. User account making the calls: (fill in:" in text
    assert_no_secret(text, ws.client)


def test_support_from_a_terminal_runs_doctor_and_reports_its_failures(sandbox, tmp_path, monkeypatch):
    conn = sandbox.write_connection(tmp_path / "sandbox.json")
    monkeypatch.setenv("PCNB_SANDBOX_CONNECTION", str(conn))
    text = run(parse(f"support --role mfa --file {tmp_path / 't.txt'}"), Session())
    assert "pcnb doctor (read-only checks):" in text and "[pass] api_key" in text
    assert f"1. ProgramID: {sandbox.program_id}" in text
    for secret in sandbox.credentials("mfa").values():
        assert not [v for v in encodings(secret) if v in text]


def test_pcnb_doctor_cli_prints_the_report_and_exits_1_on_a_failed_check(fresh_sandbox, tmp_path, monkeypatch,
                                                                        capsys):
    from pcnb.cli import main

    monkeypatch.setenv("PCNB_SANDBOX_CONNECTION", str(fresh_sandbox.write_connection(tmp_path / "sb.json")))
    assert main(["doctor", "--role", "applicant"]) == 0
    out = capsys.readouterr().out
    assert "[warn] admin      not an admin of the program (GetStatusList 403)" in out and "all checks passed" in out
    control(fresh_sandbox, "quirks", token_type="Basic")
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "[FAIL] token      token_type Basic, expires_in 3600s: V2 calls need a Bearer token" in out
    assert main(["doctor", "--help"]) == 0
    assert "--record DIR" in capsys.readouterr().out
