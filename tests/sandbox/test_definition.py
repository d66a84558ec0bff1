"""Programs as data: the built-ins differ in shape, a new definition works, every mistake is explained."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
import requests
import yaml

from pcnb.sandbox import running
from pcnb.sandbox.definition import BUILTINS, ProgramDefinitionError, builtin_path, from_dict, load
from pcnb.sandbox.generator import generate
from tests.conftest import END, FAST

COMMUNITY = Path(__file__).resolve().parents[1] / "programs" / "community_solar.yaml"
PROGRAMS = (*BUILTINS, str(COMMUNITY))


def test_builtins_differ_in_shape_not_just_names():
    progs = {name: load(name) for name in BUILTINS}
    assert {p.timezone for p in progs.values()} == {"America/Los_Angeles", "America/New_York", "America/Denver"}
    assert len({p.prefix for p in progs.values()}) == 3 and len({p.program_id for p in progs.values()}) == 3
    shapes = {name: (len(p.statuses), len(p.terminal), len(p.forms)) for name, p in progs.items()}
    assert len(set(shapes.values())) == 3, shapes
    status_ids = [{s.custom_id for s in p.statuses} for p in progs.values()]
    assert not (status_ids[0] & status_ids[1]) and not (status_ids[1] & status_ids[2])
    rebate = progs["rebate"]  # reservation -> claim -> payment, with expiry
    assert "EXPIRED" in rebate.terminal and rebate.holders["RESERVED"] == "applicant"
    big = progs["large-dg"]  # studies, agreement, payment milestone, long applicant-held steps
    assert max(st.median_days for st in big.flow["CONSTRUCTION"]) >= 100 and big.holders["CONSTRUCTION"] == "applicant"


@pytest.mark.parametrize("name", PROGRAMS)
def test_each_program_generates_a_realistic_history_in_its_own_calendar(name):
    state = generate(600, seed=3, end=END, program=name)
    prog = state.program
    mix = Counter(p.status for p in state.projects.values())
    assert set(mix) - {s.custom_id for s in prog.statuses} == set()
    assert sum(mix[s] for s in prog.terminal) > 100 and sum(mix[s] for s in mix if s not in prog.terminal) > 10
    tz = ZoneInfo(prog.timezone)
    country, subdivision = prog.holidays
    hol = holidays.country_holidays(country, subdiv=subdivision, years=range(2022, 2027))
    for p in list(state.projects.values())[:200]:
        assert p.number is None or p.number.startswith(prog.prefix + "-")
        for e in p.history:
            local = e.ts.astimezone(tz)
            assert local.weekday() < 5 and local.date() not in hol and 8 <= local.hour < 17, (name, e)
        for a, b in zip(p.history, p.history[1:], strict=False):
            assert b.status in prog.transitions[a.status] or any(
                f.submit_to.get(a.status) == b.status for f in prog.forms), (name, a.status, b.status)
    submitted = [p for p in state.projects.values() if p.submitted]
    assert submitted and all(p.attachments or not any(f.attachments for f in prog.forms) for p in submitted)
    assert state.threads


def test_a_program_is_served_over_http_with_its_own_vocabulary():
    with running(projects=40, seed=2, rate_limit=FAST, end=END, program="rebate") as sb:
        c = sb.credentials("admin")
        token = requests.post(sb.token_url, data={"grant_type": "client_credentials"},
                              auth=(c["client_id"], c["client_secret"]), timeout=10).json()["access_token"]
        h = {"X-ApiKey": c["api_key"], "Authorization": f"Bearer {token}"}
        base = f"{sb.base_url}/Programs/{sb.program_id}"
        names = [s["Name"] for s in requests.get(base + "/StatusList", headers=h, timeout=10).json()["Statuses"]]
        assert names[:3] == ["Draft Reservation", "Reservation Review", "Reservation Correction Needed"]
        forms = requests.get(base + "/Forms", headers=h, timeout=10).json()["Forms"]
        claim = next(f for f in forms if f["CustomId"] == "CLAIM")
        assert {s["CustomId"] for s in claim["AvailableInStatuses"]} == {"RESERVED", "CLAIM_SUSPENDED"}
        numbers = [p["ProjectNumber"] for p in requests.get(base + "/Projects", headers=h, timeout=10).json()[
            "Projects"] if p.get("ProjectNumber")]
        assert numbers and all(n.startswith("CEI-") for n in numbers)


def _residential() -> dict:
    return yaml.safe_load(builtin_path("residential").read_text())


def _problems(data: dict) -> str:
    with pytest.raises(ProgramDefinitionError) as info:
        from_dict(data, "test.yaml")
    return str(info.value)


def test_each_mistake_is_named_with_where_it_is_and_a_fix():
    d = _residential()
    d["transitions"]["REVIEW"][1]["to"] = "APROVED"
    assert "transitions.REVIEW[1].to: unknown status 'APROVED' (did you mean 'APPROVED'?)" in _problems(d)
    d = _residential()
    d["transitions"]["RETURNED"][0]["p"] = 0.5
    assert "transitions.RETURNED: probabilities sum to 0.58, not 1" in _problems(d)
    d = _residential()
    d["statuses"].append({"custom_id": "ON_HOLD", "name": "On Hold"})
    d["transitions"]["ON_HOLD"] = [{"to": "REVIEW", "p": 1.0, "days": [3, 0.5]}]
    assert "statuses: 'ON_HOLD' cannot be reached from start 'UNSUBMITTED'" in _problems(d)
    d = _residential()
    d["timezone"] = "Pacific Time"
    assert "timezone: 'Pacific Time' is not an IANA time zone" in _problems(d)
    d = _residential()
    d["transitions"]["PTO"] = "none"
    assert "transitions.PTO: 'none' is not of type 'array'" in _problems(d)
    d = _residential()
    d["forms"][0]["leads_to"]["APPROVED"] = "INSPECTION"
    assert "forms[0].leads_to: 'APPROVED' is not in available_in" in _problems(d)
    d = _residential()
    d["forms"][0]["fields"][1]["sample"]["weights"] = [1, 2]
    assert "forms[0].fields[1].sample.weights: 2 weights for 5 choices" in _problems(d)
    d = _residential()
    del d["transitions"]["WITHDRAWN"]
    assert "transitions: status 'WITHDRAWN' has no entry" in _problems(d)


def test_deadline_mistakes_are_named():
    d = _residential()
    d["deadlines"] = [{"start": "SUBMITTED", "days": 20}]
    assert "deadlines[0]: give either a status, or a start and an end status (a span)" in _problems(d)
    d["deadlines"] = [{"status": "REVIEW", "start": "SUBMITTED", "end": "PTO", "days": 20}]
    assert "deadlines[0]: give either a status" in _problems(d)
    d["deadlines"] = [{"start": "SUBMITTED", "end": "PTTO", "days": 20, "clock": "utility"}]
    assert "deadlines[0].end: unknown status 'PTTO' (did you mean 'PTO'?)" in _problems(d)
    d["deadlines"] = [{"status": "REVIEW", "days": 20, "clock": "utility"}]
    assert "deadlines[0]: clock utility applies to a span" in _problems(d)
    d["deadlines"] = [{"start": "SUBMITTED", "end": "PTO", "days": 20, "clock": "applicant"}]
    assert "deadlines[0].clock: 'applicant' is not one of ['elapsed', 'utility']" in _problems(d)
    d["deadlines"] = [{"status": "PTO", "days": 20}]
    assert "deadlines[0]: 'PTO' is a final status" in _problems(d)
    # residential has no track field: its tracks are size bins
    d["deadlines"] = [{"start": "SUBMITTED", "end": "PTO", "days": 20, "clock": "utility", "track": "<= 10 kW"}]
    span = from_dict(d, "test.yaml").deadlines[0]
    assert (span.start, span.end, span.days, span.clock, span.track, span.status) == (
        "SUBMITTED", "PTO", 20.0, "utility", "<= 10 kW", None)


def test_unknown_names_and_broken_files_are_explained(tmp_path):
    with pytest.raises(ProgramDefinitionError, match="did you mean 'rebate'"):
        load("rebat")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ProgramDefinitionError, match="not valid YAML"):
        load(bad)
    with pytest.raises(ProgramDefinitionError, match="must hold a mapping"):
        from_dict(["a list"])


# ---- red team (branch redteam) -------------------------------------------------------------------

def test_a_deadline_track_that_is_not_a_choice_of_the_track_field_is_named():
    """large-dg's Fast Track deadline names a choice of LG_REQUEST/STUDY_TRACK (segment: track). A
    typo there ('Fast track') loaded fine and the sandbox's deadline report then had a Fast track
    row of zeros while the Fast Track projects were judged by the untracked 150-day rule. The
    definition knows the field's choices: check the track against them (as status names are)."""
    d = yaml.safe_load(builtin_path("large-dg").read_text())
    d["deadlines"][-1]["track"] = "Fast track"
    assert "Fast Track" in _problems(d)  # e.g. "deadlines[6].track: unknown track 'Fast track' (did you mean ...)"


def test_a_span_from_a_status_to_itself_is_named():
    d = _residential()
    d["deadlines"] = [{"start": "SUBMITTED", "end": "SUBMITTED", "days": 20}]
    assert "deadlines[0]" in _problems(d)


def test_a_project_prefix_with_its_dash_is_read_and_a_wrong_one_says_how_to_write_it():
    """`project_prefix: SIR-` (as the numbers read, SIR-00001) was refused with only the schema's
    regular expression; it means SIR, and a prefix that cannot be one says what one looks like."""
    d = _residential()
    d["project_prefix"] = "SIR-"
    prog = from_dict(d, "test.yaml")
    assert prog.prefix == "SIR"
    numbers = [p.number for p in generate(40, seed=2, end=END, program=prog).projects.values() if p.number]
    assert numbers and all(n.startswith("SIR-") and not n.startswith("SIR--") for n in numbers)
    d["project_prefix"] = "sir 1"
    message = _problems(d)
    assert "project_prefix: 'sir 1' is not a project-number prefix" in message
    assert "e.g. SIR or SIR-" in message and "does not match" not in message
