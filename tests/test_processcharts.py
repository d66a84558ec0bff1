"""The process-mining charts (variants, process map, rework) on every built-in program, and on data
that leaves nothing to draw: a statement in words, never an empty plot."""

from __future__ import annotations

import polars as pl
import pytest

from pcnb.analytics import Calendar, status_intervals
from pcnb.analytics.process_map import process_map
from pcnb.analytics.quality import process_checks, process_statement
from pcnb.analytics.rework import rework
from pcnb.analytics.variants import variants
from pcnb.palette import Palette
from pcnb.processcharts import process_map_chart, rework_chart, variants_chart
from pcnb.sandbox import definition
from pcnb.sandbox.generator import generate
from tests.conftest import END
from tests.sandbox.test_deviations import events_of
from tests.test_charts import status_colors


def _drawn(fig) -> int:
    return sum(len(t.x or ()) for t in fig.data if t.x is not None and any(v is not None for v in t.x))


@pytest.mark.parametrize("program", definition.BUILTINS)
def test_every_process_chart_draws_each_built_in_program(program):
    state = generate(300, seed=8, end=END, program=program, deviations={"re_entry": 3, "skipped_step": 3})
    prog = state.program
    order = [s.name for s in prog.statuses]
    final = [s.name for s in prog.statuses if s.custom_id in prog.terminal]
    holders = {s.name: prog.holders.get(s.custom_id, "utility") for s in prog.statuses}
    cal = Calendar.us_federal(prog.timezone)
    iv = status_intervals(events_of(state), cal, END, terminal=final)
    pal = Palette(order)
    figs = {"variants": variants_chart(variants(iv, final, share=0.8, k=15, order=order), END, cal, pal),
            "map": process_map_chart(process_map(iv, order=order, min_share=0.005), END, cal, pal, min_share=0.005),
            "rework": rework_chart(rework(iv, holders, final).pairs, END, cal)}
    for name, fig in figs.items():
        text = fig.layout.title.text
        assert text.split("<br>")[0].endswith("?") and "as of" in text and "business days (Mon-Fri" in text, name
        assert _drawn(fig) > 0, (program, name)
        for status, colours in status_colors(fig).items():  # a status keeps its palette colour
            assert status not in order or colours == {pal[status]}, (program, name, status)
    assert fig.layout.height >= 400
    labels = [a.text for a in figs["map"].layout.annotations]
    assert sum(1 for s in order if any(f"<b>{s}</b>" in t for t in labels)) >= len(order) - 1  # a box per status


def test_nothing_to_draw_is_said_in_words():
    from tests.analytics.helpers import AS_OF, CAL
    from tests.analytics.process_helpers import FINAL, HOLDERS, ORDER, log, path

    lone = status_intervals(log(path("a", ["U"]), path("b", ["S"])), CAL, AS_OF, terminal=FINAL)
    said = process_statement(process_checks(lone, ORDER))
    assert said and said[0].startswith("projects with no move: 2 of 2")
    fig = process_map_chart(process_map(lone, order=ORDER), AS_OF, CAL, statements=said)
    words = " ".join(a.text for a in fig.layout.annotations)
    assert "No moves to draw" in words and "projects with no move" in words and _drawn(fig) == 0
    fig = rework_chart(rework(lone, HOLDERS, FINAL).pairs, AS_OF, CAL)
    assert "No rework loops found" in " ".join(a.text for a in fig.layout.annotations)
    empty = status_intervals(log(path("a", ["U"])).clear(), CAL, AS_OF, terminal=FINAL)
    fig = variants_chart(variants(empty, FINAL), AS_OF, CAL, statements=["no status history in the cache"])
    assert "No paths to show" in " ".join(a.text for a in fig.layout.annotations)
    assert isinstance(fig.table, pl.DataFrame)
