"""Wall time of the two test tiers (the README's `pytest` and `pytest -m slow`), each in a fresh
process on a clean checkout's tree, with the count of tests each ran; both tiers together must keep
every test (the count printed by the full run does not drop when tests move between tiers).

Usage: python benchmarks/tiers.py [--default-only]
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._results import record  # noqa: E402


def run(*args: str) -> tuple[float, int, int, str]:
    """(wall seconds, passed, failed, closing line) of one pytest run."""
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args], cwd=ROOT,
                         capture_output=True, text=True).stdout
    wall = time.monotonic() - started
    log = Path(tempfile.gettempdir()) / f"pcnb-tier-{'-'.join(args) or 'default'}.log"
    log.write_text(out)  # the failures' details, when there are any
    print(f"pytest {' '.join(args) or '(default tier)'}: output in {log}")
    last = next((line for line in reversed(out.splitlines()) if " passed" in line or " failed" in line), "")
    count = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|error)", last)}
    return wall, count.get("passed", 0), count.get("failed", 0) + count.get("error", 0), last.strip("= ")


def main() -> None:
    rows = []
    wall, passed, failed, _ = run()
    rows.append(("default tier (`pytest`)", f"{wall:.0f} s wall, {passed} passed, {failed} failed",
                 "< 180 s, 0 failed"))
    if "--default-only" not in sys.argv:
        wall_s, passed_s, failed_s, _ = run("-m", "slow", "-n", "0")
        rows.append(("slow tier (`pytest -m slow -n 0`)", f"{wall_s:.0f} s wall, {passed_s} passed, {failed_s} failed",
                     "0 failed"))
        rows.append(("both tiers: tests run", f"{passed + failed + passed_s + failed_s}",
                     "every collected test (`pytest -m 'slow or not slow' --collect-only`)"))
    record("Test tiers (tiers.py)", rows)


if __name__ == "__main__":
    main()
