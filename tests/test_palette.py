"""The palette: a status's colour comes from the profile's status order and never changes once given."""

from __future__ import annotations

from pcnb import palette
from pcnb.profile import ProgramProfile, StatusInfo


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
    assert palette.current() is other and other["B"] == palette.COLORS[0]
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
