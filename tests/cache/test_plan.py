"""The sync planner against the real sandbox: its arithmetic equals what the sync then spends."""

from __future__ import annotations

import math

import pytest

from pcnb.cache.plan import SyncPlan, check_budget, plan_sync
from pcnb.cache.store import Store
from pcnb.cache.sync import sync
from pcnb.errors import InputError
from pcnb.sandbox import running
from pcnb.sandbox.activity import simulate
from tests.conftest import END, FAST


def _stage(plan: SyncPlan, name: str) -> int:
    return next(s.calls for s in plan.stages if s.name == name)


def test_first_sync_plan_counts_a_long_listing_and_equals_the_spent_calls(make_client, tmp_path):
    with running(projects=230, seed=5, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        store = Store(tmp_path / "p.sqlite")
        plan = plan_sync(client, store, sb.program_id, page_size=50)
        assert plan.listed == 230 and store.pending() == 0  # the plan wrote nothing
        assert store.conn.execute("SELECT COUNT(*) FROM projects").fetchone()[0] == 0
        # one page, one-project probes (a binary search over whole pages), the last page
        assert 2 < plan.plan_calls <= 2 + 2 * math.ceil(math.log2(230 / 50))
        report = sync(client, store, sb.program_id, page_size=50, progress=False)
        assert _stage(plan, "listing pages") == report.pages == 5
        assert _stage(plan, "status histories") == report.histories == 230
        assert _stage(plan, "inquiry threads") == report.inquiry_calls - report.note_calls == 230
        assert plan.total - _stage(plan, "inquiry notes") == report.calls - report.note_calls
        assert "status histories" in str(plan) and "this plan spent" in str(plan)


def _notes(plan: SyncPlan):
    return next(s for s in plan.stages if s.name == "inquiry notes")


def test_incremental_plan_is_exact_except_notes_whose_range_holds_the_spent_calls(make_client, tmp_path):
    with running(projects=150, seed=6, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        store = Store(tmp_path / "i.sqlite")
        sync(client, store, sb.program_id, progress=False)
        bases = []
        for seed in (2, 3):
            simulate(sb.state, 0.05, seed=seed)
            plan = plan_sync(client, store, sb.program_id)
            assert plan.plan_calls == 1  # the changes fit in one page: nothing else is spent
            report = sync(client, store, sb.program_id, progress=False)
            assert _stage(plan, "status histories") == report.histories
            assert _stage(plan, "inquiry threads") == report.inquiry_calls - report.note_calls
            assert _stage(plan, "listing pages") == report.pages
            assert plan.exact_part == report.calls - report.note_calls
            notes = _notes(plan)
            assert notes.low is not None and notes.high is not None
            assert notes.low <= report.note_calls <= notes.high
            assert plan.total_low <= report.calls <= (plan.total_high or 0)
            bases.append(notes.basis)
        assert bases == ["estimated: the middle of the range, no incremental sync yet",
                         "estimated from the last incremental sync"]
        assert "known from the listing and the cache" in str(plan)


def test_threads_not_known_complete_are_counted_exactly(make_client, tmp_path):
    """A cached thread whose copy is not known complete past its last note's second is fetched again
    whatever its thread list says: the plan counts those from the cache, as the range's floor."""
    with running(projects=150, seed=6, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        store = Store(tmp_path / "r.sqlite")
        sync(client, store, sb.program_id, progress=False)
        changed = simulate(sb.state, 0.15, seed=4).changed
        marks = ",".join("?" * len(changed))
        with store.tx() as conn:
            conn.execute(f"UPDATE inquiry_threads SET notes_as_of = NULL WHERE project_id IN ({marks})",
                         sorted(changed))
        unsettled = store.conn.execute(f"SELECT COUNT(*) FROM inquiry_threads WHERE project_id IN ({marks}) "
                                       "AND last_note IS NOT NULL", sorted(changed)).fetchone()[0]
        assert unsettled >= 3
        plan = plan_sync(client, store, sb.program_id)
        report = sync(client, store, sb.program_id, progress=False)
        assert _notes(plan).low == unsettled
        assert unsettled <= report.note_calls


def test_a_budget_smaller_than_the_listing_is_refused(make_client, tmp_path):
    with running(projects=250, seed=5, rate_limit=FAST, end=END) as sb:
        plan = plan_sync(make_client(sb), Store(tmp_path / "b.sqlite"), sb.program_id, page_size=100)
        with pytest.raises(InputError, match="smaller than the listing"):
            check_budget(plan, max_calls=2)
        check_budget(plan, max_calls=3)


def test_a_full_sync_with_fewer_calls_than_its_listing_is_refused_before_any_call(make_client, tmp_path):
    with running(projects=250, seed=5, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        store = Store(tmp_path / "r.sqlite")
        sync(client, store, sb.program_id, inquiries=False, progress=False)
        calls = client.calls
        with pytest.raises(InputError, match=r"max_calls=2 is smaller than the listing \(3 pages") as err:
            sync(client, store, sb.program_id, full=True, max_calls=2, page_size=100, progress=False)
        assert client.calls == calls and "\n" not in err.value.message
        small = sync(client, store, sb.program_id, max_calls=2, progress=False)  # incremental: one page
        assert small.pages == 1


def test_a_scoped_first_sync_plan_reads_the_scope_not_the_oldest_page(make_client, tmp_path):
    from datetime import timedelta

    from pcnb import clock
    from pcnb.cache.scope import Scope

    with running(projects=300, seed=8, rate_limit=FAST, end=END) as sb:
        client = make_client(sb)
        recent = Scope(since=clock.now() - timedelta(days=120))
        plan = plan_sync(client, Store(tmp_path / "a.sqlite"), sb.program_id, page_size=100, scope=recent,
                         inquiries=False)
        report = sync(client, Store(tmp_path / "a.sqlite"), sb.program_id, page_size=100, scope=recent,
                      inquiries=False, progress=False)
        assert 0 < report.histories < 250 and _stage(plan, "status histories") == report.histories
        assert plan.scope.startswith("changed since")
        busiest = max({p.status for p in sb.state.projects.values()},
                      key=lambda s: sum(p.status == s for p in sb.state.projects.values()))
        name = sb.state.program.status(busiest).name
        status = Scope(statuses=(name,))
        plan = plan_sync(client, Store(tmp_path / "b.sqlite"), sb.program_id, page_size=100, scope=status,
                         inquiries=False)
        report = sync(client, Store(tmp_path / "b.sqlite"), sb.program_id, page_size=100, scope=status,
                      inquiries=False, progress=False)
        assert abs(_stage(plan, "status histories") - report.histories) <= 0.25 * report.histories
