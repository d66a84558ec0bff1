"""Issue #14's four bugs, each with the numbers from its description."""

from __future__ import annotations

import polars as pl

from pcnb.analytics import arrivals_net_flow, status_intervals
from pcnb.analytics.cohorts import km_median
from tests.analytics.test_fixture import CAL, _la, events

EXITS = ("Permission to Operate", "Withdrawn", "Rejected")


def test_bug1_net_flow_is_signed():
    # one week: 73 arrivals, 83 departures of projects that never arrived in the window
    rows = [(f"A{i}", "Application Submitted", _la(7, 9, 9)) for i in range(73)]
    rows += [r for i in range(83) for r in ((f"D{i}", "Unsubmitted", _la(7, 1, 9)), (f"D{i}", "Withdrawn",
                                                                                      _la(7, 10, 9)))]
    iv = status_intervals(events(rows), CAL, _la(7, 20, 9), terminal=EXITS)
    flow = arrivals_net_flow(iv, "Application Submitted", EXITS, "1w", CAL)
    week = flow.filter(pl.col("arrivals") > 0).row(0, named=True)
    assert (week["arrivals"], week["departures"]) == (73, 83)
    assert week["net_flow"] == -10
    assert flow["cumulative_net"].to_list()[-1] == -10
    assert flow.schema["net_flow"] == pl.Int64 and flow.schema["cumulative_net"] == pl.Int64


def test_bug2_km_median_exact_at_one_half():
    # S(6) = 8/10 * 7/8 * 6/7 * 5/6 = 1/2 exactly: the smallest t with S(t) <= 0.5 is 6
    assert km_median([2, 2, 3, 5, 6, 6, 7, 11, 12, 12], [1, 1, 1, 1, 0, 1, 1, 1, 1, 1]) == 6
