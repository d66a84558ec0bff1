"""Deadlines beyond "N days in a status": spans, the utility's clock, tracks, calendar days.

Hand-computed on a July 2024 calendar in Los Angeles time (07-04 a holiday): a business day is
counted for each working date a stay starts on up to the date it ends (pl.business_day_count), so a
span's days are the sum of its stays' days.
"""

from __future__ import annotations

import polars as pl
import pytest

from pcnb.analytics import status_intervals
from pcnb.analytics.deadlines import deadline_compliance
from pcnb.analytics.intervals import with_business_hours
from pcnb.profile import Deadline, ProfileError
from tests.analytics.helpers import AS_OF, CAL, _la, events

FINAL = ("Approved", "Withdrawn")
HOLDERS = {"Intake": "utility", "Review": "utility", "Info": "applicant", "Approved": "none", "Withdrawn": "none"}
ROWS = [
    # P1: Intake 1 bd (07-01), Review 1 (07-02), Info 2 (07-03, 07-05; 07-04 off), Review 2 (07-08, 07-09):
    # 6 business days in all, 4 of them the utility's
    ("P1", "Intake", _la(7, 1, 9)), ("P1", "Review", _la(7, 2, 9)), ("P1", "Info", _la(7, 3, 9)),
    ("P1", "Review", _la(7, 8, 9)), ("P1", "Approved", _la(7, 10, 9)),
    # P2 withdrew before approval: exited, neither completed nor open
    ("P2", "Intake", _la(7, 1, 9)), ("P2", "Withdrawn", _la(7, 3, 9)),
    # P3 still in review at AS_OF (07-15 noon): Intake 2 (07-05, 07-08) + Review 4 (07-09..07-12) = 6
    ("P3", "Intake", _la(7, 5, 9)), ("P3", "Review", _la(7, 9, 9)),
]
IV = status_intervals(events(ROWS), CAL, AS_OF, terminal=FINAL)
SPAN = {"start": "Intake", "end": "Approved"}


def _row(out: pl.DataFrame, track: str = "all") -> dict:
    rows = out.filter(pl.col("track") == track).to_dicts()
    assert len(rows) == 1, out
    return rows[0]


def _counts(row: dict) -> tuple[int, int, int, int, int]:
    return row["completed"], row["completed_late"], row["open_late"], row["open"], row["exited"]


def test_span_counts_every_day_on_the_elapsed_clock():
    out = deadline_compliance(IV, [Deadline(5, **SPAN)], terminal=FINAL, min_n=0)
    # P1: 6 > 5 late; P2 exited; P3 open at 6 > 5: late
    assert _counts(_row(out)) == (1, 1, 1, 1, 1)
    assert _row(out)["deadline"] == "Intake -> Approved" and _row(out)["pct_exceeding"] == 1.0


def test_utility_clock_stops_while_the_applicant_holds():
    out = deadline_compliance(IV, [Deadline(5, **SPAN, clock="utility")], terminal=FINAL, holders=HOLDERS, min_n=0)
    # P1: 4 utility days (Info's 2 do not count): on time; P3 has no applicant stay: still 6, late
    assert _counts(_row(out)) == (1, 0, 1, 1, 1)
    assert _row(out)["on_time_rate"] == 1.0
    with pytest.raises(ValueError, match="holders"):
        deadline_compliance(IV, [Deadline(5, **SPAN, clock="utility")], terminal=FINAL)


def test_tracks_split_the_projects_and_the_untracked_rule_takes_the_rest():
    tracks = pl.DataFrame({"project_id": ["P1", "P2"], "track": ["Fast", "Standard"]})  # P3's track unknown
    rules = [Deadline(5, **SPAN, clock="utility"), Deadline(3, **SPAN, clock="utility", track="Fast")]
    out = deadline_compliance(IV, rules, terminal=FINAL, holders=HOLDERS, tracks=tracks, min_n=0)
    assert _counts(_row(out, "Fast")) == (1, 1, 0, 0, 0)  # P1 only: 4 > 3
    assert _counts(_row(out, "other tracks")) == (0, 0, 1, 1, 1)  # P2 (exited) and P3 (open, late)
    with pytest.raises(ValueError, match="tracks="):
        deadline_compliance(IV, rules, terminal=FINAL, holders=HOLDERS)


