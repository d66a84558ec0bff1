"""Rework: loops back to a status a project had already been through, and the days they add.

A loop back is a move A → B into a status B the project entered before A (in its own history):
"Review → Returned → Review" loops back on Returned → Review. Each such move closes one *round* of
rework on B, which runs from leaving B to leaving B again: the detour (Returned) and the repeated
stay in B (the second review). A move on to a status entered after B (Review → Returned the second
time) is part of a round, not a loop of its own.

Per round: the business days it added, split by who held each of its stays (the profile's
holders: ``applicant`` or ``utility``; a status held by neither, or missing from ``holders``,
counts in the total only). A stay still open counts its age to the intervals' as_of; a stay in a
final status counts 0. Per project the rounds may overlap (A → B → C → B → C → D loops back twice);
its rework days count each stay once.

Tables: :func:`rework_rounds` (one row per round), :func:`rework_projects` (per project),
:func:`rework_pairs` (per loop A → B: how many projects, rounds, days, the applicant's share) and
:func:`rework_by` (per segment or installer: counts, and rates and medians only over ``min_n``
projects or more, the minimum-n rule of :mod:`pcnb.analytics.minn`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl

from pcnb.analytics import minn
from pcnb.analytics.roles import need
from pcnb.analytics.stays import coded, codes, held_days, ordered, per_project

ROUND_SCHEMA = pl.Schema({
    "project_id": pl.String(), "from_status": pl.String(), "to_status": pl.String(), "round": pl.UInt32(),
    "left": pl.Datetime("us", "UTC"), "back": pl.Datetime("us", "UTC"), "stays": pl.UInt32(),
    "rework_bdays": pl.Int64(), "applicant_bdays": pl.Int64(), "utility_bdays": pl.Int64(), "open": pl.Boolean()})
PROJECT_SCHEMA = pl.Schema({
    "project_id": pl.String(), "first": pl.Datetime("us", "UTC"), "finished": pl.Boolean(),
    "cycle_bdays": pl.Int64(), "rounds": pl.UInt32(), "loops": pl.UInt32(), "rework_bdays": pl.Int64(),
    "applicant_bdays": pl.Int64(), "utility_bdays": pl.Int64()})
PAIR_SCHEMA = pl.Schema({
    "from_status": pl.String(), "to_status": pl.String(), "loop": pl.String(), "projects": pl.UInt32(),
    "of_projects": pl.UInt32(), "share": pl.Float64(), "rounds": pl.UInt32(), "max_rounds": pl.UInt32(),
    "rounds_per_project": pl.Float64(), "median_round_bdays": pl.Float64(), "p90_round_bdays": pl.Float64(),
    "total_bdays": pl.Int64(), "applicant_share": pl.Float64(), "suppressed": pl.Boolean()})


def _prepared(intervals: pl.DataFrame, holders: Mapping[str, str] | None, terminal: Iterable[str] | None,
              function: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, list[str]]:
    """(every stay in order; the stays of projects that entered some status twice, with running day
    sums; one row per round; the final statuses). Rounds can only be in projects with a second
    visit somewhere, so the joins run over those (a fifth of a typical program's stays), not all."""
    final = list(need(terminal, "terminal", function, "the program's final statuses (roles.final)"))
    held = dict(need(holders, "holders", function, "who holds each status (ws.profile.holders)"))
    iv = ordered(intervals, function)
    again = iv.filter(pl.col("visit") >= 2)["_pid"].unique()
    sub = iv.filter(pl.col("_pid").is_in(again.implode()))
    holder = pl.col("status").replace_strict(held, default="unknown", return_dtype=pl.String)
    sub = sub.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), held_days(final).alias("_d"),
                           holder.alias("_holder")).with_columns(
        pl.col("_d").cum_sum().alias("_c"),
        pl.when(pl.col("_holder") == "applicant").then(pl.col("_d")).otherwise(0).cum_sum().alias("_ca"),
        pl.when(pl.col("_holder") == "utility").then(pl.col("_d")).otherwise(0).cum_sum().alias("_cu"))
    if sub.height == 0:
        return iv, sub, pl.DataFrame(schema={**ROUND_SCHEMA, "_pid": pl.UInt32, "_start": pl.UInt32,
                                             "_end": pl.UInt32}), final
    # integer keys: (project, status) and (project, status, visit) packed into one UInt64 each
    names = codes(sub["status"].unique().to_list())  # local codes: a program has tens of statuses, not 2^12
    if len(names) >= 1 << 12:
        raise ValueError(f"{function}(): {len(names)} distinct statuses; rework is counted for up to 4,095")
    key = pl.col("_pid").cast(pl.UInt64) * (1 << 12) + coded(sub, names).cast(pl.UInt64)
    sub = sub.with_columns(key.alias("_key"), (key * (1 << 12) + pl.col("visit").cast(pl.UInt64)).alias("_kv"))
    first = sub.filter(pl.col("visit") == 1).select("_key", pl.col("_pos").alias("_fpos"))
    back = sub.with_columns(pl.col("status").shift(1).alias("from_status"), pl.col("_key").shift(1).alias("_from_key"),
                            (pl.col("_kv") - 1).alias("_kv_prev")).filter(pl.col("visit") >= 2)
    prev = sub.select(pl.col("_kv").alias("_kv_prev"), pl.col("_row").alias("_prow"), pl.col("exited").alias("left"))
    back = back.join(prev, on="_kv_prev").join(first, on="_key").join(
        first.rename({"_key": "_from_key", "_fpos": "_from_fpos"}), on="_from_key")
    back = back.filter(pl.col("_fpos") < pl.col("_from_fpos"))  # back to a status entered before the one left
    at = sub.select("_row", "_c", "_ca", "_cu")
    rounds = back.join(at.rename({c: f"{c}0" for c in at.columns}), left_on="_prow", right_on="_row0").with_columns(
        (pl.col("_c") - pl.col("_c0")).alias("rework_bdays"), (pl.col("_ca") - pl.col("_ca0")).alias("applicant_bdays"),
        (pl.col("_cu") - pl.col("_cu0")).alias("utility_bdays"), (pl.col("_row") - pl.col("_prow")).alias("stays"),
        (pl.col("_prow") + 1).alias("_start"), pl.col("_row").alias("_end"),
        pl.col("entered").alias("back"), pl.col("status").alias("to_status"), pl.col("is_open").alias("open"))
    # the round's number per project and loop: rank in (loop key, time) order, by neighbours
    loop = pl.col("_key") * (1 << 12) + pl.col("_from_key") % (1 << 12)
    rounds = rounds.with_columns(loop.alias("_loop")).sort("_loop", "_row")
    start = (pl.col("_loop") != pl.col("_loop").shift(1)).fill_null(True)
    pos = pl.int_range(pl.len(), dtype=pl.UInt32)
    rounds = rounds.with_columns((pos - pl.when(start).then(pos).forward_fill() + 1).alias("round")).sort("_row")
    return iv, sub, rounds, final


