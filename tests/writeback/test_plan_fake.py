"""The planner on the in-memory FakeTransport and a stub target: pure logic, milliseconds, no server.

(test_plan.py checks the same rules end to end against the real sandbox.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from pcnb import writeback
from pcnb.api.auth import Credentials
from pcnb.api.client import PowerClerkClient
from pcnb.api.transport import FakeTransport
from pcnb.cache.store import Store

P = "PROGRAM00001"
FORM = {"FormId": "FORM00000001", "CustomId": "APPLICATION", "Name": "Application"}
SCHEMA = {"FormSchema": {"DataFields": [
    {"DataFieldId": "F1", "CustomId": "SYSTEM_SIZE_KW", "Name": "System size", "Type": "Number",
     "Properties": {"Min": 0, "Max": 100}},
    {"DataFieldId": "F2", "CustomId": "INSTALLER", "Name": "Installer", "Type": "Text"}]}}


class StubStore(Store):
    """A real (empty) SQLite store whose cached status list is these three statuses."""

    def status_refs(self) -> list[tuple[str, str | None, str]]:
        return [("S1", "SUB", "Submitted"), ("S2", "REV", "Review"), ("S3", "PTO", "Done")]


class StubTarget:
    """What the engine needs (writeback.model.Target), with no Workspace, store file or server."""

    program = P

    def __init__(self, folder: Path) -> None:
        self.fake = FakeTransport({
            "GET /Programs/{p}/StatusList": (200, {"Statuses": []}),
            "GET /Programs/{p}/Forms": (200, {"Forms": [FORM]}),
            "GET /Programs/{p}/Forms/{f}/Schema": (200, SCHEMA),
            "GET /Programs/{p}/Projects/{id}/Forms/{f}/Data": (200, {"Project": {"DataFields": [
                {"DataFieldId": "F1", "Value": "5"}, {"DataFieldId": "F2", "Value": "Sam"}]}}),
        })
        self.client = PowerClerkClient(base_url="http://fake/v2", token_url="http://fake/token", budget=None,
                                       credentials=Credentials(api_key="k", client_id="c", client_secret="s"),
                                       transport=self.fake)
        self.store: Any = StubStore(folder / "store.sqlite")

    def projects(self) -> pl.DataFrame:
        return pl.DataFrame({"project_id": ["PROJ00000001"], "project_number": ["DGI-00001"],
                             "status": ["Submitted"], "status_id": ["S1"], "owner_email": ["a@b.example"]})

    def status_events(self) -> pl.DataFrame:
        return pl.DataFrame({"project_id": ["X", "X", "X"], "seq": [0, 1, 2],
                             "status": ["Submitted", "Review", "Done"]})

    def inquiry_threads(self) -> pl.DataFrame:
        return pl.DataFrame(schema={"thread_id": pl.String, "project_id": pl.String, "subject": pl.String,
                                    "status": pl.String})


def test_values_are_checked_against_the_schema_and_the_diff_shows_before_values(tmp_path):
    target = StubTarget(tmp_path)
    plan = writeback.plan(target, [{"project": "DGI-00001", "SYSTEM_SIZE_KW": "7.5", "INSTALLER": "Sam"}],
                          action="set", form="APPLICATION")
    assert plan.ok and plan.diff.select("target", "current", "new", "check").rows() == [
        ("System size", "5", "7.5", "ok"), ("Installer", "Sam", "Sam", "ok")]
    bad = writeback.plan(target, [{"project": "DGI-00001", "SYSTEM_SIZE_KW": "700"}], action="set", form="APPLICATION")
    assert not bad.ok and "above the maximum" in bad.problems["check"][0]
    assert all(r.method == "GET" for r in target.fake.sent)  # planning never writes


def test_status_moves_follow_the_observed_workflow(tmp_path):
    target = StubTarget(tmp_path)
    ok = writeback.plan(target, [{"project": "DGI-00001", "status": "Review"}], action="status")
    assert ok.ok and ok.diff.select("current", "new").row(0) == ("Submitted", "Review")
    skip = writeback.plan(target, [{"project": "DGI-00001", "status": "Done"}], action="status")
    assert "not a transition" in skip.problems["check"][0]
    unknown = writeback.plan(target, [{"project": "nope", "status": "Nowhere"}], action="status")
    assert {"not in the cache", "is unknown"} <= {w for c in unknown.problems["check"] for w in
                                                    ("not in the cache", "is unknown") if w in c}
