"""Every case behind a compliance figure: per project and step, the days counted, whose days they
were, and the verdict, as the data stood at the end of the reporting period.

A step runs from a project's first entry into its ``start`` status to its first entry into ``end``
afterwards. Its days are split by who held the project in each status visited in between (the
profile's holders, and the rule set's third-party statuses): utility, applicant, third party. With
``clock: utility`` only the utility's days count, which is the quantity regulators enforce and
disputes are about. The figures are a point-in-time cut: events after the period's end are not seen,
so a project open and late at quarter end is C even if it finished the next day.

Verdicts: ``completed`` (entered ``end`` within the period) and ``late`` when its counted days exceed
the step's; ``open late`` (not finished at the period's end, already past the days); ``open`` (within
the days so far); ``exited`` (ended in a final status other than ``end``: a withdrawal, in no column).
A step that finished before the period began is not a case of this period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

import polars as pl

from pcnb.analytics.calendar import Calendar
from pcnb.analytics.intervals import status_intervals
from pcnb.compliance.rules import RuleSet
from pcnb.errors import ConfigError

CASE_SCHEMA: dict[str, pl.DataType] = {
    "step": pl.String(), "tier": pl.String(), "project_id": pl.String(), "started": pl.Datetime("us", "UTC"),
    "ended": pl.Datetime("us", "UTC"), "utility_days": pl.Float64(), "applicant_days": pl.Float64(),
    "third_party_days": pl.Float64(), "counted_days": pl.Float64(), "allowed_days": pl.Float64(),
    "verdict": pl.String()}


def holder_of(holders: Mapping[str, str], third_party: Sequence[str]) -> pl.Expr:
    """utility / applicant / third party for each stay's status (a final status holds nothing)."""
    by = {**{s: ("applicant" if h == "applicant" else "utility" if h == "utility" else "none")
             for s, h in holders.items()}, **dict.fromkeys(third_party, "third party")}
    return pl.col("status").cast(pl.String).replace_strict(by, default="utility", return_dtype=pl.String)


def held_stays(events: pl.DataFrame, calendar: Calendar, at: datetime, final: Sequence[str],
                holders: Mapping[str, str], unit: str = "business_days",
                third_party: Sequence[str] = ()) -> pl.DataFrame:
    """Every stay at ``at`` with its ``days`` in ``unit`` (an open one: its age so far) and its
    ``holder`` (utility, applicant, third party or none): what steps and whose clock are summed from."""
    iv = status_intervals(events, calendar, at, terminal=final)
    closed, age = ("business_days", "age_business_days") if unit == "business_days" else (
        "calendar_days", "age_calendar_days")
    return iv.with_columns(pl.coalesce(pl.col(closed).cast(pl.Float64), pl.col(age).cast(pl.Float64)).alias("days"),
                           holder_of(holders, third_party).alias("holder"))


def stays_in_steps(events: pl.DataFrame, rules: RuleSet, calendar: Calendar, period_end: datetime,
                   final: Sequence[str], holders: Mapping[str, str]) -> pl.DataFrame:
    """One row per stay inside a step (step, project_id, status, holder, entered, left, days), as the
    data stood at ``period_end``: the audit trail's detail."""
    iv = held_stays(events, calendar, period_end, final, holders, rules.unit, rules.third_party)
    parts = []
    for step in rules.steps:
        t0 = iv.filter(pl.col("status") == step.start).group_by("project_id").agg(
            pl.col("entered").min().alias("started"))
        d = iv.join(t0, on="project_id").filter(pl.col("entered") >= pl.col("started"))
        t1 = d.filter(pl.col("status") == step.end).group_by("project_id").agg(pl.col("entered").min().alias("ended"))
        d = d.join(t1, on="project_id", how="left").filter(
            (pl.col("ended").is_null() | (pl.col("entered") < pl.col("ended")))
            & ~pl.col("status").is_in(list(final)))  # a final status ends the step, it is no stay of it
        parts.append(d.select(pl.lit(step.name).alias("step"), "project_id", pl.col("status").cast(pl.String),
                              "holder", "entered", pl.col("exited").alias("left"), "days", "started", "ended",
                              pl.col("next_status").cast(pl.String)))
    if not parts:
        return pl.DataFrame()
    return pl.concat(parts).sort("step", "project_id", "entered")


