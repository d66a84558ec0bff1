"""Shared fixtures: a real sandbox server on 127.0.0.1 and clients talking HTTP to it."""

from __future__ import annotations

import copy
import os
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from pcnb import clock
from pcnb.api.auth import Credentials
from pcnb.api.budget import RateBudget
from pcnb.api.client import PowerClerkClient
from pcnb.config import Settings
from pcnb.redact import redact_url
from pcnb.sandbox import SandboxHandle, running
from pcnb.sandbox.generator import generate
from pcnb.sandbox.state import State
from tests import pg

# One frozen instant for the whole run: every generated test history ends at END, the start of the
# run's day (UTC), as the sandbox's own default does. Nothing in the tests is a calendar date of the
# real world, so the suite passes on any date; scripts/moved-clock.sh runs it under moved clocks.
NOW = clock.now()
END = clock.midnight()
FAST = "100000/60"
# The residential sandbox program's roles, for tests that call analytics directly (product code
# takes them from the program profile; tests of other programs read them from their profiles).
FINAL = ("Permission to Operate", "Withdrawn", "Rejected")
INTAKE, COMPLETION = "Application Submitted", "Permission to Operate"
REVIEW, RETURNED, DRAFT = "Application Review", "Returned to Applicant", ("Unsubmitted",)
APPLICANT_HELD = ("Returned to Applicant",)
OUTCOMES = {"reached_pto": ["Permission to Operate"], "withdrawn": ["Withdrawn", "Rejected"]}


def pytest_report_header() -> list[str]:
    moved = os.environ.get("PCNB_TEST_CLOCK")
    return [f"clock: {NOW:%Y-%m-%d %H:%M} UTC" + (f" (moved to {moved} by PCNB_TEST_CLOCK)" if moved else ""),
            _pg_status()]


def _pg_status() -> str:
    why = pg.unavailable()
    if why:
        return f"PostgreSQL: NOT AVAILABLE, its store variants are skipped ({why})"
    return f"PostgreSQL: store variants run against {redact_url(pg.admin_url())}"


