"""PowerClerk API V2 wire-contract constants shared by the client and the sandbox.

Why one module: the public V2 documentation leaves many facts open, so some values here are tagged
**[assumed]** (the others **[doc]**: documented, or **[v1]**: as V1 behaves). Keeping every such
choice here (formats, limits, names) means a corrected assumption is changed in one place and the
client and the sandbox move together. Nothing here does I/O.
"""

from __future__ import annotations

import re
from datetime import datetime

#: Documented API bases and token URLs per environment [doc].
ENVIRONMENTS: dict[str, dict[str, str]] = {
    "trial": {
        "base_url": "https://api.cleanpowerdemo.com/PCITrial/services/v2",
        "token_url": "https://identity.cleanpowerdemo.com/PCITrial/connect/token",
    },
    "production": {
        "base_url": "https://api.powerclerk.com/services/v2",
        "token_url": "https://identity.powerclerk.com/connect/token",
    },
}

#: Header names [doc].
API_KEY_HEADER = "X-ApiKey"
MFA_OTP_HEADER = "Mfa-One-Time-Password"
MFA_SESSION_HEADER = "Mfa-Session-Token"
REQUEST_ID_HEADER = "x-amzn-RequestId"

#: Public ids are 12 upper-case alphanumerics [doc], but custom ids and project numbers are accepted
#: in their place, so the client only rejects what can never be valid in a URL segment.
URL_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")

#: changed_since formats [doc]: yyyy-MM-ddTHH:mm:sszzz or yyyy-MM-ddTHH:mm:ss.FFFFFFFzzz.
CHANGED_SINCE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?[+-]\d{2}:\d{2}$")

MAX_PAGE_LIMIT = 1000  # [doc] GetProjects limit maximum
RATE_LIMIT_PER_MINUTE = 60  # [doc] operations per minute per API key

THREAD_STATUSES = ("Open", "Closed")  # [assumed]
#: SetAttachmentMetadata verbs -> resulting AttachmentStatus [v1]; "Save" keeps the status.
ATTACHMENT_ACTIONS = {"Approve": "Approved", "Reject": "Rejected", "Unmark": "Pending", "Save": None}

#: Collections that XML carries as wrapper elements, mapped to their item element name [assumed].
XML_LISTS: dict[str, str] = {
    "Programs": "Program",
    "Forms": "Form",
    "AvailableInStatuses": "Status",
    "DataFields": "DataField",
    "Attachments": "Attachment",
    "Choices": "Choice",
    "Values": "Value",
    "Projects": "Project",
    "ProjectNumbers": "ProjectNumber",
    "Fields": "Field",
    "Statuses": "Status",
    "StatusHistory": "Status",
    "InquiryThreads": "InquiryThread",
    "Notes": "Note",
    "Errors": "Error",
    "Groups": "Group",
}
#: Attribute types restored when parsing XML (everything else stays a string) [assumed].
XML_BOOLS = frozenset({"IsAdmin", "CanSubmit", "Required", "MultiInstance", "Sensitive"})
XML_NUMBERS = frozenset({"Min", "Max", "FileSize", "HierarchyLevel", "expires_in"})


def format_changed_since(value: datetime) -> str:
    """Format a tz-aware datetime as the strict ``yyyy-MM-ddTHH:mm:ss[.fffffff]zzz`` V2 expects.

    A naive datetime is refused: the server would read it in an unknown zone and a sync could
    silently skip hours of changes.
    """
    if not isinstance(value, datetime):
        raise TypeError(f"changed_since must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            "changed_since must be timezone-aware (a naive datetime is ambiguous); "
            "use e.g. datetime(..., tzinfo=timezone.utc)"
        )
    text = value.isoformat(timespec="microseconds" if value.microsecond else "seconds")
    return text.replace("Z", "+00:00")


def parse_timestamp(text: str | None) -> datetime | None:
    """Parse an ISO 8601 timestamp with offset as sent by V2 (inquiry dates use ``zz`` = ``-07``)."""
    if not text:
        return None
    t = text.strip().replace("Z", "+00:00")
    if re.search(r"[+-]\d{2}$", t):
        t += ":00"
    return datetime.fromisoformat(t)


def parse_changed_since(text: str) -> datetime:
    """Strictly parse a changed_since value as the V2 server does (400 on anything else)."""
    if not CHANGED_SINCE_RE.match(text or ""):
        raise ValueError(
            f"changed_since {text!r} is not in the format yyyy-MM-ddTHH:mm:sszzz "
            "(e.g. 2024-07-01T16:00:00-07:00)"
        )
    head, _, frac_tz = text.partition(".")
    if frac_tz:  # .NET allows 7 fractional digits; Python takes 6
        digits = re.match(r"\d+", frac_tz).group(0)  # type: ignore[union-attr]
        text = f"{head}.{digits[:6].ljust(6, '0')}{frac_tz[len(digits):]}"
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:  # right shape, no real instant: month 13, year 0, offset +99:00...
        raise ValueError(f"changed_since {text!r} is not a real date and time ({exc})") from None
