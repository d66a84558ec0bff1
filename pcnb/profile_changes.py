"""A program that changes, carried into its profile: renames, added and removed statuses.

The profile names statuses as the program calls them (roles, deadlines and holders read as the user
wrote them), but each status also carries its id. When the cache sees the program change
(pcnb.cache.catalog), the profile follows: a renamed status keeps its role, holder and deadline
under the new name; an added status joins with its holder marked as a guess; a removed status stays
(its histories are real) and every role or deadline still pointing at it is named in the caveats each
chart and report prints. Each change is logged in the profile with the date it was seen.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pcnb.cache.catalog import Change
    from pcnb.profile import ProgramProfile


def apply(prof: ProgramProfile, found: list[Change]) -> list[str]:
    """Carry ``found`` (status changes; form changes are only logged) into ``prof``; returns what was
    done, one line each, for the sync report."""
    from pcnb.profile import StatusInfo

    done: list[str] = []
    for c in found:
        prof.changes.append({k: v for k, v in asdict(c).items() if v is not None})
        if c.what != "status":
            continue
        mine = next((s for s in prof.statuses if s.status_id == c.key), None)
        if c.kind == "renamed":
            old = mine.name if mine else c.previous
            if old and old != c.name:
                rename(prof, old, c.name)
                done.append(f"profile: '{old}' is now '{c.name}' (its role, holder and deadlines kept)")
        elif c.kind == "added" and mine is None and not any(s.name == c.name for s in prof.statuses):
            prof.statuses.append(StatusInfo(c.name, status_id=c.key))
            prof.guessed[f"holders.{c.name}"] = f"added to the program on {c.seen}: utility-held until you set it"
            done.append(f"profile: new status '{c.name}' added (held by the utility until you set "
                        f"`holders.{c.name}`)")
        elif c.kind == "removed":
            stale = references(prof, c.name)
            if stale:
                done.append(f"profile: '{c.name}' was removed from the program, yet {', '.join(stale)} still "
                            "point at it")
    return done


def rename(prof: ProgramProfile, old: str, new: str) -> None:
    """Every reference to status ``old`` now says ``new``: statuses, roles, deadlines, workflow,
    guesses and their confidence."""
    def swap(name: Any) -> Any:
        return new if name == old else name

    for s in prof.statuses:
        s.name = swap(s.name)
    r = prof.roles
    r.draft, r.review = [swap(n) for n in r.draft], [swap(n) for n in r.review]
    r.intake, r.approval, r.completion = swap(r.intake), swap(r.approval), swap(r.completion)
    r.exits = {k: [swap(n) for n in v] for k, v in r.exits.items()}
    for d in prof.deadlines:
        d.status, d.start, d.end = swap(d.status), swap(d.start), swap(d.end)
    prof.workflow = [(swap(a), swap(b), n) for a, b, n in prof.workflow]
    prof.guessed = {k[:-len(old)] + new if k.endswith(f".{old}") else k: v for k, v in prof.guessed.items()}
    prof.confidence = {k: {swap(n): p for n, p in v.items()} for k, v in prof.confidence.items()}


def removed(prof: ProgramProfile) -> dict[str, str]:
    """Statuses the program no longer lists (name -> the date it was seen gone), from the log; a
    status added back later is not removed."""
    gone: dict[str, str] = {}
    for c in prof.changes:
        if c.get("what") != "status":
            continue
        if c.get("kind") == "removed":
            gone[c["name"]] = c["seen"]
        elif c.get("kind") == "added":
            gone.pop(c["name"], None)
    return gone


def references(prof: ProgramProfile, name: str) -> list[str]:
    """The profile keys that point at status ``name`` (roles and deadlines: what figures use)."""
    r = prof.roles
    keys = [k for k, v in (("roles.intake", r.intake), ("roles.approval", r.approval),
                           ("roles.completion", r.completion)) if v == name]
    keys += [f"roles.{k}" for k, v in (("draft", r.draft), ("review", r.review)) if name in v]
    keys += [f"roles.exits.{k}" for k, v in r.exits.items() if name in v]
    keys += [f"deadlines.{d.label}" for d in prof.deadlines if name in (d.status, d.start, d.end)]
    return keys


def caveats(prof: ProgramProfile) -> list[str]:
    """One line per removed status that roles or deadlines still use: printed under every chart and
    report the profile drives, until the user points them elsewhere."""
    out = []
    for name, seen in removed(prof).items():
        stale = references(prof, name)
        if stale:
            out.append(f"'{name}' was removed from the program on {seen}, yet {', '.join(stale)} still point at "
                       f"it: set them to a status it has now (`%powerclerk profile set {stale[0]} STATUS`)")
    return out
