"""intervals.py: stays from status events (merges, zero-length stays, flags) and business hours."""

from __future__ import annotations

import polars as pl
import pytest

from pcnb.analytics import (
    sla_compliance,
    status_intervals,
)
from tests.analytics.helpers import CAL, _la, events
from tests.conftest import FINAL


def test_merge_duplicates_zero_length_and_flags():
    t = _la(3, 4, 10)
    iv = status_intervals(events([
        ("A", "S1", t), ("A", "S1", _la(3, 4, 11)),  # consecutive duplicate: merged
        ("A", "S2", _la(3, 5, 10)), ("A", "S3", _la(3, 5, 10)),  # zero-length S2 kept
        ("A", "Withdrawn", _la(3, 6, 9)), ("A", "S2", _la(3, 7, 9)),  # after terminal: flagged
        ("B", "S1", _la(3, 6, 9)), ("B", "S2", _la(3, 5, 9)),  # out of source order: flagged
    ]), CAL, _la(3, 8, 12), terminal=FINAL)
    a = iv.filter(pl.col("project_id") == "A")
    assert a["status"].to_list() == ["S1", "S2", "S3", "Withdrawn", "S2"]
    assert a["calendar_days"][1] == 0.0
    assert a["after_terminal"].to_list() == [False, False, False, False, True]
    assert iv.filter(pl.col("project_id") == "B")["out_of_order"].any()


def test_business_hours_and_an_sla_in_hours():
    from pcnb.analytics.intervals import with_business_hours

    rows = [("A", "Review", _la(7, 1, 16)), ("A", "Done", _la(7, 2, 9)),  # 1 h Mon + 1 h Tue = 2
            ("B", "Review", _la(7, 3, 16)), ("B", "Done", _la(7, 5, 9)),  # 07-04 holiday: 2
            ("C", "Review", _la(7, 5, 18)), ("C", "Done", _la(7, 8, 8)),  # outside hours, weekend: 0
            ("D", "Review", _la(7, 1, 7)), ("D", "Done", _la(7, 8, 17)),  # 5 working days x 9 h = 45
            ("E", "Review", _la(7, 8, 12))]  # open: 12-17 Mon + 8-10 Tue at as_of = 7
    as_of = _la(7, 9, 10)
    iv = with_business_hours(status_intervals(events(rows), CAL, as_of, terminal=("Done",)), CAL, as_of)
    review = iv.filter(pl.col("status") == "Review").sort("project_id")
    assert review["business_hours"].to_list() == [2.0, 2.0, 0.0, 45.0, None]
    assert review["age_business_hours"].to_list()[-1] == 7.0
    sla = sla_compliance(iv, {"Review": 4}, unit="business_hours", min_n=0).row(0, named=True)
    assert (sla["completed"], sla["completed_late"], sla["open_late"], sla["deadline_hours"]) == (4, 1, 1, 4)
    with pytest.raises(ValueError, match="with_business_hours"):
        sla_compliance(status_intervals(events(rows), CAL, as_of, terminal=FINAL), {"Review": 4}, unit="business_hours")


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "America/Denver", "Pacific/Honolulu", "Europe/London",
                                  "Asia/Kathmandu", "Australia/Lord_Howe", "America/St_Johns"])
def test_local_days_and_business_days_equal_polars_own_across_transitions(zone):
    """status_intervals looks up UTC offsets and a business-day index instead of converting every
    event: the same local dates and the same business_day_count, at and around each transition."""
    import random
    from datetime import UTC, date, datetime, timedelta
    from zoneinfo import ZoneInfo

    from pcnb.analytics import Calendar
    from pcnb.analytics.intervals import _business_index, _local_days

    rng = random.Random(zone)
    base = datetime(2016, 1, 1, tzinfo=UTC)
    stamps = [base + timedelta(seconds=rng.randrange(0, 14 * 365 * 86_400)) for _ in range(4000)]
    for year in range(2016, 2030):  # either side of every transition of those years, to the second
        for month in range(1, 13):
            probe = datetime(year, month, 1, tzinfo=UTC)
            while probe.month == month:
                nxt = probe + timedelta(hours=6)
                if probe.astimezone(ZoneInfo(zone)).utcoffset() != nxt.astimezone(ZoneInfo(zone)).utcoffset():
                    stamps += [probe + timedelta(seconds=s) for s in range(0, 6 * 3600, 599)]
                probe = nxt
    ts = pl.Series("ts", stamps, dtype=pl.Datetime("us", "UTC"))
    ours = _local_days(ts, zone, stamps[-1])
    theirs = ts.dt.convert_time_zone(zone).dt.date().cast(pl.Int64)
    assert (ours == theirs).all()
    cal = Calendar.us_federal(zone)
    a, b = ours.sample(1000, seed=1, with_replacement=True), ours.sample(1000, seed=2, with_replacement=True)
    pair = pl.DataFrame({"a": a, "b": b})
    lo, hi = pair.select(pl.min_horizontal("a", "b")).to_series(), pair.select(pl.max_horizontal("a", "b")).to_series()
    first = int(ours.min())
    index = _business_index(first, int(ours.max()) + 1, cal)
    mine = index.gather(hi - first) - index.gather(lo - first)
    epoch = date(1970, 1, 1)
    as_date = pl.DataFrame({"lo": lo, "hi": hi}).select(
        pl.business_day_count(pl.lit(epoch) + pl.duration(days="lo"), pl.lit(epoch) + pl.duration(days="hi"),
                              week_mask=list(cal.week_mask), holidays=list(cal.holidays))).to_series()
    assert (mine == as_date).all()


def test_visits_packed_and_by_frame_agree_and_a_long_history_takes_the_frame():
    """The packed-key visits hold 2^24 projects, 2^28 status codes and 4,096 stays a project; past
    that the two-column sort numbers them, the same way."""
    import random

    from pcnb.analytics.intervals import _visits, _visits_by_frame

    rng = random.Random(3)
    rows = [(f"P{p:04d}", rng.choice(["A", "B", "C", "D"])) for p in range(300) for _ in range(rng.randint(1, 12))]
    rows += [("Z9999", "AB"[i % 2]) for i in range(5000)]  # one project with 5,000 stays
    ev = pl.DataFrame(rows, schema={"project_id": pl.String, "status": pl.String}, orient="row").with_columns(
        (pl.col("project_id") != pl.col("project_id").shift(1)).fill_null(True).alias("_first"),
        pl.col("status").cast(pl.Categorical).to_physical().alias("_code"))
    ev = ev.with_columns(pl.col("_first").cast(pl.UInt32).cum_sum().alias("_project"))
    short = ev.filter(pl.col("project_id") != "Z9999")
    assert (_visits(short) == _visits_by_frame(short)).all()
    assert (_visits(ev) == _visits_by_frame(ev)).all() and _visits(ev).max() == 2500
    expect = short.with_columns(pl.int_range(1, pl.len() + 1).over("project_id", "status").alias("v"))["v"]
    assert (_visits(short).cast(pl.Int64) == expect).all()
