"""`pcnb demo` wall time in a fresh process: sandbox, sync of 2,000 projects, 4 executed reports."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._results import record  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "pcnb.cli", "demo", "-o", d], capture_output=True, text=True)
        seconds = time.monotonic() - started
        reports = sorted(p.name for p in Path(d).glob("*.html"))
    if done.returncode:
        print(done.stdout, done.stderr, file=sys.stderr)
        raise SystemExit(f"pcnb demo failed with exit {done.returncode}")
    record("pcnb demo (demo.py)", [
        ("pcnb demo: sandbox + sync + 4 reports (2,000 projects)", f"{seconds:.0f} s ({len(reports)} reports)",
         "< 5 min"),
    ])


if __name__ == "__main__":
    main()
