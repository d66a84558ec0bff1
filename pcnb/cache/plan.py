"""What a sync will spend, stage by stage, before it spends it (``sync --plan``).

A sync's calls are: listing pages (one per 1,000 listed projects, plus the short last page), one
status history per new or status-changed project, one inquiry-thread list per changed project, one
note list per thread whose last note moved, and one call per project and form. The plan reads one
listing page of what the sync would list (the projects changed since the watermark, or all of them
on a first or full sync) and, when that page is full, counts the rest of the listing: the API
gives no total (GetProjects answers ``Projects`` and ``RequestTimestamp`` only), so one call cannot
count a listing longer than a page; the plan finds its number of pages with one-project probes
(``limit=1`` at an offset, a binary search over whole pages: about 2·log2(N / 1,000) calls) and
reads the last page. It then replays the sync's own rules (pcnb.cache.fetch_rules) on the listed
page against the cache:

- exact: pages, histories, inquiry lists and forms of a first sync (every listed project is new)
  and of any sync whose changes fit in one page; work already queued by an interrupted run;
- extrapolated: histories/inquiries beyond the first page of an incremental sync (the first
  page's share of changed projects, applied to the rest);
- scoped (pcnb.cache.scope): the scope is evaluated on the listed projects read. The listing is
  ordered by creation, so when it is longer than a page the plan reads, instead of its first
  page, the projects changed since the scope's date (exact for a date scope) or ten small pages at
  random offsets (extrapolated);
- estimated, with a range: note lists. Which threads moved is only known from the thread lists
  themselves (GetInquiryThreads' LastNoteTimestamp; the project listing carries no note count or
  note time), which cost one call per changed project and are part of the sync. What the cache
  does know is counted exactly: each cached thread of a changed project whose copy is not known
  complete past its last note's second is fetched again whatever moved (pcnb.cache.fetch_rules).
  The rest is a range: at least none, at most every other cached thread of the changed projects
  plus one new thread per changed project (an assumption: a project may open more); the point
  estimate is the rate of moved threads per thread list of the last incremental run, or, before
  any incremental run, the middle of the range (nothing is known of how often notes come). A
  first sync fetches every thread's notes: (thread lists) x (note lists per thread list of the
  last first sync), or ``FIRST_NOTES_PER_INQUIRY`` on a store that has never synced; no upper bound.

Minutes are at the key's shared budget: its limit minus what other processes used in the last
window (pcnb.api.budget), less the reserve a background sync leaves for interactive calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import numpy as np

from pcnb import clock
from pcnb.api.client import PowerClerkClient
from pcnb.cache.fetch_rules import changed as is_changed_project
from pcnb.cache.fetch_rules import history_reason, unsettled
from pcnb.cache.scope import Scope, listing_frame
from pcnb.cache.scope import same as same_scope
from pcnb.cache.scope import stored as stored_scope
from pcnb.cache.store import Store, from_us, to_us
from pcnb.errors import InputError

#: note lists per thread list on a never-synced store: the sandbox's 2,000-project program has 0.32
#: threads per project; a real program's ratio replaces it after its first sync
FIRST_NOTES_PER_INQUIRY = 0.32
#: small listing pages read at random offsets to estimate a scope's share of a long listing
SPREAD = 10


@dataclass(frozen=True)
class Stage:
    name: str
    calls: int
    cached: int = 0  # how many of its items the cache already holds
    basis: str = "exact"  # exact | extrapolated | estimated
    low: int | None = None  # an estimated stage's range (high None: no upper bound); None: exact
    high: int | None = None


@dataclass
class SyncPlan:
    stages: list[Stage]
    listed: int  # projects the sync will list
    plan_calls: int  # what making the plan spent
    rate_per_min: float  # the share of the key's budget the sync can use
    scope: str = "all projects"
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(s.calls for s in self.stages)

    @property
    def total_low(self) -> int:
        return sum(s.calls if s.low is None else s.low for s in self.stages)

    @property
    def total_high(self) -> int | None:
        """The most the sync can spend (None: no bound), where an estimated stage has a range."""
        highs = [s.calls if s.low is None else s.high for s in self.stages]
        return None if any(h is None for h in highs) else sum(h for h in highs if h is not None)

    @property
    def exact_part(self) -> int:
        """The calls of the stages the plan knows exactly (or extrapolates), estimated stages left out."""
        return sum(s.calls for s in self.stages if s.low is None)

    @property
    def minutes(self) -> float:
        return self.total / max(self.rate_per_min, 1e-9)

    def __str__(self) -> str:
        width = max(len(s.name) for s in self.stages)
        lines = [f"sync plan for {self.scope}: {self.listed:,} projects to list"]
        for s in self.stages:
            cached = f", {s.cached:,} cached" if s.cached else ""
            span = "" if s.low is None else f"; between {s.low:,} and {_high(s.high)}"
            lines.append(f"  {s.name:<{width}}  {s.calls:>9,} calls  {_minutes(s.calls / self.rate_per_min):>10}"
                         f"  ({s.basis}{span}{cached})")
        lines.append(f"  {'total':<{width}}  {self.total:>9,} calls  {_minutes(self.minutes):>10}  at "
                     f"{self.rate_per_min:g} calls/min (the key's budget less other processes and the reserve)")
        if any(s.low is not None for s in self.stages):
            lines.append(f"  {self.exact_part:,} calls known from the listing and the cache; with the estimated "
                         f"stages between {self.total_low:,} and {_high(self.total_high)}")
        lines.append(f"this plan spent {self.plan_calls} call(s)")
        return "\n".join(lines + self.notes)


def _high(value: int | None) -> str:
    return "no bound" if value is None else f"{value:,}"


def _minutes(m: float) -> str:
    return f"{m:.1f} min" if m < 120 else f"{m / 60:.1f} h"


def plan_sync(client: PowerClerkClient, store: Store, program: str, *, inquiries: bool = True, full: bool = False,
              forms: tuple[str, ...] = (), lookback: timedelta = timedelta(minutes=10), page_size: int | None = None,
              refresh_histories: bool = False, reconcile: bool = False,
              reconcile_after: timedelta | None = timedelta(days=7), catalog_calls: int = 0,
              scope: Scope | None = None) -> SyncPlan:
    """The plan of ``sync(client, store, program, ...)`` with the same arguments (see the module doc)."""
    size = page_size or client.settings.page_limit
    before = client.calls
    st = store.get_state()
    last = st.get("last_reconcile")
    full = full or reconcile or (reconcile_after is not None and last is not None
                                 and clock.now().timestamp() - last > reconcile_after.total_seconds())
    resuming = bool(st.get("run_id")) and (not full or st.get("run_since") is None)
    if scope is not None:
        scope.validate()
    else:
        scope = Scope.from_json(st["run_scope"]) if resuming and st.get("run_scope") else stored_scope(store)
    scoped = not scope.everything or not same_scope(scope, stored_scope(store))
    if resuming:
        since = from_us(st.get("run_since"))
        offset = 0 if st.get("parent_done") else int(st.get("parent_offset") or 0)
        listing = not st.get("parent_done")
    else:
        since = None
        if st.get("watermark") is not None and not full:
            since = from_us(st["watermark"] - int(lookback.total_seconds() * 1_000_000))
        offset, listing = 0, True
    admin = client.is_admin is not False
    page: list[dict[str, Any]] = []
    listed = 0
    if listing:
        page = client.projects(program, since, size, offset, priority="interactive").get("Projects") or []
        listed = len(page) if len(page) < size else _count(client, program, since, offset, size)
    pages = listed // size + 1 if listing else 0
    sample, total = page, listed  # the listed projects the counts are read from, and how many they stand for
    if scoped and listing and listed > len(page):
        sample, total = _scope_sample(client, program, scope, since, listed, size)
    known = store.project_index([p["ProjectId"] for p in sample])
    inside = set(scope.select(listing_frame(sample)).to_list()) if scoped else set()
    hist = inq = changed = 0
    threads_of: list[str] = []  # changed projects the cache holds threads of
    for p in sample:
        if scoped and p["ProjectId"] not in inside:
            continue
        old = known.get(p["ProjectId"])
        status = p.get("CurrentStatus") or {}
        new = (status.get("StatusId"), to_us(status.get("Timestamp")), to_us(p.get("LastChangeTimestamp")))
        is_changed = is_changed_project(old, new)
        changed += is_changed
        hist += admin and history_reason(old, new, refresh_histories) is not None
        inq += admin and inquiries and is_changed
        if old is not None and is_changed:
            threads_of.append(p["ProjectId"])
    sure, other = _cached_threads(store, threads_of) if admin and inquiries else (0, 0)
    basis = "exact"
    if sample and total > len(sample):
        scale = total / len(sample)
        if changed != len(sample) or hist != len(sample):
            basis = "extrapolated"
        hist, inq, changed = round(hist * scale), round(inq * scale), round(changed * scale)
        sure, other = round(sure * scale), round(other * scale)
    if scoped:  # cached projects of the scope whose copies are missing or stale (pcnb.cache.scope.apply)
        h, i = _stale(store, scope, {p["ProjectId"] for p in sample})
        hist, inq = hist + h, inq + (i if inquiries and admin else 0)
    queued = _queued(store, scope if scoped else None)
    hist += queued.get("history", 0)
    inq += queued.get("inquiries", 0)
    notes = _notes(st, inq, sure, other, first=st.get("watermark") is None)
    q_notes = queued.get("notes", 0)
    form_calls = queued.get("form", 0) + changed * len(forms) + sum(_missing_forms(store, f) for f in forms)
    cached_histories = int(store.conn.execute("SELECT COUNT(*) FROM history_packed").fetchone()[0])
    stages = [Stage("listing pages", pages, basis="exact" if listing else "done"),
              Stage("status histories", hist, cached_histories, basis)]
    if inquiries:
        stages += [Stage("inquiry threads", inq, _count_rows(store, "inquiry_threads"), basis),
                   Stage("inquiry notes", notes.calls + q_notes, basis=notes.basis, low=notes.low + q_notes,
                         high=None if notes.high is None else notes.high + q_notes)]
    if forms:
        stages.append(Stage("forms", form_calls, _count_rows(store, "form_data"), basis))
    if catalog_calls:
        stages.append(Stage("program catalog", catalog_calls))
    rate = _rate(client)
    out = SyncPlan(stages, listed, client.calls - before, rate, scope.describe())
    if resuming:
        out.notes.append("an interrupted sync is resumed: its queued work is counted")
    return out


def _scope_sample(client: PowerClerkClient, program: str, scope: Scope, since: Any, listed: int,
                  size: int) -> tuple[list[dict[str, Any]], int]:
    """Listed projects to read a scope's share from, when the listing is longer than one page, and
    how many projects they stand for. The listing is ordered by creation, so its first page holds the
    oldest projects, which says little of a scope. A scope with a date: the projects changed since it
    (``changed_since``, counted like the listing: exact when they fit in a page). Otherwise
    ``SPREAD`` small pages at random offsets (numpy's seeded generator)."""
    if scope.since is not None and (since is None or scope.since > since):
        items = client.projects(program, scope.since, size, 0, priority="interactive").get("Projects") or []
        return items, len(items) if len(items) < size else _count(client, program, scope.since, 0, size)
    small = min(100, size)
    rng = np.random.default_rng(listed)
    seen: dict[str, dict[str, Any]] = {}
    for offset in sorted(set(rng.integers(0, max(listed - small, 1), SPREAD).tolist())):
        for p in client.projects(program, since, small, int(offset), priority="interactive").get("Projects") or []:
            seen[p["ProjectId"]] = p
    return list(seen.values()), listed


def _count(client: PowerClerkClient, program: str, since: Any, offset: int, size: int) -> int:
    """How many projects the listing holds from ``offset``, its first page being full. The listing
    has no total (GetProjects answers ``Projects`` and ``RequestTimestamp`` only), so: a binary
    search over whole pages with one-project probes (is item k·size - 1 there? doubling, then
    halving: about 2·log2(N / size) calls), then one read of the last, partial page, whose length
    makes the count exact. 14 probes and the page for 100,000 projects."""
    def full(k: int) -> bool:  # at least k full pages
        return bool(client.projects(program, since, 1, offset + k * size - 1, priority="interactive").get("Projects"))

    low, high = 1, 2  # full(low), and not full(high) once the doubling stops
    while full(high):
        low, high = high, 2 * high
    while high - low > 1:
        mid = (low + high) // 2
        if full(mid):
            low = mid
        else:
            high = mid
    tail = client.projects(program, since, size, offset + low * size, priority="interactive").get("Projects") or []
    return low * size + len(tail)


def _queued(store: Store, scope: Scope | None) -> dict[str, int]:
    """Pending work by kind (of the projects inside ``scope``: the rest is dropped when the run applies it)."""
    rows = store.conn.execute("SELECT kind, project_id FROM queue WHERE done = 0").fetchall()
    if scope is not None and rows:
        from pcnb.cache import frames

        keep = set(scope.select(frames.projects(store)).to_list())
        rows = [r for r in rows if r[1] in keep]
    out: dict[str, int] = {}
    for kind, _ in rows:
        out[kind] = out.get(kind, 0) + 1
    return out


def _stale(store: Store, scope: Scope, listed: set[str]) -> tuple[int, int]:
    """(histories, inquiry lists) the scope lacks among cached projects not on the plan's page."""
    from pcnb.cache import frames

    projects = frames.projects(store)
    if projects.height == 0:
        return 0, 0
    keep = set(scope.select(projects).to_list()) - listed
    h = i = 0
    for pid, hs, ts, ic, lc in store.conn.execute(
            "SELECT project_id, history_status_ts, status_ts, inquiries_change, last_change FROM projects "
            "WHERE deleted = 0"):
        if pid in keep:
            h += hs is None or hs != ts
            i += ic is None or ic != lc
    return h, i


def _count_rows(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def _missing_forms(store: Store, form: str) -> int:
    return int(store.conn.execute(
        "SELECT COUNT(*) FROM projects p WHERE p.deleted = 0 AND NOT EXISTS (SELECT 1 FROM form_data f "
        "WHERE f.project_id = p.project_id AND f.form_id = ?)", (form,)).fetchone()[0])


@dataclass(frozen=True)
class _Notes:
    calls: int
    low: int
    high: int | None
    basis: str


def _cached_threads(store: Store, project_ids: list[str]) -> tuple[int, int]:
    """(sure, other) among the cached threads of these changed projects: ``sure`` are fetched again
    whatever moved (their copy is not known complete past their last note's second); ``other`` are
    fetched only if a note came since (which only their thread list will tell)."""
    sure = other = 0
    for i in range(0, len(project_ids), 500):
        chunk = project_ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for last_note, as_of in store.conn.execute(
                f"SELECT last_note, notes_as_of FROM inquiry_threads WHERE project_id IN ({marks})", chunk):
            if last_note is not None and unsettled(as_of, last_note):
                sure += 1
            else:
                other += 1
    return sure, other


def _notes(st: dict[str, Any], inquiry_calls: int, sure: int, other: int, first: bool) -> _Notes:
    """Note lists: ``sure`` known from the cache, the moved threads estimated (see the module doc)."""
    last = st.get("last_run_stages") or {}
    if first:
        if last.get("inquiries") and last.get("first"):
            ratio, basis = last["notes"] / last["inquiries"], "estimated from the last first sync"
        else:
            ratio = FIRST_NOTES_PER_INQUIRY
            basis = f"estimated ({FIRST_NOTES_PER_INQUIRY} per project assumed)"
        return _Notes(round(inquiry_calls * ratio), 0, None, basis)
    low, high = sure, sure + other + inquiry_calls  # at most one new thread per changed project (assumed)
    if last.get("inquiries") and not last.get("first") and "note_rechecks" in last:
        moved = (last["notes"] - last["note_rechecks"]) / last["inquiries"]
        calls, basis = sure + round(inquiry_calls * moved), "estimated from the last incremental sync"
    else:
        calls, basis = round((low + high) / 2), "estimated: the middle of the range, no incremental sync yet"
    return _Notes(min(max(calls, low), high), low, high, basis)


def _rate(client: PowerClerkClient) -> float:
    """Calls a minute a background sync gets now: the key's limit less others' use and the reserve."""
    budget = client.budget
    if budget is None:
        return float(client.settings.rate_limit)
    used = budget.snapshot().used
    per_min = 60.0 / budget.period
    return float(max(budget.limit - used - budget.reserve, 1) * per_min)


def check_budget(plan: SyncPlan, max_calls: int | None) -> None:
    """A budget smaller than the listing cannot finish even the listing: say so before spending it."""
    pages = plan.stages[0].calls
    if max_calls is not None and max_calls < pages:
        raise InputError(f"max_calls={max_calls} is smaller than the listing ({pages} pages)",
                         f"give at least {pages} calls, or sync a narrower scope")


__all__ = ["Stage", "SyncPlan", "check_budget", "plan_sync"]
