"""The palette: a status's colour comes from the profile's status order and never changes once given."""

from __future__ import annotations

import pytest

from pcnb import palette
from pcnb.profile import ProgramProfile, StatusInfo


@pytest.fixture(autouse=True)
def _fresh_kernel(monkeypatch):
    """Each test as in a fresh kernel: no program's palette used yet."""
    monkeypatch.setattr(palette, "_by_program", {})
    monkeypatch.setattr(palette, "_statuses", {})
    monkeypatch.setattr(palette, "_current", [None])


def _profile(program: str, names: list[str]) -> ProgramProfile:
    return ProgramProfile("sandbox", program, statuses=[StatusInfo(n) for n in names])


def test_colours_follow_the_profile_order_and_stay():
    pal = palette.for_profile(_profile("p1", ["Draft", "Review", "Done"]))
    assert [pal["Draft"], pal["Review"], pal["Done"]] == palette.COLORS[:3]
    assert pal["Unlisted"] == palette.COLORS[3] and pal["Review"] == palette.COLORS[1]  # asked again: unchanged
    many = palette.Palette(f"s{i}" for i in range(len(palette.COLORS)))
    assert len(set(many.mapping().values())) == len(palette.COLORS)  # 20 statuses, 20 distinct colours


def test_use_makes_a_programs_palette_current_and_keeps_it():
    first = palette.use(_profile("p2", ["A", "B"]))
    first["late addition"]
    other = palette.use(_profile("p3", ["B", "A"]))
    # the first program stays the default: reading another's profile does not recolour its charts
    assert palette.current() is first and other["B"] == palette.COLORS[0]
    again = palette.use(_profile("p2", ["A", "B"]))
    assert again is first and again["late addition"] == palette.COLORS[2]


def test_statuses_beyond_twenty_do_not_share_a_colour():
    """Red team (no fix yet): the 21st status of a profile got the 1st status's colour (COLORS wraps at 20), so
    in one box plot or cumulative-flow chart of a 25-status program two statuses were drawn alike -- the
    misreading this module exists to prevent. Real PowerClerk programs often have 20-40 statuses."""
    pal = palette.Palette(f"status {i}" for i in range(30))
    assert len(set(pal.mapping().values())) == 30


def test_a_program_keeps_its_colours_when_another_programs_profile_is_read():
    """Red team (no fix yet): charts colour by palette.current(), which is the palette of the profile read
    last; reading program B's profile (ws_b.profile, or any call that reads it) recoloured every later chart of
    program A: "Review" was orange in A's first chart and green in the next one."""
    a = _profile("A-redteam", ["Submitted", "Review", "Approved"])
    b = _profile("B-redteam", ["Draft", "Approved", "Review"])
    before = palette.use(a)["Review"]
    palette.use(b)
    assert palette.current()["Review"] == before  # what a chart of A's intervals now gets by default


def test_a_chart_takes_the_palette_of_the_program_whose_statuses_it_draws():
    a = palette.use(_profile("A", ["Submitted", "Review", "Approved"]))
    b = palette.use(_profile("B", ["Draft", "Approved", "Review", "Closed"]))
    assert palette.for_names(["Draft", "Review", "Closed"]) is b
    assert palette.for_names(["Submitted", "Review"]) is a
    assert palette.for_names(["Review", "Approved"]) is a  # a tie: the first program's
    assert palette.for_names(["nobody knows"]) is palette.current() is a


def test_no_colour_repeats_past_the_long_list():
    assert len(palette.COLORS) >= 60 and len(set(palette.COLORS)) == len(palette.COLORS)
    pal = palette.Palette(f"s{i}" for i in range(150))
    assert len(set(pal.mapping().values())) == 150


def test_a_chart_of_program_a_keeps_its_colours_after_program_b_was_read():
    from datetime import UTC, date, datetime

    import polars as pl

    from pcnb import charts

    a = palette.use(_profile("A", ["Submitted", "Review", "Approved"]))
    palette.use(_profile("B", ["Draft", "Approved", "Review"]))
    palette.use(_profile("C", ["Review", "Other"]))
    wip = pl.DataFrame({"date": [date(2026, 1, 1)] * 2, "status": ["Review", "Submitted"], "wip": [3, 4]})
    fig = charts.cumulative_flow_chart(wip, datetime(2026, 1, 2, tzinfo=UTC))
    assert {t.name: t.line.color for t in fig.data} == {"Review": a["Review"], "Submitted": a["Submitted"]}


def _cvd_distance(a: str, b: str, deficiency: str) -> float:
    """CAM02-UCS colour difference of two colours as a person with ``deficiency`` (full severity,
    Machado et al. 2009, as colorspacious simulates it) sees them; about 1 is the smallest visible step."""
    import colorspacious
    import numpy as np

    def seen(color: str) -> np.ndarray:
        rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)]) / 255
        space = {"name": "sRGB1+CVD", "cvd_type": deficiency, "severity": 100}
        return np.clip(colorspacious.cspace_convert(rgb, space, "sRGB1"), 0, 1)

    return float(colorspacious.deltaE(seen(a), seen(b), input_space="sRGB1"))


@pytest.mark.parametrize("deficiency", ["deuteranomaly", "protanomaly", "tritanomaly"])
def test_colours_that_carry_a_meaning_stay_apart_for_colour_blind_readers(deficiency):
    """The SLA's late vs on-time and the backlog's utility vs applicant are the message of their charts:
    under simulated deuteranopia the old red/green SLA pair was 5.5 apart (near one colour); each pair
    must stay at least 30 apart (CAM02-UCS) for every kind of colour-vision deficiency."""
    pairs = {"late vs on time": (palette.LATE, palette.ON_TIME),
             "waiting on utility vs applicant": (palette.SIDES["utility"], palette.SIDES["applicant"])}
    for what, (a, b) in pairs.items():
        assert _cvd_distance(a, b, deficiency) >= 30, (what, a, b, round(_cvd_distance(a, b, deficiency), 1))


def test_the_simulator_tells_a_red_green_pair_apart_from_a_safe_one():
    """The check above measures what it claims: red/green collapses under deuteranopia, blue/orange does not."""
    assert _cvd_distance("#b2182b", "#1b7837", "deuteranomaly") < 10 < 50 < _cvd_distance("#0072b2", "#e69f00",
                                                                                         "deuteranomaly")
