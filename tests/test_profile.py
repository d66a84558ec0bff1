"""The program profile: inferred from what the API and the cache show, on programs none of the code names."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from pcnb.profile import Deadline, ProfileError, ProgramProfile
from pcnb.profile_infer import infer
from pcnb.workspace import Workspace
from tests.conftest import END

COMMUNITY = str(Path(__file__).resolve().parent / "programs" / "community_solar.yaml")
# each program's completion status as its definition means it, to check the inference against
TRUTH = {"residential": "Permission to Operate", "rebate": "Incentive Paid", "large-dg": "Commercial Operation",
         COMMUNITY: "Subscriber Enrolled"}


def _inferred(program: str) -> tuple[ProgramProfile, object]:
    with Workspace.sandbox(projects=300, seed=3, program=program, end=END) as ws:
        ws.sync(progress=False)
        events, projects = ws.status_events(), ws.projects()
        statuses = ws.client.status_list(ws.program)["Statuses"]
        stamps = [e["Timestamp"] for pid in projects["project_id"].head(40).to_list()
                  for e in ws.client.status_history(ws.program, pid)["StatusHistory"]]
        prof = infer("sandbox", ws.program, statuses, events, projects, timestamps=stamps,
                     program_name=ws.sandbox_handle.state.program.name)
        return prof, ws.sandbox_handle.state.program


@pytest.fixture(scope="module", params=list(TRUTH))
def inferred(request):
    return request.param, *_inferred(request.param)


def test_inferred_profile_matches_the_definition(inferred):
    name, prof, definition = inferred
    assert [s.name for s in prof.statuses] == [s.name for s in definition.statuses]
    start = definition.status(definition.start)
    assert prof.roles.draft == [start.name]
    assert prof.roles.completion == TRUTH[name]
    finals = {definition.status(s).name for s in definition.terminal}
    assert set(prof.roles.final) == finals and prof.roles.exits["completed"] == [TRUTH[name]]
    assert prof.calendar.timezone == definition.timezone
    moved = {a for a, _, n in prof.workflow if n}
    for s in definition.statuses:  # who holds the clock, wherever projects left the status
        if s.name in moved and s.custom_id not in definition.terminal:
            assert prof.status(s.name).holder == definition.holders[s.custom_id], s.name
    assert {"roles.completion", "roles.draft", "calendar.timezone"} <= set(prof.guessed)
    assert "match " + definition.timezone in prof.guessed["calendar.timezone"]


EXITS = {"residential": {"withdrawn": ["Withdrawn"], "rejected": ["Rejected"], "cancelled": []},
         "rebate": {"withdrawn": [], "rejected": ["Found Ineligible"],
                    "cancelled": ["Reservation Expired", "Cancelled by Customer"]},
         "large-dg": {"withdrawn": ["Withdrawn from Queue", "Deemed Withdrawn"], "rejected": [], "cancelled": []},
         COMMUNITY: {"withdrawn": ["Subscriber Dropped Out"], "rejected": ["Not Eligible"], "cancelled": []}}


def test_exits_are_sorted_by_kind(inferred):
    name, prof, _ = inferred
    assert {k: v for k, v in prof.roles.exits.items() if k != "completed"} == EXITS[name]


def test_wrong_profile_values_are_refused_with_the_choices(tmp_path):
    prof = infer("sandbox", "P1", [{"Name": n, "CustomId": n.upper()} for n in ("Open", "Review", "Done")],
                 *_tiny_frames())
    with pytest.raises(ProfileError, match=r"no status 'Reveiw' \(did you mean 'Review'\?\)") as err:
        prof.set("roles.completion", "Reveiw")
    assert "Open, Review, Done" in str(err.value)
    with pytest.raises(ProfileError, match="not an IANA time zone"):
        prof.set("calendar.timezone", "Eastern")
    with pytest.raises(ProfileError, match="does not start with a number of days"):
        prof.set("deadlines.Review", "ten")
    with pytest.raises(ProfileError, match="unknown profile key"):
        prof.set("colour", "red")
    prof.set("deadlines.Review", "10")
    prof.set("deadlines.Open -> Done", "30 calendar_days")
    prof.set("calendar.timezone", "America/New_York")
    prof.set("holders.Review", "applicant")
    assert "calendar.timezone" not in prof.guessed
    path = prof.save(tmp_path / "p.yaml")
    again = ProgramProfile.load(path)
    assert again == prof and again.deadlines_for() == {"Review": 10.0}
    path.write_text(path.read_text().replace("completion: Done", "completion: Finished"))
    with pytest.raises(ProfileError, match="no status 'Finished'"):
        ProgramProfile.load(path)


def test_span_track_and_clock_deadlines_are_set_replaced_and_removed(tmp_path):
    prof = infer("sandbox", "P1", [{"Name": n, "CustomId": n.upper()} for n in ("Open", "Review", "Done")],
                 *_tiny_frames())
    prof.set("deadlines.Open -> Done", "40 business_days clock=utility")
    prof.set("deadlines.OPEN -> DONE", "15 business_days clock=utility track='Fast Track'")  # custom ids too
    prof.set("deadlines.Open -> Done", "45 business_days clock=utility")  # replaces the untracked one only
    rules = {(d.label, d.track): (d.days, d.clock) for d in prof.deadlines}
    assert rules == {("Open -> Done", None): (45.0, "utility"), ("Open -> Done", "Fast Track"): (15.0, "utility")}
    assert "Open -> Done 15 business_days clock=utility track=Fast Track" in prof.describe()
    assert ProgramProfile.load(prof.save(tmp_path / "p.yaml")) == prof
    before = list(prof.deadlines)
    for value, message in (("20 business_days clock=applicant", "unknown clock"), ("20 weeks", "unknown unit"),
                           ("20 business_days colour=red", "unknown option 'colour'"),
                           ("20 business_days extra words", "unexpected 'extra words'"),
                           ("20 'unclosed", "cannot read")):
        with pytest.raises(ProfileError, match=message):
            prof.set("deadlines.Open -> Done", value)
        assert prof.deadlines == before  # a refused value changes nothing
    with pytest.raises(ProfileError, match="clock=utility applies to a span"):
        prof.set("deadlines.Review", "5 business_days clock=utility")
    assert prof.deadlines == before
    prof.set("deadlines.Open -> Done", "none track='Fast Track'")
    assert [(d.label, d.track) for d in prof.deadlines] == [("Open -> Done", None)]
    with pytest.raises(ProfileError, match="no deadline Review to remove"):
        prof.set("deadlines.Review", "none")


def test_a_missing_role_says_how_to_set_it():
    prof = ProgramProfile("sandbox", "P1")
    with pytest.raises(ProfileError, match="no completion status yet") as err:
        prof.require("completion")
    assert "profile set roles.completion" in str(err.value)


def _tiny_frames():
    import polars as pl

    from pcnb.cache.frames import PROJECTS_SCHEMA, STATUS_EVENTS_SCHEMA

    rows = [("a", 1, "Open", None, None, "Ann"), ("a", 2, "Review", None, None, "Utility"),
            ("a", 3, "Done", None, None, "Utility"), ("b", 1, "Open", None, None, "Bob")]
    events = pl.DataFrame(rows, schema=list(STATUS_EVENTS_SCHEMA)[:6], orient="row")
    projects = pl.DataFrame({"project_id": ["a", "b"], "status": ["Done", "Open"], "owner_name": ["Ann", "Bob"]},
                            schema_overrides={k: v for k, v in PROJECTS_SCHEMA.items() if k in ("project_id",)})
    return events, projects


def test_the_timezone_setting_beats_the_guess_and_is_checked():
    from pcnb.config import Settings
    from pcnb.errors import ConfigError

    with pytest.raises(ConfigError, match="'Pacific Time' is not an IANA time zone"):
        Settings(timezone="Pacific Time")
    with Workspace.sandbox(projects=60, seed=2, end=END) as ws:
        ws.sync(progress=False)
        assert ws.profile.calendar.timezone == "America/Los_Angeles" and "calendar.timezone" in ws.profile.guessed
        ws.client.settings.timezone = "America/Chicago"
        prof = ws.infer_profile(save=False)
        assert prof.calendar.timezone == "America/Chicago" and "calendar.timezone" not in prof.guessed


# ---- red team (branch redteam) -------------------------------------------------------------------

def _three() -> ProgramProfile:
    return infer("sandbox", "P1", [{"Name": n, "CustomId": n.upper()} for n in ("Open", "Review", "Done")],
                 *_tiny_frames())


def test_a_hand_edited_deadline_with_a_quoted_number_is_a_profile_error_not_a_traceback(tmp_path):
    """The file invites editing ("Edit freely"); `days: '10'` (quoted, as YAML users often write)
    made validate() raise TypeError ('>' not supported between str and int) outside load's
    try: `%powerclerk profile reload` and every command reading the profile showed a traceback."""
    prof = _three()
    prof.set("deadlines.Review", "10")
    path = prof.save(tmp_path / "p.yaml")
    text = path.read_text()
    assert "days: 10.0" in text
    path.write_text(text.replace("days: 10.0", "days: '10'"))
    with pytest.raises(ProfileError, match="days"):
        ProgramProfile.load(path)


def test_a_span_from_a_status_to_itself_and_an_infinite_deadline_are_refused():
    """`deadlines.Review -> Review` (or `deadlines.Review -> ` resolving to it) and `inf` / `1e400`
    days were accepted: the first gives an all-zero compliance row, the second a deadline nothing
    can miss."""
    prof = _three()
    with pytest.raises(ProfileError, match="start and end"):
        prof.set("deadlines.Review -> Review", "10")
    for days in ("inf", "1e400"):
        with pytest.raises(ProfileError, match="positive"):
            prof.set("deadlines.Review", days)
    assert prof.deadlines == []


# ---- profiles that cannot break a chart (issue 24, deliverable 4) --------------------------------

def _cut(text: str) -> str:
    """The file cut short at a line end, part-way through (a full disk, an editor killed mid-save)."""
    lines = text.splitlines(keepends=True)
    return "".join(lines[: len(lines) // 3])


#: each broken hand edit of a saved profile: (how the text is changed, the key the message must name,
#: the text of the line the message must point at; None: the last line of the file)
def _value(key: str, value: str):
    return lambda text: re.sub(rf"(?m)^(\s*{key}:).*$", rf"\1 {value}", text, count=1)


BROKEN = {
    "unknown country": (_value("country", "Narnia"), "calendar.country", "country: Narnia"),
    "unknown subdivision": (_value("subdivision", "ZZ"), "calendar.subdivision", "subdivision: ZZ"),
    "empty file": (lambda t: "", "", None),
    "a YAML list": (lambda t: "- Open\n- Review\n", "", "- Open"),
    "roles as a list": (lambda t: t.replace("roles:\n", "roles:\n- Done\nrolez:\n"), "roles", "roles:"),
    "timezone 5": (_value("timezone", "5"), "calendar.timezone", "timezone: 5"),
    "week mask digits": (_value("week_mask", "1234567"), "calendar.week_mask", "week_mask: 1234567"),
    "closure not a date": (_value("closures", "[not-a-date]"), "calendar.closures", "closures: [not-a-date]"),
    "cut short": (_cut, "", None),
}


def _line_of(text: str, needle: str | None) -> int:
    lines = text.splitlines()
    if needle is None:
        return max(1, len(lines))
    return next(i for i, line in enumerate(lines, 1) if line.strip() == needle)


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_profile_file_is_refused_with_its_file_key_line_and_fix(case, tmp_path):
    edit, key, needle = BROKEN[case]
    path = _three().save(tmp_path / "p.profile.yaml")
    text = edit(path.read_text())
    assert text != path.read_text()
    path.write_text(text)
    with pytest.raises(ProfileError) as err:
        ProgramProfile.load(path)
    message = str(err.value)
    assert str(path) in message and f"line {_line_of(text, needle)}" in message, message
    if key:  # the cases refused before any key is read (empty, cut short) name only the line
        assert re.search(rf" {re.escape(key)}(\[0\])?: ", message), message
    assert "\n  fix: " in message and "Traceback" not in message
    assert len(message.splitlines()) == 2  # one line of what is wrong, one of the fix


@pytest.mark.parametrize(("key", "value"), [("calendar.country", "Narnia"), ("calendar.subdivision", "ZZ"),
                                            ("calendar.week_mask", "1234567"), ("calendar.closures", "not-a-date"),
                                            ("calendar.country", "")])
def test_a_wrong_calendar_value_is_refused_by_set_naming_the_key(key, value):
    prof = _three()
    before = copy.deepcopy(prof)
    with pytest.raises(ProfileError) as err:
        prof.set(key, value)
    assert re.match(rf"{re.escape(key)}(\[0\])?: ", str(err.value)) and "\n  fix: " in str(err.value), str(err.value)
    assert prof == before  # a refused value changes nothing


def test_a_wrong_value_set_in_python_is_refused_by_validate_and_never_reaches_a_chart(tmp_path):
    prof = _three()
    prof.calendar.country = "Narnia"
    with pytest.raises(ProfileError, match=r"^calendar.country: 'Narnia' is not a country"):
        prof.validate()
    with pytest.raises(ProfileError, match=r"^calendar.country"):
        prof.calendar.calendar()  # not the holidays package's NotImplementedError
    with pytest.raises(ProfileError, match=r"^calendar.country"):
        prof.save(tmp_path / "p.yaml")
    assert not (tmp_path / "p.yaml").exists()
    prof.calendar.country, prof.calendar.week_mask = "US", 1234567  # type: ignore[assignment]
    with pytest.raises(ProfileError, match=r"^calendar.week_mask: 1234567"):
        prof.validate()


def test_charts_keep_the_last_good_profile_when_the_file_is_broken():
    """Every chart on a real synced sandbox: a broken hand edit is refused (named in the figure and
    by `profile reload`, with its line) and the last good profile stays in use; a good edit is read
    without `profile reload`; a fresh reader of the file falls back to the last good copy."""
    from pcnb.commands import Session, parse, run
    from pcnb.errors import PowerClerkError
    from pcnb.profile_store import ProfileFile

    with Workspace.sandbox(projects=150, seed=5, end=END) as ws:
        session = Session()
        session.workspace = ws
        run(parse("sync"), session)
        good = copy.deepcopy(ws.profile)
        path = ws.profile_path
        saved = path.read_text()
        for case, (edit, _key, needle) in BROKEN.items():
            text = edit(saved)
            assert text != saved, case
            path.write_text(text)
            for name in ("sla", "backlog", "aging", "throughput"):
                fig = run(parse(f"chart {name}"), session)  # never a traceback: the last good profile
                assert "profile file refused" in fig.layout.title.text, (case, name)
            assert ws.profile == good, case
            with pytest.raises(PowerClerkError, match=f"line {_line_of(text, needle)}"):
                run(parse("profile reload"), session)
            assert ws.profile == good, case
            fresh = ProfileFile(path)  # another process (the console script) reading the broken file
            assert fresh.get(lambda: pytest.fail("inferred instead of the last good copy")) == good, case
            assert fresh.refused and str(path) in fresh.refused, case
        path.write_text(saved.replace("timezone: America/Los_Angeles", "timezone: America/Chicago"))
        fig = run(parse("chart aging"), session)
        assert ws.profile.calendar.timezone == "America/Chicago" and "refused" not in fig.layout.title.text


# ---- consistent role editing (issue 24, deliverable 2) ---------------------------------------------

def _backwards() -> ProgramProfile:
    """The issue's unfamiliar program as first inferred: its outcomes the wrong way round."""
    from pcnb.profile import Roles, StatusInfo

    return ProgramProfile("sandbox", "P9", statuses=[StatusInfo(n) for n in (
        "Draft Request", "Completeness Check", "Engineering Study", "In Service", "Removed From Queue", "Denied")],
        roles=Roles(draft=["Draft Request"], intake="Completeness Check", review=["Engineering Study"],
                    completion="Removed From Queue",
                    exits={"completed": ["Removed From Queue"], "withdrawn": [], "rejected": ["In Service", "Denied"],
                           "cancelled": []}))


