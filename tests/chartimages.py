"""Reference charts: every `%powerclerk chart NAME` on two sandbox programs, as structure and as PNG.

Why both: the structure (trace kinds, orientation, legend words, meaning colours, axis titles, the
title with its numbers masked, target lines, the bins and rows a chart is built on) is exact and
cheap, and catches a chart going back to defaults (rotated labels, a formula legend, a red/green
pair, a box plot, 50-day bins) on any day; the image, compared with a tolerance, catches what the
structure cannot say (overlaps, cut labels, a squashed plot). The sandboxes' histories end at
tests.conftest.END, the day of the run, so the data moves a little from day to day: the structure
leaves out what moves (values, dates, which statuses have open stays today) and the image diff
tolerates it.

Refresh after an intended change, then look at the PNGs before committing them:
    PCNB_REFRESH_CHART_REFS=1 PYTHONPATH=. python -m pytest tests/test_chart_images.py -m "slow or not slow"
"""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path
from typing import Any

REF = Path(__file__).parent / "charts_ref"
PROGRAMS = ("residential", "rebate")
PROJECTS, SEED = 250, 13
WIDTH = 1000
REFRESH = "PCNB_REFRESH_CHART_REFS"
HOW = (f"refresh with `{REFRESH}=1 PYTHONPATH=. python -m pytest tests/test_chart_images.py -m \"slow or not slow\"`"
       " and look at the PNGs in tests/charts_ref/ before committing them")
# rows that are the program's own and do not move with the day (deadlines, the non-final statuses)
STABLE_ROWS = ("sla", "time-in-status")


def figures(program: str) -> tuple[dict[str, Any], set[str]]:
    """Every chart the command draws, on a seeded sandbox of ``program``, drawn as of END; and the
    program's status names."""
    from pcnb import clock
    from pcnb.commands import Session, parse, run
    from pcnb.commands.chart import CHARTS
    from pcnb.workspace import Workspace
    from tests.conftest import END

    with Workspace.sandbox(projects=PROJECTS, seed=SEED, end=END, program=program, rate_limit="100000/60") as ws:
        session = Session()
        session.workspace = ws
        ws.sync(progress=False)
        with clock.frozen(END):
            return ({name: run(parse(f"chart {name}"), session) for name in CHARTS},
                    {s.name for s in ws.profile.statuses})


def _mask(text: str) -> str:
    """Numbers and dates out of a text (they move with the day): "n = 811" -> "n = #"."""
    text = re.sub(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d+", "<date>", text)
    return re.sub(r"\d[\d,.:%-]*", "#", text)


def _color(trace: Any) -> Any:
    if trace.type == "sankey":
        return None
    if trace.type == "scatter" and trace.mode and "lines" in trace.mode and trace.mode != "markers":
        return trace.line.color
    if trace.type == "scatter" and trace.mode == "text":
        return None
    return trace.marker.color


def structure(name: str, fig: Any, statuses: set[str]) -> dict[str, Any]:
    """What a chart is made of, without what moves from day to day. A trace drawing one status is
    recorded as "<status>" (which statuses appear depends on the day's data); its colour must be
    that status's palette colour, checked by tests/test_charts.py."""
    def trace(t: Any) -> str:
        status = t.name is not None and t.name.split(" (suppressed")[0] in statuses
        label = "<status>" if status else _mask(t.name or "")
        color = "<status colour>" if status else _color(t)
        if not isinstance(color, (str, type(None))):
            color = "<per point>"
        pattern = getattr(getattr(t.marker, "pattern", None), "shape", None) if t.type == "bar" else None
        hatched = "hatched" if pattern and any(pattern) else ""
        parts = [t.type, getattr(t, "orientation", None) or "", getattr(t, "mode", None) or "", label, str(color),
                 hatched]
        if t.type == "bar" and all(v is None for v in (t.x or ())):
            parts.append("legend only")
        return " | ".join(parts)

    layout = fig.layout
    out: dict[str, Any] = {
        "title": _mask(layout.title.text or ""),
        "x": _mask(layout.xaxis.title.text or ""), "y": _mask(layout.yaxis.title.text or ""),
        "tick angles": [layout.xaxis.tickangle, layout.yaxis.tickangle],
        "traces": sorted(set(map(trace, fig.data))),
        "shapes": sorted({f"{s.type} {s.line.dash} {s.line.color}" for s in layout.shapes}),
        "annotations": sorted({_mask(a.text or "") for a in layout.annotations}),
    }
    bars = [t for t in fig.data if t.type == "bar" and t.orientation != "h" and t.x and isinstance(t.x[0], str)]
    if bars:  # categorical columns: the bins (backlog)
        out["columns"] = list(bars[0].x)
    if name in STABLE_ROWS:
        out["rows"] = [str(r).split("<br>")[0] for r in layout.yaxis.categoryarray or ()]
    return out


def shoot(fig: Any, png: Path, work: Path) -> Path:
    """The figure photographed by headless Chromium as a report shows it (notebooks/screenshots.py)."""
    import importlib.util

    import plotly.graph_objects as go

    spec = importlib.util.spec_from_file_location("screenshots", Path(__file__).parent.parent / "notebooks" /
                                                  "screenshots.py")
    assert spec is not None and spec.loader is not None
    shots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shots)
    fig = go.Figure(fig)
    height = fig.layout.height or 560
    fig.update_layout(width=WIDTH, height=height)
    html = work / f"{png.stem}.html"
    fig.write_html(html, include_plotlyjs=True, full_html=True, config={"displayModeBar": False})
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "chromium is needed to render charts"
    shots.shoot(html, png, browser, work / "chrome", (WIDTH + 20, height + 20))
    return png


