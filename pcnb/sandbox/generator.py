"""Deterministic synthetic interconnection program for the sandbox.

Realism the analytics rely on: arrivals over ~3 years with growth, events only in weekday business
hours outside US federal holidays, lognormal step durations in business days, returns to the
applicant (rework loops), withdrawals and rejections, projects still in flight at the end, system
sizes and technologies, and inquiry threads on ~30 % of reviewed projects with notes alternating
between utility and applicant. Same (seed, n, end) -> same program, byte for byte.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

from pcnb.sandbox.models import AttachmentFile, Note, Project, StatusEvent, Thread
from pcnb.sandbox.program import (
    APPROVED,
    INSPECTION,
    PTO,
    REJECTED,
    RETURNED,
    REVIEW,
    SUBMITTED,
    TECHNOLOGIES,
    UNSUBMITTED,
    WITHDRAWN,
    ProgramDef,
    stable_id,
)
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
CITIES = ("Fresno", "Bakersfield", "Modesto", "Visalia", "Merced", "Stockton", "Madera")
INVERTERS = ("Enphase IQ8", "SolarEdge SE7600H", "SMA Sunny Boy 7.7", "Tesla Powerwall 3", "Fronius Primo 8.2")
QUESTIONS = ("Single line diagram is missing the AC disconnect.", "Please confirm the inverter model.",
             "Site plan does not show the meter location.", "Is a main panel upgrade required?",
             "Please provide the structural letter.", "The system size differs between forms.")
ANSWERS = ("Updated document uploaded.", "Confirmed, see revised SLD.", "Meter is on the north wall.",
           "No upgrade needed; 200 A panel.", "Structural letter attached.", "Corrected to match.")

#: Median business days of each step and the lognormal sigma [assumed from public timeline data].
STEP = {"submit": (0.8, 0.9), "intake": (2.0, 0.6), "review": (7.0, 0.7), "applicant": (4.0, 0.8),
        "install": (25.0, 0.6), "inspection": (5.0, 0.5), "reply": (1.5, 0.8)}


class BusinessCalendar:
    """Weekday, non-holiday dates with 08:00-17:00 working hours in the program's zone."""

    def __init__(self, tz: str, start: date, end: date):
        self.tz = ZoneInfo(tz)
        hol = holidays.country_holidays("US", years=range(start.year, end.year + 2))
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


class _Walker:
    """Walks one project through the workflow, tracking position as (business-day index, hour)."""

    def __init__(self, rng: random.Random, cal: BusinessCalendar, end: datetime):
        self.rng, self.cal, self.end = rng, cal, end

    def step(self, pos: tuple[int, float], kind: str) -> tuple[int, float]:
        median, sigma = STEP[kind]
        days = math.exp(math.log(median) + sigma * self.rng.gauss(0, 1))
        total = pos[1] - 8 + days * 9  # business hours since the day's 08:00
        whole, rest = divmod(total, 9)
        return pos[0] + int(whole), 8 + rest

    def ts(self, pos: tuple[int, float]) -> datetime:
        return self.cal.at(*pos)


def generate(n: int = 2000, seed: int = 7, end: datetime | None = None,
             program: ProgramDef | None = None) -> State:
    """Build a State with ``n`` projects whose history ends at ``end`` (default: today 00:00 UTC)."""
    end = end or datetime.combine(datetime.now(UTC).date(), time(), UTC)
    state = State(program)
    rng = random.Random(seed)
    start = end - timedelta(days=3 * 365)
    cal = BusinessCalendar(state.program.timezone, start.date(), end.date())
    walker = _Walker(rng, cal, end)
    span = cal.index(end.date()) - cal.index(start.date())
    # arrivals grow ~2x over the window (sqrt-skewed day index); created in time order because
    # GetProjects pages "ordered by creation" [doc]
    first, last = cal.index(start.date()), cal.index(end.date()) - 1
    arrivals = sorted((first + int(span * math.sqrt(rng.random())), 8 + rng.random() * 8.5) for _ in range(n))
    for i, pos in enumerate(arrivals):
        if walker.ts(pos) >= end:
            pos = (last, 9.0)
        _project(state, rng, walker, pos, i, seed)
    state.serial = n
    return state


