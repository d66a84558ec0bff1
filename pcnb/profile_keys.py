"""The profile's vocabulary, shared by every module that checks or edits it: its status roles'
kinds, ProfileError, and Problem (one wrong key, with where it is and how to write it right).

It imports nothing of pcnb but the errors, so the checks (pcnb.profile_checks), the role rules
(pcnb.profile_roles), the file (pcnb.profile_file) and the profile itself lean on it, never on
each other in a circle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pcnb.errors import PowerClerkError

HOLDERS = ("utility", "applicant", "none")
EXITS = ("completed", "withdrawn", "rejected", "cancelled")
UNITS = ("business_days", "calendar_days", "business_hours")
SEGMENTS = ("size", "technology", "track")
WEEKDAY_LETTERS = "MTWTFSS"

Path = tuple[str | int, ...]  # a key's place: ("calendar", "country"), ("deadlines", 2, "status")


class ProfileError(PowerClerkError):
    """The profile names something the program does not have, or a value of the wrong kind.
    ``key`` is the profile key it is about (``calendar.country``, ``deadlines[2].status``), when
    there is one; ``line`` the line of the profile file, when it came from one."""

    key: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Problem:
    path: Path
    what: str
    fix: str

    @property
    def key(self) -> str:
        return key_of(self.path)

    def error(self) -> ProfileError:
        err = ProfileError(f"{self.key}: {self.what}" if self.path else self.what, self.fix)
        err.key = self.key
        return err


def key_of(path: Sequence[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
