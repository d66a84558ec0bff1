"""The shared PostgreSQL store (pcnb.cache.pg, issue #28) on a real server: bad URLs and roles, a
newer schema, the read-only analyst role, and a server that goes away mid-sync."""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from urllib.parse import quote, urlsplit, urlunsplit

import polars as pl
import psycopg
import pytest

from pcnb.cache import frames
from pcnb.cache.pg import reader_grants
from pcnb.cache.store import MIGRATIONS, Store, StoreError
from pcnb.cache.sync import sync
from pcnb.config import Settings
from pcnb.sandbox import running
from pcnb.workspace import Workspace
from tests import pg
from tests.cache.helpers import cached, truth
from tests.conftest import END, FAST


@pytest.fixture(autouse=True)
def _needs_server() -> None:
    if pg.unavailable():
        pytest.skip(f"PostgreSQL server could not start: {pg.unavailable()}")


def _url(role: str, password: str, database: str = "postgres", schema: str | None = None) -> str:
    host = urlsplit(pg.admin_url())
    url = urlunsplit(("postgresql", f"{quote(role, safe='')}:{quote(password, safe='')}@{host.hostname}:{host.port}",
                      "/" + database, "", ""))
    return pg.with_schema(url, schema) if schema else url


def _admin(*statements: str) -> None:
    with psycopg.connect(pg.admin_url(), autocommit=True) as conn:
        for s in statements:
            conn.execute(s)  # type: ignore[arg-type]


def _one_line_error(target: str) -> StoreError:
    with pytest.raises(StoreError) as caught:
        Store(target)
    exc = caught.value
    assert "\n" not in exc.message and exc.hint and "\n" not in exc.hint
    return exc


