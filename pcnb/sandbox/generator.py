"""Deterministic synthetic projects for any sandbox program definition.

The program (definition.py) says what can happen; this module makes it happen to ``n`` projects:
arrivals over the program's ``years`` with growth, events only in weekday business hours outside
the program's holidays (its time zone, country and subdivision), lognormal step durations in
business days drawn per transition, rework loops and exits as the transition probabilities say,
projects still in flight at the end, form data filled as the fields' ``sample`` says when a form is
submitted, attachments with it, and inquiry threads on entering the program's inquiry status with
notes alternating between utility and applicant. Same (program, seed, n, end) -> same state.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from pcnb import clock
from pcnb.sandbox import definition
from pcnb.sandbox.deviations import inject
from pcnb.sandbox.flow_rules import arrival_days, choices, timer
from pcnb.sandbox.models import AttachmentFile, Note, Project, StatusEvent, Thread
from pcnb.sandbox.program import FieldDef, FormDef, ProgramDef, Step, stable_id
from pcnb.sandbox.state import State

#: The non-admin demo user owns projects under this installer (see identity.py).
APPLICANT_EMAIL = "permits@sunnyday-solar.example"
INSTALLERS = [("SunnyDay Solar", APPLICANT_EMAIL)] + [
    (f"{a} {b}", f"permits@{a.lower()}-{b.lower().replace(' ', '')}.example")
    for a in ("Bright", "Golden", "Pacific", "Summit", "Valley", "Coastal", "Evergreen")
    for b in ("Energy", "Solar", "Power Co")
]
REVIEWERS = ["Avery Admin", "Jordan Reyes", "Priya Natarajan", "Chris Okafor"]
STREETS = ("Oak", "Maple", "Cedar", "Pine", "Elm", "Mission", "Harbor", "Sierra", "Vista", "Lincoln")


class BusinessCalendar:
    """Weekday, non-holiday dates with 08:00-17:00 working hours in the program's zone."""

    def __init__(self, tz: str, start: date, end: date, country: str = "US", subdivision: str | None = None,
                 closed: tuple[date, ...] = (), closures: tuple[tuple[date, date], ...] = ()):
        self.tz = ZoneInfo(tz)
        hol = set(holidays.country_holidays(country, subdiv=subdivision, years=range(start.year, end.year + 2)))
        hol |= set(closed)
        for first, last in closures:
            hol |= {first + timedelta(days=k) for k in range((last - first).days + 1)}
        self.days: list[date] = []
        d = start
        while d <= end + timedelta(days=400):
            if d.weekday() < 5 and d not in hol:
                self.days.append(d)
            d += timedelta(days=1)

    def at(self, index: int, hour: float) -> datetime:
        index = min(max(index, 0), len(self.days) - 1)
        minutes = int(hour * 60)
        local = datetime.combine(self.days[index], time(minutes // 60, minutes % 60), self.tz)
        return local.astimezone(UTC)

    def index(self, d: date) -> int:
        return bisect_left(self.days, d)

    def position(self, instant: datetime) -> tuple[int, float]:
        """The first working moment at or after ``instant``: (business-day index, hour)."""
        local = instant.astimezone(self.tz)
        i = self.index(local.date())
        hour = local.hour + local.minute / 60
        if i < len(self.days) and self.days[i] == local.date() and 8 <= hour < 17:
            return i, hour
        if i < len(self.days) and self.days[i] == local.date() and hour >= 17:
            i += 1
        return i, 8.0


class _Walker:
    """Walks one project through the workflow, tracking position as (business-day index, hour)."""

    def __init__(self, rng: random.Random, cal: BusinessCalendar, end: datetime):
        self.rng, self.cal, self.end = rng, cal, end

    def step(self, pos: tuple[int, float], median: float, sigma: float) -> tuple[int, float]:
        days = math.exp(math.log(median) + sigma * self.rng.gauss(0, 1))
        total = pos[1] - 8 + days * 9  # business hours since the day's 08:00
        whole, rest = divmod(total, 9)
        return pos[0] + int(whole), 8 + rest

    def step_calendar(self, pos: tuple[int, float], median: float, sigma: float) -> tuple[int, float]:
        """As :meth:`step`, the duration in calendar days (landing on the next working moment)."""
        days = math.exp(math.log(median) + sigma * self.rng.gauss(0, 1))
        return self.cal.position(self.cal.at(*pos) + timedelta(days=days))

    def ts(self, pos: tuple[int, float]) -> datetime:
        return self.cal.at(*pos)


def generate(n: int = 2000, seed: int = 7, end: datetime | None = None,
             program: ProgramDef | str | None = None, deviations: dict[str, int] | None = None) -> State:
    """Build a State with ``n`` projects of ``program`` (a ProgramDef, a built-in name or a definition
    file; default the residential program) whose history ends at ``end`` (default: today 00:00 UTC).
    ``deviations`` ({kind: projects}, default the definition's) are injected after the walk
    (pcnb.sandbox.deviations); ``State.injected`` says where."""
    end = end or clock.midnight()
    prog = program if isinstance(program, ProgramDef) else definition.load(program)
    state = State(prog)
    rng = random.Random(seed)
    start = end - timedelta(days=round(prog.years * 365))
    cal = BusinessCalendar(prog.timezone, start.date(), end.date(), *prog.holidays, prog.closed_days, prog.closures)
    walker = _Walker(rng, cal, end)
    span = cal.index(end.date()) - cal.index(start.date())
    # arrivals grow ~2x over the window (sqrt-skewed day index); created in time order because
    # GetProjects pages "ordered by creation" [doc]
    first, last = cal.index(start.date()), cal.index(end.date()) - 1
    if prog.growth is None and prog.seasonality is None:
        arrivals = sorted((first + int(span * math.sqrt(rng.random())), 8 + rng.random() * 8.5) for _ in range(n))
    else:  # the definition's growth (end rate over start rate) and monthly seasonality
        days = arrival_days(rng, n, cal.days[first:first + span], prog.growth or 1.0, prog.seasonality)
        arrivals = sorted((first + d, 8 + rng.random() * 8.5) for d in days)
    for i, pos in enumerate(arrivals):
        if walker.ts(pos) >= end:
            pos = (last, 9.0)
        _Project(state, rng, walker, pos, i, seed).walk()
    state.serial = n
    wanted = prog.deviations if deviations is None else deviations
    if any(wanted.values()):
        state.injected = inject(state.projects, prog, wanted, seed, end)
    return state


class _Project:
    """One project's life: start status, then steps drawn from the program's flow until it ends."""

    MAX_STEPS = 60  # a loop-heavy definition still ends

    def __init__(self, state: State, rng: random.Random, w: _Walker, pos: tuple[int, float], i: int, seed: int):
        self.state, self.rng, self.w, self.prog = state, rng, w, state.program
        self.installer, self.email = INSTALLERS[0] if rng.random() < 0.04 else rng.choice(INSTALLERS)
        self.reviewer = rng.choice(REVIEWERS)
        created = w.ts(pos)
        self.pos = pos
        self.p = Project(project_id=stable_id("project", str(seed), str(i)), created=created,
                         owner_name=self.installer, owner_email=self.email, status=self.prog.start,
                         status_ts=created, last_change=created)
        self.p.history.append(StatusEvent(self.prog.start, created, self.installer))
        state.projects[self.p.project_id] = self.p
        self.thread: Thread | None = None
        self._open_forms()

    def walk(self) -> None:
        for _ in range(self.MAX_STEPS):
            steps = self.prog.flow.get(self.p.status, ())
            step = self._choose(choices(steps, self._field_values()))
            pos = None
            if step is not None and step.to is not None:
                walk = self.w.step_calendar if step.unit == "calendar_days" else self.w.step
                pos = walk(self.pos, step.median_days, step.sigma)
            on_timer = timer(steps)
            if on_timer is not None and on_timer.timer is not None:
                due = self.w.ts(self.pos) + timedelta(days=on_timer.timer)
                if pos is None or self.w.ts(pos) > due:  # nothing came first: the timer moves it, at its hour
                    if due >= self.w.end:
                        return
                    self.pos = self.w.cal.position(due)
                    self._move(on_timer, due)
                    continue
            if step is None or step.to is None or pos is None:
                return
            if self.w.ts(pos) >= self.w.end:
                return  # still in flight at the end of the history
            self.pos = pos
            self._move(step)

    def _field_values(self) -> dict[str, dict[str, object]]:
        """The project's form values so far (submitted over drafts), for steps with a ``when``."""
        p = self.p
        return {f: {**p.draft.get(f, {}), **p.submitted.get(f, {})} for f in {*p.draft, *p.submitted}}

    def _choose(self, steps: tuple[Step, ...]) -> Step | None:
        live = [s for s in steps if s.p > 0]
        if not live:
            return None
        return self.rng.choices(live, weights=[s.p for s in live])[0]

    def _move(self, step: Step, at: datetime | None = None) -> None:
        p, when = self.p, at or self.w.ts(self.pos)
        assert step.to is not None
        for form in self.prog.forms:
            if form.submit_to.get(p.status) == step.to and form.custom_id in p.draft:
                p.submitted.setdefault(form.custom_id, {}).update(p.draft.pop(form.custom_id))
                for att in form.attachments:
                    p.attachments[att.custom_id] = AttachmentFile(att.file, 20_480 + len(att.file) * 977,
                                                                  self.installer, self.email, when)
        if p.number is None:
            self.state.assign_number(p)
        by = self.installer if step.by == "applicant" else self.reviewer
        p.status, p.status_ts, p.last_change = step.to, when, when
        p.history.append(StatusEvent(step.to, when, by))
        if step.to in self.prog.approves_attachments:
            for a in p.attachments.values():
                a.status = "Approved"
        inq = self.prog.inquiries
        if inq and self.thread is not None and self.thread.status == "Open" and step.to in inq.closes_on:
            self.thread.status = "Closed"
        if inq and step.to == inq.status and self.thread is None and not p.thread_ids and self.rng.random() < inq.rate:
            self.thread = _thread(self.state, self.rng, self.w, p, self.pos, self.reviewer)
        self._open_forms()

    def _open_forms(self) -> None:
        """Fill the draft of each applicant form that can be submitted from the current status."""
        p = self.p
        for form in self.prog.forms:
            if (not form.admin_only and p.status in form.submit_to and form.custom_id not in p.draft
                    and form.custom_id not in p.submitted):
                p.draft[form.custom_id] = self._values(form)

    def _values(self, form: FormDef) -> dict[str, object]:
        out: dict[str, object] = {}
        for fd in form.fields:
            value = _sample(fd, self.rng, self)
            if value is not None:
                out[fd.custom_id] = value
        return out


def _sample(fd: FieldDef, rng: random.Random, proj: _Project) -> object:
    """A value for ``fd`` as its definition's ``sample`` says (definition.py lists the forms)."""
    spec = fd.sample
    if spec is None:
        return None
    if spec == "owner":
        return proj.installer
    if spec == "address":
        cities, region = proj.prog.places
        return f"{rng.randint(100, 9999)} {rng.choice(STREETS)} St, {rng.choice(cities)}" + (
            f", {region}" if region else "")
    when = proj.w.ts(proj.pos)
    if spec == "submitted":
        return when.astimezone(proj.w.cal.tz).date().isoformat()
    if "lognormal" in spec:
        weights = [c[0] for c in spec["lognormal"]]
        _, median, sigma = rng.choices(spec["lognormal"], weights=weights)[0]
        value = math.exp(rng.gauss(math.log(median), sigma))
        lo, hi = fd.min if fd.min is not None else 0.0, fd.max if fd.max is not None else math.inf
        value = min(max(value, max(lo, 1.0)), hi * 0.9999)
        return f"{value:.{spec.get('round', 1)}f}"
    if "weights" in spec:
        return rng.choices(fd.choices, weights=spec["weights"])[0]
    if "values" in spec:
        if fd.multi:
            return rng.sample(spec["values"], k=rng.randint(1, min(2, len(spec["values"]))))
        return rng.choice(spec["values"])
    if "digits" in spec:
        return str(rng.randint(10 ** (spec["digits"] - 1), 10 ** spec["digits"] - 1))
    if "p_true" in spec:
        return "true" if rng.random() < spec["p_true"] else "false"
    if "days_after_created" in spec:
        lo, hi = spec["days_after_created"]
        return (proj.p.created + timedelta(days=rng.randint(lo, hi))).date().isoformat()
    if "copy" in spec:
        form, key = spec["copy"].split("/")
        return proj.p.submitted.get(form, {}).get(key)
    return None


def _thread(state: State, rng: random.Random, w: _Walker, p: Project, pos: tuple[int, float],
            reviewer: str) -> Thread | None:
    """An inquiry thread opened on entering the inquiry status; notes alternate utility -> applicant."""
    inq = state.program.inquiries
    assert inq is not None
    at = w.step(pos, *inq.reply_days)
    created = w.ts(at)
    if created >= w.end:
        return None
    k = rng.randrange(len(inq.topics))
    question, answer = inq.topics[k]
    t = Thread(stable_id("thread", p.project_id), p.project_id, question.split(".")[0].split("?")[0][:60],
               "Open", created)
    for j in range(rng.randint(1, 5)):
        ts = w.ts(at)
        if ts >= w.end:
            break
        admin = j % 2 == 0
        text = question if admin and j == 0 else (answer if not admin else "Thanks, reviewing now.")
        t.notes.append(Note(stable_id("note", t.thread_id, str(j)), reviewer if admin else p.owner_name,
                            "review@utility.example" if admin else p.owner_email, admin, text, ts))
        p.last_change = max(p.last_change, ts)
        at = w.step(at, *inq.reply_days)
    if t.notes and not t.notes[-1].is_admin and rng.random() < 0.7:
        t.status = "Closed"
    state.threads[t.thread_id] = t
    p.thread_ids.append(t.thread_id)
    return t
