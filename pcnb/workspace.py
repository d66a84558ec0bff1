"""Workspace: one program's client + store + frames, the object the magic, widgets and notebooks use.

``Workspace.sandbox()`` starts the embedded sandbox and connects to it (demo, binder, tests);
``Workspace.connect(environment=...)`` uses real credentials from the environment or keyring.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from pcnb.api.auth import Credentials, resolve_credentials
from pcnb.api.client import PowerClerkClient
from pcnb.cache import frames
from pcnb.cache.store import Store, default_path
from pcnb.cache.sync import SyncReport, sync
from pcnb.config import Settings, cache_dir, load_settings
from pcnb.errors import ConfigError
from pcnb.profile import Deadline, ProfileError, ProgramProfile
from pcnb.profile_infer import infer


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
        path = store_path or client.settings.store_path or default_path(client.settings.environment, self.program)
        self.store = Store(path)
        try:
            self.store.claim(client.settings.environment, self.program, client.settings.base_url)
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
        return f"Workspace(program={self.program!r}, {self.client!r}, store={str(self.store.path)!r})"

    @classmethod
    def connect(cls, environment: str, program: str | None = None, **settings: Any) -> Workspace:
        """Real credentials (PCNB_* variables or the keyring) for ``environment``: "trial" or
        "production" -- named explicitly, never a default, since production is a live system."""
        s = load_settings(environment=environment, program=program, **settings)
        return cls(PowerClerkClient(s, resolve_credentials(s.environment)), s.program, s.store_path)

    @classmethod
    def sandbox(cls, projects: int = 2000, seed: int = 7, rate_limit: str = "6000/60", role: str = "admin",
                store_path: str | Path | None = None, **kw: Any) -> Workspace:
        """Start an embedded sandbox (fast rate limit by default for demos) and connect to it."""
        from pcnb.sandbox import running

        stack = ExitStack()
        handle = stack.enter_context(running(projects=projects, seed=seed, rate_limit=rate_limit, **kw))
        creds = Credentials.from_dict(handle.credentials(role), "sandbox")
        settings = Settings(environment="sandbox", base_url=handle.base_url, token_url=handle.token_url,
                            program=handle.program_id, rate_limit=handle.rate_limit[0],
                            rate_period=handle.rate_limit[1])
        if store_path is None:  # an embedded sandbox's data dies with it: keep its cache in a temp dir
            import tempfile

            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="pcnb-sandbox-"))
            store_path = Path(tmp) / "store.sqlite"
        try:
            ws = cls(PowerClerkClient(settings, creds), handle.program_id, store_path)
        except BaseException:  # e.g. a cache file of another program: the sandbox must not outlive it
            stack.close()
            raise
        ws._stack, ws.sandbox_handle, ws.sandbox_program = stack, handle, handle.state.program
        return ws

    @classmethod
    def from_connection(cls, path: str | Path, role: str = "admin", store_path: str | Path | None = None) -> Workspace:
        """Connect to a sandbox started elsewhere (``pcnb sandbox`` / ``pcnb demo``) via its connection file."""
        import json

        try:
            info = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the sandbox connection file {path}: {exc}",
                              "start one with `pcnb sandbox`, or use environment='sandbox' without a file") from exc
        creds = Credentials.from_dict(info["users"][role], "sandbox connection file")
        settings = Settings(environment="sandbox", base_url=info["base_url"], token_url=info["token_url"],
                            program=info["program_id"], rate_limit=int(info["rate_limit"][0]),
                            rate_period=float(info["rate_limit"][1]))
        port = info["base_url"].rsplit(":", 1)[-1].split("/")[0]
        ws = cls(PowerClerkClient(settings, creds), info["program_id"],
                 store_path or default_path(f"sandbox-{port}", info["program_id"]))
        if info.get("program_source"):
            from pcnb.sandbox.definition import ProgramDefinitionError, load

            try:
                ws.sandbox_program = load(info["program_source"])
            except ProgramDefinitionError:
                pass  # the file moved: the profile is inferred without the definition's deadlines
        return ws

    @classmethod
    def open(cls, environment: str | None = None, program: str | None = None, connection: str | None = None,
             store_path: str | Path | None = None, embedded: bool = True, **sandbox_options: Any) -> Workspace:
        """What notebooks and the console script call; the one place that reads the environment.

        ``environment`` (default: PCNB_ENVIRONMENT, else "sandbox"): for the sandbox, a running one
        via its connection file (``connection``, else PCNB_SANDBOX_CONNECTION), else an embedded one
        -- or, ``embedded=False`` (the console script, one process per command), the connection file
        ``pcnb sandbox`` writes to the cache dir, else an error saying how to start one. For trial and
        production, real credentials from the environment or keyring. PCNB_STORE_PATH overrides
        the cache file; PCNB_SANDBOX_PROJECTS sizes an embedded sandbox. ``program``: the program id
        on a real PowerClerk; for an embedded sandbox, which program to serve (a built-in name such as
        "rebate", or a definition file)."""
        import os

        environment = environment or os.environ.get("PCNB_ENVIRONMENT") or "sandbox"
        store_path = store_path or os.environ.get("PCNB_STORE_PATH") or None
        if environment == "sandbox":
            connection = connection or os.environ.get("PCNB_SANDBOX_CONNECTION")
            if not connection and not embedded:
                connection = str(cache_dir() / "sandbox.json")
            if connection and not embedded and not Path(connection).is_file():
                raise ConfigError("no running sandbox found (and PCNB_ENVIRONMENT is not trial/production)",
                                  "start one with `pcnb sandbox` in another terminal, or set PCNB_ENVIRONMENT=trial")
            if connection:
                return cls.from_connection(connection, role=sandbox_options.get("role", "admin"),
                                           store_path=store_path)
            if program:  # for the embedded sandbox: a built-in program name or a definition file
                sandbox_options.setdefault("program", program)
            if os.environ.get("PCNB_SANDBOX_PROJECTS"):
                count = os.environ["PCNB_SANDBOX_PROJECTS"]
                if not count.isascii() or not count.isdigit() or not 1 <= int(count) <= 200_000:
                    raise ConfigError(f"PCNB_SANDBOX_PROJECTS={count!r} is not a number of projects",
                                      "set a whole number from 1 to 200000, or unset it (2000)")
                sandbox_options.setdefault("projects", int(count))
            return cls.sandbox(store_path=store_path, **sandbox_options)
        return cls.connect(environment, program, store_path=str(store_path) if store_path else None)

    def close(self) -> None:
        self.store.close()
        self._stack.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sync(self, **kw: Any) -> SyncReport:
        """Sync, then refresh the frame snapshots: the sync pays for reading SQLite rows, not the
        notebook cells that load frames afterwards."""
        kw.setdefault("lookback", timedelta(minutes=10))
        track_form = self._track_form()
        if track_form and track_form not in kw.get("forms", ()):  # tracked deadlines need each project's track
            kw["forms"] = (*kw.get("forms", ()), track_form)
        report = sync(self.client, self.store, self.program, **kw)
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
        from pcnb.profile_outcomes import unconfirmed

        return [*self.profile_file.caveats(), *unconfirmed(self.profile)]

    def infer_profile(self, save: bool = True) -> ProgramProfile:
        """Infer a profile from the cached histories plus a few read-only calls (status list,
        program name, one page of projects for the time zone, form schemas for segments)."""
        from pcnb.errors import Forbidden

        events, projects = self.status_events(), self.projects()
        if events.height == 0:
            raise ProfileError("the cache holds no status history yet to infer the program profile from",
                               "run `%powerclerk sync` first")
        try:
            statuses = self.client.status_list(self.program).get("Statuses") or []
        except Forbidden:  # non-admin: the statuses the histories show
            statuses = []
        name = next((str(p.get("Name")) for p in self.client.programs().get("Programs") or []
                     if p.get("ProgramId") == self.program), "")
        page = self.client.projects(self.program, limit=200).get("Projects") or []
        stamps = [t for p in page for t in ((p.get("CurrentStatus") or {}).get("Timestamp"),
                                            p.get("LastChangeTimestamp")) if t]
        hints = []
        for form in self.client.forms(self.program).get("Forms") or []:
            schema = self.client.form_schema(self.program, form["CustomId"]).get("FormSchema") or {}
            hints += [{"form": form["CustomId"], **f} for f in schema.get("DataFields") or []]
        prof = infer(self.client.settings.environment, self.program, statuses, events, projects,
                     timestamps=stamps, program_name=name, field_hints=hints)
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
        prof = self.profile
        field, binned = (prof.segments.get("track"), False) if prof.segments.get("track") else (
            prof.segments.get("size"), True)
        if field and "/" not in field:
            raise ProfileError(f"segments.{'size' if binned else 'track'} is {field!r}, not FORM/FIELD",
                               "set it with custom ids, e.g. `%powerclerk profile set segments.track FORM/FIELD`")
        return (field, binned) if field else None

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
        from pcnb.analytics.segments import size_bin

        found = self._track_field()
        if found is None:
            raise ProfileError("tracked deadlines need the program's track (or size) field",
                               "set it with `%powerclerk profile set segments.track FORM/FIELD` (custom ids)")
        field, binned = found
        form, name = field.split("/", 1)
        of_form = frames.form_values(self.store).filter(pl.col("form_id") == form)
        fv = of_form.filter(pl.col("field") == name)
        if fv.height == 0 and of_form.height:  # the form is cached: the field is not one of it
            fields = sorted(set(of_form["field"].drop_nulls().to_list()))
            raise ProfileError(f"form {form} has no field {name!r} (the profile's track field {field})",
                               f"its fields: {', '.join(fields)}; `%powerclerk profile set segments.track "
                               f"{form}/FIELD`")
        if fv.height == 0:
            raise ProfileError(f"the cache holds no values of {field} for the tracked deadlines",
                               f"run `%powerclerk sync` (it fetches form {form} for each project once)")
        value = size_bin(pl.col("value").cast(pl.Float64, strict=False)) if binned else pl.col("value")
        return fv.group_by("project_id").agg(value.first().cast(pl.String).alias("track"))

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

    def health(self) -> frames.SyncHealth:
        return frames.health(self.store)



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
