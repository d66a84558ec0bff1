"""A small hand-made process for the process-mining tests: the residential program's shape, short names.

U(nsubmitted) -> S(ubmitted) -> R(eview) <-> Ret(urned) ; R -> A(pproved) -> I(nspection) -> PTO;
exits W(ithdrawn) and X (rejected). One project a day-step apart, from Monday 2024-07-01 09:00 Los
Angeles time (07-04 is a holiday of tests.analytics.helpers.CAL, 07-06/07 a weekend).
"""

from __future__ import annotations

from pcnb.analytics.conformance import ProcessModel
from tests.analytics.helpers import _la, events

ORDER = ["U", "S", "R", "Ret", "A", "I", "PTO", "W", "X"]
MOVES = [("U", "S"), ("S", "R"), ("R", "Ret"), ("Ret", "R"), ("R", "A"), ("A", "I"), ("I", "PTO"), ("S", "W"),
         ("R", "W"), ("R", "X"), ("Ret", "W"), ("A", "W"), ("U", "W")]
FINAL = ["PTO", "W", "X"]
HOLDERS = {"U": "applicant", "S": "utility", "R": "utility", "Ret": "applicant", "A": "applicant", "I": "utility",
           "PTO": "none", "W": "none", "X": "none"}
MODEL = ProcessModel.from_moves(ORDER, MOVES, final=FINAL, completion="PTO")


def path(pid: str, statuses: list[str], day: int = 1) -> list[tuple]:
    """One event per status, a calendar day apart from July ``day``, 09:00."""
    return [(pid, s, _la(7, day + i, 9)) for i, s in enumerate(statuses)]


def log(*paths: list[tuple]):
    return events([row for p in paths for row in p])