def rework_rounds(intervals: pl.DataFrame, holders: Mapping[str, str] | None = None,
                  terminal: Iterable[str] | None = None) -> pl.DataFrame:
    """One row per round of rework (see the module doc): project_id, from_status → to_status (the
    move back), round (1, 2... per project and loop), left (B) and back (into B), stays in the
    round, rework_bdays and its applicant_bdays / utility_bdays, open (the repeated stay in B has not
    ended). ``holders``: status -> utility/applicant/none (``ws.profile.holders``)."""
    _, _, rounds, _ = _prepared(intervals, holders, terminal, "rework_rounds")
    return rounds.select(list(ROUND_SCHEMA)).cast(ROUND_SCHEMA)


def rework_projects(intervals: pl.DataFrame, holders: Mapping[str, str] | None = None,
                    terminal: Iterable[str] | None = None) -> pl.DataFrame:
    """One row per project (every project, reworked or not): first entry, finished, cycle_bdays
    (finished ones), rounds, loops (distinct moves back), rework_bdays (each stay once, however
    many rounds it is in) and its applicant_bdays / utility_bdays."""
    return _projects(*_prepared(intervals, holders, terminal, "rework_projects"))


def _projects(iv: pl.DataFrame, sub: pl.DataFrame, rounds: pl.DataFrame, final: list[str]) -> pl.DataFrame:
    if iv.height == 0:
        return pl.DataFrame(schema=PROJECT_SCHEMA)
    # stays inside any round: +1 where a round starts, -1 after it ends, summed down the frame
    delta = pl.concat([rounds.select(pl.col("_start").alias("_row"), pl.lit(1, pl.Int32).alias("_x")),
                       rounds.select((pl.col("_end") + 1).alias("_row"), pl.lit(-1, pl.Int32).alias("_x"))])
    delta = delta.group_by("_row").agg(pl.col("_x").sum())
    inside = sub.join(delta, on="_row", how="left").sort("_row").with_columns(
        (pl.col("_x").fill_null(0).cum_sum() > 0).alias("_in"))
    covered = pl.when(pl.col("_in"))
    days = inside.group_by("_pid").agg(
        covered.then(pl.col("_d")).otherwise(0).sum().alias("rework_bdays"),
        covered.then(pl.col("_d")).otherwise(0).filter(pl.col("_holder") == "applicant").sum().alias("applicant_bdays"),
        covered.then(pl.col("_d")).otherwise(0).filter(pl.col("_holder") == "utility").sum().alias("utility_bdays"))
    counts = rounds.group_by("_pid").agg(pl.len().alias("rounds"),
                                         pl.struct("from_status", "to_status").n_unique().alias("loops"))
    out = per_project(iv, final).join(days, on="_pid", how="left").join(counts, on="_pid", how="left")
    out = out.with_columns(pl.col("rounds", "loops", "rework_bdays", "applicant_bdays", "utility_bdays").fill_null(0)
                           ).sort("_pid")
    return out.select(list(PROJECT_SCHEMA)).cast(PROJECT_SCHEMA)