def _project(state: State, rng: random.Random, w: _Walker, pos: tuple[int, float], i: int,
             seed: int) -> None:
    installer, email = INSTALLERS[0] if rng.random() < 0.04 else rng.choice(INSTALLERS)
    created = w.ts(pos)
    p = Project(project_id=stable_id("project", str(seed), str(i)), created=created,
                owner_name=installer, owner_email=email, status=UNSUBMITTED, status_ts=created,
                last_change=created)
    p.history.append(StatusEvent(UNSUBMITTED, created, installer))
    p.draft["APPLICATION"] = _application(rng, installer)
    state.projects[p.project_id] = p

    def go(status: str, at: tuple[int, float], by: str) -> bool:
        when = w.ts(at)
        if when >= w.end:
            return False
        p.status, p.status_ts, p.last_change = status, when, when
        p.history.append(StatusEvent(status, when, by))
        return True

    if rng.random() < 0.03:
        return  # abandoned draft: stays Unsubmitted
    pos = w.step(pos, "submit")
    if not go(SUBMITTED, pos, installer):
        return
    p.submitted["APPLICATION"] = p.draft.pop("APPLICATION")
    state.assign_number(p)
    p.attachments["SLD"] = AttachmentFile("single_line_diagram.pdf", 48_213, installer, email, w.ts(pos))
    reviewer = rng.choice(REVIEWERS)
    if rng.random() < 0.02:
        go(WITHDRAWN, w.step(pos, "intake"), installer)
        return
    pos = w.step(pos, "intake")
    if not go(REVIEW, pos, reviewer):
        return
    thread = _thread(state, rng, w, p, pos, reviewer) if rng.random() < 0.30 else None
    for _loop in range(4):
        pos = w.step(pos, "review")
        if rng.random() < 0.30 and _loop < 3:
            if not go(RETURNED, pos, reviewer):
                return
            pos = w.step(pos, "applicant")
            if rng.random() < 0.08:
                go(WITHDRAWN, pos, installer)
                return
            if not go(REVIEW, pos, installer):
                return
            continue
        break
    outcome = rng.random()
    if outcome < 0.05:
        go(REJECTED, pos, reviewer)
        return
    if not go(APPROVED, pos, reviewer):
        return
    p.attachments["SLD"].status = "Approved"
    if thread is not None and thread.status == "Open":
        thread.status = "Closed"
    pos = w.step(pos, "install")
    if rng.random() < 0.05:
        go(WITHDRAWN, pos, installer)
        return
    if not go(INSPECTION, pos, installer):
        return
    size = p.submitted["APPLICATION"]["SYSTEM_SIZE_KW"]
    p.submitted["COMPLETION"] = {"INSTALL_DATE": w.ts(pos).date().isoformat(), "FINAL_SIZE_KW": size}
    p.attachments["INSPECTION_CERT"] = AttachmentFile("inspection.pdf", 20_480, installer, email, w.ts(pos))
    pos = w.step(pos, "inspection")
    go(PTO, pos, reviewer)


def _application(rng: random.Random, installer: str) -> dict[str, object]:
    commercial = rng.random() < 0.08
    size = math.exp(rng.gauss(math.log(250 if commercial else 7.5), 0.7 if commercial else 0.35))
    tech = rng.choices(TECHNOLOGIES, weights=(70, 22, 5, 2, 1))[0]
    return {
        "SYSTEM_SIZE_KW": f"{min(max(size, 1.0), 4999.0):.1f}",
        "TECHNOLOGY": tech,
        "INSTALLER": installer,
        "SITE_ADDRESS": f"{rng.randint(100, 9999)} {rng.choice(STREETS)} St, {rng.choice(CITIES)}, CA",
        "ACCOUNT_NUMBER": f"{rng.randint(10**9, 10**10 - 1)}",
        "NET_METERING": "true" if rng.random() < 0.85 else "false",
        "INVERTER_MODELS": rng.sample(INVERTERS, k=rng.randint(1, 2)),
    }


def _thread(state: State, rng: random.Random, w: _Walker, p: Project, pos: tuple[int, float],
            reviewer: str) -> Thread | None:
    """An inquiry thread opened during review; notes alternate utility -> applicant."""
    at = w.step(pos, "reply")
    created = w.ts(at)
    if created >= w.end:
        return None
    k = rng.randrange(len(QUESTIONS))
    t = Thread(stable_id("thread", p.project_id), p.project_id, QUESTIONS[k].split(".")[0][:60],
               "Open", created)
    for j in range(rng.randint(1, 5)):
        ts = w.ts(at)
        if ts >= w.end:
            break
        admin = j % 2 == 0
        text = QUESTIONS[k] if admin and j == 0 else (ANSWERS[k] if not admin else "Thanks, reviewing now.")
        t.notes.append(Note(stable_id("note", t.thread_id, str(j)), reviewer if admin else p.owner_name,
                            "review@utility.example" if admin else p.owner_email, admin, text, ts))
        p.last_change = max(p.last_change, ts)
        at = w.step(at, "reply")
    if t.notes and not t.notes[-1].is_admin and rng.random() < 0.7:
        t.status = "Closed"
    state.threads[t.thread_id] = t
    p.thread_ids.append(t.thread_id)
    return t