def test_status_deadline_in_calendar_days_and_business_hours():
    # Review's first visits: P1 07-02 09:00 -> 07-03 09:00 = 1.0 day; P3 open since 07-09 09:00: 6.125 days
    out = deadline_compliance(IV, [Deadline(2, status="Review", unit="calendar_days")], terminal=FINAL, min_n=0)
    assert _counts(_row(out)) == (1, 0, 1, 1, 0)
    out = deadline_compliance(IV, [Deadline(2, status="Review", unit="calendar_days")], terminal=FINAL, min_n=0,
                              first_visit_only=False, completions=("Approved",))
    assert _counts(_row(out)) == (2, 0, 1, 1, 0)  # P1's second visit: 07-08 -> 07-10 = 2.0 days, not over
    out = deadline_compliance(IV, [Deadline(2, status="Review", unit="calendar_days")], terminal=FINAL, min_n=0,
                              first_visit_only=False)  # Approved not a completion: that stay is exited
    assert _counts(_row(out)) == (1, 0, 1, 1, 1)
    with pytest.raises(ValueError, match="with_business_hours"):
        deadline_compliance(IV, [Deadline(16, status="Review", unit="business_hours")], terminal=FINAL)
    timed = with_business_hours(IV, CAL, AS_OF)  # P1's first review: 9 working hours; P3's: 4 x 9 + 4
    out = deadline_compliance(timed, [Deadline(9, status="Review", unit="business_hours")], terminal=FINAL, min_n=0)
    assert _counts(_row(out)) == (1, 0, 1, 1, 0)


def test_minimum_n_and_bad_rules():
    out = deadline_compliance(IV, [Deadline(5, **SPAN)], terminal=FINAL)  # A + C = 2 < 10
    assert _row(out)["pct_exceeding"] is None and _row(out)["suppressed"] and _row(out)["completed"] == 1
    for rule, message in ((Deadline(5, status="Review", unit="weeks"), "unknown unit"),
                          (Deadline(5, **SPAN, clock="applicant"), "unknown clock"),
                          (Deadline(0, status="Review"), "positive"), (Deadline(5), "a status, or a start")):
        with pytest.raises(ValueError, match=message):
            deadline_compliance(IV, [rule], terminal=FINAL, holders=HOLDERS)
    with pytest.raises(ValueError, match="terminal"):
        deadline_compliance(IV, [Deadline(5, **SPAN)])


def test_size_bin_tracks_on_the_sandbox_are_fetched_once_the_profile_asks():
    """Residential has no track field: tracks are the size field's bins. The tracked deadline is added
    after the first sync, so the next sync fetches the size form for the unchanged projects too."""
    from pcnb.workspace import Workspace
    from tests.conftest import COMPLETION, END, INTAKE

    with Workspace.sandbox(projects=150, seed=5, end=END) as ws:
        ws.sync(progress=False)
        with pytest.raises(ProfileError, match="no values of APPLICATION/SYSTEM_SIZE_KW"):
            ws.profile.set(f"deadlines.{INTAKE} -> {COMPLETION}", "60 business_days track='<= 10 kW'")
            ws.save_profile()
            ws.deadline_compliance()
        report = ws.sync(progress=False)
        assert report.calls >= ws.projects().height  # one form call per project, though none changed
        tracks = ws.project_tracks()
        entered = set(ws.status_events().filter(pl.col("status") == INTAKE)["project_id"].to_list())
        small = entered & set(tracks.filter(pl.col("track") == "<= 10 kW")["project_id"].to_list())
        row = _row(ws.deadline_compliance(), "<= 10 kW")
        assert small and row["completed"] + row["open"] + row["exited"] == len(small)
        assert ws.sync(progress=False).calls < 10  # fetched once, not on every sync
        with pytest.raises(ProfileError, match=f"{COMPLETION}' is a final status"):
            ws.profile.set(f"deadlines.{COMPLETION}", "5")  # a stay there never ends
        ws.profile.set("segments.track", "APPLICATION/NOPE")
        with pytest.raises(ProfileError, match="(?s)form APPLICATION has no field 'NOPE'.*SYSTEM_SIZE_KW"):
            ws.project_tracks()
        ws.profile.set("segments.track", "NOPE")
        with pytest.raises(ProfileError, match="segments.track is 'NOPE', not FORM/FIELD"):
            ws.deadline_compliance()
        assert ws.sync(progress=False).complete  # a malformed track field does not stop the sync


