"""survival.py: Kaplan-Meier quantiles (exact fractions) and competing-risks incidence."""

from __future__ import annotations

import pytest

from pcnb.analytics import (
    status_intervals,
)
from pcnb.analytics.cohorts import km_median
from pcnb.analytics.time_in_status import time_to_outcome
from tests.analytics.helpers import CAL, _la, events


def test_bug2_km_median_exact_at_one_half():
    # S(6) = 8/10 * 7/8 * 6/7 * 5/6 = 1/2 exactly: the smallest t with S(t) <= 0.5 is 6
    assert km_median([2, 2, 3, 5, 6, 6, 7, 11, 12, 12], [1, 1, 1, 1, 0, 1, 1, 1, 1, 1]) == 6


def test_time_to_outcome_competing_risks():
    rows = []
    for i in range(6):  # completed after i+1 business days (Mon 2024-06-03 + i + 1)
        rows += [(f"C{i}", "Submitted", _la(6, 3, 9)), (f"C{i}", "PTO", _la(6, 4 + i, 9))]
    rows += [r for i in range(3) for r in ((f"W{i}", "Submitted", _la(6, 3, 9)), (f"W{i}", "Withdrawn",
                                                                                  _la(6, 5, 9)))]
    rows += [(f"O{i}", "Submitted", _la(6, 3, 9)) for i in range(3)]  # open
    iv = status_intervals(events(rows), CAL, _la(6, 28, 9), terminal=("PTO", "Withdrawn"))
    out = time_to_outcome(iv, "Submitted", {"completed": ["PTO"], "withdrawn": ["Withdrawn"]}, CAL, _la(6, 28, 9))
    got = {r["outcome"]: r for r in out.iter_rows(named=True)}
    # completions at 1, 2, 3, 4, 5, 5 bdays (06-08/09 fall on the weekend), withdrawals at 2, open at 19:
    # S(1) = 11/12, S(2) = 11/12 * 7/11 = 7/12, S(3) = 7/12 * 6/7 = 1/2 -> median 3
    assert got["any"]["km_median_bdays"] == 3 and got["any"]["events"] == 9 and got["any"]["n"] == 12
    assert got["completed"]["share"] == pytest.approx(6 / 12) and got["withdrawn"]["share"] == pytest.approx(3 / 12)
    assert got["completed"]["half_bdays"] == 5 and got["withdrawn"]["half_bdays"] is None
    assert time_to_outcome(iv, "Submitted", {"completed": ["PTO"]}, CAL, _la(6, 28, 9), min_n=13)["suppressed"].all()
