"""A status has one role: the rules that keep a profile's milestone roles consistent.

Correcting a wrong guess used to take one ``profile set`` per role touched, and on the way the
profile accepted a status in two exit kinds, or the completion status filed under rejected, so a
throughput chart could count one project as both completed and rejected. Here, setting a role moves
the status out of every role that conflicts with it (and says so), and :func:`problems` refuses a
profile in which a status still has two conflicting roles, whichever way it was edited (``set``,
the file, Python attributes).

Roles that go together: the completion status is one of the completed exits (it must be), and an
approval may also be a review step, the completion, or a completed exit. Every other pair conflicts:
a draft status is not the intake, a review step is not final, a status is in at most one exit kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pcnb.profile_keys import EXITS, Problem, ProfileError

if TYPE_CHECKING:
    from pcnb.profile import ProgramProfile, Roles

#: Every role a status can have, in the profile file's order.
ROLES = ("draft", "intake", "review", "approval", "completion", *(f"exits.{k}" for k in EXITS))
SINGLE = ("intake", "approval", "completion")
TOGETHER = {frozenset(p) for p in (("completion", "exits.completed"), ("approval", "review"),
                                   ("approval", "completion"), ("approval", "exits.completed"))}
WORDS = {"draft": "a draft status (roles.draft)", "intake": "the intake (roles.intake)",
         "review": "a review step (roles.review)", "approval": "the approval (roles.approval)",
         "completion": "the completion (roles.completion)",
         **{f"exits.{k}": f"a {k} exit (roles.exits.{k})" for k in EXITS}}


def conflict(a: str, b: str) -> bool:
    return a != b and frozenset((a, b)) not in TOGETHER


def members(roles: Roles, role: str) -> list[str]:
    if role in SINGLE:
        value = getattr(roles, role)
        return [value] if value else []
    if role.startswith("exits."):
        return list(roles.exits.get(role.split(".", 1)[1], []))
    return list(getattr(roles, role))


def _path(role: str, index: int) -> tuple[str | int, ...]:
    parts: tuple[str | int, ...] = ("roles", *role.split("."))
    return parts if role in SINGLE else (*parts, index)


def _held(prof: ProgramProfile) -> Iterator[tuple[str, str, tuple[str | int, ...]]]:
    """(status name, role, path) for every role entry, statuses resolved to their names."""
    for role in ROLES:
        for i, key in enumerate(members(prof.roles, role)):
            try:
                name = prof.status(key).name
            except ProfileError:
                continue  # named as an unknown status already
            yield name, role, _path(role, i)


def problems(prof: ProgramProfile) -> Iterator[Problem]:
    """A status in two conflicting roles (named at the later one), and a completion status that is
    not a completed exit."""
    seen: dict[str, list[str]] = {}
    for name, role, path in _held(prof):
        clash = next((r for r in seen.get(name, []) if conflict(r, role)), None)
        if clash:
            yield Problem(path, f"{name!r} is also {WORDS[clash]}; a status has one role",
                          f"choose one: `%powerclerk profile set roles.{role} ...` (or roles.{clash}) moves it out "
                          "of the other")
        seen.setdefault(name, []).append(role)
    completion = prof.roles.completion
    if completion and "exits.completed" not in seen.get(_name(prof, completion), ["exits.completed"]):
        yield Problem(("roles", "completion"), f"{completion!r} is not under roles.exits.completed",
                      f"a completion is a completed exit: `%powerclerk profile set roles.completion \"{completion}\"` "
                      "files it there")


def _name(prof: ProgramProfile, key: str) -> str:
    try:
        return prof.status(key).name
    except ProfileError:
        return key


def _remove(roles: Roles, role: str, name: str) -> None:
    if role in SINGLE:
        setattr(roles, role, None)
    elif role.startswith("exits."):
        kind = role.split(".", 1)[1]
        roles.exits[kind] = [s for s in roles.exits.get(kind, []) if s != name]
    else:
        setattr(roles, role, [s for s in getattr(roles, role) if s != name])


def assign(prof: ProgramProfile, role: str, names: list[str]) -> list[str]:
    """Give ``role`` the statuses ``names`` (already resolved to names), first moving each out of
    every role that conflicts with it; return one note per move, for the user to read."""
    r, notes = prof.roles, []
    for name in names:
        for other in ROLES:
            if conflict(role, other) and name in members(r, other):
                _remove(r, other, name)
                unset = (" (now unset: set it with `%powerclerk profile set roles.completion \"STATUS\"`)"
                         if other == "completion" else "")
                notes.append(f"moved {name!r} out of roles.{other}{unset}")
    before = r.completion
    if role in SINGLE:
        setattr(r, role, names[0] if names else None)
    elif role.startswith("exits."):
        r.exits[role.split(".", 1)[1]] = list(names)
    else:
        setattr(r, role, list(names))
    if role == "completion" and names:
        if names[0] not in r.exits["completed"]:
            r.exits["completed"].append(names[0])
        if before and before != names[0] and before in r.exits["completed"]:
            notes.append(f"{before!r} stays under roles.exits.completed: if it is no completion, file it where it "
                         f"belongs, e.g. `%powerclerk profile set roles.exits.withdrawn \"{before}\"`")
    if role == "exits.completed" and r.completion and r.completion not in names:
        old, r.completion = r.completion, (names[0] if len(names) == 1 else None)
        notes.append(f"roles.completion was {old!r}, not a completed exit now: "
                     + (f"it is {r.completion!r}" if r.completion else
                        "set it with `%powerclerk profile set roles.completion \"STATUS\"`"))
    return notes
