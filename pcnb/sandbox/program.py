"""The synthetic interconnection program the sandbox serves: statuses, workflow and forms.

Shaped like a real utility DER interconnection program: Unsubmitted -> Application
Submitted -> Application Review -> (Returned to Applicant <-> Review) -> Approved to Install ->
Inspection Pending -> Permission to Operate, with Withdrawn and Rejected exits.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


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

    @property
    def field_id(self) -> str:
        return stable_id("field", self.custom_id)


@dataclass(frozen=True)
class AttachmentDef:
    name: str
    custom_id: str

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


UNSUBMITTED, SUBMITTED, REVIEW, RETURNED = "UNSUBMITTED", "SUBMITTED", "REVIEW", "RETURNED"
APPROVED, INSPECTION, PTO, WITHDRAWN, REJECTED = "APPROVED", "INSPECTION", "PTO", "WITHDRAWN", "REJECTED"

STATUSES: tuple[Status, ...] = (
    Status("Unsubmitted", UNSUBMITTED),
    Status("Application Submitted", SUBMITTED),
    Status("Application Review", REVIEW),
    Status("Returned to Applicant", RETURNED),
    Status("Approved to Install", APPROVED),
    Status("Inspection Pending", INSPECTION),
    Status("Permission to Operate", PTO),
    Status("Withdrawn", WITHDRAWN),
    Status("Rejected", REJECTED),
)
TERMINAL = frozenset({PTO, WITHDRAWN, REJECTED})

#: Valid next statuses for SetProjectStatus [v1: "only a valid next status"].
TRANSITIONS: dict[str, tuple[str, ...]] = {
    UNSUBMITTED: (SUBMITTED, WITHDRAWN),
    SUBMITTED: (REVIEW, WITHDRAWN, REJECTED),
    REVIEW: (RETURNED, APPROVED, REJECTED, WITHDRAWN),
    RETURNED: (REVIEW, WITHDRAWN),
    APPROVED: (INSPECTION, WITHDRAWN),
    INSPECTION: (PTO, APPROVED),
    PTO: (),
    WITHDRAWN: (),
    REJECTED: (),
}

TECHNOLOGIES = ("Solar PV", "Solar PV + Storage", "Storage", "Wind", "Fuel Cell")

APPLICATION = FormDef(
    name="Interconnection Application",
    custom_id="APPLICATION",
    available_in=(UNSUBMITTED, RETURNED),
    submit_to={UNSUBMITTED: SUBMITTED, RETURNED: REVIEW},
    fields=(
        FieldDef("System Size (kW AC)", "SYSTEM_SIZE_KW", "Number", required=True, min=0.1, max=5000),
        FieldDef("Technology", "TECHNOLOGY", "Choice", required=True, choices=TECHNOLOGIES),
        FieldDef("Installer", "INSTALLER", "Text", required=True),
        FieldDef("Site Address", "SITE_ADDRESS", "Text", required=True),
        FieldDef("Customer Account Number", "ACCOUNT_NUMBER", "Text", sensitive=True),
        FieldDef("Expected Install Date", "EXPECTED_INSTALL_DATE", "Date"),
        FieldDef("Net Metering", "NET_METERING", "Boolean"),
        FieldDef("Inverter Models", "INVERTER_MODELS", "Text", multi=True),
    ),
    attachments=(AttachmentDef("Single Line Diagram", "SLD"),),
)
COMPLETION = FormDef(
    name="Installation Completion",
    custom_id="COMPLETION",
    available_in=(APPROVED,),
    submit_to={APPROVED: INSPECTION},
    fields=(
        FieldDef("Installation Date", "INSTALL_DATE", "Date", required=True),
        FieldDef("Final System Size (kW AC)", "FINAL_SIZE_KW", "Number", required=True, min=0.1, max=5000),
    ),
    attachments=(AttachmentDef("Inspection Certificate", "INSPECTION_CERT"),),
)
REVIEW_FORM = FormDef(
    name="Utility Review",
    custom_id="UTILITY_REVIEW",
    available_in=(SUBMITTED, REVIEW, RETURNED, APPROVED, INSPECTION),
    submit_to={},
    fields=(
        FieldDef("Study Required", "STUDY_REQUIRED", "Boolean"),
        FieldDef("Reviewer Notes", "REVIEWER_NOTES", "Text"),
        FieldDef("Feeder", "FEEDER", "Choice", choices=("F-101", "F-102", "F-201", "F-305", "F-410")),
    ),
    admin_only=True,
)
FORMS: tuple[FormDef, ...] = (APPLICATION, COMPLETION, REVIEW_FORM)


@dataclass
class ProgramDef:
    """One program: its id, name, project-number prefix and the shared workflow/forms."""

    name: str = "Distributed Generation Interconnection"
    custom: str = "DGI"
    prefix: str = "DGI"
    timezone: str = "America/Los_Angeles"
    statuses: tuple[Status, ...] = STATUSES
    forms: tuple[FormDef, ...] = FORMS
    transitions: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(TRANSITIONS))

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
