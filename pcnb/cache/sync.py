"""Incremental, resumable sync of one program into the local Store.

Budget-first design (60 operations/minute): a parent pass lists only projects changed since the
watermark (minus a lookback), and enqueues per-project work only where it is needed: a status
history refresh for new projects or a changed CurrentStatus, an inquiry refresh for any changed
project, and notes only for threads whose LastNoteTimestamp moved. Every page and every fetched
item is committed in one transaction together with its queue/cursor update, so a crash at any
point loses nothing, duplicates nothing, and re-running spends no call on committed work.
The watermark advances only when a run's queue is empty:
``new = min(max observed LastChangeTimestamp, server time at run start)``.

Same-second changes (the API's whole-second timestamps) and every rule of what a listed change costs
are in pcnb.cache.fetch_rules, which the planner (pcnb.cache.plan) replays; the report and the
run's own limits are in pcnb.cache.sync_report.
"""

from __future__ import annotations

import math
import time
import uuid
from datetime import timedelta
from typing import Any

from pcnb import clock
from pcnb.api.client import PowerClerkClient
from pcnb.cache.eta import SyncEta
from pcnb.cache.fetch_rules import changed, history_reason, thread_reason
from pcnb.cache.listing import refuse_small_budget
from pcnb.cache.progress import LinePrinter, Listener, Progress, in_kernel, is_tty
from pcnb.cache.sample_alloc import Focus
from pcnb.cache.sample_order import order_histories
from pcnb.cache.scope import Scope, history_fetched, inquiries_fetched
from pcnb.cache.scope import apply as apply_scope
from pcnb.cache.scope import same as same_scope
from pcnb.cache.scope import stored as stored_scope
from pcnb.cache.store import Store, StoreError, from_us, to_us
from pcnb.cache.sync_report import RunBudget, SyncReport
from pcnb.errors import Forbidden, InputError, NotFound, PowerClerkError, RateLimited, TransportError

MAX_ATTEMPTS = 5
NOT_ADMIN = "status histories and inquiries are admin-only; synced project summaries only"
ADMIN_KINDS = ("history", "inquiries", "notes")  # GetProjectStatusHistory and inquiries are admin-only
PROGRESS_EVERY_S = 0.25  # at most this often a progress line (on_progress) is computed and shown


class SyncBusy(PowerClerkError):
    """Another process is syncing the same store."""