def cases(events: pl.DataFrame, rules: RuleSet, calendar: Calendar, period: tuple[date, date],
          period_end: datetime, final: Sequence[str], holders: Mapping[str, str],
          tiers: pl.DataFrame | None = None, stays: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per (step, project) that is a case of the period (see the module doc), sorted.
    ``tiers`` (project_id, tier) for a rule file with ``tier_by``: each case is judged by its tier's
    days, or ``other``'s; a tier without either is the verdict "no rule for its tier". ``stays``:
    :func:`stays_in_steps` at ``period_end``, when the caller has built them already (a pack does)."""
    if rules.tier_by and tiers is None:
        raise ConfigError("the rule file gives days per tier, but no project's tier is known",
                          "set the profile's track field: `%powerclerk profile set segments.track FORM/FIELD`")
    if stays is None:
        stays = stays_in_steps(events, rules, calendar, period_end, final, holders)
    if stays.height == 0:
        return pl.DataFrame(schema=CASE_SCHEMA)
    steps = {s.name: s for s in rules.steps}
    ends = {s.name: s.end for s in rules.steps}
    split = stays.group_by("step", "project_id").agg(
        pl.col("started").first(), pl.col("ended").first(),
        *[pl.col("days").filter(pl.col("holder") == h).sum().alias(f"{h.replace(' ', '_')}_days")
          for h in ("utility", "applicant", "third party")],
        pl.col("days").sum().alias("_all"),
        # the last stay's next status: a final status other than the step's end is an exit
        pl.col("next_status").sort_by("entered").last().alias("_next"),
        pl.col("left").sort_by("entered").last().is_null().alias("_open"),
        pl.col("left").sort_by("entered").last().alias("_gone"))
    counted = pl.col("utility_days") if rules.clock == "utility" else pl.col("_all")
    if tiers is not None and rules.tier_by:
        split = split.join(tiers.select("project_id", pl.col("tier").cast(pl.String)), on="project_id", how="left")
    else:
        split = split.with_columns(pl.lit(None, pl.String).alias("tier"))
    allowed = pl.struct("step", "tier").map_elements(lambda r: steps[r["step"]].allowed(r["tier"]),
                                                     return_dtype=pl.Float64)
    split = split.with_columns(counted.alias("counted_days"), allowed.alias("allowed_days"),
                               pl.col("step").replace_strict(ends, return_dtype=pl.String).alias("_end"))
    first, last = period
    local = calendar.local_date("ended")
    done = pl.col("ended").is_not_null()
    exited = ~done & ~pl.col("_open") & pl.col("_next").is_in(list(final)) & (pl.col("_next") != pl.col("_end"))
    late = pl.col("counted_days") > pl.col("allowed_days")
    verdict = (pl.when(pl.col("allowed_days").is_null()).then(pl.lit("no rule for its tier"))
               .when(done & late).then(pl.lit("late")).when(done).then(pl.lit("completed"))
               .when(exited).then(pl.lit("exited")).when(late).then(pl.lit("open late")).otherwise(pl.lit("open")))
    out = split.with_columns(verdict.alias("verdict"))
    began = calendar.local_date("started") <= last
    in_period = ((done & (local >= first) & (local <= last))
                 | (exited & began & (calendar.local_date("_gone") >= first))
                 | (~done & ~exited & began))
    return out.filter(in_period).select(list(CASE_SCHEMA)).sort("step", "tier", "project_id", nulls_last=True)


def table(found: pl.DataFrame, rules: RuleSet) -> pl.DataFrame:
    """The regulator's table, one row per step (and tier): A completed, B completed late, C open and
    late at the period's end, D mean counted days of the completed, E percent late = (B + C) / (A + C);
    and the cases in no column (open within, exited, no rule for their tier), so every case is in one
    place. Steps with a ``target`` under their maximum add it and the completed cases within it."""
    rows = []
    for step in rules.steps:
        mine = found.filter(pl.col("step") == step.name)
        if not step.tiers:
            rows.append(_row(step.name, None, step.days, step.target, mine))
            continue
        named = [t for t, _ in step.tiers if t != "other"]
        for tier in named:
            rows.append(_row(step.name, tier, step.allowed(tier), step.target, mine.filter(pl.col("tier") == tier)))
        rest = mine.filter(~pl.col("tier").is_in(named) | pl.col("tier").is_null())
        if rest.height or "other" in dict(step.tiers):  # other tiers: judged by `other`, or no rule
            rows.append(_row(step.name, "other", dict(step.tiers).get("other"), step.target, rest))
    out = pl.DataFrame(rows, orient="row", schema={
        "step": pl.String, "tier": pl.String, "days_allowed": pl.Float64, "A": pl.Int64, "B": pl.Int64,
        "C": pl.Int64, "D": pl.Float64, "E": pl.Float64, "open_within": pl.Int64, "exited": pl.Int64,
        "no_rule": pl.Int64, "target_days": pl.Float64, "within_target": pl.Int64})
    return out if any(s.target for s in rules.steps) else out.drop("target_days", "within_target")


def late_table(late: pl.DataFrame, projects: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """Late cases as a report prints them: the project's number (not its id), worded columns, whole
    days where the days are whole, local times with the zone in the header; the tier when there is one."""
    from pcnb.frameview import for_people

    numbered = late.join(projects.select("project_id", "project_number"), on="project_id", how="left")
    tiered = "tier" in late.columns and late["tier"].drop_nulls().len() > 0
    shown = numbered.select(pl.col("step").alias("Step"), *((pl.col("tier").alias("Tier"),) if tiered else ()),
                            pl.col("project_number").alias("Project"),
                            pl.col("counted_days").alias("Days counted"), pl.col("allowed_days").alias("Days allowed"),
                            pl.col("verdict").alias("Verdict"), pl.col("started").alias("Started"),
                            pl.col("ended").alias("Ended"))
    return for_people(shown, timezone).with_columns(
        pl.col("Days counted", "Days allowed").map_elements(lambda v: f"{v:g}", return_dtype=pl.String))


def _row(step: str, tier: str | None, days: float | None, target: float | None,
         part: pl.DataFrame) -> tuple[object, ...]:
    def n(*verdicts: str) -> int:
        return part.filter(pl.col("verdict").is_in(list(verdicts))).height

    done = part.filter(pl.col("verdict").is_in(["completed", "late"]))
    a, b, c = done.height, n("late"), n("open late")
    mean = done["counted_days"].mean()
    within = done.filter(pl.col("counted_days") <= target).height if target else None
    return (step, tier, days, a, b, c, round(float(mean), 2) if isinstance(mean, float) else None,
            round((b + c) / (a + c), 4) if a + c else None, n("open"), n("exited"), n("no rule for its tier"),
            target, within)
