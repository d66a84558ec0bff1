"""Regenerate the README's chart screenshots from the sandbox: `python notebooks/screenshots.py`.

Each figure is written as a self-contained HTML file (plotly.js embedded) and photographed by
headless Chromium (Debian's `chromium`), so the PNGs show exactly what a report shows, with no
extra image-export dependency. Only file:// and the loopback sandbox are touched.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).parent
SIZE = (1100, 620)


def figures(projects: int = 2000, seed: int = 7) -> dict:
    import polars as pl

    import pcnb.analytics as an
    from pcnb import charts, palette
    from pcnb.workspace import Workspace

    end = datetime(2026, 11, 1, tzinfo=UTC)
    with Workspace.sandbox(projects=projects, seed=seed, end=end) as ws:
        ws.sync(progress=False)
        prof = ws.profile  # the program's roles and calendar
        cal = prof.calendar.calendar()
        iv = an.status_intervals(ws.status_events(), cal, end, terminal=prof.roles.final)
        recent = iv.filter(pl.col("entered") >= datetime(2024, 11, 1, tzinfo=UTC))
        flow = an.throughput(recent, [prof.roles.intake, prof.roles.completion], "1mo", calendar=cal)
        active = iv.filter(~pl.col("status").is_in(prof.roles.final))
        return {"throughput": charts.throughput_chart(flow, end, colors=palette.use(prof), cal=cal),
                "time_in_status": charts.time_in_status_chart(active, end, cal, colors=palette.use(prof),
                                                              deadlines=charts.status_deadlines(prof.deadlines))}


def shoot(html: Path, png: Path, browser: str, profile: Path, size: tuple[int, int] = SIZE) -> None:
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={profile}", "--virtual-time-budget=8000",
                    f"--window-size={size[0]},{size[1]}", f"--screenshot={png}", html.as_uri()],
                   check=True, capture_output=True, timeout=120)


def main(out_dir: Path = HERE / "img", projects: int = 2000) -> list[Path]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("screenshots need Debian's chromium (apt-get install chromium)")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="pcnb-shots-") as tmp:
        for name, fig in figures(projects).items():
            height = max(fig.layout.height or 0, SIZE[1] - 20)
            fig.update_layout(width=SIZE[0] - 20, height=height)
            html = Path(tmp) / f"{name}.html"
            fig.write_html(html, include_plotlyjs=True, full_html=True, config={"displayModeBar": False})
            shoot(html, out_dir / f"{name}.png", browser, Path(tmp) / "chrome", (SIZE[0], height + 20))
            written.append(out_dir / f"{name}.png")
    return written


if __name__ == "__main__":
    for path in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "img"):
        print(path)
