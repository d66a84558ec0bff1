"""How long the sandbox takes to generate its synthetic program (target: 100,000 projects < 30 s)."""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._results import record  # noqa: E402
from pcnb.sandbox.generator import generate  # noqa: E402


def main() -> None:
    end = datetime(2026, 11, 1, tzinfo=UTC)
    start = time.perf_counter()
    state = generate(100_000, seed=7, end=end)
    took = time.perf_counter() - start
    events = sum(len(p.history) for p in state.projects.values())
    record("Sandbox generator", [
        ("generate 100,000 projects", f"{took:.1f} s ({events:,} status events, {len(state.threads):,} threads)",
         "< 30 s"),
    ])


if __name__ == "__main__":
    main()
