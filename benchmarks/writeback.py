"""Write-back cost: API operations and local overhead of a 50-project bulk change with one failure.

Operations are what the 60/minute budget pays for, so they are counted exactly (and converted to
minutes at 60/min); the local overhead (validation, two journal commits per operation, loopback
HTTP) is timed against an unthrottled sandbox.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import polars as pl  # noqa: E402

from benchmarks._results import record  # noqa: E402
from pcnb.api.auth import Credentials  # noqa: E402
from pcnb.api.client import PowerClerkClient  # noqa: E402
from pcnb.config import Settings  # noqa: E402
from pcnb.sandbox import running  # noqa: E402
from pcnb.workspace import Workspace  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as d, running(projects=400, seed=7, rate_limit="1000000/60",
                                                     end=datetime(2026, 11, 1, tzinfo=UTC)) as sb:
        client = PowerClerkClient(Settings(environment="sandbox", base_url=sb.base_url, token_url=sb.token_url),
                                  Credentials.from_dict(sb.credentials("admin"), "sandbox"), budget=False)
        ws = Workspace(client, sb.program_id, Path(d) / "s.sqlite")
        ws.sync(progress=False)
        ids = ws.projects().filter(pl.col("project_number").is_not_null())["project_id"].head(50).to_list()
        changes = pl.DataFrame({"project": ids, "INSTALLER": [f"Crew {i}" for i in range(50)]})

        def spent(fn):
            calls, t = client.calls, time.perf_counter()
            out = fn()
            return out, client.calls - calls, time.perf_counter() - t

        plan, plan_calls, plan_s = spent(lambda: ws.plan(changes, action="set", form="APPLICATION"))
        sb.sandbox.faults.update(match=f"/Projects/{ids[17]}/", burst_5xx=1)
        result, exec_calls, exec_s = spent(lambda: plan.execute(confirm=True, progress=False))
        replan, replan_calls, _ = spent(lambda: ws.plan(changes, action="set", form="APPLICATION"))
        rerun, rerun_calls, _ = spent(lambda: replan.execute(confirm=True, progress=False))
        undo, undo_calls, _ = spent(lambda: ws.undo(plan.batch_id))
        _, undo_exec_calls, _ = spent(lambda: undo.execute(confirm=True, progress=False))
        assert result.counts == {"done": 49, "failed": 1} and rerun.counts.get("done") == 1
    at60 = lambda n: f"{n} calls ({n / 60:.1f} min at 60/min)"  # noqa: E731
    record("Write-back (writeback.py)", [
        ("plan 50 projects x 1 field", at60(plan_calls), "2 schema calls + 1 read per project = 52"),
        ("execute with 1 injected failure", f"{at60(exec_calls)}: 49 done, 1 failed", "1 call per project = 50"),
        ("re-run: plan again + execute", f"{at60(replan_calls)} + {at60(rerun_calls)}",
         "execute sends only the missing one = 1"),
        ("undo: plan + execute", f"{at60(undo_calls)} + {at60(undo_exec_calls)}", "52 + 50"),
        ("local overhead per written operation (journal + loopback HTTP)",
         f"{exec_s / exec_calls * 1000:.1f} ms (plan {plan_s / plan_calls * 1000:.1f} ms per call)",
         "small next to 1 s per operation at 60/min"),
    ])


if __name__ == "__main__":
    main()
