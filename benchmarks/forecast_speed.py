"""Speed of the per-project forecasts (pcnb.forecast) on a big program.

A residential sandbox program of ``--projects`` projects (default 166,000: about 1M status events,
the size of benchmarks/analytics.py) generated without HTTP; then, with 1,000 paths per project:

- every project open at the history's end, forecast (learning included): target < 30 s on 2 cores;
- one project (learning included, as an interactive "when will this one be done?"): target < 1 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._results import record  # noqa: E402
from benchmarks.forecast_backtest import events_of, program_of  # noqa: E402
from pcnb.forecast import forecast  # noqa: E402
from pcnb.sandbox.generator import generate  # noqa: E402

END = datetime(2026, 11, 1, tzinfo=UTC)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--projects", type=int, default=166_000, help="projects to generate (~6 events each)")
    ap.add_argument("--paths", type=int, default=1000)
    ap.add_argument("--program", default="residential")
    args = ap.parse_args()
    state = generate(args.projects, seed=1, end=END, program=args.program)
    events, prog = events_of(state), program_of(state.program)
    del state
    best_all, fc = float("inf"), None
    for _ in range(2):
        started = time.perf_counter()
        fc = forecast(events, prog, as_of=END, paths=args.paths)
        best_all = min(best_all, time.perf_counter() - started)
    assert fc is not None
    one = fc.projects.filter(fc.projects["supported"])["project_id"][0]
    best_one = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        forecast(events, prog, as_of=END, paths=args.paths, projects=[one])
        best_one = min(best_one, time.perf_counter() - started)
    n_open = fc.projects.height
    record("Forecast speed (forecast_speed.py)", [
        (f"forecast every open project: {args.projects:,} {args.program} projects, {events.height:,} events, "
         f"{n_open:,} open x {args.paths:,} paths", f"{best_all:.1f} s", "< 30 s"),
        ("forecast one project (learning from the whole history included)", f"{best_one:.2f} s", "< 1 s"),
    ])


if __name__ == "__main__":
    main()
