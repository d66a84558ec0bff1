"""What the program is made of now (its statuses and forms) beside what the cache last saw.

Utilities change their programs: a status is renamed (a review step gets "(Tier 1)" added to its
name), a step is added, a form retired. The cache keys statuses and forms by their ids,
so a rename keeps every history; this module notices the change, makes the cache show the name the
program uses now (frames read names from the ``statuses`` table), and keeps a dated log of what
changed, which the sync report and the profile (pcnb.profile_changes) repeat to the user.

Cost: GetStatusList (admin only) and GetForms, two calls per completed sync (a quiet sync is one
listing page, so three calls instead of one: a rename shows on the sync after it, not a day
later, for two operations of the key's 60 a minute). A non-admin key gets no status list
(and no histories): its frames take each status's name from the newest listed project in it
(pcnb.cache.frames), current by definition, and only form changes are logged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from pcnb import clock
from pcnb.api.client import PowerClerkClient
from pcnb.cache.store import Store
from pcnb.errors import Forbidden


@dataclass(frozen=True)
class Change:
    """One change of the program: a status or form added, renamed or removed, on a date (local to
    nothing: the UTC date the cache first saw it)."""

    seen: str  # yyyy-mm-dd
    what: str  # status | form
    kind: str  # added | renamed | removed
    key: str  # StatusId / FormId
    name: str  # the name now (removed: the last name it had)
    previous: str | None = None  # a rename's old name

    def __str__(self) -> str:
        if self.kind == "renamed":
            return f"{self.what} '{self.previous}' renamed '{self.name}'"
        return f"{self.what} '{self.name}' {self.kind}"

    @classmethod
    def of(cls, row: dict[str, Any]) -> Change:
        return cls(str(row["seen"]), str(row["what"]), str(row["kind"]), str(row["key"]), str(row["name"]),
                   row.get("previous"))


def changes(store: Store) -> list[Change]:
    """Every change the cache has seen, oldest first."""
    return [Change.of(row) for row in store.get_state().get("program_changes", [])]


def check(client: PowerClerkClient, store: Store, program: str) -> list[Change]:
    """Read the program's status list and forms, log what changed since the last check, and rename
    cached statuses to their current names. The first check of a cache only records what is there:
    nothing has changed yet."""
    now = clock.now()
    try:
        listed = {s["StatusId"]: s.get("Name") or s["StatusId"]
                  for s in client.status_list(program).get("Statuses") or [] if s.get("StatusId")}
    except Forbidden:  # not an admin: the listing's current names are all there is
        listed = None
    forms = {f["FormId"]: f.get("Name") or f.get("CustomId") or f["FormId"]
             for f in client.forms(program).get("Forms") or [] if f.get("FormId")}
    state = store.get_state()
    known = state.get("catalog")
    found: list[Change] = []
    day = now.date().isoformat()
    if known:
        if listed is not None:
            found += _diff("status", known["statuses"], listed, day)
        found += _diff("form", known["forms"], forms, day)
    statuses = listed if listed is not None else (known or {}).get("statuses", {})
    with store.tx(data=any(c.kind == "renamed" and c.what == "status" for c in found)) as conn:
        for c in found:
            if c.what == "status" and c.kind == "renamed":
                conn.execute("UPDATE statuses SET name = ? WHERE status_id = ?", (c.name, c.key))
        Store.put_state(conn, catalog={"checked": now.isoformat(), "statuses": statuses, "forms": forms},
                        program_changes=[*state.get("program_changes", []), *map(asdict, found)])
    return found


def _diff(what: str, before: dict[str, str], now: dict[str, str], day: str) -> list[Change]:
    out = [Change(day, what, "renamed", k, v, before[k]) for k, v in now.items() if k in before and before[k] != v]
    out += [Change(day, what, "added", k, v) for k, v in now.items() if k not in before]
    out += [Change(day, what, "removed", k, v) for k, v in before.items() if k not in now]
    return out


def summary(found: list[Change]) -> str:
    """The sync report's line: what changed in the program, in the program's words."""
    return "the program changed since the last check: " + "; ".join(map(str, found))
