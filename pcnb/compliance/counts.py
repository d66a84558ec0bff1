"""Decision counts: the report shapes that count requests rather than days (Maryland's received /
approved / denied by level, Illinois' received / studied / approved and installed / withdrawn /
denied, with their capacity).

A project is counted under a count when its first entry into one of the count's statuses falls on a
local day of the period, as the data stood at the period's end (a re-entry after a deficiency is the
same request, not a second one). ``after`` keeps only projects that had entered one of its statuses
before (approved and then withdrawn). Each project is counted in its tier (level), and with
``capacity`` its size is summed: the regulator's "count and capacity" (with ``export_field``, the
export capacity too, beside the nameplate size: Illinois asks for both).
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from pcnb.analytics.calendar import Calendar
from pcnb.compliance.rules import RuleSet

COUNT_CASE_SCHEMA: dict[str, pl.DataType] = {
    "count": pl.String(), "tier": pl.String(), "project_id": pl.String(), "entered": pl.Datetime("us", "UTC"),
    "status": pl.String(), "size": pl.Float64()}


def size_tiers(sizes: pl.DataFrame, rules: RuleSet) -> pl.DataFrame:
    """project_id, tier: the first of the rule file's ``size_tiers`` each project's size fits (its
    largest size inclusive); larger ones are ``other``, an unknown size ``unknown``."""
    tier: pl.Expr = pl.lit("other")
    for name, top in reversed(rules.size_tiers):
        tier = pl.when(pl.col("size") <= top).then(pl.lit(name)).otherwise(tier)
    return sizes.select("project_id", pl.when(pl.col("size").is_null()).then(pl.lit("unknown"))
                        .otherwise(tier).alias("tier"))


def count_cases(events: pl.DataFrame, rules: RuleSet, calendar: Calendar, period: tuple[date, date],
                period_end: datetime, tiers: pl.DataFrame | None = None,
                sizes: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per (count, project) counted in the period: its tier, the instant and status it
    entered, and its size (when ``sizes``: project_id, size, and ``export`` when the rule file sums
    export capacity)."""
    seen = events.filter(pl.col("ts") <= period_end).with_columns(pl.col("status").cast(pl.String))
    first_day, last_day = period
    parts = []
    for count in rules.counts:
        hit = seen.filter(pl.col("status").is_in(list(count.entered))).group_by("project_id").agg(
            pl.col("ts").min().alias("entered"), pl.col("status").sort_by("ts").first())
        if count.after:
            before = seen.filter(pl.col("status").is_in(list(count.after))).group_by("project_id").agg(
                pl.col("ts").min().alias("_before"))
            hit = hit.join(before, on="project_id").filter(pl.col("_before") < pl.col("entered")).drop("_before")
        day = calendar.local_date("entered")
        parts.append(hit.filter((day >= first_day) & (day <= last_day)).with_columns(pl.lit(count.name).alias("count")))
    found = pl.concat(parts) if parts else pl.DataFrame(schema={"project_id": pl.String})
    schema = COUNT_CASE_SCHEMA | ({"export": pl.Float64()} if sizes is not None and "export" in sizes.columns else {})
    if found.height == 0:
        return pl.DataFrame(schema=schema)
    if tiers is not None:
        found = found.join(tiers.select("project_id", pl.col("tier").cast(pl.String)), on="project_id", how="left")
    else:
        found = found.with_columns(pl.lit(None, pl.String).alias("tier"))
    if sizes is not None:
        found = found.join(sizes.select("project_id", *(pl.col(c).cast(pl.Float64) for c in schema if c in sizes.columns
                                                         and c != "project_id")), on="project_id", how="left")
    else:
        found = found.with_columns(pl.lit(None, pl.Float64).alias("size"))
    return found.select(list(schema)).sort("count", "tier", "project_id", nulls_last=True)


def count_table(found: pl.DataFrame, rules: RuleSet) -> pl.DataFrame:
    """One row per count and tier (the file's tiers in order, then any other), the projects and,
    with ``capacity``, their summed size; every count and tier has a row, zeros included, so a
    period's table always has the regulator's shape."""
    order = [t for t, _ in rules.size_tiers] if rules.tier_by == "size" else []
    seen = sorted({t for t in found["tier"].to_list() if t is not None and t not in order}) if found.height else []
    tiers: list[str | None] = [*order, *seen] if rules.tier_by else [None]
    rows = []
    for count in rules.counts:
        mine = found.filter(pl.col("count") == count.name)
        for tier in tiers:
            part = mine.filter(pl.col("tier") == tier) if tier is not None else mine
            size = part["size"].sum() if part.height else 0.0
            export = part["export"].sum() if part.height and "export" in part.columns else 0.0
            rows.append((count.name, tier, part.height, round(float(size), 4) if rules.capacity else None,
                         round(float(export), 4)))
    unit = f"capacity_{rules.capacity}" if rules.capacity else "capacity"
    out = pl.DataFrame(rows, orient="row", schema={"count": pl.String, "tier": pl.String, "projects": pl.Int64,
                                                    unit: pl.Float64, f"export_{unit}": pl.Float64})
    if not (rules.capacity and rules.export_field):
        out = out.drop(f"export_{unit}")
    return out if rules.capacity else out.drop(unit)


def sentences(table: pl.DataFrame, rules: RuleSet, label: str) -> list[str]:
    """Page 1 of a counts report: each count over every tier, with its capacity, then per tier."""
    unit = f"capacity_{rules.capacity}" if rules.capacity else None
    out = []
    for count in rules.counts:
        mine = table.filter(pl.col("count") == count.name)
        total = int(mine["projects"].sum())
        size = f" ({mine[unit].sum():,.1f} {rules.capacity}" if unit and total else ""
        if size and f"export_{unit}" in mine.columns:
            size += f", {mine[f'export_{unit}'].sum():,.1f} {rules.capacity} export"
        size += ")" if size else ""
        by_tier = ", ".join(f"{r['tier']} {r['projects']:,}" for r in mine.iter_rows(named=True)
                            if r["tier"] is not None and r["projects"])
        out.append(f"{count.name} in {label}: {total:,} project{'s' if total != 1 else ''}{size}"
                   + (f" ({by_tier})." if by_tier else "."))
    return out


__all__ = ["COUNT_CASE_SCHEMA", "count_cases", "count_table", "sentences", "size_tiers"]