def rework_pairs(intervals: pl.DataFrame, holders: Mapping[str, str] | None = None,
                 terminal: Iterable[str] | None = None, min_n: int = minn.MIN_N) -> pl.DataFrame:
    """One row per loop (move back from_status → to_status), most projects first: projects that
    looped so, of_projects (that entered to_status at all) and their share, rounds, max_rounds in one
    project, rounds_per_project (of those that looped), median and p90 of a round's business days,
    total_bdays and the applicant's share of them. Medians under ``min_n`` rounds and shares under
    ``min_n`` projects entering to_status are suppressed."""
    iv, _, rounds, _ = _prepared(intervals, holders, terminal, "rework_pairs")
    return _pairs(iv, rounds, min_n)


def _pairs(iv: pl.DataFrame, rounds: pl.DataFrame, min_n: int) -> pl.DataFrame:
    if rounds.height == 0:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    entered = iv.filter(pl.col("visit") == 1).group_by("status").agg(pl.len().alias("of_projects")).rename(
        {"status": "to_status"})
    per = rounds.group_by("_pid", "from_status", "to_status").agg(pl.len().alias("_k"))
    top = per.group_by("from_status", "to_status").agg(pl.len().alias("projects"), pl.col("_k").max().alias(
        "max_rounds"))
    out = rounds.group_by("from_status", "to_status").agg(
        pl.len().alias("rounds"), pl.col("rework_bdays").median().cast(pl.Float64).alias("median_round_bdays"),
        pl.col("rework_bdays").quantile(0.9, "linear").cast(pl.Float64).alias("p90_round_bdays"),
        pl.col("rework_bdays").sum().alias("total_bdays"), pl.col("applicant_bdays").sum().alias("_app"))
    out = out.join(top, on=["from_status", "to_status"]).join(entered, on="to_status", how="left").with_columns(
        pl.format("{} → {}", "from_status", "to_status").alias("loop"),
        (pl.col("projects") / pl.col("of_projects")).alias("share"),
        (pl.col("rounds") / pl.col("projects")).alias("rounds_per_project"),
        pl.when(pl.col("total_bdays") > 0).then(pl.col("_app") / pl.col("total_bdays")).alias("applicant_share"))
    out = minn.apply(out, "rounds", ["median_round_bdays", "p90_round_bdays", "applicant_share"], min_n)
    small = pl.col("of_projects") < min_n
    out = out.with_columns(pl.when(small).then(None).otherwise(pl.col("share")).alias("share"),
                           (pl.col("suppressed") | small).alias("suppressed"))
    out = out.sort(["projects", "rounds", "loop"], descending=[True, True, False])
    return out.select(list(PAIR_SCHEMA)).cast(PAIR_SCHEMA)


