"""The allocation toward the figures asked for: rates from the workflow, known before any history."""

from __future__ import annotations

import numpy as np

from pcnb.cache.sample_alloc import Focus, passes, rates, stratum_rates

#: Draft -> Submitted -> Review -> Approved -> Done; Review -> Returned -> Review; any -> Withdrawn
STEPS = [("Draft", "Submitted"), ("Submitted", "Review"), ("Review", "Approved"), ("Approved", "Done"),
         ("Review", "Returned"), ("Returned", "Review"), ("Draft", "Withdrawn"), ("Review", "Withdrawn")]


def test_a_status_passes_the_deadline_statuses_that_can_precede_it():
    focus = Focus.of(["Review", "Approved"], STEPS)
    assert focus is not None
    assert passes(focus, "Done") == ["Approved", "Review"]
    assert passes(focus, "Review") == ["Review"]  # in it: an open stay may be past its deadline
    assert passes(focus, "Returned") == ["Review"]
    assert passes(focus, "Withdrawn") == ["Review"]  # some withdrawn projects were reviewed first
    assert passes(focus, "Draft") == [] and passes(focus, "Submitted") == []


def test_no_deadline_or_no_workflow_means_proportional():
    assert Focus.of([], STEPS) is None and Focus.of(["Review"], []) is None
    names = ["Draft"] * 10 + ["Done"] * 30
    assert rates(names, None) == {"Draft": 1.0, "Done": 1.0}


def test_strata_past_the_deadlines_are_sampled_more_and_every_stratum_some():
    names = ["Draft"] * 300 + ["Submitted"] * 100 + ["Review"] * 100 + ["Done"] * 500
    r = rates(names, Focus.of(["Review", "Approved"], STEPS))
    assert r["Done"] > r["Review"] > r["Submitted"] == r["Draft"] > 0
    sizes = {"Draft": 300, "Submitted": 100, "Review": 100, "Done": 500}
    assert abs(sum(sizes[s] * r[s] for s in sizes) / 1000 - 1) < 1e-12  # as many calls as proportional


def test_the_allocation_shrinks_the_variance_of_the_deadline_share():
    """The design variance of pct_exceeding (a 0/1 outcome over the projects that passed Review),
    exact by the stratified formula, is smaller under the allocation than under proportional."""
    rng = np.random.default_rng(3)
    names = np.array(["Draft"] * 3000 + ["Submitted"] * 1000 + ["Review"] * 1000 + ["Done"] * 5000)
    passed = np.isin(names, ["Review", "Done"]).astype(float)
    late = passed * (rng.random(names.size) < 0.4)
    z = (late - late.sum() / passed.sum() * passed) / passed.sum()
    labels, h = np.unique(names, return_inverse=True)
    big_n = np.bincount(h).astype(float)
    s2 = np.array([z[h == k].var(ddof=1) for k in range(len(labels))])

    def variance(rate: np.ndarray, n: int = 500) -> float:
        nh = big_n * rate / (big_n * rate).sum() * n
        return float((big_n ** 2 * (1 - nh / big_n) * s2 / nh).sum())

    r = rates(names.tolist(), Focus.of(["Review"], STEPS))
    assert variance(np.array([r[s] for s in labels])) < 0.8 * variance(np.ones(len(labels)))


def test_rates_follow_each_project_to_its_stratum_label():
    got = stratum_rates(["S1", "S2", "S1"], ["Draft", "Done", "Draft"], Focus.of(["Review"], STEPS))
    assert set(got) == {"S1", "S2"} and got["S2"] > got["S1"]


def test_a_workspace_focuses_its_sample_on_its_saved_profile(ws):
    """No saved profile: nothing is known of the workflow, so proportional (None). Saved: the
    profile's deadline statuses and observed workflow."""
    assert not ws.profile_path.exists() and ws._sample_focus() is None
    prof = ws.profile
    ws.profile_file.save(prof)
    focus = ws._sample_focus()
    assert focus is not None and prof.deadlines
    assert set(focus.deadlines) == {d.status for d in prof.deadlines if d.status}
    assert set(focus.steps) == {(a, b) for a, b, _ in prof.workflow}
