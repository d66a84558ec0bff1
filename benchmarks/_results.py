"""Record benchmark figures in benchmarks/RESULTS.md (one section per script, replaced on rerun)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def record(section: str, rows: list[tuple[str, str, str]]) -> None:
    """rows: (figure, value, target). Replaces the section of the same name."""
    head = (f"## {section}\n\n_{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
            f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores_\n\n"
            "| figure | value | target |\n|---|---|---|\n")
    body = head + "".join(f"| {a} | {b} | {c} |\n" for a, b, c in rows) + "\n"
    intro = "# Benchmark results\n\nWritten by the scripts in benchmarks/.\n\n"
    text = RESULTS.read_text() if RESULTS.exists() else intro
    pattern = re.compile(rf"## {re.escape(section)}\n.*?(?=\n## |\Z)", re.S)
    text = pattern.sub(body.rstrip("\n") + "\n", text) if pattern.search(text) else text + body
    RESULTS.write_text(text)
    for a, b, c in rows:
        print(f"{a}: {b} (target {c})")
