"""backlog.py and arrivals.py: weekly work in progress with bands, when today's backlog clears."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import polars as pl
import pytest

from pcnb.analytics.calendar import Calendar
from pcnb.forecast import ForecastError, backlog, forecast
from pcnb.forecast.arrivals import learn_arrivals
from pcnb.forecast.backlog import TOTAL
from pcnb.forecast.days import BusinessDays
from tests.forecast.helpers import AS_OF, program_data


@pytest.fixture(scope="module")
def fc():
    ev, prog, _ = program_data("residential")
    return forecast(ev, prog, as_of=AS_OF, paths=50, seed=3)


def test_weekly_bands_are_ordered_and_week_0_is_the_data(fc):
    b = backlog(fc, weeks=12, worlds=100)
    wip = b.wip
    assert set(wip["week"]) == set(range(13))
    ordered = wip.select((pl.col("p2_5") <= pl.col("p10")) & (pl.col("p10") <= pl.col("p50"))
                         & (pl.col("p50") <= pl.col("p90")) & (pl.col("p90") <= pl.col("p97_5"))).to_series()
    assert ordered.all()
    now = fc.projects.group_by("status").len()
    week0 = wip.filter((pl.col("week") == 0) & (pl.col("status") != TOTAL))
    assert dict(week0.select("status", "p50").iter_rows()) == {s: float(n) for s, n in now.iter_rows()}
    drafts = now.filter(pl.col("status").is_in(list(fc.program.draft)))["len"].sum()
    assert wip.filter((pl.col("week") == 0) & (pl.col("status") == TOTAL))["p50"][0] == fc.projects.height - drafts
    assert (wip.filter(pl.col("week") == 12)["p97_5"] - wip.filter(pl.col("week") == 12)["p2_5"]).max() > 0
    assert "capacity" in " ".join(b.notes) and "arrivals" in " ".join(b.notes)


def test_todays_backlog_clears_in_order_and_without_arrivals_it_drains(fc):
    b = backlog(fc, weeks=26, worlds=100, arrivals=False)
    c = b.clears
    assert c["share"].to_list() == [0.5, 0.9, 1.0]
    p50 = [d for d in c["p50"].to_list() if d is not None]
    assert p50 == sorted(p50) and len(p50) >= 2
    assert all(a <= b_ for a, b_ in zip(c["p50"].to_list(), c["p90"].to_list(), strict=True) if a and b_)
    total = b.wip.filter(pl.col("status") == TOTAL).sort("week")["p50"].to_list()
    assert total[-1] < 0.2 * total[0]
    assert "no arrivals" in " ".join(b.notes)


def test_a_surge_of_arrivals_grows_the_backlog(fc):
    base = backlog(fc, weeks=13, worlds=100)
    surge = backlog(fc, weeks=13, worlds=100, surge=2.0)
    last = lambda b: b.wip.filter((pl.col("status") == TOTAL) & (pl.col("week") == 13))["p50"][0]  # noqa: E731
    assert last(surge) > last(base) * 1.15
    assert surge.weekly_arrivals["expected_arrivals"].sum() == pytest.approx(
        2 * base.weekly_arrivals["expected_arrivals"].sum(), rel=0.15)
    assert base.clears.equals(backlog(fc, weeks=13, worlds=100).clears)  # seeded: the same again


@pytest.mark.parametrize(("kwargs", "words"), [({"weeks": 0}, "weeks=0"), ({"worlds": 3}, "worlds=3"),
                                               ({"surge": 0}, "surge=0"), ({"surge": -1}, "surge=-1")])
def test_bad_backlog_input_names_the_fix(fc, kwargs, words):
    with pytest.raises(ForecastError) as err:
        backlog(fc, **kwargs)
    assert words in err.value.message and err.value.hint


def _arrivals_frame(per_day, years: int = 4, end: date = date(2026, 6, 30)):
    """First stays of projects arriving ``per_day(d)`` a business day (a deterministic count)."""
    cal = Calendar("UTC")
    d, rows, i = end - timedelta(days=365 * years), [], 0
    while d <= end:
        if d.weekday() < 5:
            for _ in range(per_day(d)):
                rows.append((f"p{i}", "Draft", datetime(d.year, d.month, d.day, 10, tzinfo=UTC)))
                i += 1
        d += timedelta(days=1)
    iv = pl.DataFrame(rows, schema={"project_id": pl.String, "status": pl.String,
                                    "entered": pl.Datetime("us", "UTC")}, orient="row")
    return iv, BusinessDays(cal, datetime(end.year, end.month, end.day, 23, tzinfo=UTC))


def test_seasons_are_found_and_their_absence_is_said():
    rng = np.random.default_rng(1)
    summer = lambda d: int(rng.poisson(30 if d.month in (6, 7, 8) else 15))  # noqa: E731
    iv, days = _arrivals_frame(summer)
    arr = learn_arrivals(iv, days, None)
    assert arr.seasonal is not None and min(arr.seasonal[m] for m in (6, 7, 8)) > 1.4
    assert max(arr.seasonal[m] for m in (1, 2, 3, 10, 11, 12)) < 0.9
    flat = learn_arrivals(*_arrivals_frame(lambda d: int(rng.poisson(15))), None)
    assert flat.seasonal is not None and all(abs(f - 1) < 0.05 for f in flat.seasonal.values())
    assert "no seasonality beyond chance" in flat.describe()  # the absence said (the summer data says its months)
    assert "seasonality by month" in arr.describe()
    young = learn_arrivals(*_arrivals_frame(lambda d: 10, years=1), None)
    assert young.seasonal is None and "less than two years" in young.describe()


def test_a_growing_rate_is_a_trend_and_a_steady_one_is_not():
    start = date(2025, 7, 1)
    grow = lambda d: 10 + max((d - start).days, 0) // 14  # noqa: E731 - +1 a day every two weeks
    arr = learn_arrivals(*_arrivals_frame(grow), None)
    assert arr.trend == pytest.approx(0.5, rel=0.2) and arr.level == pytest.approx(10 + 364 // 14, rel=0.05)
    steady = learn_arrivals(*_arrivals_frame(lambda d: 12), None)
    assert steady.trend == 0 and steady.level == pytest.approx(12)


def test_ws_backlog(ws):
    b = ws.backlog(weeks=4, worlds=50)
    assert b.wip["week"].max() == 4 and b.clears.height == 3 and b.arrivals is not None
