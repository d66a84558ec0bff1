"""Reporting periods as regulators name them: 2025Q3, 2025H1, 2025."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from pcnb import clock
from pcnb.errors import ConfigError

_FORM = re.compile(r"^(\d{4})(?:(Q)([1-4])|(H)([12]))?$")


def parse(text: str) -> tuple[date, date]:
    """The first and last local day of ``text`` (2025Q3: July 1 to September 30)."""
    m = _FORM.match(text.strip().upper())
    if not m:
        raise ConfigError(f"period {text!r} is not a quarter, half-year or year",
                          "write it as 2025Q3, 2025H1 or 2025")
    year = int(m.group(1))
    if m.group(2):
        first_month, months = 3 * (int(m.group(3)) - 1) + 1, 3
    elif m.group(4):
        first_month, months = 6 * (int(m.group(5)) - 1) + 1, 6
    else:
        first_month, months = 1, 12
    first = date(year, first_month, 1)
    after = date(year + (first_month + months - 1) // 12, (first_month + months - 1) % 12 + 1, 1)
    return first, after - timedelta(days=1)


def kind(text: str) -> str:
    """quarter, half or year: the kind of period ``text`` names (as a rule file's ``period`` says it)."""
    parse(text)  # a malformed period is said as such first
    m = _FORM.match(text.strip().upper())
    assert m is not None
    return "quarter" if m.group(2) else "half" if m.group(4) else "year"


def previous(text: str) -> str:
    """The period before ``text`` of the same kind (2025Q1 -> 2024Q4)."""
    first, _ = parse(text)
    m = _FORM.match(text.strip().upper())
    assert m is not None
    if m.group(2):
        q = int(m.group(3)) - 1
        return f"{first.year - 1}Q4" if q == 0 else f"{first.year}Q{q}"
    if m.group(4):
        return f"{first.year - 1}H2" if m.group(5) == "1" else f"{first.year}H1"
    return str(first.year - 1)


def end_instant(last: date, timezone: str) -> datetime:
    """The period's last instant: the end of its last local day, in UTC."""
    return clock.end_of_day(last, timezone)
