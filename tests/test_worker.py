"""pcnb.worker (issue #28): the team's sync worker, on both store backends, through PowerClerk
outages, and stopped by SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pcnb.commands import Session, parse, run
from pcnb.errors import InputError
from pcnb.worker import Worker, last_run, parse_every
from pcnb.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]


def test_every_takes_a_number_and_a_unit():
    assert [parse_every(t) for t in ("90s", "15m", "1h", "1d", "0.5m")] == [90, 900, 3600, 86400, 30]
    for bad in ("15", "15x", "m", "", "0s"):
        with pytest.raises(InputError, match="not an interval") as caught:
            parse_every(bad)
        assert "15m" in caught.value.hint and "\n" not in caught.value.message


def test_worker_runs_survive_an_outage_and_info_shows_the_last_run(fresh_sandbox, make_client, store_at):
    sb, lines = fresh_sandbox, []
    worker = Worker(lambda: Workspace(make_client(sb, max_attempts=2, backoff_cap=0.1), sb.program_id,
                                      store_at("team")), 60, lines.append)
    first = worker.run_once()
    assert first.outcome == "complete" and first.calls > 0 and first.errors == 0
    sb.sandbox.faults.update(error_rate=1.0)  # PowerClerk answers 503 to everything
    try:
        down = worker.run_once()
    finally:
        sb.sandbox.faults.update(error_rate=0.0)
    assert down.outcome.startswith(("failed: Service Unavailable", "paused: PowerClerk could not be reached"))
    assert down.errors >= 1 and down.calls == 0
    again = worker.run_once()
    assert again.outcome == "complete" and again.errors == 0
    assert len(lines) == 3 and all(line.startswith("worker run ") and "\n" not in line for line in lines)
    assert down.outcome in lines[1]
    ws = worker.ws
    recorded = last_run(ws.store)
    assert recorded is not None and recorded.at == again.at and recorded.calls == again.calls
    session = Session()
    session.workspace = ws
    info = run(parse("info"), session)
    assert "worker run " in info and f"{again.calls} calls, 0 errors" in info
    worker.loop(once=True)  # the loop closes the workspace at its end


def test_a_store_that_cannot_be_opened_is_a_failed_run_not_a_crash():
    lines: list[str] = []

    def unreachable() -> Workspace:
        from pcnb.cache.store import Store

        Store("postgresql://pcnb:secret-pw-123@127.0.0.1:1/none")  # nothing listens on port 1
        raise AssertionError("unreachable")

    record = Worker(unreachable, 60, lines.append).run_once()
    assert record.outcome.startswith("failed: cannot reach the PostgreSQL store") and record.errors == 1
    assert "(fix: check the host and port" in record.outcome and "\n" not in lines[0]
    assert "secret-pw-123" not in lines[0]
    assert Worker(unreachable, 60, lines.append).loop(once=True) == 1  # a cron line's failure shows


@pytest.mark.slow
def test_the_worker_process_syncs_every_interval_and_stops_cleanly_on_sigterm(tmp_path, store_at):
    from pcnb.sandbox import running
    from tests.conftest import END, FAST

    with running(projects=40, seed=3, rate_limit=FAST, end=END) as sb:
        connection = sb.write_connection(tmp_path / "sandbox.json")
        env = {**os.environ, "PCNB_SANDBOX_CONNECTION": str(connection), "PCNB_STORE_URL": store_at("w"),
               "PYTHONPATH": str(ROOT)}
        if not store_at("w").startswith("postgresql://"):
            env.pop("PCNB_STORE_URL")
            env["PCNB_STORE_PATH"] = store_at("w")
        proc = subprocess.Popen([sys.executable, "-m", "pcnb.cli", "worker", "--every", "1s"], cwd=tmp_path,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen: list[str] = []
        assert proc.stdout is not None
        while len([line for line in seen if line.startswith("worker run ")]) < 2:
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            seen.append(line.strip())
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        seen += out.splitlines()
    assert proc.returncode == 0, err
    runs = [line for line in seen if line.startswith("worker run ")]
    assert "complete" in runs[0] and "0 errors" in runs[1]
    assert seen[-1].startswith("worker stopped by SIGTERM")
    assert "Traceback" not in err
