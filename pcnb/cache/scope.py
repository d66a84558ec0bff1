"""Which projects a sync fetches histories, inquiries and forms for: the cache's scope.

A status history costs one call per project; most questions need only some projects ("what is
in review now?", "what changed in the last 90 days?"). A scope is a filter over the listed
projects (the listing itself, one call per 1,000 projects, always covers every project): current
status names, changed since a date (LastChangeTimestamp: a project submitted since then has
changed since then, so this is a superset of "submitted since"), a list of project numbers, and a
polars SQL expression over the listed columns (``--where "status_ts >= DATE '2026-06-01'"``; times
are UTC). The parts
are combined with AND.

How a scoped sync works (pcnb.cache.sync calls ``apply`` once its listing is complete):

- the listing queues work by the sync's own change rules, for every project;
- queued work of projects outside the scope is dropped (a later wider scope finds it again);
- projects inside the scope whose history, inquiries or forms are missing or older than the
  listing (history fetched at another CurrentStatus timestamp; inquiries at another
  LastChangeTimestamp) are queued: so widening a scope fetches only what is missing, and a
  narrowed scope keeps what it has (no longer refreshed).

The scope of a run is stored with the run, so a run killed mid-way resumes with it; ``info`` and
every chart's freshness line say the scope the cache holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from pcnb.cache.store import Store, to_us
from pcnb.errors import InputError

EXAMPLE = "status_ts >= DATE '2026-06-01'"
#: the columns a --where expression can name: the projects frame (pcnb.cache.frames.projects)
COLUMNS = ("project_id", "program_id", "project_number", "status", "status_id", "status_custom_id", "status_ts",
           "last_change", "owner_name", "owner_email")


@dataclass(frozen=True)
class Scope:
    statuses: tuple[str, ...] = ()
    since: datetime | None = None
    numbers: tuple[str, ...] = ()
    where: str | None = None

    @property
    def everything(self) -> bool:
        return not (self.statuses or self.since or self.numbers or self.where)

    def describe(self) -> str:
        if self.everything:
            return "all projects"
        parts = []
        if self.statuses:
            parts.append("status " + " or ".join(repr(s) for s in self.statuses))
        if self.since is not None:
            parts.append(f"changed since {self.since:%Y-%m-%d}")
        if self.numbers:
            parts.append(f"{len(self.numbers)} project number(s)")
        if self.where:
            parts.append(f"where {self.where}")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"statuses": list(self.statuses), "since": to_us(self.since), "numbers": list(self.numbers),
                "where": self.where}

    @classmethod
    def from_json(cls, value: dict[str, Any] | None) -> Scope:
        if not value:
            return cls()
        from pcnb.cache.store import from_us

        return cls(tuple(value.get("statuses") or ()), from_us(value.get("since")), tuple(value.get("numbers") or ()),
                   value.get("where"))

    def expr(self) -> pl.Expr:
        parts = []
        if self.statuses:
            parts.append(pl.col("status").cast(pl.String).is_in(list(self.statuses)))
        if self.since is not None:  # the frame's times are UTC without a zone (see ``_naive``)
            parts.append(pl.col("last_change") >= self.since.astimezone(UTC).replace(tzinfo=None))
        if self.numbers:
            parts.append(pl.col("project_number").is_in(list(self.numbers)))
        if self.where:
            parts.append(_where(self.where))
        out = pl.lit(True)
        for p in parts:
            out = out & p
        return out

    def validate(self) -> None:
        """Refuse a --where that does not parse or names an unknown column, before any call."""
        from pcnb.cache.frames import PROJECTS_SCHEMA

        empty = _naive(pl.DataFrame(schema=PROJECTS_SCHEMA))
        try:
            empty.filter(self.expr())
        except pl.exceptions.ColumnNotFoundError as exc:
            raise InputError(f"--where {self.where!r} names an unknown column ({_first_line(exc)})",
                             f"use the listed projects' columns: {', '.join(COLUMNS)}") from None
        except (pl.exceptions.PolarsError, ValueError, TypeError) as exc:
            raise InputError(f"--where {self.where!r} is not a filter over the listed projects ({_first_line(exc)})",
                             f"write a SQL condition; dates as {EXAMPLE}") from None

    def select(self, projects: pl.DataFrame) -> pl.Series:
        """The ids of the listed (live) projects inside the scope."""
        return _naive(projects).filter(self.expr())["project_id"]


def listing_frame(items: list[dict[str, Any]]) -> pl.DataFrame:
    """GetProjects items as the projects frame's columns (what a scope is evaluated on)."""
    from pcnb.cache.frames import PROJECTS_SCHEMA, TS

    rows = []
    for p in items:
        status, owner = p.get("CurrentStatus") or {}, p.get("ProjectOwner") or {}
        rows.append((p["ProjectId"], p.get("ProgramId"), p.get("ProjectNumber"), status.get("Name"),
                     status.get("StatusId"), status.get("CustomId"), to_us(status.get("Timestamp")),
                     to_us(p.get("LastChangeTimestamp")), owner.get("Name"), owner.get("Email")))
    raw = pl.DataFrame(rows, schema=list(PROJECTS_SCHEMA), orient="row")
    if raw.height == 0:
        return pl.DataFrame(schema=PROJECTS_SCHEMA)
    return raw.with_columns(pl.col(k).cast(pl.Int64).cast(v) if v == TS else pl.col(k).cast(v)
                            for k, v in PROJECTS_SCHEMA.items())


