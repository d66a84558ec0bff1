"""The vendor article's integration pattern, in plain requests (not pcnb's client), works unmodified."""

from __future__ import annotations

import base64

import requests


def test_vendor_article_pattern(fresh_sandbox):
    sb = fresh_sandbox
    c = sb.credentials("admin")
    basic = base64.b64encode(f"{c['client_id']}:{c['client_secret']}".encode()).decode()
    tok = requests.post(sb.token_url, headers={"Authorization": f"Basic {basic}",
                                               "Content-Type": "application/x-www-form-urlencoded"},
                        data="grant_type=client_credentials", timeout=10).json()
    assert tok["token_type"] == "Bearer" and tok["expires_in"] == 3600
    headers = {"X-ApiKey": c["api_key"], "Authorization": f"Bearer {tok['access_token']}"}
    base = f"{sb.base_url}/Programs/{sb.program_id}"
    new = requests.post(f"{base}/NewProject", headers=headers, timeout=10).json()["Project"]
    pid = new["ProjectId"]
    form = next(f for f in new["Forms"] if f["Name"] == "Interconnection Application")["FormId"]
    schema = requests.get(f"{base}/Forms/{form}/Schema", headers=headers, timeout=10).json()["FormSchema"]
    ids = {f["Name"]: f["DataFieldId"] for f in schema["DataFields"]}
    body = {"Project": {"DataFields": [
        {"DataFieldId": ids["System Size (kW AC)"], "Value": "6.2"},
        {"DataFieldId": ids["Technology"], "Value": "Solar PV"},
        {"DataFieldId": ids["Installer"], "Value": "Vendor Test"},
        {"DataFieldId": ids["Site Address"], "Name": "Site Address", "Value": "9 Elm St"}]}}
    r = requests.post(f"{base}/Projects/{pid}/Forms/{form}/Draft/Data", headers=headers, json=body, timeout=10)
    assert r.status_code == 200 and r.json()["Project"]["CanSubmit"] is True
    att = schema["Attachments"][0]["AttachmentId"]
    up = requests.post(f"{base}/Projects/{pid}/Forms/{form}/Draft/Attachments/{att}/Upload",
                       headers={**headers, "Content-Type": "application/pdf",
                                "Content-Disposition": 'attachment; filename="plan.pdf"'},
                       data=b"%PDF-1.7 plan", timeout=10)
    assert up.status_code == 200
    sub = requests.post(f"{base}/Projects/{pid}/Forms/{form}/Draft/Submit", headers=headers, timeout=10)
    assert sub.json()["Project"]["CurrentStatus"]["Name"] == "Application Submitted"
    data = requests.get(f"{base}/Projects/{pid}/Forms/{form}/Data", headers=headers, timeout=10).json()
    values = {f["Name"]: f["Value"] for f in data["Project"]["DataFields"]}
    assert values["Site Address"] == "9 Elm St" and values["System Size (kW AC)"] == "6.2"
    dl = requests.get(f"{base}/Projects/{pid}/Forms/{form}/Attachments/{att}/Download", headers=headers, timeout=10)
    assert dl.content == b"%PDF-1.7 plan" and 'filename="plan.pdf"' in dl.headers["Content-Disposition"]
    assert dl.headers["x-amzn-RequestId"]
