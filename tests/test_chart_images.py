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

# Per chart, the grid (rows, columns) the two images are compared on, and the share of its cells
# allowed to differ. The sandboxes' histories end at the run's day (END), so the data moves from day
# to day; measured against references made on 2026-12-06, on histories ending 1, 7 and 30 days later
# and on CI's moved-clock days (2025-12-06, 2027-03-14, 2027-12-06, 2027-01-01), and against the charts
# as drawn before #26:
#   chart           grid    moved days (max)   old charts (min)
#   time-in-status  48x80   0.000              0.16
#   aging           48x80   0.004              0.13
#   sla             48x80   0.004              0.32
#   backlog         48x80   0.057              0.17   (a handful of open threads: a bin can change)
#   bottlenecks     12x20   0.008              0.12   (48x80: 0.107 when a rare move crosses n = 10)
#   throughput      12x20   0.067              0.18   (48x80: 0.197 when the months shift)
#   cfd             12x20   0.004              0.21
#   backlog-trend   12x20   0.042              0.16
# and the forecast charts (#29), against histories ending 7 and 30 days later (48x80 / 12x20):
#   forecast        12x20   0.051 / 0.008      (a fan of simulated futures: the bands move with the data)
#   completion      12x20   0.040 / 0.000
#   at-risk         12x20   0.011 / 0.025      (which projects are at risk changes from day to day)
#   variants        48x80   0.000              -      (issue 31's charts: histories ending 1, 7 and 30 days
#   map             12x20   0.000              -       later than the references of 2026-12-06)
#   rework          48x80   0.000              -
FINE, COARSE = (48, 80), (12, 20)
CHECK = {"time-in-status": (FINE, 0.05), "aging": (FINE, 0.05), "sla": (FINE, 0.05), "backlog": (FINE, 0.1),
         "bottlenecks": (COARSE, 0.06), "throughput": (COARSE, 0.1), "cfd": (COARSE, 0.1),
         "backlog-trend": (COARSE, 0.1), "forecast": (COARSE, 0.1), "completion": (COARSE, 0.1),
         "at-risk": (COARSE, 0.1), "variants": (FINE, 0.05), "map": (COARSE, 0.06), "rework": (FINE, 0.05)}


@pytest.fixture(scope="module", params=ci.PROGRAMS)
def drawn(request):
    """(program, its figures, its status names): every chart drawn by the command on a seeded sandbox."""
    figs, statuses = ci.figures(request.param)
    return request.param, figs, statuses


def structure_problems(program: str, figs: dict, statuses: set[str], ref: Path = ci.REF) -> list[str]:
    """One line per chart whose stored structure is missing or differs (naming what differs)."""
    problems = []
    for name, fig in figs.items():
        path = ref / program / f"{name}.json"
        if not path.exists():
            problems.append(f"{program} {name}: no reference {path}")
            continue
        want, got = json.loads(path.read_text()), ci.structure(name, fig, statuses)
        if got != want:
            diff = {k: (want.get(k), got.get(k)) for k in sorted(set(want) | set(got)) if want.get(k) != got.get(k)}
            problems.append(f"{program} {name} differs from {path.name}: {diff}")
    return problems


def check(problems: list[str]) -> None:
    assert not problems, "\n".join(problems) + f"\n{ci.HOW}"


def test_every_chart_has_a_reference_structure(drawn):
    program, figs, statuses = drawn
    assert set(figs) == set(CHARTS)
    if ci.refreshing():
        ci.refresh(program, figs, statuses, images=ci.chromium())
    check(structure_problems(program, figs, statuses))


def test_a_missing_or_changed_reference_fails_naming_the_refresh(drawn, tmp_path):
    program, figs, statuses = drawn
    (tmp_path / program).mkdir()
    sla = json.loads((ci.REF / program / "sla.json").read_text())
    sla["traces"][0] = sla["traces"][0].replace("met the deadline", "on-time rate (A-B)/A")
    (tmp_path / program / "sla.json").write_text(json.dumps(sla))
    problems = structure_problems(program, figs, statuses, tmp_path)
    assert len(problems) == len(CHARTS) and problems[CHARTS.index("sla")].startswith(f"{program} sla differs")
    assert "on-time rate (A-B)/A" in problems[CHARTS.index("sla")]
    assert sum("no reference" in p for p in problems) == len(CHARTS) - 1
    with pytest.raises(AssertionError, match="PCNB_REFRESH_CHART_REFS=1 .*tests/test_chart_images.py"):
        check(problems)


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
            grid, allowed = CHECK[name]
            share = ci.difference(ci.read_png(ref), ci.read_png(png), grid)
            if share > allowed:
                kept = ref.with_name(f"{name}.actual.png")
                kept.write_bytes(png.read_bytes())  # beside the reference, to look at (not committed: .gitignore)
                problems.append(f"{program} {name}: {share:.0%} of the image differs from {ref.name} (tolerance "
                                f"{allowed:.0%}); this run's picture: {kept}")
    check(problems)


def test_the_image_diff_is_zero_for_the_same_picture_and_large_for_another_layout():
    a, b = ci.REF / "residential" / "sla.png", ci.REF / "residential" / "throughput.png"
    if not (a.exists() and b.exists()):
        pytest.fail(f"reference images missing: {ci.HOW}")
    assert ci.difference(ci.read_png(a), ci.read_png(a)) == 0
    assert ci.difference(ci.read_png(a), ci.read_png(b), FINE) > 3 * CHECK["sla"][1]
    assert set(CHECK) == set(CHARTS)  # every chart has its comparison


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
    share = ci.difference(ci.read_png(ref), ci.read_png(ci.shoot(old, tmp_path / "old.png", tmp_path)), FINE)
    assert share > 3 * CHECK["sla"][1], share
