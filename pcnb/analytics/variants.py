"""Variants: the distinct paths projects take through a program's statuses, and what each costs.

A project's path is the sequence of its stays in time order (status_intervals has already merged
consecutive entries of the same status: a re-save is not a step). Two readings:

- ``repeats="keep"``: every stay, loops included ("Review → Returned → Review → Approved" is
  another variant than "Review → Approved"); pm4py's variants of the same log, consecutive
  duplicates removed, are these (tests/analytics/test_pm4py_equality.py);
- ``repeats="collapse"``: each status once, where the project first entered it, so the loops fold
  and the variants say which statuses a project went through, not how many rounds (a project
  returned three times and one returned once share "Review → Returned → Approved").

Per variant: projects, their share and the running share (variants ordered by projects), how
many finished (their last status is final), the median and 90th percentile of the finished ones'
cycle time in business days (first entry to the final status's entry; the minimum-n rule of
:mod:`pcnb.analytics.minn` applies), and the outcome mix. ``share=`` / ``k=`` keep the fewest
variants that cover that share of projects (or the top k) and group the rest as one "other" row
whose statistics are computed on its projects, not averaged. :func:`in_variant` filters any frame
with a project_id to the projects of one variant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

import polars as pl

from pcnb.analytics import minn
from pcnb.analytics.asof import resolve
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.intervals import _business_index, _local_days, in_order
from pcnb.analytics.roles import need
from pcnb.analytics.stays import SEP, coded, codes, ordered, per_project

Repeats = Literal["keep", "collapse"]
IN_PROGRESS = "in progress"

PROJECT_SCHEMA = pl.Schema({
    "project_id": pl.String(), "variant": pl.Categorical(), "steps": pl.UInt32(), "first": pl.Datetime("us", "UTC"),
    "last_status": pl.String(), "finished": pl.Boolean(), "outcome": pl.String(), "cycle_bdays": pl.Int64(),
    "cycle_days": pl.Float64(), "age_bdays": pl.Int64()})
VARIANT_SCHEMA = pl.Schema({
    "rank": pl.UInt32(), "variant": pl.String(), "steps": pl.UInt32(), "variants": pl.UInt32(),
    "projects": pl.UInt32(), "share": pl.Float64(), "cum_share": pl.Float64(), "finished": pl.UInt32(),
    "median_bdays": pl.Float64(), "p90_bdays": pl.Float64(), "suppressed": pl.Boolean(),
    "outcome_mix": pl.String()})


def _outcome(final: list[str], outcomes: Mapping[str, Iterable[str]] | None) -> pl.Expr:
    """The outcome of a finished project: its kind in ``outcomes`` ({label: statuses}), else the
    final status itself; unfinished ones are "in progress"."""
    label = pl.col("last_status")
    if outcomes:
        kind = {s: name for name, statuses in outcomes.items() for s in statuses}
        label = pl.col("last_status").replace_strict(kind, default=pl.col("last_status"), return_dtype=pl.String)
    return pl.when(pl.col("finished")).then(label).otherwise(pl.lit(IN_PROGRESS))


def project_variants(intervals: pl.DataFrame, terminal: Iterable[str] | None = None, repeats: Repeats = "keep",
                     outcomes: Mapping[str, Iterable[str]] | None = None,
                     order: Sequence[str] | None = None) -> pl.DataFrame:
    """One row per project: its ``variant`` (the path as text, statuses joined by " → "),
    ``steps`` (stays on the path), first entry, last status, ``finished``, ``outcome`` (the kind of
    final status in ``outcomes``, e.g. the profile's ``roles.exits``; else the final status; "in
    progress" while open), ``cycle_bdays``/``cycle_days`` (finished ones) and ``age_bdays``
    (unfinished ones, to the intervals' as_of). ``terminal``: the program's final statuses."""
    final = list(need(terminal, "terminal", "project_variants", "the program's final statuses (roles.final)"))
    if repeats not in ("keep", "collapse"):
        raise ValueError(f"repeats={repeats!r}: use 'keep' (every stay, loops included) or 'collapse' (each status "
                         "once, at its first entry)")
    iv = ordered(intervals, "project_variants")
    if iv.height == 0:
        return pl.DataFrame(schema=PROJECT_SCHEMA)
    names = codes(iv["status"].unique().to_list(), order)
    on_path = iv if repeats == "keep" else iv.filter(pl.col("visit") == 1)
    paths = on_path.group_by("_pid", maintain_order=True).agg(coded(on_path, names).alias("_path"))
    ids = paths.select("_path").unique(maintain_order=True).with_row_index("_vid")
    label = pl.col("_path").list.eval(pl.element().replace_strict(list(range(len(names))), names,
                                                                  return_dtype=pl.String)).list.join(SEP)
    ids = ids.with_columns(label.cast(pl.Categorical).alias("variant"),  # a path's text once, not per project
                           pl.col("_path").list.len().cast(pl.UInt32).alias("steps"))
    pp = per_project(iv, final).join(paths, on="_pid").join(ids, on="_path")
    return pp.with_columns(_outcome(final, outcomes).alias("outcome"), pl.col("last_status").cast(pl.String)
                           ).sort("_pid").select(list(PROJECT_SCHEMA)).cast(PROJECT_SCHEMA)


def event_variants(events: pl.DataFrame, calendar: Calendar | None = None, as_of: datetime | None = None,
                   terminal: Iterable[str] | None = None, repeats: Repeats = "keep",
                   outcomes: Mapping[str, Iterable[str]] | None = None, order: Sequence[str] | None = None,
                   include_suppressed: bool = False) -> pl.DataFrame:
    """:func:`project_variants` straight from the status events (``calendar``, ``as_of`` and
    ``include_suppressed`` as :func:`pcnb.analytics.intervals.status_intervals` takes them), the
    same frame without building every stay: a path needs the statuses in order, and a cycle time
    only a project's first and last entries (business days add up over consecutive stays). What
    pm4py's variants start from, the log, and several times faster than intervals first when the
    intervals are not needed otherwise."""
    final = list(need(terminal, "terminal", "event_variants", "the program's final statuses (roles.final)"))
    if repeats not in ("keep", "collapse"):
        raise ValueError(f"repeats={repeats!r}: use 'keep' (every stay, loops included) or 'collapse' (each status "
                         "once, at its first entry)")
    cal = calendar or Calendar()
    at = resolve(as_of)
    ev = in_order(events, at, include_suppressed)
    if ev.height == 0:
        return pl.DataFrame(schema=PROJECT_SCHEMA)
    ev = ev.with_columns(pl.col("_first").cast(pl.UInt32).cum_sum().set_sorted().alias("_pid"),
                         (~pl.col("_first").shift(-1).fill_null(True)).alias("_more"))
    on_path = ev
    if repeats == "collapse":  # each status once: its first entry in the project
        key = pl.col("_pid").cast(pl.UInt64) * (1 << 32) + pl.col("_code").cast(pl.UInt64)
        on_path = ev.filter(key.is_first_distinct())
    paths = on_path.group_by("_pid", maintain_order=True).agg(pl.col("_code").alias("_path"))
    lookup = ev.select("_code", "status").unique("_code")
    names = dict(zip(lookup["_code"].to_list(), lookup["status"].to_list(), strict=True))
    ids = paths.select("_path").unique(maintain_order=True)
    label = pl.col("_path").list.eval(pl.element().replace_strict(list(names), list(names.values()),
                                                                  return_dtype=pl.String)).list.join(SEP)
    ids = ids.with_columns(label.cast(pl.Categorical).alias("variant"),
                           pl.col("_path").list.len().cast(pl.UInt32).alias("steps"))
    first = ev.filter(pl.col("_first")).select("_pid", "project_id", pl.col("ts").alias("first"))
    last = ev.filter(~pl.col("_more")).select("_pid", pl.col("ts").alias("_end"), pl.col("status").alias("last_status"))
    pp = first.join(last, on="_pid", maintain_order="left")
    as_of_day = (at.astimezone(ZoneInfo(cal.timezone)).date() - date(1970, 1, 1)).days
    both = _local_days(pl.concat([pp["first"], pp["_end"]]), cal.timezone, at)  # the zone looked up once
    d0, d1 = both.head(pp.height), both.tail(pp.height)
    lo = min(int(d0.min() or as_of_day), as_of_day)  # type: ignore[arg-type]
    index = pl.lit(_business_index(lo, as_of_day + 1, cal))
    done = pl.col("last_status").is_in(final)
    pp = pp.with_columns(d0.alias("_d0"), d1.alias("_d1")).with_columns(
        done.alias("finished"),
        pl.when(done).then(index.gather(pl.col("_d1") - lo) - index.gather(pl.col("_d0") - lo)).alias("cycle_bdays"),
        pl.when(done).then((pl.col("_end") - pl.col("first")).dt.total_microseconds() / 86_400_000_000)
        .alias("cycle_days"),
        pl.when(~done).then(index.gather(pl.lit(as_of_day) - lo) - index.gather(pl.col("_d0") - lo))
        .alias("age_bdays"))
    pp = pp.join(paths, on="_pid", maintain_order="left").join(ids, on="_path", how="left", maintain_order="left")
    return pp.with_columns(_outcome(final, outcomes).alias("outcome")).select(list(PROJECT_SCHEMA)).cast(
        PROJECT_SCHEMA)


def variants(intervals: pl.DataFrame, terminal: Iterable[str] | None = None, repeats: Repeats = "keep",
             outcomes: Mapping[str, Iterable[str]] | None = None, share: float | None = None,
             k: int | None = None, min_n: int = minn.MIN_N, order: Sequence[str] | None = None) -> pl.DataFrame:
    """One row per variant, most projects first (see the module doc): rank, variant, steps,
    ``variants`` (1, or how many the "other" row groups), projects, share, cum_share, finished,
    median_bdays and p90_bdays of the finished ones' cycle times (suppressed under ``min_n``
    finished), outcome_mix ("62% completed · 30% in progress · ..."). ``share``: keep the fewest
    variants covering that share of projects; ``k``: at most k; the rest become one "other" row."""
    pv = project_variants(intervals, terminal, repeats, outcomes, order)
    return summarize(pv, share, k, min_n)


def summarize(pv: pl.DataFrame, share: float | None = None, k: int | None = None,
              min_n: int = minn.MIN_N) -> pl.DataFrame:
    """:func:`variants` from the per-project frame of :func:`project_variants` (to filter it first,
    e.g. to one segment, without computing the paths again)."""
    if share is not None and not 0 < share <= 1:
        raise ValueError(f"share={share}: the share of projects the variants shown must cover, in (0, 1]")
    if k is not None and k < 1:
        raise ValueError(f"k={k}: keep at least one variant")
    if pv.height == 0:
        return pl.DataFrame(schema=VARIANT_SCHEMA)
    total = pv.height
    # group by the variant's integer code (its text is long: compared once per variant, not per project)
    pv = pv.with_columns(pl.col("variant").cast(pl.Categorical).to_physical().cast(pl.Int64).alias("_v"))
    text = pv.select("_v", pl.col("variant").cast(pl.String)).unique("_v")
    counts = pv.group_by("_v").agg(pl.len().alias("projects")).join(text, on="_v").sort(
        ["projects", "variant"], descending=[True, False]).with_columns(
        (pl.col("projects").cum_sum() / total).alias("_cum"), pl.int_range(1, pl.len() + 1).alias("_rank"))
    keep = pl.lit(True)
    if share is not None:  # the variants before the running share reaches ``share``, and the one that reaches it
        keep = keep & ((pl.col("_cum") - pl.col("projects") / total) < share - 1e-12)
    if k is not None:
        keep = keep & (pl.col("_rank") <= k)
    kept = counts.filter(keep)["_v"]
    grouped = pv.with_columns(pl.when(pl.col("_v").is_in(kept.implode())).then(pl.col("_v"))
                              .otherwise(pl.lit(-1, pl.Int64)).alias("_group"))
    done = pl.col("cycle_bdays").filter(pl.col("finished"))
    out = grouped.group_by("_group").agg(
        pl.col("steps").first(), pl.col("_v").n_unique().cast(pl.UInt32).alias("variants"),
        pl.len().cast(pl.UInt32).alias("projects"), pl.col("finished").sum().cast(pl.UInt32).alias("finished"),
        done.median().cast(pl.Float64).alias("median_bdays"),
        done.quantile(0.9, "linear").cast(pl.Float64).alias("p90_bdays"))
    mix = _mix(grouped)
    out = out.join(mix, on="_group", how="left").join(text.rename({"_v": "_group"}), on="_group", how="left")
    out = out.with_columns((pl.col("_group") == -1).alias("_other"), (pl.col("projects") / total).alias("share"))
    out = out.sort(["_other", "projects", "variant"], descending=[False, True, False]).with_columns(
        pl.col("share").cum_sum().alias("cum_share"), pl.int_range(1, pl.len() + 1, dtype=pl.UInt32).alias("rank"),
        pl.when(pl.col("_other")).then(pl.format("other ({} variants)", pl.col("variants")))
        .otherwise(pl.col("variant")).alias("variant"),
        pl.when(pl.col("_other")).then(None).otherwise(pl.col("steps")).alias("steps"))
    out = minn.apply(out, "finished", ["median_bdays", "p90_bdays"], min_n)
    return out.select(list(VARIANT_SCHEMA)).cast(VARIANT_SCHEMA)


def _mix(grouped: pl.DataFrame) -> pl.DataFrame:
    """_group, outcome_mix: each outcome's share of the group's projects, largest first, as text."""
    per = grouped.group_by("_group", "outcome").agg(pl.len().alias("n")).with_columns(
        (pl.col("n") / pl.col("n").sum().over("_group") * 100).alias("pct")).sort(
        ["_group", "n", "outcome"], descending=[False, True, False])
    text = pl.format("{}% {}", pl.col("pct").round(0).cast(pl.Int64), pl.col("outcome"))
    return per.group_by("_group", maintain_order=True).agg(text.str.join(" · ").alias("outcome_mix"))


def variant_outcomes(pv: pl.DataFrame) -> pl.DataFrame:
    """variant, outcome, projects, share (of the variant's projects): the outcome mix as a frame."""
    per = pv.with_columns(pl.col("variant").cast(pl.String)).group_by("variant", "outcome")
    return per.agg(pl.len().cast(pl.UInt32).alias("projects")).with_columns(
        (pl.col("projects") / pl.col("projects").sum().over("variant")).alias("share")).sort(
        ["variant", "projects"], descending=[False, True])


def in_variant(frame: pl.DataFrame, pv: pl.DataFrame, variant: str | Iterable[str]) -> pl.DataFrame:
    """``frame`` (events, intervals, projects: anything with project_id) cut to the projects whose
    variant is ``variant`` (or one of several), from :func:`project_variants`'s frame ``pv``. A
    variant no project has is a ValueError naming the closest ones."""
    wanted = [variant] if isinstance(variant, str) else list(variant)
    known = set(pv["variant"].cast(pl.String).unique().to_list())
    unknown = [v for v in wanted if v not in known]
    if unknown:
        import difflib

        close = difflib.get_close_matches(unknown[0], sorted(known), n=2, cutoff=0.3)
        raise ValueError(f"no project took the variant {unknown[0]!r}"
                         + (f"; closest: {' | '.join(close)}" if close else "")
                         + " (variants are written with ' → ' between statuses, as variants() lists them)")
    ids = pv.filter(pl.col("variant").cast(pl.String).is_in(wanted)).select("project_id")
    return frame.join(ids, on="project_id", how="semi")
