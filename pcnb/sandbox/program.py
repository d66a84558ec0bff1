"""The shapes of a sandbox program: statuses, workflow steps, forms, fields and inquiries.

Programs themselves are data: definition files under ``programs/`` (and any file a user writes),
loaded and checked by ``definition.py``. Nothing here names a particular program's statuses.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any


def stable_id(*parts: str) -> str:
    """A deterministic 12-char upper-case alphanumeric public id, as PowerClerk issues them."""
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(alphabet[b % len(alphabet)] for b in digest[:12])


@dataclass(frozen=True)
class Status:
    name: str
    custom_id: str

    @property
    def status_id(self) -> str:
        return stable_id("status", self.custom_id)


@dataclass(frozen=True)
class FieldDef:
    name: str
    custom_id: str
    type: str
    required: bool = False
    multi: bool = False
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] = ()
    sensitive: bool = False
    sample: Any = None  # how the generator fills it (definition.py documents the forms)
    segment: str | None = None  # a role for analytics segmentation: size, technology, track

    @property
    def field_id(self) -> str:
        return stable_id("field", self.custom_id)


@dataclass(frozen=True)
class AttachmentDef:
    name: str
    custom_id: str
    file: str = "document.pdf"

    @property
    def attachment_id(self) -> str:
        return stable_id("attachment", self.custom_id)


@dataclass(frozen=True)
class FormDef:
    name: str
    custom_id: str
    available_in: tuple[str, ...]  # status custom ids
    submit_to: dict[str, str]  # current status custom id -> next status custom id
    fields: tuple[FieldDef, ...]
    attachments: tuple[AttachmentDef, ...] = ()
    admin_only: bool = False

    @property
    def form_id(self) -> str:
        return stable_id("form", self.custom_id)


@dataclass(frozen=True)
class Step:
    """One way out of a status: where to (None = the project stays), how likely, how long, moved by whom."""

    to: str | None
    p: float
    median_days: float = 1.0
    sigma: float = 0.5
    by: str = "utility"  # "utility" or "applicant": who makes the move (the history's ChangedBy)
    unit: str = "business_days"  # what median_days counts: business_days or calendar_days
    #: a move on a timer: taken when the project has stayed this many calendar days and no other
    #: step came first (e.g. removed after 30 days without an answer)
    timer: float | None = None
    #: the step applies only to projects whose field matches: (FORM/FIELD, "in" | "over" | "at_most", values)
    when: tuple[str, str, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class Inquiries:
    """Inquiry threads opened on entering ``status``: ``rate`` of projects, notes alternating sides."""

    status: str
    rate: float
    closes_on: tuple[str, ...] = ()
    reply_days: tuple[float, float] = (1.5, 0.8)
    topics: tuple[tuple[str, str], ...] = (("Please send the missing document.", "Uploaded."),)


@dataclass(frozen=True)
class DeadlineDef:
    """A tariff deadline (custom ids): ``days`` in ``status``, or from ``start`` to ``end``; for one
    ``track`` value (None: the other projects); ``clock`` "utility" stops while the applicant holds."""

    days: float
    status: str | None = None
    start: str | None = None
    end: str | None = None
    unit: str = "business_days"
    track: str | None = None
    clock: str = "elapsed"


@dataclass
class ProgramDef:
    """One program as data (see definition.py): statuses, who holds each, the workflow with its
    probabilities and step durations, forms, inquiries, calendar and project-number prefix."""

    name: str
    custom: str
    prefix: str
    timezone: str
    statuses: tuple[Status, ...]
    forms: tuple[FormDef, ...]
    flow: dict[str, tuple[Step, ...]]
    start: str
    holders: dict[str, str] = field(default_factory=dict)  # status custom id -> utility/applicant/none
    inquiries: Inquiries | None = None
    holidays: tuple[str, str | None] = ("US", None)  # country, subdivision (the holidays package's codes)
    #: more days the program does not work: single days, and closures (first, last day) inclusive
    closed_days: tuple[date, ...] = ()
    closures: tuple[tuple[date, date], ...] = ()
    #: final status custom id -> its outcome (completed, withdrawn, rejected, cancelled): the truth an
    #: inferred profile is checked against
    outcomes: dict[str, str] = field(default_factory=dict)
    #: arrivals: the rate at the end over the rate at the start, and 12 monthly weights (None: flat)
    growth: float | None = None
    seasonality: tuple[float, ...] | None = None
    years: float = 3.0
    places: tuple[tuple[str, ...], str] = (("Springfield",), "")
    approves_attachments: frozenset[str] = frozenset()
    #: The utility's deadlines: what the program's tariff says, seeded into a sandbox workspace's
    #: profile, since no API answer carries them.
    deadlines: tuple[DeadlineDef, ...] = ()
    #: deviations from the workflow to inject into generated histories, {kind: projects} (deviations.py)
    deviations: dict[str, int] = field(default_factory=dict)
    source: str = ""  # the definition file or built-in name it was loaded from

    @property
    def transitions(self) -> dict[str, tuple[str, ...]]:
        """Valid next statuses for SetProjectStatus [v1: "only a valid next status"]."""
        return {s: tuple(step.to for step in steps if step.to is not None) for s, steps in self.flow.items()}

    @property
    def terminal(self) -> frozenset[str]:
        return frozenset(s for s, steps in self.flow.items() if not any(step.to for step in steps))

    @property
    def program_id(self) -> str:
        return stable_id("program", self.custom)

    def status(self, key: str) -> Status | None:
        """Resolve a status by public id, custom id or name."""
        for s in self.statuses:
            if key in (s.status_id, s.custom_id, s.name):
                return s
        return None

    def form(self, key: str) -> FormDef | None:
        for f in self.forms:
            if key in (f.form_id, f.custom_id):
                return f
        return None

    def field(self, key: str) -> tuple[FormDef, FieldDef] | None:
        for f in self.forms:
            for d in f.fields:
                if key in (d.field_id, d.custom_id):
                    return f, d
        return None
