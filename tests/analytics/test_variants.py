"""variants.py: paths with and without loops, shares, cycle times, outcome mix, top-k with "other"."""

from __future__ import annotations

import polars as pl
import pytest

from pcnb.analytics import status_intervals
from pcnb.analytics.variants import in_variant, project_variants, variant_outcomes, variants
from tests.analytics.helpers import AS_OF, CAL
from tests.analytics.process_helpers import FINAL, ORDER, log, path

EXITS = {"completed": ["PTO"], "withdrawn": ["W", "X"]}
LOG = log(path("a1", ["U", "S", "R", "A", "I", "PTO"]),      # Mon 1 .. Sat 6: 4 business days to PTO
          path("a2", ["U", "S", "R", "A", "I", "PTO"], 2),   # Tue 2 .. Sun 7: 3
          path("a3", ["U", "S", "R", "A", "I", "PTO"], 8),   # Mon 8 .. Sat 13: 5
          path("b1", ["U", "S", "R", "Ret", "R", "A"]),       # open in A
          path("b2", ["U", "S", "R", "Ret", "R", "Ret", "R", "X"]),
          path("c1", ["U", "S", "W"]))


@pytest.fixture
def iv():
    return status_intervals(LOG, CAL, AS_OF, terminal=FINAL)


def test_each_project_has_its_path_cycle_time_and_outcome(iv):
    pv = project_variants(iv, FINAL, outcomes=EXITS, order=ORDER)
    rows = {r["project_id"]: r for r in pv.iter_rows(named=True)}
    assert rows["a1"]["variant"] == "U → S → R → A → I → PTO" and rows["a1"]["steps"] == 6
    assert [rows[p]["cycle_bdays"] for p in ("a1", "a2", "a3")] == [4, 3, 5]  # 07-04 holiday, weekends
    assert rows["b1"]["outcome"] == "in progress" and rows["b1"]["cycle_bdays"] is None and rows["b1"]["age_bdays"] > 0
    assert (rows["b2"]["outcome"], rows["c1"]["outcome"]) == ("withdrawn", "withdrawn")
    plain = project_variants(iv, FINAL)  # without outcome kinds: the final status itself
    assert dict(zip(plain["project_id"], plain["outcome"], strict=True))["b2"] == "X"


def test_variants_share_cycle_time_and_mix(iv):
    v = variants(iv, FINAL, outcomes=EXITS, min_n=3)
    top = v.row(0, named=True)
    assert (top["variant"], top["projects"], top["finished"], top["median_bdays"], top["p90_bdays"]) == (
        "U → S → R → A → I → PTO", 3, 3, 4.0, 4.8)
    assert top["share"] == pytest.approx(0.5) and top["outcome_mix"] == "100% completed"
    assert v["projects"].sum() == 6 and v["cum_share"][-1] == pytest.approx(1.0) and v["rank"].to_list() == [1, 2, 3, 4]
    assert v.filter(pl.col("variant") == "U → S → W")["suppressed"].item()  # 1 finished < min_n: no median
    assert v.filter(pl.col("variant") == "U → S → W")["median_bdays"].item() is None


def test_loops_collapse_to_the_statuses_gone_through(iv):
    folded = variants(iv, FINAL, repeats="collapse", min_n=0)
    assert set(folded["variant"]) == {"U → S → R → A → I → PTO", "U → S → R → Ret → A", "U → S → R → Ret → X",
                                      "U → S → W"}
    kept = variants(iv, FINAL, min_n=0)
    assert "U → S → R → Ret → R → Ret → R → X" in kept["variant"].to_list()


def test_top_share_groups_the_rest_with_their_own_statistics(iv):
    v = variants(iv, FINAL, share=0.5, outcomes=EXITS, min_n=0)
    assert v["variant"].to_list() == ["U → S → R → A → I → PTO", "other (3 variants)"]
    other = v.row(1, named=True)
    assert (other["variants"], other["projects"], other["finished"], other["steps"]) == (3, 3, 2, None)
    assert other["outcome_mix"] == "67% withdrawn · 33% in progress"
    assert variants(iv, FINAL, k=2, min_n=0)["variants"].to_list() == [1, 1, 2]
    assert variants(iv, FINAL, share=1.0, min_n=0).height == 4  # every variant needed: no "other" row
    with pytest.raises(ValueError, match="share"):
        variants(iv, FINAL, share=0)


def test_filter_any_frame_to_a_variant(iv):
    pv = project_variants(iv, FINAL)
    cut = in_variant(LOG, pv, "U → S → R → A → I → PTO")
    assert sorted(set(cut["project_id"])) == ["a1", "a2", "a3"] and cut.height == 18
    assert in_variant(iv, pv, ["U → S → W"])["project_id"].unique().to_list() == ["c1"]
    with pytest.raises(ValueError, match="closest: U → S → R → A → I → PTO"):
        in_variant(LOG, pv, "U → S → R → A → PTO")
    mix = variant_outcomes(pv)
    assert mix.filter(pl.col("variant") == "U → S → W")["outcome"].to_list() == ["W"]


def test_no_events_and_missing_roles_are_plain():
    empty = status_intervals(LOG.clear(), CAL, AS_OF, terminal=FINAL)
    assert variants(empty, FINAL).height == 0 and project_variants(empty, FINAL).height == 0
    with pytest.raises(ValueError, match="terminal"):
        variants(empty)
    with pytest.raises(ValueError, match="needs intervals"):
        variants(LOG, FINAL)  # events, not intervals


@pytest.mark.parametrize("repeats", ["keep", "collapse"])
def test_variants_straight_from_the_events_equal_those_from_the_intervals(repeats):
    from pcnb.analytics import Calendar
    from pcnb.analytics.variants import event_variants
    from pcnb.sandbox.generator import generate
    from tests.conftest import END, FINAL
    from tests.sandbox.test_deviations import events_of

    state = generate(400, seed=6, end=END, deviations={"re_entry": 5, "skipped_step": 5})
    ev = events_of(state).sample(fraction=1.0, shuffle=True, seed=2)  # in no order: sorted on the way
    ev = pl.concat([ev, ev.head(30)])  # and some events twice: one stay each
    cal = Calendar.us_federal("America/Los_Angeles")
    outcomes = {"completed": ["Permission to Operate"], "withdrawn": ["Withdrawn", "Rejected"]}
    a = event_variants(ev, cal, END, FINAL, repeats, outcomes).sort("project_id")
    b = project_variants(status_intervals(ev, cal, END, terminal=FINAL), FINAL, repeats, outcomes).sort("project_id")
    assert a.drop("cycle_days").equals(b.drop("cycle_days"))
    assert ((a["cycle_days"] - b["cycle_days"]).abs().fill_null(0) < 1e-9).all()
    assert event_variants(ev.clear(), cal, END, FINAL).height == 0
