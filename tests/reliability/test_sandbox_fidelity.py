"""Issue #16 items 9-10: the sandbox masks sensitive data on every path, and files naming credentials are 0600."""

from __future__ import annotations

import stat

import pyotp
import requests

from pcnb.sandbox import running
from tests.conftest import END, FAST


def _headers(sb, role: str, mfa: bool = False) -> dict[str, str]:
    c = sb.credentials(role)
    token = requests.post(sb.token_url, data={"grant_type": "client_credentials"},
                          auth=(c["client_id"], c["client_secret"]), timeout=10).json()["access_token"]
    h = {"X-ApiKey": c["api_key"], "Authorization": f"Bearer {token}"}
    if mfa:
        h["Mfa-One-Time-Password"] = pyotp.TOTP(c["mfa_totp_secret"]).now()
    return h


def test_sensitive_values_are_masked_in_export_and_not_confirmable_by_search():
    with running(projects=30, seed=4, rate_limit=FAST, end=END) as sb:
        p = next(p for p in sb.state.projects.values() if p.submitted.get("APPLICATION", {}).get("ACCOUNT_NUMBER"))
        account = p.submitted["APPLICATION"]["ACCOUNT_NUMBER"]
        base = f"{sb.base_url}/Programs/{sb.program_id}"
        admin = _headers(sb, "admin")  # an admin without MFA or the sensitive-data privilege
        export = requests.get(f"{base}/Projects/{p.project_id}/Export", headers=admin, timeout=10)
        assert export.status_code == 200 and account not in export.text
        shown = [f["Value"] for g in export.json()["Project"]["Groups"] for f in g["DataFields"]
                 if f["CustomId"] == "ACCOUNT_NUMBER"]
        assert shown == ["*" * (len(account) - 4) + account[-4:]]
        data = requests.get(f"{base}/Projects/{p.project_id}/Forms/APPLICATION/Data", headers=admin, timeout=10)
        assert account not in data.text  # the two read paths agree

        guess = requests.post(f"{base}/Projects/ByData", headers=admin, timeout=10,
                              json={"Fields": [{"DataFieldId": "ACCOUNT_NUMBER", "Content": account}]})
        assert guess.status_code == 403 and "sensitive" in guess.json()["message"]
        assert p.project_id not in guess.text

        secure = _headers(sb, "mfa", mfa=True)  # MFA + privilege + reveal: both work in clear
        export = requests.get(f"{base}/Projects/{p.project_id}/Export", headers=secure, timeout=10,
                              params={"reveal_sensitive_data": "true"})
        assert account in export.text
        found = requests.post(f"{base}/Projects/ByData", headers=secure, params={"reveal_sensitive_data": "true"},
                              json={"Fields": [{"DataFieldId": "ACCOUNT_NUMBER", "Content": account}]}, timeout=10)
        assert found.status_code == 200 and [x["ProjectId"] for x in found.json()["Projects"]] == [p.project_id]


def test_connection_file_is_narrowed_to_0600_even_when_it_existed(tmp_path):
    path = tmp_path / "sandbox.json"
    path.write_text("{}")
    path.chmod(0o644)
    with running(projects=5, seed=1, rate_limit=FAST, end=END) as sb:
        sb.write_connection(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sb.credentials("admin")["client_secret"] in path.read_text()
