"""Issue #25, item 5: a cache file belongs to one program of one server. Another server's program
with the same id -- reached through Custom URLs, like the first -- is refused before anything is
written; a sandbox restarted on a new port keeps its cache. Real sandboxes, real SQLite."""

from __future__ import annotations

import dataclasses

import pytest

from pcnb.api.client import PowerClerkClient
from pcnb.cache import owner
from pcnb.cache.store import Store, StoreError
from pcnb.config import Settings
from pcnb.sandbox import running
from pcnb.sandbox.definition import load
from pcnb.workspace import Workspace
from tests.conftest import END, FAST, creds_for


def custom_client(sb, tmp_path, environment: str = "custom") -> PowerClerkClient:
    settings = Settings(environment=environment, base_url=sb.base_url, token_url=sb.token_url, rate_limit=100000)
    from pcnb.api.budget import RateBudget

    creds = creds_for(sb, "admin")
    return PowerClerkClient(settings, creds, budget=RateBudget(creds.api_key or "", 100000, 60,
                                                               path=tmp_path / f"b-{sb.base_url[-20:-12]}.sqlite"))


def _counts(path) -> tuple[int, object]:
    store = Store(path)
    try:
        count = int(store.conn.execute("SELECT COUNT(*) FROM projects").fetchone()[0])
        return count, store.get_state().get("watermark")
    finally:
        store.close()


def test_another_servers_program_with_the_same_id_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "shared.sqlite"
    other = dataclasses.replace(load("residential"), name="Another Utility Interconnection")
    with running(projects=30, seed=5, rate_limit=FAST, end=END) as first, \
            running(projects=25, seed=9, rate_limit=FAST, end=END, program=other) as second:
        assert first.program_id == second.program_id  # the same id: only the server tells them apart
        with Workspace(custom_client(first, tmp_path), first.program_id, path) as ws:
            ws.sync(progress=False)
        before = _counts(path)
        assert before[0] == 30
        with Workspace(custom_client(second, tmp_path), second.program_id, path) as ws, \
                pytest.raises(StoreError) as err:
            ws.sync(progress=False)
        assert _counts(path) == before  # nothing of the second server was written
        message, fix = str(err.value).split("\n  fix: ")
        assert f"the server at {second.base_url} names program" in message
        assert "(Distributed Generation Interconnection) of" in message, message
        assert message.endswith(f"names program '{second.program_id}' (Another Utility Interconnection): "
                                "another server's data is not mixed in"), message
        assert "\n" not in message and "PCNB_STORE_PATH" in fix


def test_a_sandbox_restarted_on_a_new_port_keeps_its_cache(tmp_path):
    path = tmp_path / "s.sqlite"
    with running(projects=30, seed=5, rate_limit=FAST, end=END) as sb:
        with Workspace(custom_client(sb, tmp_path, "sandbox"), sb.program_id, path) as ws:
            ws.sync(progress=False)
        old = sb.base_url
    with running(projects=30, seed=5, rate_limit=FAST, end=END) as again:
        assert again.base_url != old
        with Workspace(custom_client(again, tmp_path, "sandbox"), again.program_id, path) as ws:
            report = ws.sync(progress=False)
            assert report.complete and ws.projects().height == 30
            record = ws.store.get_state()["owner"]
            assert record["base_url"] == again.base_url and record["identity"]["CustomId"]
            calls = ws.client.calls
            ws.sync(progress=False)
            # the server is known now: no GetPrograms again; one page, and the program's status list and
            # forms (pcnb.cache.catalog: what changed in the program)
            assert ws.client.calls - calls == 3
        with Workspace(custom_client(again, tmp_path), again.program_id, path) as ws:  # as Custom URLs too
            assert ws.sync(progress=False).complete


def test_custom_urls_of_another_host_are_refused_when_the_file_is_opened(tmp_path):
    store = Store(tmp_path / "c.sqlite")
    try:
        owner.claim(store, "custom", "P1", "https://gw-a.example/services/v2")
        owner.claim(store, "custom", "P1", "https://user:pw@GW-A.example:443/services/v2/?k=1")  # the same server
        with pytest.raises(StoreError) as err:
            owner.claim(store, "custom", "P1", "https://gw-b.example/services/v2")
        message, fix = str(err.value).split("\n  fix: ")
        assert message.endswith("holds program 'P1' of https://gw-a.example:443/services/v2, not of "
                                "https://gw-b.example:443/services/v2"), message
        assert "PCNB_STORE_PATH" in fix
    finally:
        store.close()
