"""Scoped sync against the real sandbox: only the scope's projects cost calls; widening fetches only
what is missing; a run killed mid-way resumes with its scope; bad scopes are refused in one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from pcnb import clock
from pcnb.cache import frames
from pcnb.cache.scope import Scope
from pcnb.cache.store import Store
from pcnb.cache.sync import sync
from pcnb.errors import InputError
from pcnb.sandbox import running
from pcnb.sandbox.activity import simulate
from tests.cache.helpers import cached, truth
from tests.conftest import END, FAST


def _by_status(sb) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for pid, p in sb.state.projects.items():
        out.setdefault(sb.state.program.status(p.status).name, set()).add(pid)
    return out


def _histories(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT project_id FROM history_packed")}


def test_a_status_scope_fetches_only_its_projects_then_widening_only_what_is_missing(make_client, store_at):
    """On both backends: migration 8 and the scope's SQL carry to a team's PostgreSQL store."""
    with running(projects=160, seed=31, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        store = Store(store_at("s"))
        groups = sorted(_by_status(sb).items(), key=lambda kv: -len(kv[1]))
        (first, a), (second, b) = groups[0], groups[1]
        narrow = sync(client, store, sb.program_id, scope=Scope(statuses=(first,)), progress=False)
        assert narrow.complete and narrow.in_scope == len(a) and narrow.histories == len(a)
        assert _histories(store) == a and narrow.projects_seen == 160  # the listing covers every project
        threads = sum(len(sb.state.projects[p].thread_ids) for p in a)
        assert narrow.calls == narrow.pages + len(a) + len(a) + threads
        assert f"scope: status '{first}'" in str(frames.health(store))
        wide = sync(client, store, sb.program_id, scope=Scope(statuses=(first, second)), progress=False)
        assert wide.histories == len(b) and wide.inquiry_calls - wide.note_calls == len(b)
        assert _histories(store) == a | b
        again = sync(client, store, sb.program_id, progress=False)  # the cache's scope, incremental
        assert again.histories == 0 and again.in_scope == len(a | b)
        everything = sync(client, store, sb.program_id, scope=Scope(), progress=False)
        assert everything.histories == 160 - len(a | b) and cached(store) == truth(sb)
        assert "scope" not in str(frames.health(store))


def test_changed_since_and_numbers_and_where(make_client, tmp_path):
    with running(projects=200, seed=32, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        store = Store(tmp_path / "w.sqlite")
        since = clock.now() - timedelta(days=90)
        recent = {pid for pid, p in sb.state.projects.items() if p.last_change >= since}
        got = sync(client, store, sb.program_id, scope=Scope(since=since), inquiries=False, progress=False)
        assert 0 < len(recent) < 200 and got.histories == len(recent) and _histories(store) == recent
        numbered = sorted(p.number for p in sb.state.projects.values() if p.number)[:3]
        sync(client, store, sb.program_id, scope=Scope(numbers=tuple(numbered)), inquiries=False, progress=False)
        ids = {pid for pid, p in sb.state.projects.items() if p.number in numbered}
        assert ids <= _histories(store)
        cut = (END - timedelta(days=700)).date()  # relative to the data's end: the test holds at any date
        where = Scope(where=f"status_ts < DATE '{cut.isoformat()}'")
        old = {pid for pid, p in sb.state.projects.items() if p.status_ts.date() < cut}
        sync(client, store, sb.program_id, scope=where, inquiries=False, progress=False)
        assert old and old <= _histories(store)


@pytest.mark.parametrize(("where", "said"), [
    ("status ==== 'x'", "does not parse"), ("colour = 'red'", "unknown column"),
])
def test_a_bad_expression_is_refused_before_any_call(make_client, tmp_path, where, said):
    with running(projects=20, seed=33, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        with pytest.raises(InputError, match=said) as err:
            sync(client, Store(tmp_path / "b.sqlite"), sb.program_id, scope=Scope(where=where), progress=False)
        assert client.calls == 0 and "\n" not in err.value.message


def test_a_scope_matching_nothing_keeps_the_listing_and_the_next_sync_works(make_client, tmp_path):
    with running(projects=60, seed=34, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        store = Store(tmp_path / "n.sqlite")
        with pytest.raises(InputError, match="matches none of the 60 listed projects"):
            sync(client, store, sb.program_id, scope=Scope(statuses=("No Such Status",)), progress=False)
        assert store.conn.execute("SELECT COUNT(*) FROM projects").fetchone()[0] == 60  # the listing is kept
        calls = client.calls
        rest = sync(client, store, sb.program_id, progress=False)
        assert rest.complete and rest.pages == 0 and client.calls - calls == 60 + 60 + len(sb.state.threads)
        assert cached(store) == truth(sb)


@pytest.mark.slow
def test_kill_9_mid_scoped_sync_resumes_with_its_scope(make_client, tmp_path):
    with running(projects=200, seed=35, rate_limit=FAST, end=END) as sb:
        name, inside = max(_by_status(sb).items(), key=lambda kv: len(kv[1]))
        cfg = {"base_url": sb.base_url, "token_url": sb.token_url, "creds": sb.credentials("admin"),
               "program": sb.program_id, "store": str(tmp_path / "k.sqlite"),
               "bucket": str(tmp_path / "k-bucket.sqlite"), "limit": 60, "statuses": [name]}
        root = Path(__file__).resolve().parents[2]
        proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.workers", "sync", json.dumps(cfg)],
                                cwd=root, stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "started"
        time.sleep(1.2)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        store = Store(tmp_path / "k.sqlite")
        done = _histories(store)
        assert done < inside  # killed mid-way, inside the scope only
        rest = sync(make_client(sb), store, sb.program_id, progress=False)  # no scope given: the run's own
        assert rest.complete and rest.histories == len(inside) - len(done)
        assert _histories(store) == inside
        assert f"scope: status '{name}'" in str(frames.health(store))
        simulate(sb.state, 0.05, seed=3)
        later = sync(make_client(sb), store, sb.program_id, progress=False)
        assert _histories(store) <= inside | {p for p, x in sb.state.projects.items()
                                              if sb.state.program.status(x.status).name == name}
        assert later.complete