def test_bad_urls_passwords_roles_and_databases_each_say_the_fix():
    password = "S3cr3t@pw/" + uuid.uuid4().hex[:6]  # URL-encoded in the URL: %40 and %2F
    role = f"r_{uuid.uuid4().hex[:8]}"
    _admin(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    wrong = _one_line_error(_url(role, password + "x"))
    assert "refused role" in wrong.message and role in wrong.message and ".pgpass" in wrong.hint
    ghost = "nobody_" + uuid.uuid4().hex[:6]  # over password auth the server does not say the role is missing
    missing_role = _one_line_error(_url(ghost, "whatever-pw"))
    assert "or no such role" in missing_role.message and ghost in missing_role.message
    assert "pcnb_reader" in missing_role.hint
    missing_db = _one_line_error(_url(role, password, database="no_such_db"))
    assert "database 'no_such_db' does not exist" in missing_db.message and "createdb" in missing_db.hint
    bad = _one_line_error(f"postgresql://{role}:{quote(password, safe='')}@127.0.0.1:notaport/postgres")
    assert "not a valid PostgreSQL URL" in bad.message and "ROLE:PASSWORD@ in front of the host" in bad.hint
    unreachable = _one_line_error(_url(role, password).replace(f":{urlsplit(pg.admin_url()).port}/", ":1/"))
    assert "cannot reach" in unreachable.message and "server is running" in unreachable.hint
    for exc in (wrong, missing_role, missing_db, bad, unreachable):  # the password in no form
        for form in (password, quote(password, safe=""), password[:-3]):
            assert form not in str(exc)
    settings = Settings(store_url=_url(role, password))
    assert password not in repr(settings) and quote(password, safe="") not in repr(settings)


def test_a_store_url_that_is_not_postgresql_is_refused_by_the_settings():
    from pcnb.errors import ConfigError

    with pytest.raises(ConfigError, match="not a PostgreSQL URL"):
        Settings(store_url="mysql://u:p@localhost/db")


def test_a_schema_of_a_newer_pcnb_is_refused():
    target = pg.fresh_schema()
    Store(target).close()
    schema = urlsplit(target).query.split("%3D")[-1]
    _admin(f'UPDATE "{schema}".pcnb_schema SET version = 99')
    exc = _one_line_error(target)
    assert "newer pcnb (schema 99)" in exc.message and "upgrade pcnb" in exc.hint


def test_migrations_are_versioned_and_run_once_on_postgresql():
    target = pg.fresh_schema()
    first = Store(target)
    assert first.schema_version == len(MIGRATIONS) and first.generation() == 0
    with first.tx() as conn:
        Store.put_state(conn, marker=1)
    again = Store(target)  # a second opener finds the schema current and migrates nothing
    assert again.schema_version == len(MIGRATIONS) and again.get_state()["marker"] == 1 and again.generation() == 1
    first.close()
    again.close()


def test_analysts_read_only_role_reads_and_journals_but_cannot_sync(fresh_sandbox, make_client):
    """The worker (writer role) syncs; an analyst (reader role) loads frames and sends a write-back
    batch, journalled in the shared store; their sync is refused with a one-line error."""
    schema, tag = f"s_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex[:6]
    writer, reader = f"w_{tag}", f"r_{tag}"
    wpw, rpw = f"Wr1ter:{tag}", f"Re@der%{tag}"
    _admin(f"CREATE ROLE {writer} LOGIN PASSWORD '{wpw}'", f"CREATE ROLE {reader} LOGIN PASSWORD '{rpw}'",
           f"CREATE SCHEMA {schema} AUTHORIZATION {writer}")
    sb = fresh_sandbox
    with Workspace(make_client(sb), sb.program_id, _url(writer, wpw, schema=schema)) as worker:
        assert worker.sync(progress=False).calls > 0
        with psycopg.connect(_url(writer, wpw, schema=schema), autocommit=True) as conn:
            for statement in reader_grants(reader, schema, writer):
                conn.execute(statement)  # type: ignore[arg-type]
    analyst = Workspace(make_client(sb), sb.program_id, _url(reader, rpw, schema=schema))
    try:
        assert analyst.projects().height == len(sb.state.projects)
        with pytest.raises(StoreError) as refused:
            sync(analyst.client, analyst.store, sb.program_id, progress=False)
        assert "read-only" in refused.value.message and "pcnb worker" in refused.value.hint
        assert rpw not in str(refused.value) and quote(rpw, safe="") not in str(refused.value)
        pid = analyst.projects().filter(pl.col("project_number").is_not_null())["project_id"][0]
        plan = analyst.plan({"action": "note", "project": pid, "subject": "Team", "text": f"team note {tag}"})
        plan.execute(confirm=True, progress=False, irreversible="sandbox")
        assert set(analyst.journal(plan.batch_id)["state"]) == {"done"}
        texts = [n.text for t in sb.state.threads.values() if t.project_id == pid for n in t.notes]
        assert texts.count(f"team note {tag}") == 1
        with pytest.raises(StoreError, match="may not write"):  # the cache itself stays the worker's
            with analyst.store.tx() as conn:
                conn.execute("DELETE FROM projects")
    finally:
        analyst.close()


@pytest.fixture
def private_server(tmp_path):
    """A cluster of this test's own: it is stopped and restarted, which the shared one must not be."""
    if not shutil.which("bash"):
        pytest.skip("no bash")
    import subprocess

    out = subprocess.run(["bash", str(pg.SCRIPT), "start", str(tmp_path / "pg")], capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip(f"PostgreSQL server could not start: {out.stderr.strip()[-200:]}")
    yield str(tmp_path / "pg"), out.stdout.strip()
    pg.stop(str(tmp_path / "pg"))


def test_server_gone_mid_sync_then_the_sync_resumes_with_nothing_lost_or_duplicated(private_server, make_client):
    folder, url = private_server
    with running(projects=100, seed=12, rate_limit=FAST, end=END) as sb:
        sb.sandbox.faults.update(latency_s=0.004)  # ~1.5 s of sync: the restart lands inside it
        store = Store(url)
        start = sb.sandbox.rate.accepted

        def crash_and_restart() -> None:
            while sb.sandbox.rate.accepted - start < 60:
                time.sleep(0.001)
            pg.restart(folder, url, down_s=0.5)

        restarter = threading.Thread(target=crash_and_restart)
        restarter.start()
        with pytest.raises(StoreError) as lost:
            sync(make_client(sb), store, sb.program_id, progress=False)
        restarter.join()
        assert "\n" not in lost.value.message and "re-run" in lost.value.hint or "server is running" in lost.value.hint
        committed = store.conn.execute("SELECT COUNT(DISTINCT project_id) FROM status_events").fetchone()[0]
        assert 0 < committed < 100
        sb.sandbox.faults.update(latency_s=0.0)
        rest = sync(make_client(sb), store, sb.program_id, progress=False)  # the same Store reconnects
        assert rest.complete and cached(store) == truth(sb)
        assert rest.histories == 100 - committed  # committed work is not fetched again
        dupes = store.conn.execute("SELECT COUNT(*) - COUNT(DISTINCT project_id || ':' || seq) FROM status_events")
        assert dupes.fetchone()[0] == 0
        assert frames.status_events(store).height == sum(len(p.history) for p in sb.state.projects.values())
        store.close()


def test_no_test_server_password_in_the_environment_of_reports():
    """The suite's own superuser URL is only ever shown redacted (the run header)."""
    from tests.conftest import _pg_status

    password = urlsplit(os.environ["PCNB_TEST_PG_URL"]).password or ""
    assert password and password not in _pg_status()


def test_the_grants_in_the_team_docs_are_what_reader_grants_returns():
    from pathlib import Path

    from tests.test_docs import blocks

    page = Path(__file__).resolve().parents[2] / "docs" / "teams.md"
    shown = [code for lang, code in blocks(page) if lang == "sql"]
    assert shown == [";\n".join(reader_grants("pcnb_reader", "public", "pcnb_writer")) + ";"]


def test_first_openers_at_once_migrate_once():
    """Several processes (here: threads, one connection each) open a new database at the same moment:
    one migrates under the advisory lock, the others find the schema current."""
    target = pg.fresh_schema()
    opened: list[Store] = []
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            opened.append(Store(target))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(opened) == 4
    assert {s.schema_version for s in opened} == {len(MIGRATIONS)}
    assert opened[0].conn.execute("SELECT COUNT(*) FROM pcnb_schema").fetchone()[0] == 1
    for s in opened:
        s.close()


def test_the_store_url_chooses_the_backend_and_the_budget(monkeypatch):
    """Workspace.open(store=URL) and PCNB_STORE_URL open the team store; the client's rate budget then
    lives on the same server; without either, the store stays this user's SQLite file."""
    from pcnb.api.budget import RateBudget
    from pcnb.api.budget_pg import ServerBudget

    target = pg.fresh_schema()
    with Workspace.open(store=target, projects=30, rate_limit=FAST) as ws:
        assert ws.store.shared and isinstance(ws.client.budget, ServerBudget)
        assert ws.sync(progress=False).calls > 0 and ws.projects().height == 30
        assert "postgresql://" in repr(ws) and (urlsplit(target).password or "") not in repr(ws)
    monkeypatch.setenv("PCNB_STORE_URL", target)
    with Workspace.open(projects=30, rate_limit=FAST) as ws:
        assert ws.store.shared and ws.store.target == target
    monkeypatch.delenv("PCNB_STORE_URL")
    with Workspace.open(projects=30, rate_limit=FAST) as ws:
        assert not ws.store.shared and isinstance(ws.client.budget, RateBudget)
