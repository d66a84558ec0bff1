"""The sync state machine on the in-memory FakeTransport: pure logic, milliseconds, no server.

(test_sync.py runs the same guarantees end to end over HTTP against the real sandbox.)
"""

from __future__ import annotations

from typing import Any

from pcnb.api.auth import Credentials
from pcnb.api.client import PowerClerkClient
from pcnb.api.transport import FakeTransport, WireRequest
from pcnb.cache.store import Store
from pcnb.cache.sync import sync
from pcnb.contract import parse_changed_since, parse_timestamp

P = "PROGRAM00001"


class FakeProgram:
    """Two projects with histories and one inquiry thread, answered by route handlers."""

    def __init__(self) -> None:
        self.projects = {f"PROJ0000000{i}": self._project(i, f"2026-01-0{i}T10:00:00+00:00") for i in (1, 2)}
        self.fake = FakeTransport({
            "GET /Programs/{p}/Projects": self.list_projects,
            "GET /Programs/{p}/Projects/{id}/StatusHistory": self.history,
            "GET /Programs/{p}/Projects/{id}/InquiryThreads": self.threads,
            "GET /Programs/{p}/InquiryThreads/{t}/Notes": (200, {"Notes": [
                {"NoteId": "N1", "Text": "hello", "Timestamp": "2026-01-02T10:00:00+00:00"}]}),
        })

    @staticmethod
    def _project(i: int, changed: str, status: str = "SUBMITTED") -> dict[str, Any]:
        return {"ProjectId": f"PROJ0000000{i}", "ProgramId": P, "ProjectNumber": f"DGI-0000{i}",
                "CurrentStatus": {"StatusId": status, "Name": status.title(), "Timestamp": changed},
                "LastChangeTimestamp": changed}

    def list_projects(self, request: WireRequest) -> tuple[int, Any]:
        since = (request.params or {}).get("changed_since")
        rows = [p for p in self.projects.values()
                if since is None or parse_timestamp(p["LastChangeTimestamp"]) >= parse_changed_since(since)]
        return 200, {"Projects": rows, "RequestTimestamp": "2026-02-01T00:00:00+00:00"}

    def history(self, request: WireRequest) -> tuple[int, Any]:
        p = self.projects[request.path.split("/")[-2]]
        return 200, {"StatusHistory": [{"StatusId": p["CurrentStatus"]["StatusId"], "Name": "x",
                                        "Timestamp": p["CurrentStatus"]["Timestamp"], "ChangedBy": "Pat"}]}

    def threads(self, request: WireRequest) -> tuple[int, Any]:
        pid = request.path.split("/")[-2]
        return 200, {"InquiryThreads": [{"ThreadId": f"T{pid[-1]}", "Subject": "s", "Status": "Open",
                                         "LastNoteTimestamp": "2026-01-02T10:00:00+00:00"}] if pid.endswith("1")
                     else []}

    def client(self) -> PowerClerkClient:
        return PowerClerkClient(base_url="http://fake/v2", token_url="http://fake/token", budget=None,
                                credentials=Credentials(api_key="k", client_id="c", client_secret="s"),
                                transport=self.fake)


def test_first_sync_then_incremental_spends_only_what_changed(tmp_path):
    program, store = FakeProgram(), Store(tmp_path / "c.sqlite")
    client = program.client()
    first = sync(client, store, P, progress=False)
    assert first.complete and first.calls == 1 + 2 + 2 + 1  # page + histories + inquiries + notes of one thread
    assert store.conn.execute("SELECT COUNT(*) FROM projects").fetchone()[0] == 2 and store.pending() == 0
    quiet = sync(client, store, P, progress=False)
    assert quiet.complete and quiet.calls == 1  # one page, nothing changed: no per-project call
    program.projects["PROJ00000002"] = program._project(2, "2026-01-20T10:00:00+00:00", "REVIEW")
    moved = sync(client, store, P, progress=False)
    assert moved.calls == 1 + 1 + 1 and moved.histories == 1  # page + the changed project's history + inquiries
    assert store.conn.execute("SELECT status_id FROM projects WHERE project_id = 'PROJ00000002'").fetchone() == (
        "REVIEW",)


def test_a_stopped_sync_resumes_without_repeating_committed_work(tmp_path):
    program, store = FakeProgram(), Store(tmp_path / "c.sqlite")
    client = program.client()
    stopped = sync(client, store, P, progress=False, max_calls=2)
    assert not stopped.complete and stopped.calls == 2 and store.pending() == 3
    rest = sync(client, store, P, progress=False)
    assert rest.complete and rest.calls == 4 - 0 and store.pending() == 0
    assert len(program.fake.sent) == 6  # exactly the calls of one complete sync: nothing fetched twice


def test_a_non_admin_is_settled_by_the_first_403(tmp_path):
    program, store = FakeProgram(), Store(tmp_path / "c.sqlite")
    for admin_only in ("StatusHistory", "InquiryThreads"):
        program.fake.route(f"GET /Programs/{{p}}/Projects/{{id}}/{admin_only}", (403, {"message": "admins only"}))
    client = program.client()
    report = sync(client, store, P, progress=False)
    assert report.complete and report.skipped and client.is_admin is False
    assert report.calls == 2  # the page and one 403: the other admin-only items are dropped, not tried
