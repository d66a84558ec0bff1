"""The program profile: what analytics need to know about one utility's PowerClerk program.

Every program has its own statuses, forms, time zone, holidays and deadlines, so nothing in pcnb
may assume the demo program's. The profile holds, per (environment, program):

- statuses (id, custom id, name), who holds the clock in each (utility / applicant / none) and the
  workflow graph observed in the cached histories (transition counts);
- milestone roles: draft statuses (not yet submitted), intake (the application clock starts),
  review steps, approval, completion, and the final exits grouped as completed / withdrawn /
  rejected / cancelled;
- deadlines per status or per span (business days, calendar days or business hours), in tracks;
- the working calendar: IANA time zone, week mask, holidays (country + subdivision of the
  ``holidays`` package) and the utility's own closures;
- the form fields used for segmentation (size, technology, track) as ``FORM/FIELD`` custom ids.

``pcnb.profile_infer.infer`` fills a first profile from what the API and the cache show and records every guess with
its evidence in ``guessed``; the user confirms or corrects it in the text file (YAML, saved beside
the cache) or with ``set``. Any reference to a status that the program does not have is refused
with the choices, so a wrong profile gives a specific message, never an empty chart.
"""

from __future__ import annotations

import copy
import difflib
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import holidays as holidays_lib

from pcnb import profile_checks, profile_file, profile_roles
from pcnb.analytics.calendar import Calendar
from pcnb.profile_keys import EXITS, HOLDERS, SEGMENTS, UNITS, ProfileError

__all__ = ["EXITS", "HOLDERS", "SEGMENTS", "UNITS", "CalendarSpec", "Deadline", "ProfileError", "ProgramProfile",
           "Roles", "StatusInfo"]


@dataclass
class StatusInfo:
    name: str
    custom_id: str = ""
    status_id: str = ""
    holder: str = "utility"


@dataclass
class Deadline:
    """``days`` allowed in ``status`` (or from entering ``start`` to entering ``end``), in ``unit``;
    for the projects of one ``track`` (None: the others); ``clock="utility"`` counts a span's
    utility-held stays only (see :mod:`pcnb.analytics.deadlines`)."""

    days: float
    status: str | None = None
    start: str | None = None
    end: str | None = None
    unit: str = "business_days"
    track: str | None = None
    clock: str = "elapsed"

    @property
    def label(self) -> str:
        return self.status or f"{self.start} -> {self.end}"

    def words(self) -> str:
        """As a report names it: "Payment, 30 calendar days", "Review → Paid, 25 business days,
        the utility's days only", "Review, 15 business days for Fast Track projects" (a caption had said
        "another unit, a span or a track", which a reader could not map to any deadline)."""
        from pcnb.chartkit import unit_words  # as the charts say it; plotly only when a report names one

        days = unit_words(self.unit, self.days)
        clock = ", the utility's days only" if self.clock == "utility" else ""
        track = f" for {self.track} projects" if self.track else ""
        return f"{self.label.replace(' -> ', ' → ')}, {days}{clock}{track}"

    def describe(self) -> str:
        extra = "".join(f" {k}={v}" for k, v in (("clock", self.clock if self.clock != "elapsed" else None),
                                                   ("track", self.track)) if v)
        return f"{self.label} {self.days:g} {self.unit}{extra}"


@dataclass
class CalendarSpec:
    timezone: str = "UTC"
    week_mask: str = "MTWTF--"
    country: str = "US"
    subdivision: str | None = None
    closures: list[str] = field(default_factory=list)  # the utility's own closed days, yyyy-mm-dd

    def calendar(self, years: Iterable[int] = range(2015, 2036)) -> Calendar:
        """The working calendar; a ProfileError naming the key when a value is wrong (an unknown
        country is the holidays package's NotImplementedError otherwise, deep in a chart)."""
        profile_checks.first(profile_checks.check_calendar(vars(self)))
        days = set(holidays_lib.country_holidays(self.country, subdiv=self.subdivision, years=list(years)))
        days |= {date.fromisoformat(d) for d in self.closures}
        mask = tuple(ch != "-" for ch in self.week_mask)
        return Calendar(self.timezone, mask, tuple(sorted(days)))