@dataclass(frozen=True)
class Rework:
    """The three tables of one pass (:func:`rework`): ``rounds``, ``projects``, ``pairs``."""

    rounds: pl.DataFrame
    projects: pl.DataFrame
    pairs: pl.DataFrame


def rework(intervals: pl.DataFrame, holders: Mapping[str, str] | None = None,
           terminal: Iterable[str] | None = None, min_n: int = minn.MIN_N) -> Rework:
    """:func:`rework_rounds`, :func:`rework_projects` and :func:`rework_pairs` from one pass over
    the intervals (what a notebook or chart wants: each alone repeats the pass)."""
    iv, sub, rounds, final = _prepared(intervals, holders, terminal, "rework")
    return Rework(rounds.select(list(ROUND_SCHEMA)).cast(ROUND_SCHEMA), _projects(iv, sub, rounds, final),
                  _pairs(iv, rounds, min_n))


def rework_by(projects: pl.DataFrame, attributes: pl.DataFrame, by: str = "owner_name",
              min_n: int = minn.MIN_N) -> pl.DataFrame:
    """Rework per segment (``by``: a column of ``attributes``, e.g. owner_name, size_bin,
    technology from :func:`pcnb.analytics.segments.project_attributes`), from
    :func:`rework_projects`: projects, reworked (with at least one round), rounds, and -- only over
    ``min_n`` projects or more (a rate of 2 projects singles an installer out, it does not measure
    one) -- the rework rate, rounds per project and the median rework days of the reworked ones.
    Projects without the attribute are "unknown"."""
    if by not in attributes.columns:
        raise ValueError(f"rework_by(): no column {by!r} in the attributes; available: {attributes.columns[1:]}")
    seg = projects.join(attributes.select("project_id", pl.col(by).cast(pl.String)), on="project_id", how="left")
    seg = seg.with_columns(pl.col(by).fill_null("unknown"))
    out = seg.group_by(by).agg(
        pl.len().cast(pl.UInt32).alias("projects"), (pl.col("rounds") > 0).sum().cast(pl.UInt32).alias("reworked"),
        pl.col("rounds").sum().cast(pl.UInt32).alias("rounds"),
        pl.col("rework_bdays").filter(pl.col("rounds") > 0).median().cast(pl.Float64).alias("median_rework_bdays"))
    out = out.with_columns((pl.col("reworked") / pl.col("projects")).alias("rework_rate"),
                           (pl.col("rounds") / pl.col("projects")).alias("rounds_per_project"))
    out = minn.apply(out, "projects", ["rework_rate", "rounds_per_project", "median_rework_bdays"], min_n)
    return out.sort(["projects", by], descending=[True, False]).select(
        by, "projects", "reworked", "rounds", "rework_rate", "rounds_per_project", "median_rework_bdays", "suppressed")