def test_setting_a_role_moves_the_status_out_of_every_conflicting_role():
    prof = _backwards()
    notes = prof.set("roles.completion", "In Service")
    assert prof.roles.completion == "In Service"
    assert prof.roles.exits == {"completed": ["Removed From Queue", "In Service"], "withdrawn": [],
                                "rejected": ["Denied"], "cancelled": []}
    assert any("'In Service'" in n and "roles.exits.rejected" in n for n in notes), notes
    assert any("'Removed From Queue'" in n and "roles.exits.completed" in n for n in notes), notes  # says it stays
    prof.set("roles.exits.withdrawn", "Removed From Queue")  # two commands, not four
    assert prof.roles.exits == {"completed": ["In Service"], "withdrawn": ["Removed From Queue"],
                                "rejected": ["Denied"], "cancelled": []}
    assert prof.roles.completion == "In Service"
    notes = prof.set("roles.exits.rejected", "Denied, In Service")  # the completion filed under rejected
    assert prof.roles.completion is None and prof.roles.exits["completed"] == []
    assert prof.roles.exits["rejected"] == ["Denied", "In Service"]
    assert any("roles.completion" in n and "profile set roles.completion" in n for n in notes), notes
    prof.set("roles.review", "Engineering Study, Denied")  # a review step is not a final exit
    assert prof.roles.exits["rejected"] == ["In Service"] and prof.roles.review == ["Engineering Study", "Denied"]
    prof.set("roles.intake", "Draft Request")  # intake is not a draft status
    assert prof.roles.draft == [] and prof.roles.intake == "Draft Request"
    prof.validate()