# ---- red team (branch redteam): defects found in the deadline counting ----------------------------

def test_a_tracked_rule_whose_track_no_project_has_is_refused_not_counted_as_zero():
    """A typo in a track ('Fast track' for 'Fast Track', 'solar' for 'Solar PV') matched no project:
    the rule came out as an all-zero row (pct_exceeding null) and, worse, the projects of the real
    track fell to the untracked rule ("other tracks") and were judged against its longer deadline.
    A regulator's report must not silently lose a track: refuse it, naming the tracks there are."""
    tracks = pl.DataFrame({"project_id": ["P1", "P2", "P3"], "track": ["Fast Track", "Fast Track", "Standard"]})
    rules = [Deadline(50, **SPAN), Deadline(3, **SPAN, track="Fast track")]
    with pytest.raises(ValueError, match=r"Fast track.*Fast Track"):
        deadline_compliance(IV, rules, terminal=FINAL, tracks=tracks, min_n=0)


def test_a_status_stay_ended_by_a_withdrawal_is_exited_not_completed():
    """Spans exclude a withdrawal (exited); a per-status rule counted the same withdrawal as a
    completed review, and as completed *late* when the stay was long. A (completed) must mean the
    utility finished the step; a stay the applicant ended by withdrawing is neither A nor C."""
    rows = [("W1", "Intake", _la(7, 1, 9)), ("W1", "Review", _la(7, 2, 9)), ("W1", "Withdrawn", _la(7, 12, 9))]
    iv = status_intervals(events(rows), CAL, AS_OF, terminal=FINAL)
    out = deadline_compliance(iv, [Deadline(3, status="Review")], terminal=FINAL, min_n=0)
    # today: completed=1, completed_late=1, exited=0 -> pct_exceeding 100% for a review never finished
    assert _counts(_row(out)) == (0, 0, 0, 0, 1)


def test_a_span_whose_start_and_end_are_the_same_status_is_refused():
    """'Review -> Review' can never be measured (the end is entered the moment the span starts):
    it gave an all-zero row instead of an error."""
    with pytest.raises(ValueError, match="start and end"):
        deadline_compliance(IV, [Deadline(5, start="Review", end="Review")], terminal=FINAL, min_n=0)


def test_since_keeps_spans_that_started_after_it_and_measures_them_from_their_real_start():
    """Workspace.deadline_compliance(since=) cut the intervals *before* building spans, so a project
    that entered the start status before ``since`` and re-entered it after was measured from the
    re-entry: Intake 07-01 -> ... -> Intake 07-08 -> Approved 07-09 is 5 business days from its
    start, but with since=07-05 it came out as a 1-day span that started after since. A span entered before
    ``since`` is not in the population at all (or, if it were, it would run from 07-01)."""
    from datetime import date
    from types import SimpleNamespace

    from pcnb.profile import CalendarSpec, ProgramProfile, Roles, StatusInfo
    from pcnb.workspace import Workspace

    prof = ProgramProfile("sandbox", "P", statuses=[StatusInfo(n, holder=HOLDERS[n]) for n in HOLDERS],
                          roles=Roles(exits={"completed": ["Approved"], "withdrawn": ["Withdrawn"], "rejected": [],
                                             "cancelled": []}),
                          deadlines=[Deadline(5, **SPAN)], calendar=CalendarSpec(timezone="America/Los_Angeles"))
    rows = [("P1", "Intake", _la(7, 1, 9)), ("P1", "Review", _la(7, 2, 9)), ("P1", "Info", _la(7, 3, 9)),
            ("P1", "Intake", _la(7, 8, 9)), ("P1", "Approved", _la(7, 9, 9)),
            # P2 starts after since: Intake 07-08, Review 07-09..07-11, Approved 07-12 = 4 business days
            ("P2", "Intake", _la(7, 8, 9)), ("P2", "Review", _la(7, 9, 9)), ("P2", "Approved", _la(7, 12, 9))]
    fake = SimpleNamespace(profile=prof, status_events=lambda: events(rows))
    out = Workspace.deadline_compliance(fake, as_of=AS_OF, since=date(2024, 7, 5), min_n=0)
    # P1's span started 07-01, before since: not counted (it was counted as a 1-day span from its re-entry)
    assert _counts(_row(out)) == (1, 0, 0, 0, 0)
    out = Workspace.deadline_compliance(fake, as_of=AS_OF, min_n=0)
    assert _counts(_row(out)) == (2, 0, 0, 0, 0)  # without since, P1 counts from 07-01: 1 + 1 + 2 + 1 = 5 days


