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
