"""Visual regression of every `%powerclerk chart` on two programs (residential and rebate): each chart
has a stored reference in tests/charts_ref/PROGRAM/ -- its structure (JSON, compared exactly, default
tier) and its PNG (compared with a tolerance, slow tier: Chromium). See tests/chartimages.py for why
both, and how to refresh them after an intended change."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest

from pcnb.commands.chart import CHARTS
from tests import chartimages as ci

# cells of a 48x80 grid allowed to differ: the data of histories ending at today's END moves bars a
# little from day to day (measured: < 0.04 for histories ending up to 30 days apart); a chart back to
# its old defaults differs in 0.2-0.5 of the cells
TOLERANCE = 0.08


@pytest.fixture(scope="module", params=ci.PROGRAMS)
def drawn(request):
    """(program, its figures, its status names): every chart drawn by the command on a seeded sandbox."""
    figs, statuses = ci.figures(request.param)
    return request.param, figs, statuses


def test_every_chart_has_a_reference_structure(drawn):
    program, figs, statuses = drawn
    assert set(figs) == set(CHARTS)
    if ci.refreshing():
        ci.refresh(program, figs, statuses, images=ci.chromium())
    problems = []
    for name, fig in figs.items():
        path = ci.REF / program / f"{name}.json"
        if not path.exists():
            problems.append(f"{program} {name}: no reference {path.relative_to(ci.REF.parent.parent)}")
            continue
        want, got = json.loads(path.read_text()), ci.structure(name, fig, statuses)
        if got != want:
            diff = {k: (want.get(k), got.get(k)) for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)}
            problems.append(f"{program} {name} differs from {path.name}: {diff}")
    assert not problems, "\n".join(problems) + f"\n{ci.HOW}"


def test_titles_legends_and_axes_speak_plain_words(drawn):
    """No code names, formulas or calendar codes anywhere a reader looks; the title asks a question."""
    program, figs, _ = drawn
    for name, fig in figs.items():
        question = fig.layout.title.text.split("<br>")[0]
        assert question.endswith("?") and "_" not in question, (program, name, question)
        words = [fig.layout.title.text, fig.layout.xaxis.title.text or "", fig.layout.yaxis.title.text or "",
                 *[t.name or "" for t in fig.data if t.showlegend is not False],
                 *[a.text or "" for a in fig.layout.annotations]]
        for text in words:
            assert not re.search(r"[A-Z]\s*[+-]\s*[A-Z]\)|MTWTF|\b\w+_\w+\b|holidays(?! a year)|Period", text), \
                (program, name, text)
        assert fig.layout.xaxis.tickangle is None and fig.layout.yaxis.tickangle is None  # nothing rotated
    assert "Mon-Fri" in figs["sla"].layout.title.text and "holidays a year" in figs["sla"].layout.title.text


@pytest.mark.slow
@pytest.mark.skipif(not ci.chromium(), reason="chromium is not installed (.ci/run installs it)")
def test_every_chart_looks_like_its_reference_image(drawn):
    program, figs, _ = drawn
    problems = []
    with tempfile.TemporaryDirectory(prefix="pcnb-charts-") as tmp:
        for name, fig in figs.items():
            ref = ci.REF / program / f"{name}.png"
            if not ref.exists():
                problems.append(f"{program} {name}: no reference image {ref.relative_to(ci.REF.parent.parent)}")
                continue
            png = ci.shoot(fig, Path(tmp) / f"{program}-{name}.png", Path(tmp))
            share = ci.difference(ci.read_png(ref), ci.read_png(png))
            if share > TOLERANCE:
                kept = ref.with_name(f"{name}.actual.png")
                kept.write_bytes(png.read_bytes())  # beside the reference, to look at (not committed: .gitignore)
                problems.append(f"{program} {name}: {share:.0%} of the image differs from {ref.name} (tolerance "
                                f"{TOLERANCE:.0%}); this run's picture: {kept}")
    assert not problems, "\n".join(problems) + f"\n{ci.HOW}"


def test_the_image_diff_tells_a_changed_chart_from_a_moved_day(tmp_path):
    """The tolerance means something: the same chart drawn twice is ~0 apart, the SLA chart is far
    from the throughput chart (a different layout)."""
    a, b = ci.REF / "residential" / "sla.png", ci.REF / "residential" / "throughput.png"
    if not (a.exists() and b.exists()):
        pytest.fail(f"reference images missing: {ci.HOW}")
    assert ci.difference(ci.read_png(a), ci.read_png(a)) == 0
    assert ci.difference(ci.read_png(a), ci.read_png(b)) > 3 * TOLERANCE