def test_every_project_that_entered_the_span_is_counted_under_some_track():
    """With only tracked rules (Fast 3 days, Standard 5 days, as tariffs with a rule per track write
    them) a project whose track is unknown (no form data, a blank field) was in no row at all: P3
    here is open and late, and vanished from the report. Each project that entered the span must
    be in exactly one row of that span (or the unknown ones refused/listed)."""
    tracks = pl.DataFrame({"project_id": ["P1", "P2"], "track": ["Fast", "Standard"]})  # P3: unknown
    rules = [Deadline(3, **SPAN, track="Fast"), Deadline(5, **SPAN, track="Standard")]
    out = deadline_compliance(IV, rules, terminal=FINAL, tracks=tracks, min_n=0)
    counted = out.select(pl.col("completed").sum() + pl.col("open").sum() + pl.col("exited").sum()).item()
    assert counted == 3  # today: 2 (P3, open and late, is in no row)


def test_since_and_as_of_of_the_wrong_type_get_a_one_line_error():
    """`ws.deadline_compliance(since="2024-07-05")` raised polars' InvalidOperationError ("cannot
    compare 'date/datetime/time' to a string value") and `as_of=date(...)` an AttributeError
    ('datetime.date' object has no attribute 'tzinfo'): say what to pass."""
    from datetime import date
    from types import SimpleNamespace

    from pcnb.errors import PowerClerkError
    from pcnb.profile import CalendarSpec, ProgramProfile, Roles, StatusInfo
    from pcnb.workspace import Workspace

    prof = ProgramProfile("sandbox", "P", statuses=[StatusInfo(n, holder=HOLDERS[n]) for n in HOLDERS],
                          roles=Roles(exits={"completed": ["Approved"], "withdrawn": ["Withdrawn"], "rejected": [],
                                             "cancelled": []}),
                          deadlines=[Deadline(5, **SPAN)], calendar=CalendarSpec(timezone="America/Los_Angeles"))
    fake = SimpleNamespace(profile=prof, status_events=lambda: events(ROWS))
    for kw in ({"since": "2024-07-05"}, {"as_of": date(2024, 7, 15)}):
        with pytest.raises((ValueError, PowerClerkError), match="since|as_of"):
            Workspace.deadline_compliance(fake, **kw)


def test_a_span_ended_by_a_rejection_is_finished_at_the_rejection_not_left_out():
    """A rejection is the utility's decision: it finishes a status's step, and the report says so; a
    span ended by one was counted apart ("left before the end", 25 rejections on the rebate
    program's Incentive Claim Review -> Incentive Paid), as if the applicant had withdrawn."""
    final = (*FINAL, "Rejected")
    rows = [("R1", "Intake", _la(7, 1, 9)), ("R1", "Rejected", _la(7, 3, 9)),  # decided in 2 business days
            ("R2", "Intake", _la(7, 1, 9)), ("R2", "Review", _la(7, 2, 9)), ("R2", "Rejected", _la(7, 12, 9)),
            ("W1", "Intake", _la(7, 1, 9)), ("W1", "Withdrawn", _la(7, 3, 9))]
    iv = status_intervals(events(rows), CAL, AS_OF, terminal=final)
    rule = Deadline(5, **SPAN)
    out = deadline_compliance(iv, [rule], terminal=final, completions=["Approved", "Rejected"], min_n=0)
    assert _counts(_row(out)) == (2, 1, 0, 0, 1)  # R1 on time, R2 late (8 business days), W1 withdrew
    # without the rejection among the completions (a profile that says none), it is left out, as before
    assert _counts(_row(deadline_compliance(iv, [rule], terminal=final, min_n=0))) == (0, 0, 0, 0, 3)
