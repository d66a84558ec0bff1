"""`pcnb demo` wall time in a fresh process (sandbox, sync of 2,000 projects, 4 executed reports), and
the size of each self-contained HTML report: how much is the embedded plotly.js (gzip + base64, once
per file) and how much the report itself (text, tables, figure data)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._results import record  # noqa: E402


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def sizes(folder: Path) -> list[tuple[str, str, str]]:
    """Per report: total, the embedded bundles (plotly.js; itables' DataTables), the rest; plus the
    bundles' uncompressed sizes for comparison."""
    import re

    import plotly

    raw = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").stat().st_size
    rows = []
    for page in sorted(folder.glob("*.html")):
        text = page.read_text(encoding="utf-8")
        plotly_js = re.search(r'<script type="application/gzip;base64" id="pcnb-plotly-gz">.*?</script>', text, re.S)
        grids_js = re.search(r"<script>/\* itables bundle.*?</script>", text, re.S)
        bundle, grids = (len(m.group(0).encode()) if m else 0 for m in (plotly_js, grids_js))
        total = page.stat().st_size
        value = (f"{_mb(total)} (plotly.js {_mb(bundle)}, grids {_mb(grids)}, report {_mb(total - bundle - grids)})")
        rows.append((f"report size: {page.name}", value, "self-contained, each bundle once, compressed"
                     if bundle or grids else "-"))
    rows.append(("plotly.js bundle uncompressed (what each report would carry otherwise)", _mb(raw), "-"))
    return rows


def _run(*extra: str) -> tuple[float, list[str], list[tuple[str, str, str]], str]:
    with tempfile.TemporaryDirectory() as d:
        started = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "pcnb.cli", "demo", "-o", d, *extra], capture_output=True,
                              text=True)
        seconds = time.monotonic() - started
        reports = sorted(p.name for p in Path(d).glob("*.html"))
        files = sizes(Path(d))
    if done.returncode:
        print(done.stdout, done.stderr, file=sys.stderr)
        raise SystemExit(f"pcnb demo failed with exit {done.returncode}")
    return seconds, reports, files, done.stdout


def main() -> None:
    seconds, reports, files, out = _run()
    steps = [line.strip() for line in out.splitlines() if line.strip().startswith(("sandbox:", "wrote"))]
    record("pcnb demo (demo.py)", [
        ("pcnb demo: sandbox + sync + 4 reports (2,000 projects)", f"{seconds:.0f} s ({len(reports)} reports)",
         "< 5 min"),
        *[(f"  {line.split(' (')[0].replace('wrote ', '').rsplit('/', 1)[-1]}", line.rsplit("(", 1)[-1].rstrip(")"),
           "-") for line in steps if line.startswith("wrote")],
        *files,
    ])


if __name__ == "__main__":
    main()
