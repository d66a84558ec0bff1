"""warning.py, ws.at_risk and the `watch` / `forecast` commands: the Monday list."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from pcnb.commands import CommandError, parse, run
from pcnb.commands.forecast import as_of_of
from pcnb.forecast import ForecastError, at_risk, forecast
from tests.forecast.helpers import AS_OF, program_data


@pytest.fixture(scope="module")
def fc():
    ev, prog, _ = program_data("residential")
    return forecast(ev, prog, as_of=AS_OF, paths=300, seed=2, within=5)


def test_deadlines_likely_to_run_out_soon_come_first_most_likely_first(fc):
    risk = at_risk(fc, threshold=0.3)
    dl = risk.filter(pl.col("reason") == "deadline")
    assert dl.height and (dl["probability"] >= 0.3).all()
    assert dl["probability"].to_list() == sorted(dl["probability"].to_list(), reverse=True)
    assert risk["reason"].to_list().index("stuck") > dl.height - 1  # deadline rows, then stuck ones
    holders = fc.program.holders
    assert all(holders[s] == h for s, h in dl.select("status", "holder").iter_rows())
    # a running clock's row says the day it runs out, after the as_of day (the program's local day)
    running = dl.filter(pl.col("late_on").is_not_null())
    local_day = AS_OF.astimezone(ZoneInfo(fc.program.calendar.timezone)).date()
    assert running.height and (running["late_on"] > local_day).all()
    assert at_risk(fc, threshold=0.9).height <= risk.height


def test_stuck_projects_are_past_their_pools_95th_percentile_and_drafts_only_on_request(fc):
    stuck = at_risk(fc).filter(pl.col("reason") == "stuck")
    assert stuck.height and (stuck["age_bdays"] > stuck["p95_bdays"]).all()
    assert not stuck["status"].is_in(list(fc.program.draft)).any()
    with_drafts = at_risk(fc, drafts=True).filter(pl.col("reason") == "stuck")
    assert with_drafts["status"].is_in(list(fc.program.draft)).any()


def test_a_longer_window_sees_more_breaches():
    ev, prog, _ = program_data("residential")
    near = forecast(ev, prog, as_of=AS_OF, paths=300, seed=2, within=1).deadlines
    far = forecast(ev, prog, as_of=AS_OF, paths=300, seed=2, within=15).deadlines
    both = near.join(far, on=["project_id", "deadline"], suffix="_far").filter(pl.col("p_meet").is_not_null())
    assert (both["p_breach_within"] <= both["p_breach_within_far"] + 1e-12).all()
    assert both["p_breach_within_far"].sum() > both["p_breach_within"].sum()


@pytest.mark.parametrize("threshold", [0, 1.5, -0.1, True])
def test_a_threshold_that_is_not_a_probability_is_refused(fc, threshold):
    with pytest.raises(ForecastError, match="must be a probability"):
        at_risk(fc, threshold)


def test_watch_and_forecast_from_the_magic(pc):
    session = pc.magics_manager.registry["PowerClerkMagic"].session
    watch = run(parse("watch --within 5 --threshold 0.2 --paths 200"), session)
    assert {"project_number", "holder", "reason", "probability", "late_on"} <= set(watch.columns)
    fc = run(parse("forecast --paths 100"), session)
    number = fc.filter(pl.col("supported"))["project_number"][0]
    one = run(parse(f"forecast {number} --paths 100"), session)
    assert one["project_number"].to_list() == [number] and one["done_p50"][0] is not None
    with pytest.raises(CommandError, match="not an ISO date"):
        run(parse("watch --as-of 31/01/2026"), session)
    with pytest.raises(CommandError, match="not in the cache"):
        run(parse("forecast NOPE-1"), session)


def test_the_cli_shares_the_grammar_and_as_of_is_program_local():
    args = parse("watch --within 3 --threshold 0.7 --as-of 2026-01-31")
    assert (args.command, args.within, args.threshold, args.as_of) == ("watch", 3, 0.7, "2026-01-31")
    zone = "America/Denver"
    assert as_of_of("2026-01-31", zone) == datetime.combine(date(2026, 1, 31), time.max, ZoneInfo(zone))
    assert as_of_of("2026-01-31T08:00", zone) == datetime(2026, 1, 31, 8, tzinfo=ZoneInfo(zone))
    assert as_of_of("2026-01-31T08:00+00:00", zone) == datetime(2026, 1, 31, 8, tzinfo=UTC)
    assert as_of_of(None, zone) is None
