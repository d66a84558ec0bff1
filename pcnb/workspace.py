"""Workspace: one program's client + store + frames, the object the magic, widgets and notebooks use.

``Workspace.sandbox()`` starts the embedded sandbox and connects to it (demo, binder, tests);
``Workspace.connect(environment=...)`` uses real credentials from the environment or keyring.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, overload

import polars as pl

from pcnb import connect
from pcnb.api.client import PowerClerkClient
from pcnb.cache import catalog, frames, owner
from pcnb.cache.plan import SyncPlan
from pcnb.cache.sample_alloc import Focus
from pcnb.cache.store import Store, default_path
from pcnb.cache.sync import SyncReport, sync
from pcnb.errors import ConfigError
from pcnb.profile import Deadline, ProfileError, ProgramProfile
from pcnb.profile_infer import infer_from_api


class Workspace:
    def __init__(self, client: PowerClerkClient, program: str | None = None, store_path: str | Path | None = None):
        self.client = client
        program = program or client.settings.program
        if not program:
            programs = client.programs().get("Programs") or []
            if len(programs) != 1:
                names = ", ".join(f"{p.get('ProgramId')} ({p.get('Name')})" for p in programs)
                raise ConfigError("more than one program is visible; choose one", f"use one of: {names}")
            program = str(programs[0]["ProgramId"])
        self.program: str = program
        path = (store_path or client.settings.store_url or client.settings.store_path
                or default_path(client.settings.environment, self.program))
        self.store = Store(path)  # a path: this user's SQLite file; a postgresql:// URL: the team's store
        try:
            owner.claim(self.store, client.settings.environment, self.program, client.settings.base_url)
        except BaseException:
            self.store.close()
            raise
        self.client.ledger = self.store.record_call
        self._stack = ExitStack()
        self.sandbox_handle: Any = None
        self.sandbox_program: Any = None  # the served program's definition, when pcnb serves it
        from pcnb.profile_store import ProfileFile

        self.profile_file = ProfileFile(self.profile_path)  # the profile in use, and the last good one

    def __repr__(self) -> str:
        return f"Workspace(program={self.program!r}, {self.client!r}, store={self.store.where!r})"

    @classmethod
    def made(cls, conn: connect.Connection) -> Workspace:
        """The workspace of a :class:`pcnb.connect.Connection`; what was started for it closes with it
        (or at once, if the workspace cannot be made: e.g. a cache file of another program)."""
        try:
            ws = cls(conn.client, conn.program, conn.store_path)
        except BaseException:
            conn.stack.close()
            raise
        ws._stack, ws.sandbox_handle, ws.sandbox_program = conn.stack, conn.sandbox_handle, conn.sandbox_program
        return ws

    @classmethod
    def connect(cls, environment: str, program: str | None = None, **settings: Any) -> Workspace:
        """Real credentials for "trial" or "production" (:func:`pcnb.connect.real`)."""
        return cls.made(connect.real(environment, program, **settings))

    @classmethod
    def sandbox(cls, projects: int = 2000, seed: int = 7, rate_limit: str = "6000/60", role: str = "admin",
                store_path: str | Path | None = None, **kw: Any) -> Workspace:
        """Start an embedded sandbox and connect to it (:func:`pcnb.connect.embedded_sandbox`)."""
        return cls.made(connect.embedded_sandbox(projects, seed, rate_limit, role, store_path, **kw))

    @classmethod
    def from_connection(cls, path: str | Path, role: str = "admin", store_path: str | Path | None = None) -> Workspace:
        """A sandbox started elsewhere, via its connection file (:func:`pcnb.connect.from_connection_file`)."""
        return cls.made(connect.from_connection_file(path, role, store_path))

    @classmethod
    def open(cls, environment: str | None = None, program: str | None = None, connection: str | None = None,
             store_path: str | Path | None = None, embedded: bool = True, store: str | None = None,
             **sandbox_options: Any) -> Workspace:
        """What notebooks and the console script call: the environment decides
        (:func:`pcnb.connect.from_environment` says how). ``store``: a team's shared store
        (``postgresql://...``; also PCNB_STORE_URL or ``[tool.pcnb] store_url``) instead of this
        user's SQLite file."""
        return cls.made(connect.from_environment(environment, program, connection, store or store_path, embedded,
                                                 **sandbox_options))

    def close(self) -> None:
        self.store.close()
        self._stack.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @overload
    def sync(self, plan: Literal[False] = False, **kw: Any) -> SyncReport: ...

    @overload
    def sync(self, plan: Literal[True], **kw: Any) -> SyncPlan: ...

    def sync(self, plan: bool = False, **kw: Any) -> SyncReport | SyncPlan:
        """Sync, then refresh the frame snapshots: the sync pays for reading SQLite rows, not the
        notebook cells that load frames afterwards. ``plan=True``: spend nothing but the plan's
        listing page (and its counting probes) and return the SyncPlan (pcnb.cache.plan) instead."""
        kw.setdefault("lookback", timedelta(minutes=10))
        track_form = self._track_form()
        if track_form and track_form not in kw.get("forms", ()):  # tracked deadlines need each project's track
            kw["forms"] = (*kw.get("forms", ()), track_form)
        owner.verify(self.store, self.client, self.program)  # another server's data is never written in
        if plan:
            return self.plan_sync(**kw)
        if "sample_focus" not in kw:
            kw["sample_focus"] = self._sample_focus()
        report = sync(self.client, self.store, self.program, **kw)
        if not report.stopped_because:
            self._program_changes(report)
        frames.refresh(self.store)
        if not self.profile_path.exists() and self.status_events().height:
            prof = self.infer_profile()
            report.notes.append(f"program profile inferred ({len(prof.guessed)} guesses): review it with "
                                f"`%powerclerk profile` ({self.profile_path})")
            track_form = self._track_form()
            if track_form and not report.stopped_because:  # its tracked deadlines need each project's track
                more = sync(self.client, self.store, self.program, **{**kw, "forms": (track_form,)})
                frames.refresh(self.store)
                report.calls += more.calls
                report.stopped_because = more.stopped_because
                report.notes.append(f"form {track_form} fetched for each project ({more.calls} calls): the "
                                    "profile's tracked deadlines need the track field")
        return report

    def plan_sync(self, **kw: Any) -> SyncPlan:
        """What ``sync(**kw)`` would spend, stage by stage (pcnb.cache.plan); the catalog check
        after a complete sync (pcnb.cache.catalog) is its last stage."""
        from pcnb.cache.plan import plan_sync

        wanted = ("inquiries", "full", "forms", "lookback", "page_size", "refresh_histories", "reconcile",
                  "reconcile_after", "scope")
        return plan_sync(self.client, self.store, self.program, catalog_calls=2,
                         **{k: v for k, v in kw.items() if k in wanted})

    def _program_changes(self, report: SyncReport) -> None:
        """The program's statuses and forms against the last check (pcnb.cache.catalog: two calls, at
        most daily): what changed goes into the report and, when there is a profile file, into the
        profile, whose renamed statuses keep their roles and deadlines (pcnb.profile_changes)."""
        from pcnb import profile_changes

        before = self.client.calls
        found = catalog.check(self.client, self.store, self.program)
        report.calls += self.client.calls - before
        if not found:
            return
        report.notes.append(catalog.summary(found))
        if self.profile_path.exists():
            prof = self.profile
            report.notes += profile_changes.apply(prof, found)
            self.profile_file.save(prof)

    def twin(self, path: str | Path) -> Path:
        """Write a sandbox definition of this program from the synced cache (pcnb.twin): its workflow,
        step durations and forms, no project data. Serve it with ``pcnb sandbox --program PATH``."""
        from pcnb.twin import build, write

        prof = self.profile
        forms = self.client.forms(self.program).get("Forms") or []
        schemas = {f["CustomId"]: self.client.form_schema(self.program, f["CustomId"]).get("FormSchema") or {}
                   for f in forms}
        values: dict[str, list[Any]] = {}
        fv = frames.form_values(self.store)
        for form, field, value in zip(fv["form_id"], fv["field"], fv["value"], strict=True):
            values.setdefault(f"{form}/{field}", []).append(value)
        definition = build(prof, self.status_events(), self.projects(), forms, schemas, self.inquiry_threads(),
                           values)
        return write(definition, path)

    # ---- the program profile (pcnb.profile) ------------------------------------------------------
    @property
    def profile_path(self) -> Path:
        return self.store.path.with_name(self.store.path.stem + ".profile.yaml")

    @property
    def profile(self) -> ProgramProfile:
        """This program's profile: the saved file if there is one, else inferred from the cache.
        Reading it makes its status colours the notebook's chart colours (pcnb.palette)."""
        from pcnb import palette

        prof = self.profile_file.get(self.infer_profile)  # a hand-edited file is read (or refused) here
        palette.use(prof)
        return prof

    def reload_profile(self) -> ProgramProfile:
        """Read the profile file now: a refused file raises, naming its line, and the last good
        profile stays in use (pcnb.profile_store)."""
        return self.profile_file.reload()

    def save_profile(self) -> Path:
        return self.profile_file.save(self.profile)

    def profile_caveats(self) -> list[str]:
        """What a figure drawn from the profile must say: a refused file (the last good profile drew
        it), outcomes guessed and not confirmed (pcnb.profile_outcomes.unconfirmed)."""
        from pcnb.profile_changes import caveats
        from pcnb.profile_outcomes import unconfirmed

        prof = self.profile
        return [*self.profile_file.caveats(), *unconfirmed(prof), *caveats(prof)]

    def infer_profile(self, save: bool = True) -> ProgramProfile:
        """Infer a profile from the cached histories plus a few read-only calls (status list,
        program name, one page of projects for the time zone, form schemas for segments)."""
        prof = infer_from_api(self.client, self.program, self.status_events(), self.projects())
        if self.sandbox_program is not None:
            _seed_from_definition(prof, self.sandbox_program)
        if self.client.settings.timezone:  # the user's setting beats the offsets' guess
            prof.calendar.timezone = self.client.settings.timezone
            prof.guessed.pop("calendar.timezone", None)
        if save:
            self.profile_file.save(prof)
        else:
            self.profile_file.use(prof)
        return prof

    def projects(self) -> pl.DataFrame:
        return frames.projects(self.store)

    def status_events(self) -> pl.DataFrame:
        return frames.status_events(self.store)

    def inquiry_threads(self) -> pl.DataFrame:
        return frames.inquiry_threads(self.store)

    def inquiry_notes(self) -> pl.DataFrame:
        return frames.inquiry_notes(self.store)

    # ---- deadlines (pcnb.analytics.deadlines) ----------------------------------------------------
    def _track_field(self) -> tuple[str, bool] | None:
        """(FORM/FIELD, whether it is the size field, binned) that gives each project its track."""
        from pcnb.analytics.tracks import TrackFieldError, track_field

        try:
            return track_field(self.profile.segments.get("track"), self.profile.segments.get("size"))
        except TrackFieldError as exc:
            raise ProfileError(str(exc), "set it with custom ids, e.g. `%powerclerk profile set segments.track "
                                         "FORM/FIELD`") from None

    def _sample_focus(self) -> Focus | None:
        """What a sampled first sync should favour (pcnb.cache.sample_alloc): the saved profile's
        deadline statuses and its observed workflow. None without a saved profile (nothing is known
        of the workflow before histories are fetched: proportional allocation)."""
        if not self.profile_path.exists():
            return None
        prof = self.profile
        return Focus.of([d.status for d in prof.deadlines if d.status], [(a, b) for a, b, _ in prof.workflow])

    def _track_form(self) -> str | None:
        """The form holding the track field, when the saved profile has tracked deadlines."""
        if not self.profile_path.exists() or not any(d.track for d in self.profile.deadlines):
            return None
        try:
            found = self._track_field()
        except ProfileError:
            return None  # a malformed track field: the deadline report says so; the sync goes on
        return found[0].split("/", 1)[0] if found else None

    def project_tracks(self) -> pl.DataFrame:
        """project_id, track: each project's value of the profile's track field (``segments.track``,
        FORM/FIELD), cached by the sync once a tracked deadline exists; without a track field, the
        size bin of ``segments.size`` (so tracks can be size bins like "<= 10 kW")."""
        from pcnb.analytics.tracks import TrackFieldError, project_tracks

        found = self._track_field()
        if found is None:
            raise ProfileError("tracked deadlines need the program's track (or size) field",
                               "set it with `%powerclerk profile set segments.track FORM/FIELD` (custom ids)")
        field, binned = found
        form = field.split("/", 1)[0]
        try:
            return project_tracks(frames.form_values(self.store), field, binned)
        except TrackFieldError as exc:
            fix = (f"its fields: {', '.join(exc.fields)}; `%powerclerk profile set segments.track {form}/FIELD`"
                   if exc.fields is not None else
                   f"run `%powerclerk sync` (it fetches form {form} for each project once)")
            raise ProfileError(str(exc), fix) from None

    def clock_split(self, rules: str | Path | None = None, as_of: datetime | None = None) -> pl.DataFrame:
        """Whose clock: each project's days per step by holder (pcnb.compliance.clock_split)."""
        from pcnb.compliance.clock_split import clock_split

        return clock_split(self, rules, as_of)

    def deadline_compliance(self, as_of: datetime | None = None, since: date | None = None,
                            min_n: int | None = None) -> pl.DataFrame:
        """Every deadline of the profile (per status or span, any unit, tracks, utility clock) counted
        at ``as_of`` (default now), over stays (and spans) entered from local day ``since``:
        :func:`pcnb.analytics.deadlines.deadline_compliance`."""
        from pcnb.analytics.asof import resolve
        from pcnb.analytics.deadlines import deadline_compliance
        from pcnb.analytics.intervals import status_intervals, with_business_hours
        from pcnb.analytics.minn import MIN_N

        prof = self.profile
        if not prof.deadlines:
            raise ProfileError("the program profile has no deadlines",
                               "set one with `%powerclerk profile set deadlines.STATUS 10` (the tariff's days)")
        cal, at = prof.calendar.calendar(), resolve(as_of)
        final = prof.require("final")
        iv = status_intervals(self.status_events(), cal, at, terminal=final)
        if any(d.unit == "business_hours" for d in prof.deadlines):
            iv = with_business_hours(iv, cal, at)
        tracks = self.project_tracks() if any(d.track for d in prof.deadlines) else None
        done = [*prof.roles.exits.get("completed", []), *prof.roles.exits.get("rejected", [])]
        try:
            return deadline_compliance(iv, prof.deadlines, terminal=final, completions=done, holders=prof.holders,
                                       tracks=tracks, since=since, calendar=cal,
                                       min_n=MIN_N if min_n is None else min_n)
        except ValueError as exc:  # a rule the data cannot carry (e.g. a track no project has): say how to fix
            raise ProfileError(str(exc), "correct the deadline with `%powerclerk profile set deadlines...` "
                                         "(or `... none` to remove it)") from None

    # ---- forecasts (pcnb.forecast) ---------------------------------------------------------------
    def forecast_inputs(self) -> tuple[Any, pl.DataFrame | None, list[str]]:
        """(the forecast's Program from the profile, project_id/track or None, notes): the track (or
        size bin) segments each project, and judges its tracked deadlines."""
        from pcnb.forecast import Program

        prof = self.profile
        prof.validate()
        program = Program.from_profile(prof)
        notes: list[str] = []
        try:
            tracks = self.project_tracks()
        except ProfileError as exc:
            if any(d.track for d in prof.deadlines):
                raise
            tracks = None
            notes.append(f"segments: none ({exc.message}); every project is learned from all projects' stays")
        return program, tracks, notes

    def forecast(self, as_of: datetime | None = None, horizon: int | timedelta = 730, **options: Any) -> Any:
        """When will each open project be done? Per-project forecasts at ``as_of`` (default now),
        ``horizon`` calendar days ahead, from the cached histories and the profile's outcomes,
        holders, deadlines and calendar, segmented by the profile's track (or size) field:
        :func:`pcnb.forecast.forecast` (``options``: paths, seed, min_n, within, scale, projects)."""
        from pcnb.forecast import forecast

        program, tracks, notes = self.forecast_inputs()
        segments = tracks.rename({"track": "segment"}) if tracks is not None else None
        fc = forecast(self.status_events(), program, as_of=as_of, horizon=horizon, segments=segments, tracks=tracks,
                      **options)
        fc.notes = [n for n in fc.notes if not n.startswith("segments:")] + notes
        return fc

    def backlog(self, weeks: int = 26, as_of: datetime | None = None, surge: float = 1.0, **options: Any) -> Any:
        """The backlog forecast at ``as_of`` (default now): work in progress per status for ``weeks``
        weeks with 80 % / 95 % bands, new arrivals included (``surge`` scales them), and when
        today's backlog clears (:func:`pcnb.forecast.backlog.backlog`). ``options`` go to
        :meth:`forecast` (paths, seed, scale...) except ``worlds`` and ``arrivals`` (the backlog's)."""
        from pcnb.forecast import backlog

        worlds = options.pop("worlds", None)
        arrivals = options.pop("arrivals", True)
        fc = self.forecast(as_of, **{"paths": 1, **options})  # the per-project figures are not needed here
        return backlog(fc, weeks, surge=surge, arrivals=arrivals, **({"worlds": worlds} if worlds else {}))

    def whatif(self, as_of: datetime | None = None, arrivals: float = 1.0, durations: dict[str, float] | None = None,
               deadlines: dict[Any, float] | None = None, weeks: int = 26, **options: Any) -> Any:
        """What if arrivals were scaled (a surge), a utility-held status's durations scaled (more or
        fewer reviewers), a deadline changed? The forecast and the deadline figures beside the
        baseline, same seed (:func:`pcnb.forecast.whatif.whatif`; its capacity assumption said there)."""
        from pcnb.forecast import whatif

        program, tracks, notes = self.forecast_inputs()
        segments = tracks.rename({"track": "segment"}) if tracks is not None else None
        out = whatif(self.status_events(), program, as_of=as_of, arrivals=arrivals, durations=durations,
                     deadlines=deadlines, weeks=weeks, segments=segments, tracks=tracks, **options)
        out.notes += notes
        return out

    def at_risk(self, within: int = 5, as_of: datetime | None = None, threshold: float = 0.5, drafts: bool = False,
                **options: Any) -> pl.DataFrame:
        """The early-warning list at ``as_of`` (default now): projects whose deadline is likely
        (``threshold``) to run out within ``within`` business days, with who holds them now, and
        projects stuck past the 95th percentile of their status and segment (not drafts, unless
        ``drafts``) (:func:`pcnb.forecast.warning.at_risk`), with their project numbers."""
        from pcnb.forecast import at_risk

        fc = self.forecast(as_of, within=within, **options)
        out = at_risk(fc, threshold, drafts)
        numbers = self.projects().select("project_id", "project_number")
        return out.join(numbers, on="project_id", how="left").select("project_number", *out.columns)

    # ---- write-back (pcnb.writeback) ----------------------------------------------------------
    def plan(self, changes: Any, action: str | None = None, **options: Any) -> Any:
        """Validate changes and show their diff; nothing is sent until ``.execute(confirm=True)``."""
        from pcnb import writeback

        return writeback.plan(self, changes, action, **options)

    def undo(self, batch: str) -> Any:
        """A plan restoring the before-values of a batch's data changes."""
        from pcnb import writeback

        return writeback.undo(self, batch)

    def journal(self, batch: str | None = None) -> pl.DataFrame:
        from pcnb import writeback

        return writeback.journal.rows(self.store, batch)

    def worker_last_run(self) -> Any:
        """The sync worker's last run on this store (``pcnb worker``: time, calls, errors, outcome), or
        None when no worker keeps it (a pcnb.worker.RunRecord)."""
        from pcnb.worker import last_run

        return last_run(self.store)

    def health(self) -> frames.SyncHealth:
        """How fresh the cache is, in the program's local time (UTC until a profile says its zone)."""
        loaded = self.profile_file.profile  # the profile in use, if any was read yet (no inference here)
        zone = loaded.calendar.timezone if loaded is not None else "UTC"
        return frames.health(self.store, zone)



def _seed_from_definition(prof: ProgramProfile, program: Any) -> None:
    """A sandbox knows what a utility knows and no API answer says: its deadlines and holidays."""
    names = {s.custom_id: s.name for s in program.statuses}
    prof.deadlines = [Deadline(d.days, status=names.get(d.status or ""), start=names.get(d.start or ""),
                               end=names.get(d.end or ""), unit=d.unit, track=d.track, clock=d.clock)
                      for d in program.deadlines]
    if prof.deadlines:
        prof.guessed["deadlines"] = "from the sandbox program's definition (a real program's come from its tariff)"
    prof.calendar.country, prof.calendar.subdivision = program.holidays
    prof.guessed["calendar.subdivision"] = "from the sandbox program's definition"
