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

# cells of a 48x80 grid allowed to differ. The sandboxes' histories end at the run's day (END), so the
# data moves a little from day to day; measured against references made on one day, histories ending
# 1, 7 and 30 days later and on the moved-clock days CI uses: <= 0.003 for the charts of rows and bins,
# <= 0.08 for the charts over time (a month boundary moves bars). The old default-drawn charts differ
# in 0.13-0.33 of the cells, the SLA drawn by plotly's defaults (test below) in more than 0.2.
TOLERANCE = {"throughput": 0.15, "cfd": 0.15, "backlog-trend": 0.15}
ROWS_TOLERANCE = 0.05


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
            share, allowed = ci.difference(ci.read_png(ref), ci.read_png(png)), TOLERANCE.get(name, ROWS_TOLERANCE)
            if share > allowed:
                kept = ref.with_name(f"{name}.actual.png")
                kept.write_bytes(png.read_bytes())  # beside the reference, to look at (not committed: .gitignore)
                problems.append(f"{program} {name}: {share:.0%} of the image differs from {ref.name} (tolerance "
                                f"{allowed:.0%}); this run's picture: {kept}")
    assert not problems, "\n".join(problems) + f"\n{ci.HOW}"


def test_the_image_diff_is_zero_for_the_same_picture_and_large_for_another_layout():
    a, b = ci.REF / "residential" / "sla.png", ci.REF / "residential" / "throughput.png"
    if not (a.exists() and b.exists()):
        pytest.fail(f"reference images missing: {ci.HOW}")
    assert ci.difference(ci.read_png(a), ci.read_png(a)) == 0
    assert ci.difference(ci.read_png(a), ci.read_png(b)) > 2 * max(TOLERANCE.values())


@pytest.mark.slow
@pytest.mark.skipif(not ci.chromium(), reason="chromium is not installed (.ci/run installs it)")
def test_an_sla_chart_back_to_plotly_defaults_fails_the_image_comparison(drawn, tmp_path):
    """What the tolerance is for: the SLA figures of this run, drawn as before #26 (vertical grouped bars,
    a red/green pair, a formula legend, rotated labels), differ from the reference beyond it."""
    import plotly.graph_objects as go

    program, figs, _ = drawn
    new = figs["sla"]
    met, late, open_late = [t for t in new.data if t.type == "bar"]
    names = [str(y).split("<br>")[0] for y in met.y]
    missed = [None if a is None else a + (b or 0) for a, b in zip(late.x, open_late.x, strict=True)]
    old = go.Figure()
    old.add_bar(x=names, y=missed, name="exceeding (B+C)/(A+C)", marker_color="#b2182b")
    old.add_bar(x=names, y=list(met.x), name="on-time rate (A-B)/A", marker_color="#1b7837")
    old.update_layout(title=new.layout.title.text, template="plotly_white", height=new.layout.height,
                      xaxis_title="Deadline", yaxis_title="Share", margin={"t": 90})
    ref = ci.REF / program / "sla.png"
    share = ci.difference(ci.read_png(ref), ci.read_png(ci.shoot(old, tmp_path / "old.png", tmp_path)))
    assert share > ROWS_TOLERANCE * 3, share
