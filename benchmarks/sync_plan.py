"""The sync planner's prediction against the calls the sync then spends; a scoped sync against a
full first sync on the 100,000-project program (issue #27).

Planner: a 2,000- and a 10,000-project sandbox, first sync, then three incremental syncs after 3 %
churn each; each plan is made just before its sync (pcnb.cache.plan). Scoped: the 100,000-project
sandbox, "changed in the last 90 days" (LastChangeTimestamp; every project submitted in those days
changed in them), planned and synced, against the planner's figure for a full first sync (running
that one is 230,000 calls: hours even over loopback). Rate limit lifted; calls read as minutes at 60/min.
Run: ``python benchmarks/sync_plan.py``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._results import record  # noqa: E402
from pcnb.api.auth import Credentials  # noqa: E402
from pcnb.api.budget import RateBudget  # noqa: E402
from pcnb.api.client import PowerClerkClient  # noqa: E402
from pcnb.cache.plan import SyncPlan, plan_sync  # noqa: E402
from pcnb.cache.scope import Scope  # noqa: E402
from pcnb.cache.store import Store  # noqa: E402
from pcnb.cache.sync import SyncReport, sync  # noqa: E402
from pcnb.config import Settings  # noqa: E402
from pcnb.sandbox import running  # noqa: E402
from pcnb.sandbox.activity import simulate  # noqa: E402

END = datetime(2026, 11, 1, tzinfo=UTC)


def _client(sb: object, d: str) -> PowerClerkClient:
    c = sb.credentials("admin")  # type: ignore[attr-defined]
    return PowerClerkClient(
        Settings(environment="sandbox", base_url=sb.base_url, token_url=sb.token_url,  # type: ignore[attr-defined]
                 rate_limit=1_000_000), Credentials.from_dict(c, "sandbox"),
        budget=RateBudget(c["api_key"], 1_000_000, 60, path=Path(d) / "b.sqlite"))


def _stage(plan: SyncPlan, name: str) -> int:
    return next((s.calls for s in plan.stages if s.name == name), 0)


def _row(label: str, plan: SyncPlan, report: SyncReport) -> tuple[str, str, str]:
    """Predicted vs spent: the whole, the part the listing and the cache determine (every stage but
    note lists), and the note lists against their range (its floor: the ones the cache knows are due)."""
    notes = next((s for s in plan.stages if s.name == "inquiry notes"), None)
    err = abs(plan.total - report.calls) / report.calls
    exact_part, spent_part = plan.exact_part, report.calls - report.note_calls
    off = abs(exact_part - spent_part) / max(spent_part, 1)
    span = ""
    if notes is not None and notes.low is not None:
        high = "no bound" if notes.high is None else f"{notes.high:,}"
        inside = notes.low <= report.note_calls and (notes.high is None or report.note_calls <= notes.high)
        span = f" (range {notes.low:,}-{high}: {'inside' if inside else 'OUTSIDE'})"
    return (label, f"predicted {plan.total:,}, spent {report.calls:,} ({err:.1%}); without note lists "
                   f"{exact_part:,} vs {spent_part:,} ({off:.1%}); note lists "
                   f"{_stage(plan, 'inquiry notes'):,} vs {report.note_calls:,}{span}; the plan spent "
                   f"{plan.plan_calls} call(s)", "within 1 %")


def planner(projects: int) -> list[tuple[str, str, str]]:
    rows = []
    with tempfile.TemporaryDirectory() as d, running(projects=projects, seed=7, rate_limit="1000000/60",
                                                     end=END) as sb:
        client, store = _client(sb, d), Store(Path(d) / "s.sqlite")
        plan = plan_sync(client, store, sb.program_id)
        rows.append(_row(f"first sync, {projects:,} projects", plan, sync(client, store, sb.program_id,
                                                                           progress=False)))
        for i in (1, 2, 3):
            simulate(sb.state, 0.03, seed=i)
            plan = plan_sync(client, store, sb.program_id)
            rows.append(_row(f"incremental sync {i} after 3 % churn, {projects:,} projects", plan,
                             sync(client, store, sb.program_id, progress=False)))
    return rows


def scoped(projects: int = 100_000) -> list[tuple[str, str, str]]:
    with tempfile.TemporaryDirectory() as d, running(projects=projects, seed=7, rate_limit="1000000/60",
                                                     end=END) as sb:
        client, store = _client(sb, d), Store(Path(d) / "s.sqlite")
        full = plan_sync(client, store, sb.program_id)
        recent = Scope(since=END - timedelta(days=90))
        plan = plan_sync(client, store, sb.program_id, scope=recent)
        start = time.perf_counter()
        report = sync(client, store, sb.program_id, scope=recent, progress=False)
        took = time.perf_counter() - start
    hours = lambda calls: f"{calls / 3600:.1f} h at 60/min"  # noqa: E731
    return [
        (f"full first sync, {projects:,} projects (planned: exact but for note lists)",
         f"{full.total:,} calls ({hours(full.total)})", "-"),
        (f"scoped first sync, changed in the last 90 days ({report.in_scope:,} projects in scope)",
         f"{report.calls:,} calls ({hours(report.calls)}; {report.calls / full.total:.1%} of the full sync; "
         f"{took:.0f} s over loopback)", "-"),
        _row("scoped first sync: plan vs spent", plan, report),
    ]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("planner", "scoped"), help="run one of the two parts")
    only = parser.parse_args().only
    if only != "scoped":
        record("Sync planner (sync_plan.py)", planner(2_000) + planner(10_000))
    if only != "planner":
        record("Scoped sync (sync_plan.py)", scoped())


if __name__ == "__main__":
    main()
