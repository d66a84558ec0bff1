"""run.py / summary.py / state.py: per-project forecasts, end to end, and their refusals."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

import pcnb.forecast  # noqa: F401  registers df.pc.forecast
from pcnb.analytics.calendar import Calendar
from pcnb.forecast import ForecastError, Program, forecast
from pcnb.profile import Deadline
from tests.analytics.helpers import events
from tests.forecast.helpers import AS_OF, program_data

LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture(scope="module")
def residential():
    ev, prog, _ = program_data("residential")
    return ev, prog, forecast(ev, prog, as_of=AS_OF, paths=400, seed=1)


def test_every_open_project_has_a_row_whose_probabilities_add_up(residential):
    ev, prog, fc = residential
    from pcnb.analytics.intervals import status_intervals

    iv = status_intervals(ev, prog.calendar, AS_OF, terminal=list(prog.final))
    open_ = iv.filter(pl.col("is_open") & ~pl.col("status").is_in(list(prog.final)))
    assert sorted(fc.projects["project_id"].to_list()) == sorted(open_["project_id"].to_list())
    ok = fc.projects.filter(pl.col("supported"))
    assert ok.height > 0.8 * fc.projects.height
    total = ok.select(pl.col("p_completed") + pl.col("p_withdrawn") + pl.col("p_open")).to_series()
    assert (total - 1).abs().max() < 1e-9
    per_status = fc.outcomes.group_by("project_id").agg(pl.col("probability").sum())
    assert (per_status["probability"] - 1).abs().max() < 1e-9
    assert set(fc.outcomes["outcome"]) <= {*prog.final, "open at the horizon", "beyond the data"}


def test_dates_are_the_calendars_business_days_in_order_and_never_past(residential):
    _, prog, fc = residential
    ok = fc.projects.filter(pl.col("supported") & pl.col("done_p90").is_not_null())
    as_of_day = AS_OF.astimezone(ZoneInfo(prog.calendar.timezone)).date()
    p10, p50, p90 = (ok[c].to_list() for c in ("done_p10", "done_p50", "done_p90"))
    assert all(a <= b <= c for a, b, c in zip(p10, p50, p90, strict=True))
    assert min(p10) >= as_of_day and max(p90) <= fc.horizon
    hols = set(prog.calendar.holidays)
    assert all(d.weekday() < 5 and d not in hols for d in p10 + p50 + p90)
    assert (ok["utility_bdays"] >= 0).all() and (ok["applicant_bdays"] > 0).any()


def test_the_same_seed_gives_the_same_forecast_and_another_seed_a_close_one(residential):
    ev, prog, fc = residential
    again = forecast(ev, prog, as_of=AS_OF, paths=400, seed=1)
    assert again.projects.equals(fc.projects) and again.deadlines.equals(fc.deadlines)
    other = forecast(ev, prog, as_of=AS_OF, paths=400, seed=2).projects
    assert not other.equals(fc.projects)
    diff = (other["p_completed"] - fc.projects["p_completed"]).abs().drop_nulls()
    assert diff.mean() < 0.03


def test_a_project_in_a_long_stay_is_forecast_from_the_time_it_has_already_spent(residential):
    _, _, fc = residential
    waiting = fc.projects.filter(pl.col("supported") & (pl.col("status") == "Approved to Install")).sort("age_bdays")
    young, old = waiting.row(0, named=True), waiting.row(-1, named=True)
    assert old["age_bdays"] > young["age_bdays"] + 20
    # the old one has used up the quick finishes: its remaining applicant-held time is not the young one's
    assert old["applicant_bdays"] != pytest.approx(young["applicant_bdays"], rel=0.05)


def test_deadlines_each_row_adds_up_and_an_overdue_clock_is_late(residential):
    _, prog, fc = residential
    d = fc.deadlines
    assert set(d["deadline"]) <= {r.status for r in prog.deadlines} and set(d["state"]) <= {"ahead", "running", "late"}
    known = d.filter(pl.col("p_meet").is_not_null())
    total = known.select(pl.sum_horizontal("p_meet", "p_breach", "p_moot", "p_undecided")).to_series()
    assert (total - 1).abs().max() < 1e-9
    late = d.filter(pl.col("state") == "late")
    assert late.height and (late["p_breach"] == 1).all() and late["late_on"].is_not_null().all()
    assert (known["p_breach_within"] <= known["p_breach"] + 1e-12).all()


def _hand(as_of_day: int = 20):
    """Three projects stuck in a status nobody has left, ten through a normal one."""
    def la(d, h=10):
        return datetime(2025, 3, d, h, tzinfo=LA).astimezone(UTC)

    rows = []
    for i in range(12):
        rows += [(f"N{i}", "Review", la(3 + i % 5)), (f"N{i}", "Done", la(10 + i % 5))]
    rows += [(f"L{i}", "Limbo", la(4 + i)) for i in range(3)]
    rows += [("O1", "Review", la(17))]
    ev = events(rows)
    prog = Program(Calendar("America/Los_Angeles"), ("Done",), {"completed": ["Done"]}, {"Review": "utility"},
                   [Deadline(3, status="Review")], ("Done",))
    return ev, prog, datetime(2025, 3, as_of_day, 18, tzinfo=LA)


def test_a_status_never_left_gets_no_number_and_says_why():
    ev, prog, at = _hand()
    fc = forecast(ev, prog, as_of=at, paths=200)
    limbo = fc.projects.filter(pl.col("status") == "Limbo")
    assert limbo.height == 3 and not limbo["supported"].any()
    assert limbo["p_completed"].is_null().all() and limbo["done_p50"].is_null().all()
    assert limbo["note"].str.contains("no stay in 'Limbo' has ended yet").all()
    o1 = fc.project("O1")
    assert o1["supported"] and o1["p_completed"] == 1.0 and o1["deadlines"][0]["state"] in ("running", "late")
    assert any("Limbo" in n for n in fc.notes)


def test_a_small_segment_falls_back_to_all_projects():
    ev, prog, tracks = program_data("large-dg", 900)
    seg = tracks.rename({"track": "segment"})
    fc = forecast(ev, prog, as_of=AS_OF, paths=50, segments=seg, tracks=tracks, min_n=40)
    basis = fc.projects.filter(pl.col("supported"))["basis"]
    assert basis.str.starts_with("segment ").any() and basis.str.starts_with("all projects").any()
    small = fc.model.filter(pl.col("segment").is_not_null())
    assert (small["n"] >= 40).all()  # its own stays, ended or open


def test_tracked_deadlines_apply_to_their_track_only():
    ev, prog, tracks = program_data("large-dg", 900)
    fc = forecast(ev, prog, as_of=AS_OF, paths=50, tracks=tracks)
    span = fc.deadlines.filter(pl.col("deadline") == "Completeness Review -> Agreement Tendered")
    fast = set(tracks.filter(pl.col("track") == "Fast Track")["project_id"].to_list())
    on_fast = span.filter(pl.col("track") == "Fast Track")["project_id"].to_list()
    assert on_fast and set(on_fast) <= fast
    assert not set(span.filter(pl.col("track").is_null())["project_id"].to_list()) & fast
    with pytest.raises(ForecastError, match="needs each project's track"):
        forecast(ev, prog, as_of=AS_OF, paths=10)


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"as_of": datetime(2001, 1, 1, tzinfo=UTC)}, "before any data"),
    ({"horizon": 0}, "positive number of calendar days"),
    ({"horizon": -5}, "positive number"),
    ({"scale": {"Reveiw": 0.5}}, "no status 'Reveiw' (did you mean 'Review'?)"),
    ({"scale": {"Review": 0}}, "must be a number > 0"),
    ({"scale": {"Review": -1.5}}, "must be a number > 0"),
    ({"as_of": datetime(2025, 3, 20)}, "time zone"),
    ({"paths": 0}, "paths=0"),
    ({"projects": ["nope"]}, "not open at as_of"),
])
def test_bad_input_is_one_line_naming_the_fix(kwargs, words):
    ev, prog, at = _hand()
    with pytest.raises(ForecastError) as err:
        forecast(ev, prog, **{"as_of": at, **kwargs})
    assert words in err.value.message and err.value.hint and "\n" not in err.value.message


def test_a_program_without_final_statuses_is_refused_with_the_fix():
    with pytest.raises(ForecastError, match="no final statuses") as err:
        Program(Calendar(), ())
    assert "roles.exits.completed" in err.value.hint
    ev, _, at = _hand()
    with pytest.raises(ForecastError, match="no status history"):
        forecast(ev.clear(), _hand()[1], as_of=at)


def test_no_open_project_is_said_not_silently_empty():
    ev, prog, _ = _hand()
    done = ev.filter(pl.col("project_id").str.starts_with("N"))
    fc = forecast(done, prog, as_of=datetime(2025, 3, 31, tzinfo=UTC), paths=10)
    assert fc.projects.height == 0 and any("no project is open" in n for n in fc.notes)


def test_df_pc_forecast_is_the_function():
    ev, prog, at = _hand()
    a = ev.pc.forecast(prog, as_of=at, paths=50)
    assert a.projects.equals(forecast(ev, prog, as_of=at, paths=50).projects)


def test_what_if_scaling_a_review_moves_the_finish():
    ev, prog, _ = program_data("residential")
    base = forecast(ev, prog, as_of=AS_OF, paths=200, seed=4)
    slow = forecast(ev, prog, as_of=AS_OF, paths=200, seed=4, scale={"Application Review": 3})
    b, s = (f.projects.filter(pl.col("status") == "Application Submitted")["utility_bdays"].mean()
            for f in (base, slow))
    assert s > b * 1.5
    assert any("x3" in n for n in slow.notes)


def test_ws_forecast_uses_the_profile(ws):
    fc = ws.forecast(paths=100)
    prof = ws.profile
    kinds = {f"p_{k}" for k, v in prof.roles.exits.items() if v}
    assert kinds <= set(fc.projects.columns) and fc.projects.height > 0
    assert fc.program.final == tuple(prof.roles.final)
    assert set(fc.deadlines["deadline"]) <= {d.label for d in prof.deadlines}
    today = fc.as_of.astimezone(ZoneInfo(prof.calendar.timezone)).date()
    assert fc.projects.filter(pl.col("supported"))["done_p10"].min() >= today