def read_png(path: Path) -> Any:
    """An 8-bit RGB(A) PNG as a numpy array (height, width, 3) of 0..1: enough for Chromium's screenshots,
    without an imaging library."""
    import numpy as np

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    pos, idat, width = 8, b"", 0
    height = depth = kind = 0
    while pos < len(data):
        length, tag = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if tag == b"IHDR":
            width, height, depth, kind, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and kind in (2, 6) and interlace == 0, f"{path}: unsupported PNG ({depth}, {kind})"
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    channels = 3 if kind == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, 1 + width * channels)
    out = np.zeros((height, width * channels), dtype=np.int32)
    for y in range(height):  # undo the per-row filters (PNG spec 9.2)
        f, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        prev = out[y - 1] if y else np.zeros(width * channels, dtype=np.int32)
        if f == 0:
            out[y] = line
        elif f == 2:
            out[y] = (line + prev) % 256
        else:
            row = np.zeros(width * channels, dtype=np.int32)
            for x in range(width * channels):
                left = row[x - channels] if x >= channels else 0
                up, corner = prev[x], (prev[x - channels] if x >= channels else 0)
                if f == 1:
                    pred = left
                elif f == 3:
                    pred = (left + up) // 2
                else:  # Paeth
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                row[x] = (line[x] + pred) % 256
            out[y] = row
    return out.reshape(height, width, channels)[:, :, :3] / 255.0


def difference(a: Any, b: Any, grid: tuple[int, int] = (48, 80)) -> float:
    """The share of cells of a ``grid`` (rows, columns) over both images whose mean colour differs by
    more than 0.1: 0 for the same picture, small when bars moved a little, large when the layout
    changed. Images of different heights are compared cell for cell over the same grid."""
    import numpy as np

    def cells(img: Any) -> Any:
        h, w = img.shape[:2]
        ys, xs = np.linspace(0, h, grid[0] + 1).astype(int), np.linspace(0, w, grid[1] + 1).astype(int)
        return np.array([[img[ys[i]:ys[i + 1], xs[j]:xs[j + 1]].mean(axis=(0, 1)) for j in range(grid[1])]
                         for i in range(grid[0])])

    return float((np.abs(cells(a) - cells(b)).max(axis=2) > 0.1).mean())


def refresh(program: str, figs: dict[str, Any], statuses: set[str], images: bool) -> None:
    """Write the references of one program (structure always; images when Chromium renders them)."""
    folder = REF / program
    folder.mkdir(parents=True, exist_ok=True)
    for name, fig in figs.items():
        (folder / f"{name}.json").write_text(json.dumps(structure(name, fig, statuses), indent=1,
                                                        ensure_ascii=False) + "\n")
    if images:
        with tempfile.TemporaryDirectory(prefix="pcnb-refs-") as tmp:
            for name, fig in figs.items():
                shoot(fig, folder / f"{name}.png", Path(tmp))


def refreshing() -> bool:
    return os.environ.get(REFRESH) == "1"


def chromium() -> bool:
    return bool(shutil.which("chromium") or shutil.which("chromium-browser"))


def png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


__all__ = ["HOW", "PROGRAMS", "REF", "difference", "figures", "read_png", "refresh", "refreshing", "shoot",
           "structure", "subprocess"]
