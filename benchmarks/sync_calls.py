"""API calls of an incremental refresh vs a naive full refresh (2,000 projects, 3 % churn)."""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._results import record  # noqa: E402
from pcnb.api.auth import Credentials  # noqa: E402
from pcnb.api.budget import RateBudget  # noqa: E402
from pcnb.api.client import PowerClerkClient  # noqa: E402
from pcnb.cache.store import Store  # noqa: E402
from pcnb.cache.sync import sync  # noqa: E402
from pcnb.config import Settings  # noqa: E402
from pcnb.sandbox import running  # noqa: E402
from pcnb.sandbox.activity import simulate  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as d, running(projects=2000, seed=7, rate_limit="1000000/60",
                                                     end=datetime(2026, 11, 1, tzinfo=UTC)) as sb:
        c = sb.credentials("admin")
        client = PowerClerkClient(
            Settings(environment="sandbox", base_url=sb.base_url, token_url=sb.token_url, rate_limit=1_000_000),
            Credentials.from_dict(c, "sandbox"),
            budget=RateBudget(c["api_key"], 1_000_000, 60, path=Path(d) / "b.sqlite"))
        store = Store(Path(d) / "s.sqlite")
        first = sync(client, store, sb.program_id, progress=False)
        simulate(sb.state, 0.03, seed=1)
        incremental = sync(client, store, sb.program_id, progress=False)
        naive = first.calls  # a naive refresh re-reads everything: what the first sync spent
    minutes = lambda calls: f"{calls / 60:.1f} min at 60/min"  # noqa: E731
    record("Sync calls (sync_calls.py)", [
        ("naive full refresh, 2,000 projects", f"{naive:,} calls ({minutes(naive)})", "-"),
        ("incremental refresh after 3 % churn", f"{incremental.calls:,} calls ({minutes(incremental.calls)})",
         "1/page + 1/status change + inquiry calls of changed projects = "
         f"{incremental.pages + incremental.histories + incremental.inquiry_calls}"),
        ("ratio naive / incremental", f"{naive / incremental.calls:.0f}x", "-"),
    ])


if __name__ == "__main__":
    main()
