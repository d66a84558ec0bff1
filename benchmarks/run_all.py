"""Run every benchmark and rewrite benchmarks/RESULTS.md with machine info and a summary.

    python benchmarks/run_all.py            # full sizes (~35 min on 2 cores; large_program + sync_plan ~20)
    python benchmarks/run_all.py --quick    # smaller sizes and shorter rate runs (~5 min)

Each script records its own section (replacing the previous one); this runner adds a "Machine"
section (CPU, cores, memory, versions, date) and a summary of every figure next to its target.
Scripts whose optional dependencies are missing (analytics.py and process.py need pm4py + pyarrow:
the test extra) are reported as skipped, not silently dropped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
from benchmarks._results import RESULTS, record  # noqa: E402

FULL = [("generator.py", []), ("sync_calls.py", []), ("frames_load.py", []), ("analytics.py", []),
        ("process.py", []), ("writeback.py", []), ("rate_budget.py", []), ("demo.py", []), ("inference.py", []),
        ("forecast_backtest.py", []), ("forecast_speed.py", []), ("tiers.py", []),
        ("large_program.py", []), ("sync_plan.py", [])]
QUICK = {"frames_load.py": ["--projects", "30000"], "analytics.py": ["--projects", "30000"],
         "process.py": ["--projects", "30000", "--runs", "2"],
         "forecast_backtest.py": ["--projects", "1500"], "forecast_speed.py": ["--projects", "30000"],
         "rate_budget.py": ["--minutes", "2", "--baseline-minutes", "1"],
         "large_program.py": ["--seeds", "2", "--projects", "20000"], "sync_plan.py": ["--only", "planner"]}
NEEDS = {"analytics.py": ("pm4py", "pyarrow"), "process.py": ("pm4py", "pyarrow")}


def machine() -> list[tuple[str, str, str]]:
    cpu = next((ln.split(":", 1)[1].strip() for ln in _read("/proc/cpuinfo").splitlines()
                if ln.startswith("model name")), platform.processor() or "unknown")
    mem = next((int(ln.split()[1]) / 2**20 for ln in _read("/proc/meminfo").splitlines()
                if ln.startswith("MemTotal")), 0.0)
    versions = []
    for name in ("polars", "pyarrow", "plotly", "pyrate_limiter", "fastapi"):
        try:
            versions.append(f"{name} {__import__(name).__version__}")
        except (ImportError, AttributeError):
            versions.append(f"{name} -")
    return [("date", f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC", "-"),
            ("CPU", f"{cpu}, {os.cpu_count()} cores", "-"), ("memory", f"{mem:.1f} GiB", "-"),
            ("OS / Python", f"{platform.platform()} / {platform.python_version()}", "-"),
            ("libraries", ", ".join(versions), "-")]


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def summary() -> list[tuple[str, str, str]]:
    """Every figure that has a target, from all sections, in one table."""
    rows, section = [], ""
    for line in RESULTS.read_text().splitlines():
        if line.startswith("## "):
            section = line[3:]
        elif line.startswith("| ") and not line.startswith(("| figure", "|---")) and section not in (
                "Machine", "Summary"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) >= 3 and cells[2] not in ("-", ""):
                rows.append((f"{section}: {cells[0]}", cells[1], cells[2]))
    return rows


def verdict(value: str, target: str) -> str:
    """met / MISSED for the target shapes the scripts use; "see value" where no rule applies."""
    number = re.search(r"[-+]?\d[\d,]*\.?\d*", value)
    v = float(number.group(0).replace(",", "")) if number else None
    m = re.match(r"\s*<\s*([\d.]+)\s*(s|min)\b", target)
    if m and v is not None:
        unit = re.search(r"[\d.]+\s*(s|min)\b", value)
        scale = 60 if unit and unit.group(1) == "min" else 1
        limit = float(m.group(1)) * (60 if m.group(2) == "min" else 1)
        return "met" if v * scale < limit else "MISSED"
    m = re.match(r"\s*>=\s*([\d.]+) ops/min, 0 x 429", target)
    if m and v is not None:
        zero = re.search(r"\b0 x 429", value) is not None
        return "met" if v >= float(m.group(1)) and zero else "MISSED"
    m = re.search(r"= (\d+)$", target)
    if m:
        counts = [int(x) for x in re.findall(r"(\d+) calls", value)]
        return "met" if counts and counts[-1] == int(m.group(1)) else "MISSED"
    m = re.match(r"\s*(\d+)-(\d+) %$", target)
    if m and v is not None:
        return "met" if float(m.group(1)) <= v <= float(m.group(2)) else "MISSED"
    if target == "model below naive":
        a, b = re.search(r"model ([\d.]+)", value), re.search(r"naive ([\d.]+)", value)
        return "met" if a and b and float(a.group(1)) < float(b.group(1)) else "MISSED"
    m = re.match(r"\s*>=\s*([\d.]+)x\s*$", target)  # a speed ratio: "7.4x (...)"
    if m and v is not None:
        return "met" if v >= float(m.group(1)) else "MISSED"
    if target == "equal":
        return "met" if value.startswith("yes") else "MISSED"
    if target == "all equal":
        a = re.match(r"(\d+)/(\d+)", value)
        return "met" if a and a.group(1) == a.group(2) else "MISSED"
    return "see value"


def write_summary(rows: list[tuple[str, str, str]]) -> None:
    """Like record(), with a met/MISSED column."""
    head = (f"## Summary\n\n_{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC_\n\n"
            "| figure | value | target | met |\n|---|---|---|---|\n")
    body = head + "".join(f"| {a} | {b} | {c} | {verdict(b, c) if c != '-' else '-'} |\n" for a, b, c in rows)
    text = RESULTS.read_text()
    pattern = re.compile(r"## Summary\n.*?(?=\n## |\Z)", re.S)
    text = pattern.sub(body.rstrip("\n") + "\n", text) if pattern.search(text) else text + "\n" + body
    RESULTS.write_text(text)
    for a, b, c in rows:
        print(f"{verdict(b, c) if c != '-' else '-':>9}  {a}: {b} (target {c})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes and shorter rate-limit runs")
    ap.add_argument("--only", nargs="*", help="run only these scripts (e.g. sync_calls.py)")
    args = ap.parse_args()
    record("Machine", machine())
    skipped = []
    for script, extra in FULL:
        if args.only and script not in args.only:
            continue
        missing = [m for m in NEEDS.get(script, ()) if importlib.util.find_spec(m) is None]
        if missing:
            skipped.append(f"{script} (needs {', '.join(missing)}: pip install -e '.[test]')")
            continue
        cmd = [sys.executable, str(HERE / script), *(QUICK.get(script, []) if args.quick else []), *extra]
        print(f"== {script} {' '.join(cmd[2:])}", flush=True)
        started = time.monotonic()
        done = subprocess.run(cmd, cwd=HERE.parent)
        print(f"   {script}: exit {done.returncode} in {time.monotonic() - started:.0f}s", flush=True)
        if done.returncode:
            skipped.append(f"{script} (exit {done.returncode})")
    rows = summary()
    rows += [(f"not run: {s}", "-", "-") for s in skipped]
    write_summary(rows or [("no figures yet", "-", "-")])
    text = RESULTS.read_text()
    # keep Machine and Summary at the top, after the intro
    parts = re.split(r"(?=^## )", text, flags=re.M)
    intro, sections = parts[0], parts[1:]
    first = [s for s in sections if s.startswith(("## Machine", "## Summary"))]
    rest = [s for s in sections if not s.startswith(("## Machine", "## Summary"))]
    RESULTS.write_text(intro + "".join(sorted(first, key=lambda s: not s.startswith("## Machine")) + rest))


if __name__ == "__main__":
    main()
