"""Assumed contract facts are one setting away: page limit, changed_since format, token path, API prefix."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from pcnb.api.auth import Credentials
from pcnb.api.client import PowerClerkClient
from pcnb.api.transport import FakeTransport
from pcnb.cache.store import Store
from pcnb.cache.sync import sync
from pcnb.config import Settings, load_settings
from pcnb.errors import AuthError, InputError, PowerClerkError
from tests.conftest import creds_for


def test_page_limit_setting_drives_validation_and_sync_pages(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("PCNB_PAGE_LIMIT", "128")
    s = load_settings(cwd=tmp_path, environment="sandbox", base_url=sandbox.base_url, token_url=sandbox.token_url,
                      rate_limit=100000)
    assert s.page_limit == 128 and s.sources["page_limit"] == "PCNB_PAGE_LIMIT"
    client = PowerClerkClient(s, creds_for(sandbox), budget=None)
    with pytest.raises(InputError, match="PCNB_PAGE_LIMIT"):
        client.projects(sandbox.program_id, limit=129)
    store = Store(tmp_path / "s.sqlite")
    report = sync(client, store, sandbox.program_id, progress=False, inquiries=False)
    assert report.complete and report.projects_seen == 300
    assert report.pages == 3  # 128 + 128 + 44: the setting, not the documented 1000, sized the pages
    store.close()


def test_changed_since_format_setting_reaches_the_wire():
    fake = FakeTransport({"GET /Programs/{p}/Projects": (200, {"Projects": []})})
    settings = Settings(environment="custom", base_url="http://fake/v2", token_url="http://fake/token",
                        changed_since_format="%Y-%m-%dT%H:%M:%SZ")
    client = PowerClerkClient(settings, Credentials(api_key="k", client_id="c", client_secret="s"), budget=None,
                              transport=fake)
    client.projects("P", changed_since=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert fake.sent[-1].params == {"changed_since": "2026-01-02T03:04:05Z"}
    default = PowerClerkClient(Settings(environment="custom", base_url="http://fake/v2", token_url="http://t"),
                               Credentials(api_key="k", client_id="c", client_secret="s"), budget=None,
                               transport=fake)
    default.projects("P", changed_since=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert fake.sent[-1].params == {"changed_since": "2026-01-02T03:04:05+00:00"}


def test_token_endpoint_at_another_path_is_one_setting_away(fresh_sandbox):
    r = requests.post(f"{fresh_sandbox.control_url}/quirks", json={"token_path": "/oauth2/token"},
                      headers={"X-Sandbox-Control": fresh_sandbox.control_token}, timeout=10)
    r.raise_for_status()
    creds = creds_for(fresh_sandbox)
    documented = PowerClerkClient(Settings(environment="sandbox", base_url=fresh_sandbox.base_url,
                                           token_url=fresh_sandbox.token_url), creds, budget=None)
    with pytest.raises(PowerClerkError) as info:
        documented.programs()
    # was: TransportError "no success after 5 attempts" (authlib kept the 404 body as the token)
    assert isinstance(info.value, AuthError)
    assert "the token endpoint answered 404 without an access_token" in str(info.value)
    assert "PCNB_TOKEN_URL" in str(info.value) and info.value.request_id
    moved = fresh_sandbox.token_url.replace("/connect/token", "/oauth2/token")
    fixed = PowerClerkClient(Settings(environment="sandbox", base_url=fresh_sandbox.base_url, token_url=moved),
                             creds_for(fresh_sandbox), budget=None)
    assert fixed.programs()["Programs"][0]["ProgramId"] == fresh_sandbox.program_id
