"""Four processes share one API key against a sandbox limited like PowerClerk (60 operations/minute).

pcnb: every process uses the key's shared RateBudget (SQLite bucket + file lock).
Team (issue #28): 4 processes plus 4 "remote" ones (each its own cache dir, as separate machines
would have) share the key through the team's PostgreSQL server (pcnb.api.budget_pg).
Baseline: the vendor article's per-process throttle (sleep 1 s between calls), four processes.
Reports sustained operations/minute after the first window and the 429 count for each.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._results import record  # noqa: E402
from pcnb.sandbox import running  # noqa: E402

WORKER = r"""
import json, sys, time
from pcnb.api.auth import Credentials
from pcnb.api.client import PowerClerkClient
from pcnb.config import Settings
from pcnb.errors import RateLimited
from pcnb.api.budget import RateBudget
cfg = json.loads(sys.argv[1])
c = cfg["creds"]
creds = Credentials.from_dict(c, "sandbox")
settings = Settings(environment="custom", base_url=cfg["base_url"], token_url=cfg["token_url"])
if cfg["mode"] == "team":
    from pcnb.api.budget_pg import ServerBudget
    budget = ServerBudget(c["api_key"], 60, 60, url=cfg["url"])
else:
    budget = RateBudget(c["api_key"], 60, 60, path=cfg["bucket"]) if cfg["mode"] == "shared" else None
client = PowerClerkClient(settings, creds, budget=budget, max_attempts=1)
stamps, n429 = [], 0
end = time.time() + cfg["seconds"]
while time.time() < end:
    try:
        client.programs(); stamps.append(time.time())
    except RateLimited:
        n429 += 1
    if cfg["mode"] == "baseline":
        time.sleep(1.0)
print(json.dumps({"stamps": stamps, "429": n429}))
"""


def run(mode: str, seconds: float, procs: int = 4, url: str | None = None) -> tuple[float, int, int]:
    with tempfile.TemporaryDirectory() as d, running(projects=10, rate_limit="60/60") as sb:
        cfg = {"base_url": sb.base_url, "token_url": sb.token_url, "creds": sb.credentials("admin"),
               "bucket": str(Path(d) / "bucket.sqlite"), "seconds": seconds, "mode": mode, "url": url}
        # each process its own cache dir: the "remote" ones share nothing with the others but the server
        ps = [subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(cfg)], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PCNB_CACHE_DIR": str(Path(d) / f"machine-{i}")})
              for i in range(procs)]
        outs = [json.loads(p.communicate(timeout=seconds + 120)[0]) for p in ps]
        server_429 = sb.sandbox.rate.rejected
    # accepted operations over the whole run per minute: a sliding-window budget lets each
    # window's operations through as a burst, so rates over sub-window spans are meaningless
    accepted = sum(len(o["stamps"]) for o in outs)
    return accepted / (seconds / 60), sum(o["429"] for o in outs), server_429


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=3.0, help="shared-budget run length (>= 2)")
    ap.add_argument("--baseline-minutes", type=float, default=2.0)
    ap.add_argument("--team-only", action="store_true", help="only the 4 + 4 processes through PostgreSQL")
    args = ap.parse_args()
    team = team_rows(args.minutes)
    if args.team_only:
        record("Team rate budget through PostgreSQL (rate_budget.py)", team)
        return
    record("Team rate budget through PostgreSQL (rate_budget.py)", team)
    rate, c429, s429 = run("shared", args.minutes * 60)
    b_rate, b429, bs429 = run("baseline", args.baseline_minutes * 60)
    record("Shared rate budget (rate_budget.py)", [
        (f"pcnb, 4 processes, one key, {args.minutes:g} min", f"{rate:.1f} ops/min accepted, {s429} x 429",
         ">= 58 ops/min, 0 x 429"),
        (f"baseline: per-process 1 call/s, 4 processes, {args.baseline_minutes:g} min",
         f"{b_rate:.1f} ops/min accepted, {bs429} x 429", "-"),
    ])


def team_rows(minutes: float) -> list[tuple[str, str, str]]:
    from tests import pg

    folder = pg.start_if_needed()
    try:
        if pg.unavailable():
            return [("4 + 4 remote processes through PostgreSQL", f"not measured: {pg.unavailable()}", "-")]
        rate, _, s429 = run("team", minutes * 60, procs=8, url=pg.fresh_schema("budget"))
    finally:
        if folder:
            pg.stop(folder)
    return [(f"4 processes + 4 'remote' ones (own cache dirs), one key, budget through PostgreSQL, {minutes:g} min",
             f"{rate:.1f} ops/min accepted, {s429} x 429", ">= 58 ops/min, 0 x 429")]


if __name__ == "__main__":
    main()