def sync(client: PowerClerkClient, store: Store, program: str, *, inquiries: bool = True, full: bool = False,
         forms: tuple[str, ...] = (), reconcile: bool = False, reconcile_after: timedelta | None = timedelta(days=7),
         max_calls: int | None = None, max_minutes: float | None = None,
         lookback: timedelta = timedelta(minutes=10), page_size: int | None = None, progress: bool = True,
         wait_for_lock: float = 0, refresh_histories: bool = False, sample_seed: int | None = None,
         scope: Scope | None = None, on_progress: Listener | None = None,
         sample_focus: Focus | None = None) -> SyncReport:
    """Bring the store up to date with the server; see the module docstring for guarantees.

    ``forms``: also cache submitted data of these forms (custom or public ids) for changed projects
    and for projects with none cached yet (one call per project and form). ``reconcile`` (or the last
    reconciliation being older than ``reconcile_after``): list every project id this run, at one call
    per 1,000 projects, and mark projects the server no longer returns as deleted (access groups may
    also hide them).
    ``full`` re-lists everything and refetches nothing that did not change.
    ``refresh_histories``: also refetch the status history of every changed project whose status did
    not move (one more call each), so changes that move no status are seen too: a
    SetProjectStatusReportAs (suppress/normal) made in PowerClerk only moves LastChangeTimestamp.
    ``sample_seed``: the seed of the order histories are fetched in (pcnb.cache.sample_order; kept in
    the store; drawn at random on a store's first sync when not given). ``sample_focus``: the deadline
    statuses and workflow the order's allocation favours (pcnb.cache.sample_alloc; None: proportional).
    ``scope``: fetch histories, inquiries and forms only for these projects (pcnb.cache.scope); None:
    the scope the cache holds (all projects unless a scoped sync set another).
    ``on_progress``: called with a Progress (stage, calls, budget share, time left) at most every
    PROGRESS_EVERY_S while the queue drains, and once at the end (pcnb.background shows it).
    """
    if scope is not None:
        scope.validate()
    if max_calls is not None:
        refuse_small_budget(store, max_calls, full or reconcile, page_size or client.settings.page_limit)
    if max_minutes is not None and not (math.isfinite(max_minutes) and max_minutes > 0):
        raise InputError(f"max_minutes={max_minutes} must be a positive number of minutes")
    if max_calls is not None and max_calls < 1:
        raise InputError(f"max_calls={max_calls} must be at least 1")
    lock = store.sync_lock(wait_for_lock)  # a lock file, or a PostgreSQL advisory lock (every machine)
    try:
        lock.__enter__()
    except TimeoutError:
        raise SyncBusy(f"another process is already syncing {store.where}",
                       "wait for it to finish (its progress is in the queue), or pass wait_for_lock=seconds") from None
    try:
        st = store.get_state()
        last = st.get("last_reconcile")
        due = (reconcile_after is not None and last is not None
               and clock.now().timestamp() - last > reconcile_after.total_seconds())
        if sample_seed is not None:
            with store.tx(data=False) as conn:
                Store.put_state(conn, sample_seed=int(sample_seed))
        run = _Run(client, store, program, inquiries, page_size or client.settings.page_limit, progress, tuple(forms))
        run.refresh_histories = refresh_histories
        run.wanted_scope = scope
        run.listener = on_progress
        run.focus = sample_focus
        return run.go(full or reconcile or due, lookback, max_calls, max_minutes)
    finally:
        lock.__exit__(None, None, None)