def pytest_configure(config: pytest.Config) -> None:
    """A moved clock that did not take (PYTHONPATH without tests/clock) must not pass as a moved run.
    The first process of a run (not an xdist worker) starts the PostgreSQL test server if none is
    given (tests/pg.py); workers inherit its URL."""
    moved = os.environ.get("PCNB_TEST_CLOCK")
    if moved and abs((datetime.fromisoformat(moved.replace("Z", "+00:00")) - NOW).total_seconds()) > 3600:
        raise pytest.UsageError(f"PCNB_TEST_CLOCK={moved} is set but the clock says {NOW}: run through "
                                "scripts/moved-clock.sh (it puts tests/clock on PYTHONPATH)")
    if not hasattr(config, "workerinput"):
        config._pcnb_pg_folder = pg.start_if_needed()  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = getattr(config, "_pcnb_pg_folder", None)
    if folder:
        pg.stop(folder)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say in the summary whether the PostgreSQL variants ran or were skipped (and why)."""
    terminalreporter.write_line(_pg_status(), yellow=bool(pg.unavailable()))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_backend(request) -> str:
    """Run a store/sync/journal test on both backends (issue #28); PostgreSQL skips only when its
    server could not start (the run's header and summary say so)."""
    if request.param == "postgresql" and pg.unavailable():
        pytest.skip(f"PostgreSQL server could not start: {pg.unavailable()}")
    return request.param


@pytest.fixture
def store_at(store_backend, tmp_path) -> Callable[[str], str]:
    """Factory: a store's name -> its target on this test's backend (an SQLite file in tmp_path, or
    a fresh schema of the test server); the same name gives the same store."""
    made: dict[str, str] = {}

    def target(name: str = "store") -> str:
        if name not in made:
            made[name] = str(tmp_path / f"{name}.sqlite") if store_backend == "sqlite" else pg.fresh_schema()
        return made[name]
    return target


#: test modules that kill processes at timed points, measure a shared rate budget, or wait on a
#: worker's or a thread's timing: CI runs their slow tests one at a time (`-m "slow and serial" -n 0`),
#: where nothing else competes for the 2 cores; the rest of the slow tier runs on both cores
SERIAL = {"tests/reliability", "tests/cache/test_sync.py", "tests/cache/test_scope.py", "tests/api/test_budget.py",
          "tests/test_worker.py", "tests/test_background.py", "tests/widgets/test_login_browser.py",
          "tests/test_screenshots.py"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Whole-notebook runs (nbmake items of notebooks/) belong to the slow tier; the timing-sensitive
    modules (SERIAL) are marked ``serial``."""
    root = Path(__file__).resolve().parents[1]
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
        where = item.path.resolve().relative_to(root).as_posix() if item.path.is_relative_to(root) else ""
        if any(where == m or where.startswith(m + "/") for m in SERIAL):
            item.add_marker(pytest.mark.serial)


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep rate-limit buckets and stores out of the user's real cache/data dirs."""
    base = tmp_path_factory.getbasetemp()
    monkeypatch.setenv("PCNB_CACHE_DIR", str(base / "cache"))
    monkeypatch.setenv("PCNB_DATA_DIR", str(base / "data"))
    for var in ("PCNB_API_KEY", "PCNB_CLIENT_ID", "PCNB_CLIENT_SECRET", "PCNB_MFA_TOTP_SECRET",
                "PCNB_MFA_SESSION_TOKEN", "PCNB_ENVIRONMENT"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxHandle]:
    """A shared sandbox for read-mostly tests (300 projects, no practical rate limit)."""
    with running(projects=300, seed=11, rate_limit=FAST, end=END) as sb:
        yield sb


@pytest.fixture(scope="session")
def _fresh_state() -> State:
    """The private sandboxes' program and projects, generated once per run (each test gets a copy)."""
    return generate(120, seed=5, end=END)


@pytest.fixture
def fresh_sandbox(_fresh_state: State) -> Iterator[SandboxHandle]:
    """A private sandbox for tests that mutate state or inject faults: a copy of the saved state, so
    what one test writes no other test sees."""
    with running(rate_limit=FAST, state=copy.deepcopy(_fresh_state)) as sb:
        yield sb


@pytest.fixture(scope="session")
def _synced_store(_fresh_state: State, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store synced from the private sandboxes' state, built once per run; ``ws`` copies it instead
    of syncing again (the same data: every fresh sandbox starts from that state)."""
    from pcnb.workspace import Workspace

    path = tmp_path_factory.mktemp("synced") / "store.sqlite"
    with running(rate_limit=FAST, state=copy.deepcopy(_fresh_state)) as sb:
        settings = Settings(environment="sandbox", base_url=sb.base_url, token_url=sb.token_url,
                            rate_limit=sb.rate_limit[0], rate_period=sb.rate_limit[1])
        creds = creds_for(sb)
        budget = RateBudget(creds.api_key or "", settings.rate_limit, settings.rate_period,
                            path=path.with_name("budget.sqlite"))
        w = Workspace(PowerClerkClient(settings, creds, budget=budget), sb.program_id, path)
        w.sandbox_program = sb.state.program
        w.sync(progress=False)
        w.close()  # checkpoints the WAL: the one file holds everything
    return path


def creds_for(sb: SandboxHandle, role: str = "admin", mfa: str | None = "totp") -> Credentials:
    c = sb.credentials(role)
    keep = {"api_key", "client_id", "client_secret"}
    if role == "mfa" and mfa == "totp":
        keep.add("mfa_totp_secret")
    elif role == "mfa" and mfa == "session":
        keep.add("mfa_session_token")
    return Credentials.from_dict({k: v for k, v in c.items() if k in keep}, "argument")


@pytest.fixture
def make_client(tmp_path) -> Callable[..., PowerClerkClient]:
    """Factory: a client for a sandbox, role and format with a private budget file."""
    def make(sb: SandboxHandle, role: str = "admin", fmt: str = "json", mfa: str | None = "totp",
             limit: int | None = None, period: float | None = None, **kw) -> PowerClerkClient:
        settings = Settings(environment="sandbox", base_url=sb.base_url, token_url=sb.token_url, format=fmt,
                            rate_limit=limit or sb.rate_limit[0], rate_period=period or sb.rate_limit[1])
        creds = creds_for(sb, role, mfa)
        budget = RateBudget(creds.api_key or "", settings.rate_limit, settings.rate_period,
                            path=tmp_path / f"budget-{role}-{fmt}.sqlite")
        return PowerClerkClient(settings, creds, budget=budget, **kw)
    return make


@pytest.fixture
def ws(fresh_sandbox, make_client, tmp_path, _synced_store):
    """An admin workspace on a private sandbox, synced (a copy of the run's synced store; write-back
    and widget tests change it)."""
    from pcnb.workspace import Workspace

    shutil.copyfile(_synced_store, tmp_path / "store.sqlite")
    w = Workspace(make_client(fresh_sandbox), fresh_sandbox.program_id, tmp_path / "store.sqlite")
    w.sandbox_program = fresh_sandbox.state.program  # as Workspace.sandbox does: the profile gets its deadlines
    yield w
    w.close()


def writes(ws) -> list[str]:
    """Endpoints of the write operations a workspace's client sent (from the store's ledger)."""
    return [r[0] for r in ws.store.conn.execute("SELECT endpoint FROM ledger WHERE method = 'POST' ORDER BY id")]


def parameters_notebook(path: Path, *cells: str) -> Path:
    """A notebook with a papermill ``parameters`` cell (``label``) and these code cells, for report tests."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [new_code_cell("label = 'x'", metadata={"tags": ["parameters"]}), *map(new_code_cell, cells)]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="session")
def _pc_session():
    """A %powerclerk Session connected to a synced 80-project sandbox, for the completion, query
    and option tests: built once, and kept apart from the sessions other test modules connect on
    the same (singleton) shell."""
    from IPython.core.interactiveshell import InteractiveShell

    from pcnb.commands import Session

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pcnb")
    magic = shell.magics_manager.registry["PowerClerkMagic"]
    saved, magic.session = magic.session, Session(namespace=shell.user_ns)
    try:
        shell.run_line_magic("powerclerk", "connect --sandbox --projects 80 --seed 4")
        shell.run_line_magic("powerclerk", "sync")
        mine = magic.session
    finally:
        magic.session = saved
    yield mine
    if mine.workspace is not None:
        mine.workspace.close()


@pytest.fixture
def pc(_pc_session):
    """The shell with that session in its %powerclerk magic for one test (restored after)."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pcnb")
    magic = shell.magics_manager.registry["PowerClerkMagic"]
    saved, magic.session = magic.session, _pc_session
    _pc_session.namespace = shell.user_ns
    names = dict(shell.user_ns)  # what a test defines (`status = ...`) must not reach the next one's Tab
    yield shell
    magic.session = saved
    shell.user_ns.clear()
    shell.user_ns.update(names)


def complete_in(shell, text: str, offset: int | None = None) -> list[str]:
    """What Tab offers at ``offset`` (default: the end) of ``text``, as the notebook front end asks."""
    from IPython.core.completer import provisionalcompleter

    offset = len(text) if offset is None else offset
    with provisionalcompleter():
        return [c.text for c in shell.Completer.completions(text, offset)]
