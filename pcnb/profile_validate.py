"""The whole profile checked at once: its types (profile_checks' schema), then its values, the roles
included (profile_roles). One module above both, so neither has to import the other back."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from pcnb import profile_roles
from pcnb.profile_checks import Problem, plain, shape_problems, value_problems

if TYPE_CHECKING:
    from pcnb.profile import ProgramProfile


def problems(prof: ProgramProfile) -> list[Problem]:
    """Every problem of ``prof`` (types first: the value rules assume the types are right)."""
    found = shape_problems(plain(asdict(prof)))
    return found or list(value_problems(prof, profile_roles.problems(prof)))