#: conflicting hand edits: how the roles are changed, the key the refusal names, and the list the
#: key is in (its entry's line) -- a status has one role, so the later role in the file is named
CONFLICTS = {
    "one status in two exit kinds": (lambda r: r.exits["withdrawn"].append("Denied"), "roles.exits.rejected[0]",
                                     ("exits", "rejected"), 0),
    "completion filed under rejected": (lambda r: r.exits["rejected"].append("In Service"),
                                        "roles.exits.rejected[1]", ("exits", "rejected"), 1),
    "completion is a rejection": (lambda r: setattr(r, "completion", "Denied"), "roles.exits.rejected[0]",
                                  ("exits", "rejected"), 0),
    "completion outside the exits": (lambda r: setattr(r, "completion", "Queue Position"), "roles.completion",
                                     ("completion",), None),
    "a review step that is final": (lambda r: r.review.append("Denied"), "roles.exits.rejected[0]",
                                    ("exits", "rejected"), 0),
}


def _entry_line(text: str, where: tuple[str, ...], index: int | None) -> int:
    """The line of roles.<where>[index] in a dumped profile (block style, as yaml.safe_dump writes it)."""
    lines = text.splitlines()
    at = lines.index("roles:")
    for depth, key in enumerate(where, 1):
        at = next(i for i in range(at + 1, len(lines)) if lines[i].startswith("  " * depth + key + ":"))
    return at + 1 if index is None else at + 2 + index


