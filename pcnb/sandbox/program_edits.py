"""What a utility's administrator does to a live program in PowerClerk's own screens (V2 cannot):
rename a status, add one, take one off the status list. Tests and demos use it to play a program
that changes between two syncs; ids stay as PowerClerk keeps them (a status's id survives its rename).
"""

from __future__ import annotations

from dataclasses import replace

from pcnb.sandbox.models import SandboxError
from pcnb.sandbox.program import Status
from pcnb.sandbox.state import State


def rename_status(state: State, key: str, name: str) -> Status:
    """Status ``key`` (id, custom id or name) is called ``name`` from now on, in every answer,
    histories included."""
    old = _status(state, key)
    if state.program.status(name) is not None:
        raise SandboxError(409, f"the program already has a status named {name!r}")
    new = replace(old, name=name)
    state.program.statuses = tuple(new if s is old else s for s in state.program.statuses)
    return new


def add_status(state: State, name: str, custom_id: str, holder: str = "utility") -> Status:
    """A new status on the program's list; no project is in it yet and no step leads to it."""
    if state.program.status(name) is not None or state.program.status(custom_id) is not None:
        raise SandboxError(409, f"the program already has a status {name!r} or custom id {custom_id!r}")
    new = Status(name, custom_id)
    state.program.statuses = (*state.program.statuses, new)
    state.program.holders[custom_id] = holder
    return new


def remove_status(state: State, key: str) -> Status:
    """Status ``key`` leaves the status list; histories that passed through it keep it (as PowerClerk's
    do), so it is kept for rendering them but no longer listed."""
    old = _status(state, key)
    state.retired = (*state.retired, old)
    state.program.statuses = tuple(s for s in state.program.statuses if s is not old)
    return old


def _status(state: State, key: str) -> Status:
    found = state.program.status(key)
    if found is None:
        raise SandboxError(404, f"Status {key} was not found")
    return found