class _Run:
    def __init__(self, client: PowerClerkClient, store: Store, program: str, inquiries: bool, page_size: int,
                 progress: bool, forms: tuple[str, ...] = ()):
        self.client, self.store, self.program = client, store, program
        self.inquiries, self.page_size, self.show, self.forms = inquiries, page_size, progress, forms
        self.refresh_histories = False
        self.listener: Listener | None = None
        self.wanted_scope: Scope | None = None
        self.scope = Scope()
        self.focus: Focus | None = None

    def go(self, full: bool, lookback: timedelta, max_calls: int | None, max_minutes: float | None) -> SyncReport:
        st = self.store.get_state()
        resumed = False
        if st.get("run_id") and (not full or st.get("run_since") is None):
            run_id = st["run_id"]  # resume an interrupted run (a full one stays full)
            resumed = st.get("run_started") is not None  # its listing happened before this run
        else:
            run_id = uuid.uuid4().hex[:12]
            since = None
            if st.get("watermark") is not None and not full:
                since = from_us(st["watermark"] - int(lookback.total_seconds() * 1_000_000))
            with self.store.tx(data=False) as conn:
                Store.put_state(conn, run_id=run_id, run_since=to_us(since), parent_offset=0, parent_done=False,
                                run_started=None, run_max_change=None, run_scope=None)
        st = self.store.get_state()
        if self.wanted_scope is not None:
            self.scope = self.wanted_scope
        elif st.get("run_scope") is not None:
            self.scope = Scope.from_json(st["run_scope"])  # a resumed run keeps its scope
        else:
            self.scope = stored_scope(self.store)
        if st.get("run_scope") is None or not same_scope(Scope.from_json(st["run_scope"]), self.scope):
            with self.store.tx(data=False) as conn:
                Store.put_state(conn, run_scope=self.scope.to_json(), scope_applied_run=None)
        self.report = SyncReport(run_id)
        if self.client.is_admin is False:
            self.report.skipped = NOT_ADMIN
        calls_before = self.client.calls
        self.budget = RunBudget(max_calls, max_minutes, lambda: self.client.calls - calls_before)
        with self.store.tx(data=False) as conn:  # a new run is a new chance: the attempt cap is per run
            Store.reset_attempts(conn)
        try:
            if not self.store.get_state().get("parent_done"):
                self._parent_pass()
            if self.forms and not self.report.stopped_because:
                with self.store.tx(data=False) as conn:
                    for form in self.forms:
                        Store.enqueue_missing_forms(conn, form, self.report.run_id)
            if not self.report.stopped_because:
                self._apply_scope()
                order_histories(self.store, self.report.run_id, self.focus)
                self._drain()
        except RateLimited as exc:
            self.report.stopped_because = f"rate limited (retry after {exc.retry_after}s)"
        except TransportError as exc:  # the server is unreachable or failing for every try: not one item's fault
            self.report.stopped_because = f"PowerClerk could not be reached ({exc.message})"
            self.report.errors.append(exc.message)
        finally:
            self.report.calls = self.budget.spent()
            self.report.queue_left = self.store.pending()
        if self.report.queue_left and not self.report.stopped_because:
            self.report.stopped_because = (f"{self.report.queue_left} item(s) failed {MAX_ATTEMPTS} times "
                                           "(see report.errors); the watermark waits for them")
        if not self.report.stopped_because:  # an item left in the queue always sets stopped_because
            started = self.store.get_state().get("run_started")
            self._finish()
            if resumed:
                self.report.covers_until = from_us(started)
        return self.report

    def _parent_pass(self) -> None:
        st = self.store.get_state()
        since = from_us(st["run_since"]) if st.get("run_since") is not None else None
        offset = st.get("parent_offset", 0)
        while True:
            reason = self.budget.exhausted()
            if reason:
                self.report.stopped_because = reason
                return
            page = self.client.projects(self.program, since, self.page_size, offset, priority="background")
            self.report.pages += 1
            items = page.get("Projects") or []
            self._commit_page(items, page.get("RequestTimestamp"), offset + len(items), len(items) < self.page_size)
            self.report.projects_seen += len(items)
            if len(items) < self.page_size:
                return
            offset += len(items)

    def _commit_page(self, items: list[dict[str, Any]], request_ts: str | None, next_offset: int, last: bool) -> None:
        known = self.store.project_index([p["ProjectId"] for p in items])
        now = to_us(clock.now())
        st = self.store.get_state()
        max_change = st.get("run_max_change")
        full_listing_end = last and st.get("run_since") is None  # may mark projects deleted
        listed_at = to_us(request_ts) if request_ts else None
        rows = []
        for p in items:
            status = p.get("CurrentStatus") or {}
            new = (status.get("StatusId"), to_us(status.get("Timestamp")), to_us(p.get("LastChangeTimestamp")))
            rows.append((p, new, known.get(p["ProjectId"])))
        # the lookback re-lists recent projects on every run: unchanged ones are bookkeeping only
        data = full_listing_end or any(old is None or old[:3] != new for _, new, old in rows)
        admin = self.client.is_admin is not False  # histories and inquiries are queued for admins only
        with self.store.tx(data=data) as conn:
            for p, new, old in rows:
                pid = p["ProjectId"]
                Store.upsert_project(conn, p, now or 0, self.report.run_id)
                prio = new[2] or 0
                if old is not None and old[2] == new[2] and new[2] is not None and listed_at is not None:
                    Store.settle_project(conn, pid, listed_at)  # unchanged at listed_at: copies complete then
                why = history_reason(old, new, self.refresh_histories) if admin else None
                if why is not None:
                    Store.enqueue(conn, pid, "history", pid, why, prio, self.report.run_id)
                    self.report.rechecks += why == "same-second check"
                if admin and self.inquiries and changed(old, new):
                    Store.enqueue(conn, pid, "inquiries", pid, "project changed", prio, self.report.run_id)
                for form in self.forms if changed(old, new) else ():
                    Store.enqueue(conn, f"{pid}/{form}", "form", pid, "project changed", prio, self.report.run_id)
                if new[2] is not None:
                    max_change = new[2] if max_change is None else max(max_change, new[2])
            values = {"parent_offset": next_offset, "parent_done": last, "run_max_change": max_change}
            if full_listing_end:  # a complete listing: whatever it lacked is gone
                Store.mark_unlisted_deleted(conn, self.report.run_id)
                values["last_reconcile"] = clock.now().timestamp()
            if st.get("run_started") is None:
                values["run_started"] = to_us(request_ts) if request_ts else now
            Store.put_state(conn, **values)

    def _apply_scope(self) -> None:
        """A scope other than all projects, or one other than the cache held: drop queued work outside it and
        queue what is missing inside it (pcnb.cache.scope), once per run."""
        st = self.store.get_state()
        if st.get("scope_applied_run") == self.report.run_id:
            return
        if not self.scope.everything or not same_scope(self.scope, stored_scope(self.store)):
            try:
                admin = self.client.is_admin is not False
                self.report.in_scope = apply_scope(self.store, self.scope, self.report.run_id,
                                                   self.inquiries and admin, self.forms, histories=admin)
            except InputError:
                with self.store.tx(data=False) as conn:  # the next run takes the cache's scope (or a new one)
                    Store.put_state(conn, run_scope=None)
                raise
            self.report.scope = self.scope.describe()
        with self.store.tx(data=False) as conn:
            Store.put_state(conn, scope_applied_run=self.report.run_id)

    def _drain(self) -> None:
        listener = self.listener
        if self.show and listener is None and not is_tty() and not in_kernel():
            listener = LinePrinter()  # a log, not a terminal: one line per 10 %, no redraws
        bar = _bar(self.show and listener is None, self.store.pending())
        eta = SyncEta()
        shown = 0.0
        try:
            while True:
                reason = self.budget.exhausted()
                row = self.store.next_item(MAX_ATTEMPTS)
                if row is None:
                    if listener is not None:
                        listener(self._progress("done", 0, eta))
                    return
                if reason:
                    self.report.stopped_because = reason
                    return
                self._work(*row)
                if listener is not None:
                    eta.tick()
                    if time.monotonic() - shown >= PROGRESS_EVERY_S:
                        shown = time.monotonic()
                        listener(self._progress(row[1], self.store.pending(), eta))
                if bar is not None:
                    eta.tick()
                    left = self.store.pending()
                    bar.total = bar.n + 1 + left
                    budget = self.client.budget
                    text = eta.text(left, budget.eta(left) if budget is not None else 0.0)
                    bar.set_postfix_str(text + (f" · {budget.snapshot()}" if budget is not None else ""),
                                        refresh=False)
                    bar.update(1)
        finally:
            if bar is not None:
                bar.close()

    def _progress(self, stage: str, left: int, eta: SyncEta) -> Progress:
        budget = self.client.budget
        spent = self.budget.spent()
        if budget is None:
            return Progress(stage, spent, spent + left, seconds_left=eta.seconds(left))
        snap = budget.snapshot()
        return Progress(stage, spent, spent + left, snap.used, snap.limit, eta.seconds(left, budget.eta(left)))

    def _work(self, item_id: str, kind: str, project_id: str) -> None:
        try:
            if kind == "history":
                entries = self.client.status_history(self.program, project_id, priority="background")
                with self.store.tx() as conn:
                    Store.replace_history(conn, project_id, entries.get("StatusHistory") or [])
                    history_fetched(conn, project_id)
                    if (as_of := self._as_of()) is not None:
                        Store.set_history_as_of(conn, project_id, as_of)
                    Store.item_done(conn, item_id, kind)
                self.report.histories += 1
                self.client.is_admin = True
            elif kind == "inquiries":
                threads = self.client.inquiry_threads(self.program, project_id, priority="background")
                self.report.inquiry_calls += 1
                known = self.store.thread_last_notes(project_id)
                with self.store.tx() as conn:
                    for t in threads.get("InquiryThreads") or []:
                        Store.upsert_thread(conn, project_id, t)
                        last_note = to_us(t.get("LastNoteTimestamp"))
                        why = thread_reason(known.get(t["ThreadId"]), last_note)
                        if why is not None:
                            Store.enqueue(conn, t["ThreadId"], "notes", project_id, why, 0, self.report.run_id)
                            self.report.rechecks += why == "same-second check"
                            self.report.note_rechecks += why == "same-second check"
                    inquiries_fetched(conn, project_id)
                    Store.item_done(conn, item_id, kind)
            elif kind == "form":
                form = item_id.split("/", 1)[1]
                data = self.client.project_data(self.program, project_id, form)
                with self.store.tx() as conn:
                    Store.put_form_data(conn, project_id, form, data.get("Project") or {},
                                        to_us(clock.now()) or 0)
                    Store.item_done(conn, item_id, kind)
            elif kind == "notes":
                notes = self.client.inquiry_notes(self.program, item_id, priority="background")
                self.report.inquiry_calls += 1
                self.report.note_calls += 1
                with self.store.tx() as conn:
                    Store.replace_notes(conn, project_id, item_id, notes.get("Notes") or [])
                    if (as_of := self._as_of()) is not None:
                        Store.set_notes_as_of(conn, item_id, as_of)
                    Store.item_done(conn, item_id, kind)
        except Forbidden as exc:
            if kind not in ADMIN_KINDS:
                raise
            self._not_admin(exc)
        except NotFound as exc:
            with self.store.tx(data=False) as conn:  # gone or no longer visible: nothing more to fetch
                Store.item_done(conn, item_id, kind, str(exc)[:500])
        except (RateLimited, StoreError, TransportError):
            raise  # budget, store or server-wide faults end the run; they are not this item's failure
        except PowerClerkError as exc:
            self.report.errors.append(f"{kind} {item_id}: {exc.message}")
            with self.store.tx(data=False) as conn:
                Store.item_failed(conn, item_id, kind, str(exc)[:500])

    def _as_of(self) -> int | None:
        """A lower bound of the server's clock at any fetch of this run: its first page's RequestTimestamp."""
        value = self.store.get_state().get("run_started")
        return int(value) if value is not None else None

    def _not_admin(self, exc: Forbidden) -> None:
        """A non-admin user: the first 403 (one call) settles the role; every admin-only item is
        dropped instead of burning five attempts each, and later pages do not queue them."""
        self.client.is_admin = False
        self.report.skipped = NOT_ADMIN
        with self.store.tx(data=False) as conn:
            Store.drop_kinds(conn, ADMIN_KINDS, str(exc)[:500])

    def _finish(self) -> None:
        st = self.store.get_state()
        old = st.get("watermark")
        # nothing newer observed -> the max observed change is still the old watermark; a quiet run
        # must not jump to "now", or a late-visible change inside the lookback would be lost
        observed = st.get("run_max_change") if st.get("run_max_change") is not None else old
        candidates = [v for v in (observed, st.get("run_started")) if v is not None]
        new = min(candidates) if candidates else None
        if old is not None and new is not None:
            new = max(new, old)
        with self.store.tx(data=False) as conn:
            Store.put_state(conn, watermark=new, run_id=None, parent_done=False, last_run=clock.now().timestamp(),
                            last_run_calls=self.report.calls, scope=self.scope.to_json(),
                            scope_text=self.scope.describe(), run_scope=None,
                            last_run_stages={"first": old is None, "inquiries": self.report.inquiry_calls
                                             - self.report.note_calls, "notes": self.report.note_calls,
                                             "note_rechecks": self.report.note_rechecks})
            Store.purge_done(conn)
        self.report.complete = True
        self.report.watermark = from_us(new)


def _bar(show: bool, total: int) -> Any:
    if not show or total == 0:
        return None
    from tqdm.auto import tqdm

    # tqdm's own remaining-time field is left out: it jumps with every slow call (pcnb.cache.eta)
    return tqdm(total=total, desc="PowerClerk sync", unit="call", leave=False, postfix="estimating…",
                bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} calls [{elapsed}{postfix}]")


__all__ = ["SyncBusy", "SyncReport", "sync"]