@pytest.mark.parametrize("edit", list(CONFLICTS))
def test_a_conflicting_profile_is_refused_in_python_and_in_the_file(edit, tmp_path):
    from pcnb import profile_file
    from pcnb.profile import StatusInfo

    prof = _backwards()
    prof.statuses.append(StatusInfo("Queue Position"))
    prof.set("roles.completion", "In Service")
    path = prof.save(tmp_path / "p.profile.yaml")
    change, key, where, index = CONFLICTS[edit]
    change(prof.roles)
    with pytest.raises(ProfileError, match=rf"^{re.escape(key)}: ") as err:
        prof.validate()
    assert "\n  fix: " in str(err.value)
    with pytest.raises(ProfileError, match=rf"^{re.escape(key)}: "):
        prof.save(path)  # refused: the file keeps the good profile
    assert ProgramProfile.load(path).roles.completion == "In Service"
    text = profile_file.dump(prof)  # the same conflict, written by hand into the file
    path.write_text(text)
    with pytest.raises(ProfileError, match=rf"line {_entry_line(text, where, index)}, {re.escape(key)}: "):
        ProgramProfile.load(path)


def test_profile_set_on_the_command_line_says_what_it_moved():
    from pcnb.commands import Session, parse, run

    with Workspace.sandbox(projects=60, seed=2, end=END) as ws:
        session = Session()
        session.workspace = ws
        run(parse("sync"), session)
        completion = ws.profile.roles.completion
        out = run(parse(f'profile set roles.exits.rejected "{completion}"'), session)
        assert f"moved {completion!r} out of roles.completion" in out
        again = ProgramProfile.load(ws.profile_path)
        assert again.roles.completion is None and completion in again.roles.exits["rejected"]
        assert completion not in again.roles.exits["completed"]