def _naive(projects: pl.DataFrame) -> pl.DataFrame:
    """Times as UTC without a zone: polars SQL compares those with ``DATE '2026-06-01'`` literals."""
    return projects.with_columns(pl.col(c).dt.replace_time_zone(None) for c in ("status_ts", "last_change"))


def _where(text: str) -> pl.Expr:
    try:
        return pl.sql_expr(text)
    except Exception as exc:  # polars raises several types (SQLSyntaxError, SQLInterfaceError, ...)
        raise InputError(f"--where {text!r} does not parse ({_first_line(exc)})",
                         f"write a SQL condition, e.g. --where \"{EXAMPLE}\"") from None


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]


def stored(store: Store) -> Scope:
    """The scope the cache holds (that of its last complete run; all projects if none)."""
    return Scope.from_json(store.get_state().get("scope"))


def same(a: Scope, b: Scope) -> bool:
    return json.dumps(a.to_json(), sort_keys=True) == json.dumps(b.to_json(), sort_keys=True)


def apply(store: Store, scope: Scope, run_id: str, inquiries: bool, forms: tuple[str, ...],
          histories: bool = True) -> int:
    """After the run's listing: drop queued work outside ``scope``, queue what is missing inside it
    (``histories``/``inquiries`` false: not those kinds, e.g. for a key that is not an admin's).
    Returns how many projects are inside. Idempotent (a resumed run may apply it again)."""
    from pcnb.cache import frames

    projects = frames.projects(store)
    inside = scope.select(projects)
    if inside.len() == 0:
        raise InputError(f"the scope ({scope.describe()}) matches none of the {projects.height:,} listed projects",
                         "check the status names, date or expression (`%powerclerk projects` lists what is cached); "
                         "the listing is kept")
    ids = pl.DataFrame({"project_id": inside})
    with store.tx(data=False) as conn:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS scope_ids (project_id TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM scope_ids")
        conn.executemany("INSERT INTO scope_ids VALUES (?)", [(p,) for p in ids["project_id"].to_list()])
        conn.execute("DELETE FROM queue WHERE done = 0 AND project_id NOT IN (SELECT project_id FROM scope_ids)")
        missing = []
        if histories:
            missing.append(("history", "p.project_id", "history not fetched at the listed status",
                            "(p.history_status_ts IS NULL OR p.history_status_ts <> p.status_ts)"))
        if inquiries:
            missing.append(("inquiries", "p.project_id", "inquiries not fetched at the listed change",
                            "(p.inquiries_change IS NULL OR p.inquiries_change <> p.last_change)"))
        for kind, item, reason, stale in missing:
            conn.execute(
                f"""INSERT INTO queue (item_id, kind, project_id, reason, priority, run_id)
                    SELECT {item}, ?, p.project_id, ?, COALESCE(p.last_change, 0), ? FROM projects p
                    JOIN scope_ids s ON s.project_id = p.project_id WHERE p.deleted = 0 AND {stale}
                    ON CONFLICT (item_id, kind) DO UPDATE SET done = 0, attempts = 0, reason = excluded.reason,
                        run_id = excluded.run_id""", (kind, reason, run_id))
        for form in forms:
            conn.execute(
                """INSERT INTO queue (item_id, kind, project_id, reason, priority, run_id)
                   SELECT p.project_id || '/' || ?, 'form', p.project_id, 'form not cached yet', 0, ? FROM projects p
                   JOIN scope_ids s ON s.project_id = p.project_id WHERE p.deleted = 0 AND NOT EXISTS (
                       SELECT 1 FROM form_data f WHERE f.project_id = p.project_id AND f.form_id = ?)
                   ON CONFLICT (item_id, kind) DO NOTHING""", (form, run_id, form))
        conn.execute("DELETE FROM scope_ids")
    return inside.len()


def history_fetched(conn: Any, project_id: str) -> None:
    """The history is now that of the project's listed CurrentStatus (what ``apply`` compares)."""
    conn.execute("UPDATE projects SET history_status_ts = status_ts WHERE project_id = ?", (project_id,))


def inquiries_fetched(conn: Any, project_id: str) -> None:
    conn.execute("UPDATE projects SET inquiries_change = last_change WHERE project_id = ?", (project_id,))


__all__ = ["COLUMNS", "Scope", "apply", "history_fetched", "inquiries_fetched", "listing_frame", "same", "stored"]
