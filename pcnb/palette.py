"""One colour per status (or role, segment, side) across every chart of a notebook.

Why: plotly colours traces by their position in each figure, so a review status was blue in
one chart and green in the next, and a reader compared the wrong bars. Here a status's colour is
fixed by its position in the program profile's status order (GetStatusList order, which is the
program's own), so it is stable across charts, kernels and re-runs; a name the profile lacks gets
the next free colour the first time any chart shows it. No two names of one palette share a
colour: real programs have 20-40 statuses, so the list is 60 plotly qualitative colours and
generated hues after that.

Each program has its own palette (``use``). A chart takes the palette of the program whose data
it draws: the command passes it, and a chart given none picks the used program whose statuses
the drawn names are (``for_names``) -- never simply the profile read last, which recoloured
program A's charts as soon as program B's profile was read. ``current`` is the first program's
palette (the notebook's), for names no program knows; charts take ``colors=`` to override.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# plotly's D3 ten, then ten more well-separated hues (Dark24's): the first 20, as before
_FIRST = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf", "#2e91e5", "#e15f99", "#1ca71c", "#fb0d0d", "#da16ff", "#222a2a", "#b68100", "#750d86",
          "#eb663b", "#511cfb"]


def _longer() -> list[str]:
    """The first 20, then the rest of plotly's Dark24, Alphabet and Light24 (no colour twice)."""
    from plotly.colors import qualitative

    out = list(_FIRST)
    for color in [*qualitative.Dark24, *qualitative.Alphabet, *qualitative.Light24]:
        if color.lower() not in out:
            out.append(color.lower())
    return out


COLORS = _longer()


def _generated(i: int) -> str:
    """Colour number ``i`` past COLORS: hues a golden angle apart, at two lightnesses."""
    import colorsys

    r, g, b = colorsys.hls_to_rgb((i * 0.618033988749895) % 1.0, 0.38 if i % 2 else 0.58, 0.75)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


# Colours that carry a meaning (late vs on time, who must answer) are Okabe-Ito's, chosen to stay
# apart for the 1 in 12 men with a red-green colour-vision deficiency: the red/green SLA pair they
# replace looked alike under deuteranopia (tests/test_palette.py measures each pair under simulated
# deuteranopia, protanopia and tritanopia with colorspacious).
BLUE, ORANGE, VERMILLION, SKY = "#0072b2", "#e69f00", "#d55e00", "#56b4e9"

#: who must answer an inquiry thread: the same two colours in every backlog chart
SIDES = {"utility": ORANGE, "applicant": BLUE, "none": "#7f7f7f"}
LATE, ON_TIME = VERMILLION, BLUE  # SLA bars: the same meaning, the same colour, in every program
REFERENCE = "#444444"  # percentile and trend lines that belong to no single status
TARGET = "#000000"  # deadline and target lines: black, dashed, on top of any status colour


class Palette:
    """Name -> colour, assigned in order and never changed once given."""

    def __init__(self, names: Iterable[str] = ()):
        self._colors: dict[str, str] = {}
        for name in names:
            self.color(name)

    def color(self, name: str) -> str:
        if name not in self._colors:
            n = len(self._colors)
            if n < len(COLORS):
                self._colors[name] = COLORS[n]
            else:  # past the list: a generated hue no other name of this palette has
                taken, i = set(self._colors.values()), n
                while _generated(i) in taken:
                    i += 1
                self._colors[name] = _generated(i)
        return self._colors[name]

    __getitem__ = color

    def mapping(self) -> dict[str, str]:
        return dict(self._colors)

    def __repr__(self) -> str:
        return f"Palette({self._colors})"


def for_profile(profile: Any) -> Palette:
    """The palette of a program: its statuses in the profile's order, then its segment values as seen."""
    return Palette(s.name for s in profile.statuses)


_by_program: dict[tuple[str, str], Palette] = {}  # in the order programs were first used
_statuses: dict[tuple[str, str], frozenset[str]] = {}
_current: list[Palette | None] = [None]
_anonymous = Palette()  # before any program's profile was read


def use(profile: Any) -> Palette:
    """``profile``'s program palette (the same object on every call for the same program, so a colour
    given once stays). The first program used becomes ``current``; a later one does not replace it."""
    key = (str(profile.environment), str(profile.program_id))
    if key not in _by_program:
        _by_program[key] = for_profile(profile)
        _statuses[key] = frozenset(s.name for s in profile.statuses)
    if _current[0] is None:
        _current[0] = _by_program[key]
    return _by_program[key]


def current() -> Palette:
    """The palette for names no used program knows: the first used program's, else first come first served."""
    return _current[0] or _anonymous


def for_names(names: Iterable[str]) -> Palette:
    """The palette of the program whose data a chart draws: of the used programs, the one whose
    profile lists most of ``names`` (the first used on a tie); ``current()`` when none lists any."""
    wanted = set(names)
    best, hits = current(), 0
    for key, pal in _by_program.items():
        n = len(wanted & _statuses[key])
        if n > hits:
            best, hits = pal, n
    return best
