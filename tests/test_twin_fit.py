"""The twin's duration fit with the stays still open (pcnb.twin_fit): on draws whose truth is known,
and on the built-in programs' generated histories, long steps come back within 10 %, where the fit
from finished stays only comes back short."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pcnb.twin_fit import fit_status


def _program_like(seed: int, n: int = 3000) -> tuple[dict[str, list[float]], list[float]]:
    """A status left for 'done' (p 0.8, median 60 days) or 'expired' (p 0.2, median 180), entered at a
    steady rate over 2 years (500 business days) and observed at the end: the stays that would
    finish after the end are open at their age."""
    rng = np.random.default_rng(seed)
    entered = rng.uniform(0, 500, n)
    step = np.where(rng.uniform(size=n) < 0.8, "done", "expired")
    median = np.where(step == "done", 60.0, 180.0)
    took = np.exp(np.log(median) + 0.6 * rng.standard_normal(n))
    age = 500 - entered
    closed: dict[str, list[float]] = {"done": [], "expired": []}
    open_ages: list[float] = []
    for k, t, a in zip(step, took, age, strict=True):
        (closed[str(k)].append(float(t)) if t <= a else open_ages.append(float(a)))
    return closed, open_ages


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_open_stays_bring_long_steps_back_to_their_true_length(seed):
    closed, open_ages = _program_like(seed)
    assert len(open_ages) > 400  # a real share of the stays is still open
    fit = fit_status(closed, open_ages)
    naive = fit_status(closed, [])
    assert abs(fit["done"].median / 60 - 1) < 0.06 and abs(fit["expired"].median / 180 - 1) < 0.10, fit
    assert abs(fit["expired"].p - 0.2) < 0.03 and abs(fit["done"].sigma - 0.6) < 0.06, fit
    # the finished stays alone: the slow branch comes back much too short and too rare
    assert naive["expired"].median / 180 - 1 < -0.15 and naive["expired"].p < 0.16, naive


def test_without_open_stays_it_is_the_plain_lognormal_fit():
    closed = {"a": [1.0, 2.0, 4.0], "b": [10.0]}
    fit = fit_status(closed, [])
    assert fit["a"].median == pytest.approx(2.0) and fit["a"].p == pytest.approx(0.75)
    assert fit["a"].sigma == pytest.approx(round(math.sqrt(2 / 3) * math.log(2), 3))
    assert fit["b"].sigma == 0.5 and fit_status({}, [3.0]) == {}


@pytest.mark.parametrize("program", ["residential", "rebate", "large-dg"])
def test_the_twin_of_each_built_in_reproduces_its_long_steps_within_10_percent(program):
    from benchmarks.inference import HISTORY_END, inputs
    from pcnb.profile_infer import infer
    from pcnb.sandbox.definition import load
    from pcnb.sandbox.generator import generate
    from pcnb.twin import build

    prog = load(program)
    data = inputs(generate(3000, seed=5, end=HISTORY_END, program=prog))
    prof = infer("sandbox", prog.program_id, data["statuses"], data["events"], data["projects"],
                 timestamps=data["timestamps"])
    twin = build(prof, data["events"], data["projects"], prefix="TW")
    checked = 0
    for source, steps in prog.flow.items():
        for step in steps:
            got = next((t for t in twin["transitions"].get(source, []) if t["to"] == step.to), None)
            if step.to is None or got is None or step.median_days < 10 or step.p < 0.5:
                continue  # long main steps: enough stays that 10 % is the fit's error, not the sample's
            assert abs(got["days"][0] / step.median_days - 1) <= 0.10, (source, step, got)
            assert abs(got["p"] - step.p) <= 0.05, (source, step, got)
            checked += 1
    assert checked >= 1
