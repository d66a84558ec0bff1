"""Security checks with the actual secret values: a whole session (sync, write-back, errors) leaves
no credential or bearer token in any repr, log line, exception, journal, cache file or report table;
every admin-only endpoint is closed to a non-admin user, server side and then locally."""

from __future__ import annotations

import logging

import polars as pl
import pytest

from pcnb.api.client import ADMIN_ONLY
from pcnb.errors import ApiError, Forbidden, PowerClerkError
from pcnb.workspace import Workspace


def test_no_secret_anywhere_after_a_full_session(fresh_sandbox, make_client, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    sb = fresh_sandbox
    client = make_client(sb, role="mfa", mfa="totp")  # admin with a TOTP secret: the most secrets in play
    ws = Workspace(client, sb.program_id, tmp_path / "cache" / "s.sqlite")
    report = ws.sync(progress=False)
    pid = ws.projects().filter(pl.col("project_number").is_not_null())["project_id"][0]
    plan = ws.plan({"project": pid, "INSTALLER": "Secure Crew"}, action="set", form="APPLICATION")
    result = plan.execute(confirm=True, progress=False)
    sb.sandbox.identity.revoke_all()  # forces a token re-fetch mid-session
    failures: list[PowerClerkError] = []
    for call in (lambda: client.project_data(sb.program_id, "NOPE12345678", "APPLICATION"),
                 lambda: client.set_owner(sb.program_id, pid, "not-an-email"),
                 lambda: ws.plan({"project": pid, "SYSTEM_SIZE_KW": "x"}, action="set", form="APPLICATION")
                 .execute(confirm=True)):
        try:
            call()
        except PowerClerkError as exc:
            failures.append(exc)
    assert len(failures) == 3 and isinstance(failures[0], ApiError) and failures[0].request_id

    secrets = [*client.credentials.secret_values(), client.http.transport.session.token["access_token"]]
    assert len(secrets) >= 4  # api key, client secret, TOTP secret, bearer token
    texts = [repr(ws), repr(client), repr(client.http), repr(client.credentials), repr(plan), repr(result),
             str(report), caplog.text, *(str(e) + repr(e) for e in failures),
             ws.journal().write_csv(), pl.DataFrame(list(ws.store.conn.execute("SELECT * FROM ledger")),
                                                     orient="row").write_csv()]
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files)
    for secret in secrets:
        for text in texts:
            assert secret not in text
        for path in files:
            assert secret.encode() not in path.read_bytes(), path.name
    ws.close()


def test_every_admin_endpoint_is_closed_to_non_admins(sandbox, make_client):
    c = make_client(sandbox, role="applicant")
    P = sandbox.program_id
    J = next(iter(sandbox.state.projects))
    T = next(iter(sandbox.state.threads))
    args = {"all_project_data": (P, J), "status_list": (P,), "status_history": (P, J),
            "set_project_status": (P, J, "REVIEW"), "set_status_report_as": (P, J, "REVIEW", "2024-01-01T00:00:00Z",
                                                                           "suppress"),
            "export_project": (P, J), "inquiry_threads": (P, J), "inquiry_notes": (P, T),
            "set_inquiry_note": (P, J, "x", None, "s"), "set_thread_status": (P, T, "Closed"),
            "set_thread_external_id": (P, T, "EXT1"), "set_attachment_metadata": (P, J, "SLD", "Approve")}
    assert set(args) == ADMIN_ONLY
    for name, a in args.items():  # the server refuses each (role unknown locally yet)
        with pytest.raises(Forbidden) as err:
            getattr(c, name)(*a)
        assert err.value.status == 403 and err.value.request_id, name
    assert c.detect_role(P) is False
    calls = c.http.calls
    for name, a in args.items():  # once the role is known: refused before any call
        with pytest.raises(Forbidden, match="admin-only"):
            getattr(c, name)(*a)
    assert c.http.calls == calls
