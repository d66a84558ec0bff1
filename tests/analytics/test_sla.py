"""sla.py: the A/B/C counts of SLA compliance, on hand-computed stays."""

from __future__ import annotations

import pytest

from pcnb.analytics import (
    sla_compliance,
    sla_summary,
    status_intervals,
)
from tests.analytics.helpers import CAL, _la, events


def test_sla_counts_from_the_issue():
    s = sla_summary(completed=10, completed_late=2, open_late=3)
    assert s["pct_exceeding"] == pytest.approx(5 / 13) and s["on_time_rate"] == pytest.approx(0.8)
    assert sla_summary(0, 0, 0)["pct_exceeding"] is None
    with pytest.raises(ValueError):
        sla_summary(1, 2, 0)


def test_sla_compliance_on_intervals():
    rows = []
    for i, days in enumerate([1, 2, 3, 9, 12]):  # review closes after N calendar days (all weekdays in Jan)
        rows += [(f"P{i}", "Review", _la(1, 8, 9)), (f"P{i}", "Done", _la(1, 8 + days, 9))]
    rows += [("Q1", "Review", _la(1, 2, 9)), ("Q2", "Review", _la(1, 29, 9))]  # open: one late, one fresh
    iv = status_intervals(events(rows), CAL, _la(1, 31, 12), terminal=("Done",))
    assert sla_compliance(iv, {"Review": 5})["pct_exceeding"].to_list() == [None]  # A + C = 6 < 10: suppressed
    out = sla_compliance(iv, {"Review": 5}, min_n=6).row(0, named=True)
    # closed bdays: 1, 2, 3, 7 (9 days spans a weekend), 8 (12 days spans 2 weekends, incl. MLK day? no: 2024-01-15)
    assert (out["completed"], out["open_late"]) == (5, 1)
    assert out["completed_late"] == 2
    assert out["pct_exceeding"] == pytest.approx((2 + 1) / (5 + 1))
