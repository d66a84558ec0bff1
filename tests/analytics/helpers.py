"""Hand-computed event histories shared by the analytics tests (Los Angeles time, July 2024)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import polars as pl

from pcnb.analytics import (
    Calendar,
)

LA = ZoneInfo("America/Los_Angeles")


CAL = Calendar("America/Los_Angeles", holidays=(date(2024, 7, 4),))


AS_OF = datetime(2024, 7, 15, 12, tzinfo=LA).astimezone(UTC)


def _la(m, d, h):
    return datetime(2024, m, d, h, tzinfo=LA).astimezone(UTC)


def events(rows) -> pl.DataFrame:
    return pl.DataFrame([{"project_id": p, "seq": i, "status": s, "ts": t} for i, (p, s, t) in enumerate(rows)],
                        schema={"project_id": pl.String, "seq": pl.Int32, "status": pl.String,
                                "ts": pl.Datetime("us", "UTC")})


FIXTURE = events([
    ("P1", "Submitted", _la(7, 1, 16)), ("P1", "Under Review", _la(7, 2, 9)),
    ("P1", "Pending Applicant", _la(7, 5, 12)), ("P1", "Under Review", _la(7, 10, 10)),
    ("P1", "Approved", _la(7, 12, 15)),
])


#: the residential sandbox program's final statuses
EXITS = ("Permission to Operate", "Withdrawn", "Rejected")
