"""doctor --record saves redacted answers; sandbox --replay serves them, so a field drift becomes a test."""

from __future__ import annotations

import json

import requests

from pcnb.api.auth import Credentials
from pcnb.config import Settings
from pcnb.diagnostics import doctor as d
from pcnb.diagnostics.doctor import run_doctor
from pcnb.sandbox.quirks import Quirks
from pcnb.sandbox.replay import replaying
from tests.conftest import creds_for
from tests.diagnostics.test_support import encodings


def test_a_drift_recorded_in_the_field_replays_as_the_same_diagnosis(fresh_sandbox, tmp_path):
    requests.post(f"{fresh_sandbox.control_url}/quirks", json={"rename": "ProjectId=ProjectID", "extra": "Region=w"},
                  headers={"X-Sandbox-Control": fresh_sandbox.control_token}, timeout=10).raise_for_status()
    settings = Settings(environment="sandbox", base_url=fresh_sandbox.base_url, token_url=fresh_sandbox.token_url,
                        rate_limit=100000)
    creds = creds_for(fresh_sandbox, "mfa")
    field = run_doctor(settings, creds, fresh_sandbox.program_id, record=tmp_path / "rec")
    assert field.check("projects").result == d.FAIL
    assert f"answers recorded (secrets and personal data redacted) in {tmp_path / 'rec'}" in str(field)
    files = sorted((tmp_path / "rec").glob("*-*.json"))
    assert [f.name.split("-", 1)[1] for f in files][:3] == ["programs.json", "status_list.json", "projects.json"]
    text = "\n".join(f.read_text() for f in files)
    for value in fresh_sandbox.credentials("mfa").values():
        assert not [v for v in encodings(value) if v in text]
    owners = {p.owner_email for p in fresh_sandbox.state.projects.values()}
    assert not [e for e in owners if e and e in text]  # personal data replaced, shape kept
    page = json.loads(files[2].read_text())["body"]["Projects"]
    assert "ProjectOwner" in page[0] and page[0]["ProjectOwner"]["Email"] == "person@redacted.invalid"
    assert "ProjectID" in page[0] and "Region" in page[0]

    with replaying(tmp_path / "rec") as conn:
        assert conn["program_id"] == fresh_sandbox.program_id
        replay = Settings(environment="sandbox", base_url=conn["base_url"], token_url=conn["token_url"],
                          rate_limit=100000)
        again = run_doctor(replay, Credentials.from_dict(conn["users"]["admin"], "replay"), conn["program_id"])
    c = again.check("projects")
    assert c.result == d.FAIL and c.seen == field.check("projects").seen
    assert c.seen == "GetProjects: contract mismatch: projects: field Projects[].ProjectId expected string, saw absent"
    assert again.check("programs").result == d.PASS and again.check("admin").result == d.PASS
    assert "unknown field Projects[].Region" in again.drift


def test_quirks_parse_as_the_cli_spells_them():
    q = Quirks.parse("rename=ProjectId:ProjectID,Name:Title;token_path=/oauth2/token;no_program_access=applicant")
    assert q.reshape({"ProjectId": "A", "Name": "n"}) == {"ProjectID": "A", "Title": "n"}
    assert q.token_path == "/oauth2/token" and q.denied("applicant") and not q.denied("admin")


def test_replay_of_a_folder_that_is_no_recording_says_how_to_make_one(tmp_path, capsys):
    from pcnb.cli import main

    assert main(["sandbox", "--replay", str(tmp_path), "--connection-file", str(tmp_path / "c.json")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path} is not a pcnb recording" in err and "pcnb doctor --record DIR" in err
    assert main(["sandbox", "--quirks", "rename=ProjectId"]) == 2
    assert "quirk item 'ProjectId' must be key=value" in capsys.readouterr().err
