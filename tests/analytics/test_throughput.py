"""throughput.py: first entries, arrivals and signed net flow, WIP per day, aging."""

from __future__ import annotations

from datetime import date

import polars as pl

from pcnb.analytics import (
    aging_wip,
    arrivals_net_flow,
    status_intervals,
    throughput,
    wip_by_day,
)
from tests.analytics.helpers import CAL, EXITS, _la, events


def test_throughput_flow_wip_and_aging():
    rows = [("A", "Sub", _la(7, 1, 9)), ("A", "Rev", _la(7, 2, 9)), ("A", "Sub", _la(7, 3, 9)),
            ("A", "Done", _la(7, 9, 9)), ("B", "Sub", _la(7, 8, 9)), ("C", "Sub", _la(6, 3, 9))]
    iv = status_intervals(events(rows), CAL, _la(7, 15, 12), terminal=("Done",))
    tp = throughput(iv, ["Sub"], "1w", calendar=CAL)
    assert tp["count"].to_list() == [1, 1, 1]  # first entries only: A's return to Sub is not output
    flow = arrivals_net_flow(iv, "Sub", ("Done",), "1w", CAL)
    assert flow["net_flow"].sum() == 2 and flow["cumulative_net"][-1] == 2
    wip = wip_by_day(iv, terminal=("Done",), calendar=CAL)
    day = lambda d, s: wip.filter((pl.col("date") == d) & (pl.col("status") == s))["wip"].item()  # noqa: E731
    assert day(date(2024, 7, 2), "Rev") == 1 and day(date(2024, 7, 2), "Sub") == 1
    assert day(date(2024, 7, 9), "Sub") == 2  # B and C open; A left on 07-09
    aging = aging_wip(iv, terminal=("Done",))
    assert aging.filter(pl.col("age_bucket") == "21-45")["count"].to_list() == [1]  # C: 06-03..07-15 = 29 bdays
    assert aging.filter(pl.col("age_bucket") == "0-5")["count"].to_list() == [1]  # B since 07-08


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


def test_departures_once_per_exit():
    rows = [("A", "Application Submitted", _la(7, 1, 9)), ("A", "Rejected", _la(7, 2, 9)),
            ("A", "Withdrawn", _la(7, 3, 9)),  # exit -> exit: still one departure
            ("B", "Application Submitted", _la(7, 1, 9)), ("B", "Withdrawn", _la(7, 2, 9)),
            ("B", "Application Review", _la(7, 9, 9)), ("B", "Withdrawn", _la(7, 10, 9))]  # re-opened, exits twice
    iv = status_intervals(events(rows), CAL, _la(7, 20, 9), terminal=EXITS)
    flow = arrivals_net_flow(iv, "Application Submitted", EXITS, "1w", CAL)
    assert flow.select("arrivals", "departures", "reopened", "net_flow").rows() == [(2, 2, 0, 0), (0, 1, 1, 0)]
    assert flow["cumulative_net"].to_list() == [0, 0]
