"""Program roles a metric needs (final statuses, the arrival status...): always the caller's.

Every PowerClerk program names its own statuses, so no metric assumes any: they come from the
program profile (``ws.profile.roles``). A missing one is a clear error naming the parameter and
where its value lives, never a silently empty or wrong figure.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def need(value: T | None, param: str, function: str, role: str) -> T:
    if value is None:
        raise ValueError(f"{function}() needs {param}=: {role}; take it from the program profile "
                         f"(e.g. ws.profile.roles, see `%powerclerk profile`)")
    return value
