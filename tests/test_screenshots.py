"""notebooks/screenshots.py: the README's chart PNGs come from the sandbox through headless Chromium."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the slow tier: pytest -m slow

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (.ci/run installs it)")
def test_screenshot_script_writes_non_blank_pngs(tmp_path):
    spec = importlib.util.spec_from_file_location("screenshots", ROOT / "notebooks" / "screenshots.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    paths = module.main(tmp_path, projects=300)
    assert [p.name for p in paths] == ["throughput.png", "time_in_status.png"]
    blank = tmp_path / "blank.html"
    blank.write_text("<html><body></body></html>")
    module.shoot(blank, tmp_path / "blank.png", shutil.which("chromium"), tmp_path / "chrome")
    for p in paths:
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 5 * (tmp_path / "blank.png").stat().st_size  # bars, boxes and text, not a white page
