"""What a forecast needs to know about the program (from its profile), and the errors of bad input.

Every status name comes from the program: its final statuses (the outcomes, as competing risks),
what kind of exit each is (completed, withdrawn...), who holds the clock in each status, the
deadlines and the calendar. :meth:`Program.from_profile` reads them from a
:class:`pcnb.profile.ProgramProfile`; a missing piece is a :class:`ForecastError` saying how to set it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pcnb.analytics.calendar import Calendar
from pcnb.analytics.deadlines import CLOCKS, UNIT_COLUMNS, DeadlineRule
from pcnb.errors import InputError


class ForecastError(InputError):
    """A forecast was asked for something the input cannot give: says what, and how to fix it."""


@dataclass(frozen=True)
class Program:
    """``final``: the final statuses (outcomes); ``exits``: kind -> its final statuses (completed,
    withdrawn, rejected, cancelled); ``holders``: status -> utility/applicant/none; ``completions``:
    the final statuses that finish a step (a stay ending in another final status was not finished:
    ``exited``, as :mod:`pcnb.analytics.deadlines` counts it); ``draft``: statuses before submission
    (not the utility's backlog)."""

    calendar: Calendar
    final: tuple[str, ...]
    exits: Mapping[str, Sequence[str]] = field(default_factory=dict)
    holders: Mapping[str, str] = field(default_factory=dict)
    deadlines: Sequence[DeadlineRule] = ()
    completions: tuple[str, ...] = ()
    draft: tuple[str, ...] = ()
    name: str = ""

    def __post_init__(self) -> None:
        if not self.final:
            raise ForecastError("the program has no final statuses: a forecast needs its outcomes",
                                "set them with `%powerclerk profile set roles.exits.completed \"STATUS\"` "
                                "(and roles.exits.withdrawn ...)")
        check_rules(self.deadlines)

    @classmethod
    def from_profile(cls, prof: Any) -> Program:
        """From a :class:`pcnb.profile.ProgramProfile` (its roles, holders, deadlines and calendar)."""
        final = tuple(prof.roles.final)
        if not final:
            raise ForecastError("the program profile has no final statuses: a forecast needs its outcomes",
                                "set them with `%powerclerk profile set roles.exits.completed \"STATUS\"` "
                                "(and roles.exits.withdrawn ...)")
        exits = {k: list(v) for k, v in prof.roles.exits.items() if v}
        done = (*exits.get("completed", []), *exits.get("rejected", []))
        return cls(prof.calendar.calendar(), final, exits, dict(prof.holders), list(prof.deadlines), tuple(done),
                   tuple(prof.roles.draft), prof.program_name or prof.program_id)

    def kind(self, status: str) -> str:
        return next((k for k, v in self.exits.items() if status in v), "final")

    def holder(self, status: str) -> str:
        return self.holders.get(status, "none" if status in self.final else "utility")


def label(rule: DeadlineRule) -> str:
    return rule.status or f"{rule.start} -> {rule.end}"


def check_rules(rules: Iterable[DeadlineRule]) -> None:
    for r in rules:
        if r.unit not in UNIT_COLUMNS:
            raise ForecastError(f"deadline {label(r)}: unknown unit {r.unit!r}",
                                f"use one of {', '.join(UNIT_COLUMNS)}")
        if r.clock not in CLOCKS:
            raise ForecastError(f"deadline {label(r)}: unknown clock {r.clock!r}", f"use one of {', '.join(CLOCKS)}")
        if not (isinstance(r.days, int | float) and r.days > 0):
            raise ForecastError(f"deadline {label(r)}: {r.days!r} is not a positive number of {r.unit}",
                                "give the tariff's days, e.g. 10")
        if not r.status and not (r.start and r.end):
            raise ForecastError("a deadline needs a status, or a start and an end status",
                                "e.g. Deadline(10, status='STATUS')")


def known_status(name: str, statuses: Sequence[str], what: str) -> str:
    """``name`` if the program has it, else a ForecastError with the closest name and the list."""
    if name in statuses:
        return name
    close = difflib.get_close_matches(name, list(statuses), n=1)
    raise ForecastError(f"{what}: the program has no status {name!r}" + (f" (did you mean {close[0]!r}?)" if close
                                                                          else ""),
                        f"use one of: {', '.join(statuses)}")


__all__ = ["ForecastError", "Program", "check_rules", "known_status", "label"]
