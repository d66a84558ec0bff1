"""Decision counts (Maryland's and Illinois' received / approved / denied by level, with capacity) on
a program built by hand, every figure counted by hand below: a request re-entered after a deficiency
counted once, a decision before the period not counted, a withdrawal after approval and one without
it, a decision after the period's end not seen, levels by size (largest size inclusive, larger ones
`other`, unknown sizes `unknown`), and a request made late on December 31st in the program's zone
(January 1st in UTC) counted in the local year. The period and dates are data: no clock is read."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from pcnb.analytics import Calendar
from pcnb.compliance import period
from pcnb.compliance.counts import count_cases, count_table, size_tiers
from pcnb.compliance.rules import RulesError, from_dict

LA = ZoneInfo("America/Los_Angeles")
CAL = Calendar.us_federal("America/Los_Angeles")
STATUSES = ["Submitted", "Deficiency", "Approved", "Built", "Withdrawn", "Denied"]
ROLES = {"intake": "Submitted", "approval": "Approved", "completion": "Built"}
EXITS = {"completed": ["Built"], "withdrawn": ["Withdrawn"], "rejected": ["Denied"], "cancelled": []}
HISTORIES = {  # (status, local day, local hour)
    "A": [("Submitted", "2025-02-03", 12), ("Approved", "2025-03-03", 12), ("Built", "2025-06-02", 12)],
    "B": [("Submitted", "2024-11-04", 12), ("Deficiency", "2024-11-20", 12), ("Submitted", "2025-01-10", 12),
          ("Approved", "2025-02-06", 12)],  # received in 2024, re-entered in 2025: not a 2025 request
    "C": [("Submitted", "2025-04-01", 12), ("Deficiency", "2025-04-08", 12), ("Submitted", "2025-05-01", 12),
          ("Denied", "2025-05-20", 12)],  # re-entered: one request
    "D": [("Submitted", "2025-07-01", 12), ("Approved", "2025-08-01", 12), ("Withdrawn", "2025-09-02", 12)],
    "E": [("Submitted", "2025-07-07", 12), ("Withdrawn", "2025-07-21", 12)],  # withdrawn, never approved
    "F": [("Submitted", "2025-12-01", 12), ("Approved", "2026-01-05", 12)],  # approved after the year
    "G": [("Submitted", "2025-12-31", 23)],  # 23:00 in Los Angeles: 2026-01-01 in UTC
    "H": [("Submitted", "2024-12-31", 23)],  # the year before, locally
}
SIZES = {"A": 8.0, "B": 20.0, "C": 20.5, "D": 1500.0, "E": 12000.0, "F": 5.0, "G": None, "H": 3.0}
RULES = {"name": "Requests by level", "source": "a test rule", "period": "year", "tier_by": "size",
         "size_tiers": {"Level 1": 20, "Level 2": 2000, "Level 4": 10000}, "capacity": "kW",
         "statuses": {"received": "role:intake", "approved": "role:approval", "withdrawn": "exit:withdrawn"},
         "counts": [{"name": "Received", "entered": "received"}, {"name": "Approved", "entered": "approved"},
                    {"name": "Denied", "entered": "exit:rejected"},
                    {"name": "Approved and withdrawn", "entered": "withdrawn", "after": "approved"}]}


def _changed(change: dict[str, object]) -> dict[str, object]:
    """RULES with ``change``: a key given as None is left out."""
    return {k: v for k, v in {**RULES, **change}.items() if v is not None}


@pytest.fixture(scope="module")
def events() -> pl.DataFrame:
    rows = [(pid, i, status, datetime.combine(date.fromisoformat(day), datetime.min.time().replace(hour=hour), LA)
             .astimezone(ZoneInfo("UTC")))
            for pid, moves in HISTORIES.items() for i, (status, day, hour) in enumerate(moves, 1)]
    return pl.DataFrame(rows, orient="row", schema={"project_id": pl.String, "seq": pl.Int64, "status": pl.String,
                                                    "ts": pl.Datetime("us", "UTC")})


EXPORTS = {"A": 7.5, "B": 20.0, "C": 20.0, "D": 1000.0, "E": None, "F": 5.0, "G": None}  # H never filed one


def _counted(events: pl.DataFrame, label: str = "2025", **change: object) -> tuple[pl.DataFrame, pl.DataFrame]:
    rules = from_dict(_changed(change), STATUSES, ROLES, EXITS)
    sizes = pl.DataFrame({"project_id": list(SIZES), "size": list(SIZES.values())},
                         schema={"project_id": pl.String, "size": pl.Float64})
    if rules.export_field:  # as pcnb.compliance.inputs.sizes joins the export field's values
        exports = pl.DataFrame({"project_id": list(EXPORTS), "export": list(EXPORTS.values())},
                               schema={"project_id": pl.String, "export": pl.Float64})
        sizes = sizes.join(exports, on="project_id", how="full", coalesce=True)
    tiers = size_tiers(sizes, rules)
    first, last = period.parse(label)
    found = count_cases(events, rules, CAL, (first, last), period.end_instant(last, CAL.timezone), tiers, sizes)
    return count_table(found, rules), found


def test_each_count_by_hand(events):
    table, found = _counted(events)
    members = {c: sorted(found.filter(pl.col("count") == c)["project_id"]) for c in
               ("Received", "Approved", "Denied", "Approved and withdrawn")}
    assert members == {"Received": ["A", "C", "D", "E", "F", "G"],  # B and H in 2024; C once; G local Dec 31
                       "Approved": ["A", "B", "D"],  # F approved in 2026: not seen at the year's end
                       "Denied": ["C"], "Approved and withdrawn": ["D"]}  # E never approved
    rows = {(r["count"], r["tier"]): (r["projects"], r["capacity_kW"]) for r in table.iter_rows(named=True)}
    # levels: A 8 and F 5 -> Level 1, C 20.5 and D 1500 -> Level 2, E 12000 -> other, G unknown
    assert rows[("Received", "Level 1")] == (2, 13.0)
    assert rows[("Received", "Level 2")] == (2, 1520.5)
    assert rows[("Received", "Level 4")] == (0, 0.0)  # a level with nothing still has its row
    assert rows[("Received", "other")] == (1, 12000.0)
    assert rows[("Received", "unknown")] == (1, 0.0)
    assert rows[("Approved", "Level 1")] == (2, 28.0)  # A 8 + B 20 (20 is Level 1: the largest size inclusive)
    # the file's order: counts as written, tiers smallest first
    assert table["count"].unique(maintain_order=True).to_list() == ["Received", "Approved", "Denied",
                                                                    "Approved and withdrawn"]
    assert table.filter(pl.col("count") == "Denied")["tier"].to_list()[:3] == ["Level 1", "Level 2", "Level 4"]


def test_a_point_in_time_cut(events):
    """At the end of 2025H1, D's approval (August) is not yet seen, nor C's denial in a later half."""
    _, found = _counted(events, "2025H1", period="half")
    assert sorted(found.filter(pl.col("count") == "Approved")["project_id"]) == ["A", "B"]
    assert sorted(found.filter(pl.col("count") == "Received")["project_id"]) == ["A", "C"]


def test_without_capacity_or_tiers_the_table_is_plain_counts(events):
    table, _ = _counted(events, tier_by=None, size_tiers=None, capacity=None)
    assert table.columns == ["count", "tier", "projects"]
    assert dict(zip(table["count"], table["projects"], strict=True)) == {
        "Received": 6, "Approved": 3, "Denied": 1, "Approved and withdrawn": 1}


def test_export_capacity_is_summed_beside_the_nameplate(events):
    """Illinois asks for nameplate and export capacity: both in one table, one run."""
    table, found = _counted(events, export_field="INTERCONNECTION/EXPORT_KW")
    rows = {(r["count"], r["tier"]): (r["projects"], r["capacity_kW"], r["export_capacity_kW"])
            for r in table.iter_rows(named=True)}
    assert rows[("Received", "Level 1")] == (2, 13.0, 12.5)  # A 7.5 + F 5 export
    assert rows[("Received", "Level 2")] == (2, 1520.5, 1020.0)  # C 20 + D 1000
    assert rows[("Received", "other")] == (1, 12000.0, 0.0)  # E filed no export value
    assert found.columns[-1] == "export"
    plain, _ = _counted(events)
    assert "export_capacity_kW" not in plain.columns  # only a rule file with export_field gets the column
    from pcnb.compliance.counts import sentences
    rules = from_dict(_changed({"export_field": "INTERCONNECTION/EXPORT_KW"}), STATUSES, ROLES, EXITS)
    said = sentences(table, rules, "2025")[0]
    assert said.startswith("Received in 2025: 6 projects (13,533.5 kW, 1,032.5 kW export)"), said


@pytest.mark.parametrize(("change", "words"), [
    ({"export_field": "EXPORT_KW"}, "export_field: 'EXPORT_KW' does not match"),
    ({"export_field": "F/EXPORT_KW", "capacity": None}, "`capacity` names none"),
    ({"counts": [{"name": "Received", "entered": "Submited"}]}, "did you mean 'Submitted'"),
    ({"counts": [{"name": "Gone", "entered": "exit:vanished"}]}, "not an exit; use one of exit:completed"),
    ({"counts": [{"name": "X", "entered": "received"}, {"name": "X", "entered": "approved"}]}, "same name"),
    ({"size_tiers": {"Level 1": 2000, "Level 2": 20}}, "must grow"),
    ({"size_tiers": None}, "tier_by: size needs `size_tiers`"),
    ({"counts": None}, "neither steps nor counts"),
    ({"counts": [{"name": "X", "entered": "received", "when": "now"}]}, "keys: name, entered, after"),
])
def test_bad_counts_are_refused_with_the_key_and_fix(change, words):
    with pytest.raises(RulesError) as err:
        from_dict(_changed(change), STATUSES, ROLES, EXITS)
    assert words in str(err.value)