def test_a_profile_saved_before_the_end_line_and_confidence_still_loads(tmp_path):
    """Files written by the previous version have neither the closing line nor `confidence`: a user's
    hand-set deadlines and roles in them must not be refused as "cut short" after an upgrade. Cut
    short, such a file still lacks keys, and is refused."""
    import yaml

    prof = _three()
    prof.set("deadlines.Review", "12")
    data = yaml.safe_load(prof.save(tmp_path / "new.yaml").read_text())
    del data["confidence"]
    old = ("# pcnb program profile for P1 (sandbox).\n# Edit freely: statuses' holders, roles, deadlines "
           "(business_days, calendar_days, business_hours),\n# calendar and segments. Keys under `guessed` were "
           "inferred; delete a line once you confirm it.\n" + yaml.safe_dump(data, sort_keys=False))
    path = tmp_path / "old.profile.yaml"
    path.write_text(old)
    again = ProgramProfile.load(path)
    assert again.deadlines_for() == {"Review": 12.0} and again.roles == prof.roles and again.confidence == {}
    path.write_text(_cut(old))
    with pytest.raises(ProfileError, match="the key '[a-z_]+' is missing"):
        ProgramProfile.load(path)


def test_outcomes_on_a_program_with_timers_and_routing_match_its_stated_outcomes():
    """The definition states each final status's outcome (tests/programs/queue_with_timers.yaml):
    the inference finds the completion and the rejection there although the queue's removals come on a
    timer and large requests take a detour through a study."""
    from benchmarks.inference import HISTORY_END, inputs
    from pcnb.sandbox.definition import load as load_program
    from pcnb.sandbox.generator import generate

    prog = load_program(str(Path(__file__).parent / "programs" / "queue_with_timers.yaml"))
    data = inputs(generate(1000, seed=2, end=HISTORY_END, program=prog))
    prof = infer("sandbox", prog.program_id, data["statuses"], data["events"], data["projects"])
    truth = {prog.status(k).name: v for k, v in prog.outcomes.items()}
    assert prof.roles.completion == "In Service" and truth["In Service"] == "completed"
    assert prof.roles.exits["rejected"] == [s for s, kind in truth.items() if kind == "rejected"]
    assert sorted(prof.roles.final) == sorted(truth)  # every final status found final


def test_a_deadline_is_named_as_a_report_says_it():
    """A caption said "another unit, a span or a track", which a reader could not map to any deadline:
    each is named, with its days and what sets it apart."""
    assert Deadline(30, status="Payment", unit="calendar_days").words() == "Payment, 30 calendar days"
    assert (Deadline(25, start="Claim Review", end="Paid", clock="utility").words()
            == "Claim Review → Paid, 25 business days, the utility's days only")
    assert Deadline(1, status="Intake", track="Fast Track").words() == "Intake, 1 business day for Fast Track projects"
