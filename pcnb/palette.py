"""One colour per status (or role, segment, side) across every chart of a notebook.

Why: plotly colours traces by their position in each figure, so a review status was blue in
one chart and green in the next, and a reader compared the wrong bars. Here a status's colour is
fixed by its position in the program profile's status order (GetStatusList order, which is the
program's own), so it is stable across charts, kernels and re-runs; a name the profile lacks gets
the next free colour the first time any chart shows it. Loading a workspace's profile makes its
palette the notebook's (``use``); charts take ``colors=`` to override.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# plotly's D3 ten, then ten more well-separated hues (Dark24's), so 20 statuses stay distinct
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
          "#17becf", "#2e91e5", "#e15f99", "#1ca71c", "#fb0d0d", "#da16ff", "#222a2a", "#b68100", "#750d86",
          "#eb663b", "#511cfb"]
#: who must answer an inquiry thread: the same two colours in every backlog chart
SIDES = {"utility": "#d62728", "applicant": "#1f77b4", "none": "#7f7f7f"}
LATE, ON_TIME = "#b2182b", "#1b7837"  # SLA bars: the same meaning, the same colour, in every program
REFERENCE = "#444444"  # percentile and trend lines that belong to no single status


class Palette:
    """Name -> colour, assigned in order and never changed once given."""

    def __init__(self, names: Iterable[str] = ()):
        self._colors: dict[str, str] = {}
        for name in names:
            self.color(name)

    def color(self, name: str) -> str:
        if name not in self._colors:
            self._colors[name] = COLORS[len(self._colors) % len(COLORS)]
        return self._colors[name]

    __getitem__ = color

    def mapping(self) -> dict[str, str]:
        return dict(self._colors)

    def __repr__(self) -> str:
        return f"Palette({self._colors})"


def for_profile(profile: Any) -> Palette:
    """The palette of a program: its statuses in the profile's order, then its segment values as seen."""
    return Palette(s.name for s in profile.statuses)


_by_program: dict[tuple[str, str], Palette] = {}
_current: list[Palette] = [Palette()]


def use(profile: Any) -> Palette:
    """Make ``profile``'s palette the one charts use by default (the same object on every call for
    the same program, so a colour given once stays)."""
    key = (str(profile.environment), str(profile.program_id))
    if key not in _by_program:
        _by_program[key] = for_profile(profile)
    _current[0] = _by_program[key]
    return _current[0]


def current() -> Palette:
    """The palette charts use when given none: the last used program's, else first come first served."""
    return _current[0]