@dataclass
class Roles:
    draft: list[str] = field(default_factory=list)
    intake: str | None = None
    review: list[str] = field(default_factory=list)
    approval: str | None = None
    completion: str | None = None
    exits: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in EXITS})

    @property
    def final(self) -> list[str]:
        return [s for kind in EXITS for s in self.exits.get(kind, [])]


@dataclass
class ProgramProfile:
    environment: str
    program_id: str
    program_name: str = ""
    statuses: list[StatusInfo] = field(default_factory=list)
    roles: Roles = field(default_factory=Roles)
    deadlines: list[Deadline] = field(default_factory=list)
    calendar: CalendarSpec = field(default_factory=CalendarSpec)
    segments: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(SEGMENTS))
    workflow: list[tuple[str, str, int]] = field(default_factory=list)  # observed (from, to, count)
    guessed: dict[str, str] = field(default_factory=dict)  # key -> the evidence behind the guess
    #: outcome guesses not confirmed yet: "roles.completion" or "kind of STATUS" -> each candidate's
    #: chance, best first (pcnb.profile_outcomes); confirming or setting the role removes its entry
    confidence: dict[str, dict[str, float]] = field(default_factory=dict)
    #: the program's changes as the cache saw them (pcnb.profile_changes): {seen, what, kind, key, name,
    #: previous}, oldest first
    changes: list[dict[str, str]] = field(default_factory=list)

    # ---- lookups -------------------------------------------------------------------------------
    def status(self, key: str) -> StatusInfo:
        """A status by name, custom id or id; a ProfileError with the choices when there is none."""
        for s in self.statuses:
            if key in (s.name, s.custom_id, s.status_id):
                return s
        names = [s.name for s in self.statuses]
        close = difflib.get_close_matches(key, names + [s.custom_id for s in self.statuses], n=1)
        raise ProfileError(f"program {self.program_name or self.program_id} has no status {key!r}"
                           + (f" (did you mean {close[0]!r}?)" if close else ""),
                           f"its statuses are: {', '.join(names)}")

    def statuses_named(self, keys: Iterable[str]) -> list[str]:
        """The names of ``keys`` that are statuses (unknown ones left out: they were refused already)."""
        out = []
        for k in keys:
            try:
                out.append(self.status(k).name)
            except ProfileError:
                continue
        return out

    def names(self, keys: Iterable[str]) -> list[str]:
        return [self.status(k).name for k in keys]

    def require(self, role: str) -> str | list[str]:
        """A role's value, or a ProfileError saying how to set it (never an empty chart)."""
        value = getattr(self.roles, role) if role != "final" else self.roles.final
        if not value:
            raise ProfileError(f"the program profile has no {role} status yet",
                               f"set it with `%powerclerk profile set roles.{role} \"STATUS\"` "
                               f"(statuses: {', '.join(s.name for s in self.statuses)})")
        return value

    @property
    def holders(self) -> dict[str, str]:
        return {s.name: s.holder for s in self.statuses}

    def deadlines_for(self, track: str | None = None) -> dict[str, float]:
        """Per-status deadlines (in their unit) of one track (or the untracked ones)."""
        return {d.status: d.days for d in self.deadlines if d.status and d.track == track}

    def describe(self) -> str:
        r = self.roles
        lines = [f"program profile: {self.program_name or self.program_id} ({self.environment})",
                 f"  calendar: {self.calendar.timezone}, {self.calendar.week_mask}, holidays "
                 f"{self.calendar.country}{'-' + self.calendar.subdivision if self.calendar.subdivision else ''}"
                 f" + {len(self.calendar.closures)} closures",
                 f"  draft: {', '.join(r.draft) or '-'} | intake: {r.intake or '-'} | review: "
                 f"{', '.join(r.review) or '-'} | approval: {r.approval or '-'} | completion: {r.completion or '-'}",
                 "  exits: " + "; ".join(f"{k} = {', '.join(v) or '-'}" for k, v in r.exits.items()),
                 "  holders: " + ", ".join(f"{s.name} ({s.holder})" for s in self.statuses),
                 f"  deadlines: {'; '.join(d.describe() for d in self.deadlines) or 'none set'}",
                 "  segments: " + ", ".join(f"{k} = {v or '-'}" for k, v in self.segments.items())]
        if self.guessed:
            lines.append("  guessed (correct with `%powerclerk profile set KEY VALUE`, then accept the rest with "
                         "`%powerclerk profile confirm`):")
            lines += [f"    {k}: {v}" for k, v in sorted(self.guessed.items())]
        from pcnb.profile_outcomes import low_confidence

        low = low_confidence(self)
        if low:
            lines.append("  low confidence (check these first):")
            lines += [f"    {line}" for line in low]
        return "\n".join(lines)

    def confirm(self, key: str = "roles") -> list[str]:
        """Accept the guesses under ``key`` ("roles": the milestone and outcome roles, the default;
        "all"; or any key or key prefix such as "holders" or "calendar.timezone"): their evidence
        and, for the roles, their confidence are dropped, so no figure calls them guesses any more.
        Returns the keys confirmed; a key with no guess under it is a ProfileError."""
        under = [k for k in self.guessed if key == "all" or k == key or k.startswith(key + ".")]
        if not under and not (key in ("all", "roles") and self.confidence):
            raise ProfileError(f"nothing guessed under {key!r} to confirm",
                               "`%powerclerk profile` lists the guesses; `profile confirm` confirms the roles")
        for k in under:
            del self.guessed[k]
        if key in ("all", "roles"):
            self.confidence.clear()
        return sorted(under)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(self.describe())

    # ---- checks and edits ------------------------------------------------------------------------
    def validate(self) -> None:
        """The whole profile is right: every key's type, every status it names exists, the calendar
        (IANA zone, week mask, the holidays package's country and subdivision, dates) and the
        deadlines; else a ProfileError naming the key (pcnb.profile_checks). Run after every change."""
        profile_checks.first(profile_checks.problems(self))

    def set(self, key: str, value: str) -> list[str]:
        """``set("roles.completion", "STATUS")``, ``set("deadlines.STATUS", "10")`` (or "16 business_hours"),
        ``set("holders.STATUS", "applicant")``, ``set("calendar.timezone", ...)``,
        ``set("segments.size", "FORM/FIELD")``; lists take commas. The guess for ``key`` is cleared.
        A refused value changes nothing (the profile is restored as it was). Setting a role first
        moves its statuses out of every conflicting role (pcnb.profile_roles); the notes returned
        say what moved."""
        before = copy.deepcopy(self.__dict__)
        try:
            return self._set(key, value)
        except ProfileError as exc:
            self.__dict__.update(before)
            if exc.key or key.startswith("deadlines."):  # named already ("deadline START -> END: ...")
                raise
            raise ProfileError(f"{key}: {exc.message}", exc.hint) from None

    def _set(self, key: str, value: str) -> list[str]:
        head, _, rest = key.partition(".")
        items = [v.strip() for v in value.split(",") if v.strip()]
        notes: list[str] = []
        if head == "roles" and rest in ("draft", "review"):
            notes = profile_roles.assign(self, rest, self.names(items))
        elif head == "roles" and rest in ("intake", "approval", "completion"):
            notes = profile_roles.assign(self, rest, [self.status(value.strip()).name] if value.strip() else [])
        elif head == "roles" and rest.startswith("exits."):
            kind = rest.split(".", 1)[1]
            if kind not in EXITS:
                raise ProfileError(f"unknown exit kind {kind!r}", f"use one of: {', '.join(EXITS)}")
            notes = profile_roles.assign(self, rest, self.names(items))
        elif head == "holders":
            if value not in HOLDERS:
                raise ProfileError(f"holder {value!r} is not one of {', '.join(HOLDERS)}",
                                   "utility (the utility must act), applicant (the applicant must), none (final)")
            self.status(rest).holder = value
        elif head == "deadlines":
            self._set_deadline(rest, value)
        elif head == "calendar" and rest in ("timezone", "week_mask", "country", "subdivision"):
            setattr(self.calendar, rest, value or None if rest == "subdivision" else value)
        elif head == "calendar" and rest == "closures":
            self.calendar.closures = items
        elif head == "segments" and rest in SEGMENTS:
            self.segments[rest] = value or None
        else:
            raise ProfileError(f"unknown profile key {key!r}",
                               "keys: roles.draft|intake|review|approval|completion, roles.exits.KIND, "
                               "holders.STATUS, deadlines.STATUS or deadlines.START->END, "
                               "calendar.timezone|week_mask|country|subdivision|"
                               "closures, segments.size|technology|track")
        self.guessed.pop(key, None)
        if head == "roles":  # the user's word replaces the guess's chances
            named = {n for n in self.statuses_named(items if rest not in ("intake", "approval", "completion")
                                                    else [value.strip()] if value.strip() else [])}
            if rest == "completion":
                self.confidence.pop("roles.completion", None)
            for n in named:
                self.confidence.pop(f"kind of {n}", None)
                self.confidence.pop(f"final: {n}", None)
        self.validate()
        return notes

    def _set_deadline(self, target: str, value: str) -> None:
        """``target`` is a status or ``START -> END``; ``value`` is ``DAYS [UNIT] [clock=utility]
        [track=NAME]`` (quote a track with spaces), or ``none`` to remove that rule."""
        try:
            words = shlex.split(value)
        except ValueError as exc:
            raise ProfileError(f"deadline {target}: cannot read {value!r} ({exc})", "check the quotes") from None
        options = dict(w.split("=", 1) for w in words if "=" in w)
        plain = [w for w in words if "=" not in w]
        unknown = sorted(set(options) - {"clock", "track"})
        if unknown:
            raise ProfileError(f"deadline {target}: unknown option {unknown[0]!r}",
                               "options are clock=elapsed|utility and track=NAME")
        start, arrow, end = target.partition("->")
        first, last = (self.status(start.strip()).name, self.status(end.strip()).name) if arrow else ("", "")
        key = f"{first} -> {last}" if arrow else self.status(target).name
        track = options.get("track") or None
        kept = [d for d in self.deadlines if (d.label, d.track) != (key, track)]
        if plain in (["none"], []) and not options.keys() - {"track"}:
            if len(kept) == len(self.deadlines):
                raise ProfileError(f"no deadline {key}" + (f" for track {track!r}" if track else "") + " to remove",
                                   "`%powerclerk profile` lists the deadlines")
            self.deadlines = kept
            return
        try:
            days = float(plain[0])
        except (ValueError, IndexError):
            raise ProfileError(f"deadline {target}: {value!r} does not start with a number of days",
                               "e.g. 10, or '10 calendar_days', or '16 business_hours', or "
                               "'40 business_days clock=utility track=\"Fast Track\"'") from None
        unit = plain[1] if len(plain) > 1 else "business_days"
        if len(plain) > 2:
            raise ProfileError(f"deadline {target}: unexpected {' '.join(plain[2:])!r}",
                               "the form is DAYS [UNIT] [clock=utility] [track=NAME]")
        clock = options.get("clock", "elapsed")
        if arrow:
            rule = Deadline(days, start=first, end=last, unit=unit, track=track, clock=clock)
        else:
            rule = Deadline(days, status=key, unit=unit, track=track, clock=clock)
        self.deadlines = [*kept, rule]

    # ---- file (pcnb.profile_file) -------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Validate, then write the file whole (atomically); a wrong profile is never saved."""
        self.validate()
        return profile_file.write(self, path)

    @classmethod
    def load(cls, path: str | Path) -> ProgramProfile:
        """Read a profile file; a ProfileError naming the file, line and key when it is not right."""
        return profile_file.read(path, cls.from_dict)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProgramProfile:
        """The profile of ``data`` in the file's shape (checked first: pcnb.profile_checks.shape_problems)."""
        roles: dict[str, Any] = data["roles"]
        return cls(
            environment=data["environment"], program_id=data["program_id"], program_name=data["program_name"],
            statuses=[StatusInfo(**s) for s in data["statuses"]],
            roles=Roles(draft=list(roles.get("draft") or []), intake=roles.get("intake"),
                        review=list(roles.get("review") or []), approval=roles.get("approval"),
                        completion=roles.get("completion"),
                        exits={k: list((roles.get("exits") or {}).get(k) or []) for k in EXITS}),
            deadlines=[Deadline(**d) for d in data["deadlines"]],
            calendar=CalendarSpec(**data["calendar"]),
            segments={k: data["segments"].get(k) for k in SEGMENTS},
            workflow=[(a, b, int(n)) for a, b, n in data["workflow"]],
            guessed=dict(data["guessed"]), confidence={k: dict(v) for k, v in data["confidence"].items()},
            changes=[dict(c) for c in data.get("changes") or []])
