"""M2 time in status, M3 milestone cycle time, M6 utility-held time, time to outcome.

Two estimates of time in a status, side by side, with their n:

- closed stays only (``median_*``, ``p85_*``...): linear-interpolated percentiles of stays that had
  ended by ``as_of``; they understate durations, because the slow stays are the ones still open;
- censoring-aware (``km_p50_bdays``...): Kaplan-Meier quantiles over every stay, open ones counted
  as censored at their age at ``as_of`` (:mod:`pcnb.analytics.survival`, exact arithmetic); null
  when too many stays are still open to reach that quantile.

Open stays are also reported as their current age. A status with only open stays has a null
closed-stay median, not 0. Minimum-n rule (:mod:`pcnb.analytics.minn`): closed-stay statistics
over fewer than ``min_n`` closed stays, and KM quantiles over fewer than ``min_n`` stays, are
suppressed (null, ``suppressed`` / ``km_suppressed`` true, n shown).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from fractions import Fraction

import polars as pl

from pcnb.analytics import minn
from pcnb.analytics.asof import cut_notes, cut_threads, lit, resolve
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.roles import need
from pcnb.analytics.survival import cumulative_incidence, km_quantiles, km_table

PERCENTILES = (0.5, 0.85, 0.9, 0.95)


def _name(q: float) -> str:
    return "median" if q == 0.5 else f"p{round(q * 100)}"


def _stats(col: str, suffix: str, percentiles: Sequence[float]) -> list[pl.Expr]:
    c = pl.col(col)
    return [*(c.quantile(q, "linear").alias(f"{_name(q)}_{suffix}") for q in percentiles),
            c.mean().alias(f"mean_{suffix}"), c.max().cast(pl.Float64).alias(f"max_{suffix}")]


def time_in_status(intervals: pl.DataFrame, first_visit_only: bool = False,
                   terminal: Iterable[str] | None = None, by: str | list[str] | None = None,
                   percentiles: Sequence[float] = PERCENTILES, min_n: int = minn.MIN_N) -> pl.DataFrame:
    """Per status (and optional segment), excluding the final statuses ``terminal``:
    n (closed stays) and n_open; closed-stay percentiles, mean and max in calendar and business
    days; the open stays' median and max age; KM quantiles in business days (``km_p50_bdays``...).
    See the module doc for definitions and the minimum-n rule."""
    final = need(terminal, "terminal", "time_in_status", "the program's final statuses (roles.final)")
    keys = ["status", *([by] if isinstance(by, str) else (by or []))]
    cols = [*dict.fromkeys([*keys, "visit", "is_open", "calendar_days", "business_days", "age_business_days"])]
    iv = intervals.select(cols)  # the columns it reads, not 13; the final statuses are left out of the result
    if first_visit_only:
        iv = iv.filter(pl.col("visit") == 1)
    closed = iv.filter(~pl.col("is_open")).group_by(keys).agg(
        pl.len().alias("n"), *_stats("calendar_days", "days", percentiles),
        *_stats("business_days", "bdays", percentiles))
    opened = iv.filter(pl.col("is_open")).group_by(keys).agg(
        pl.len().alias("n_open"), pl.col("age_business_days").median().alias("median_open_age_bdays"),
        pl.col("age_business_days").max().alias("max_open_age_bdays"))
    km = km_quantiles(iv.select(*keys, pl.coalesce("business_days", "age_business_days").alias("_t"),
                                (~pl.col("is_open")).alias("_event")), keys, "_t", "_event", percentiles,
                      prefix="km_p")
    km = km.rename({c: f"{c}_bdays" for c in km.columns if c.startswith("km_p")})
    out = closed.join(opened, on=keys, how="full", coalesce=True).join(km, on=keys, how="left")
    out = out.with_columns(pl.col("n").fill_null(0).cast(pl.Int64), pl.col("n_open").fill_null(0).cast(pl.Int64))
    closed_cols = [c for c in closed.columns if c not in (*keys, "n")]
    out = minn.apply(out, "n", closed_cols, min_n)
    out = minn.apply(out, pl.col("n") + pl.col("n_open"), [c for c in km.columns if c.startswith("km_p")], min_n,
                     flag="km_suppressed")
    return out.filter(~pl.col("status").is_in(list(final))).sort(keys)


def _first_entry(intervals: pl.DataFrame, status: str, name: str) -> pl.DataFrame:
    return intervals.filter(pl.col("status") == status).group_by("project_id").agg(pl.col("entered").min().alias(name))


def cycle_time(intervals: pl.DataFrame, start: str | None = None, end: str | None = None,
               calendar: Calendar | None = None, as_of: datetime | None = None) -> pl.DataFrame:
    """M3: first entry into ``start`` -> first entry into ``end`` after it, per project.

    Incomplete projects keep a null duration and carry their age, for censored (KM) statistics.
    """
    cal = calendar or Calendar()
    as_of_lit = lit(resolve(as_of))
    start = need(start, "start", "cycle_time", "the status the clock starts in (roles.intake)")
    end = need(end, "end", "cycle_time", "the status the clock stops in (roles.completion)")
    s = _first_entry(intervals, start, "start")
    e = intervals.filter(pl.col("status") == end).select("project_id", pl.col("entered").alias("end_ts"))
    df = s.join(e, on="project_id", how="left").filter(
        pl.col("end_ts").is_null() | (pl.col("end_ts") >= pl.col("start"))
    ).group_by("project_id").agg(pl.col("start").first(), pl.col("end_ts").min().alias("end"))
    finish = pl.coalesce(pl.col("end"), as_of_lit)
    return df.with_columns(
        pl.col("end").is_not_null().alias("complete"),
        pl.when(pl.col("end").is_not_null()).then((pl.col("end") - pl.col("start")).dt.total_hours() / 24)
        .alias("calendar_days"),
        pl.when(pl.col("end").is_not_null()).then(cal.business_days(pl.col("start"), pl.col("end")))
        .alias("business_days"),
        cal.business_days(pl.col("start"), finish).alias("age_business_days"),
    ).sort("start", "project_id")


def inquiry_waits(notes: pl.DataFrame, threads: pl.DataFrame | None = None,
                  as_of: datetime | None = None) -> pl.DataFrame:
    """Spans when an inquiry waits on the applicant: from a utility note to the next note (or
    ``as_of`` while an open thread's last word is the utility's), as the data stood at ``as_of``."""
    at = resolve(as_of)
    as_of_lit = lit(at)
    if threads is not None:
        threads = cut_threads(threads, notes, at)
    notes = cut_notes(notes, at)
    n = notes.sort("thread_id", "seq").with_columns(pl.col("ts").shift(-1).over("thread_id").alias("next_ts"))
    if threads is not None:
        n = n.join(threads.select("thread_id", pl.col("status").cast(pl.String).alias("thread_status")),
                   on="thread_id", how="left")
    else:
        n = n.with_columns(pl.lit("Open").alias("thread_status"))
    end = pl.when(pl.col("next_ts").is_not_null()).then(pl.col("next_ts")).when(
        pl.col("thread_status") == "Open").then(as_of_lit)
    return n.filter(pl.col("is_admin")).select("project_id", pl.col("ts").alias("start"), end.alias("end")) \
        .drop_nulls("end")


def _merge(holds: pl.DataFrame) -> pl.DataFrame:
    """Union overlapping [start, end) spans per project so no time is subtracted twice."""
    h = holds.sort("project_id", "start").with_columns(
        pl.col("end").cum_max().shift(1).over("project_id").alias("prev_end"))
    h = h.with_columns((pl.col("prev_end").is_null() | (pl.col("start") > pl.col("prev_end")))
                       .cast(pl.Int32).cum_sum().over("project_id").alias("grp"))
    return h.group_by("project_id", "grp").agg(pl.col("start").min(), pl.col("end").max())


def utility_held_time(intervals: pl.DataFrame, start: str | None = None,
                      end: str | None = None,
                      applicant_statuses: Iterable[str] | None = None,
                      holds: pl.DataFrame | None = None, calendar: Calendar | None = None,
                      as_of: datetime | None = None) -> pl.DataFrame:
    """M6: business days of ``start -> end`` (or as_of) minus time held by the applicant.

    Applicant-held time = stays in ``applicant_statuses`` plus optional extra ``holds``
    (project_id, start, end), e.g. from :func:`inquiry_waits`, unioned and clipped to the window.
    """
    applicant_statuses = need(applicant_statuses, "applicant_statuses", "utility_held_time",
                              "the statuses the applicant holds (profile holders)")
    cal = calendar or Calendar()
    as_of = resolve(as_of)
    ct = cycle_time(intervals, start, end, cal, as_of)
    as_of_lit = lit(as_of)
    window = ct.select("project_id", pl.col("start").alias("w0"), pl.coalesce("end", as_of_lit).alias("w1"),
                       "complete")
    spans = intervals.filter(pl.col("status").is_in(list(applicant_statuses))).select(
        "project_id", pl.col("entered").alias("start"), pl.coalesce("exited", as_of_lit).alias("end"))
    if holds is not None and holds.height:
        spans = pl.concat([spans, holds.select("project_id", "start", "end").cast(spans.schema)])
    clipped = spans.join(window, on="project_id").select(
        "project_id", pl.max_horizontal("start", "w0").alias("start"), pl.min_horizontal("end", "w1").alias("end"),
    ).filter(pl.col("end") > pl.col("start"))
    held = _merge(clipped).group_by("project_id").agg(
        cal.business_days(pl.col("start"), pl.col("end")).sum().alias("applicant_bdays"))
    out = window.join(held, on="project_id", how="left").with_columns(
        cal.business_days(pl.col("w0"), pl.col("w1")).alias("total_bdays"),
        pl.col("applicant_bdays").fill_null(0))
    return out.with_columns((pl.col("total_bdays") - pl.col("applicant_bdays")).alias("utility_bdays")).rename(
        {"w0": "start", "w1": "end"}).sort("start", "project_id")


def outcome_times(intervals: pl.DataFrame, start: str, outcomes: dict[str, Iterable[str]],
                  calendar: Calendar | None = None, as_of: datetime | None = None) -> pl.DataFrame:
    """Per project: first entry into ``start``, the first later entry into any status of
    ``outcomes`` (``{"completed": [final ok statuses], "withdrawn": [...]}``), which ``outcome`` that
    was (null while open at ``as_of``: censored), and business days to it (or age at ``as_of``)."""
    cal = calendar or Calendar()
    at = lit(resolve(as_of))
    kind = {status: name for name, statuses in outcomes.items() for status in statuses}
    s = _first_entry(intervals, start, "start")
    ends = intervals.filter(pl.col("status").is_in(list(kind))).select(
        "project_id", pl.col("entered").alias("end_ts"), pl.col("status").replace_strict(kind).alias("outcome"))
    first = s.join(ends, on="project_id", how="left").filter(pl.col("end_ts") >= pl.col("start")).sort(
        "project_id", "end_ts").group_by("project_id").agg(pl.col("end_ts").first().alias("end"),
                                                           pl.col("outcome").first())
    df = s.join(first, on="project_id", how="left")
    return df.with_columns(
        cal.business_days(pl.col("start"), pl.coalesce("end", at)).alias("business_days")).sort("start", "project_id")


def time_to_outcome(intervals: pl.DataFrame, start: str, outcomes: dict[str, Iterable[str]],
                    calendar: Calendar | None = None, as_of: datetime | None = None,
                    min_n: int = minn.MIN_N) -> pl.DataFrame:
    """Time from ``start`` to a final outcome, censoring-aware, in business days.

    Row ``any``: Kaplan-Meier median time to any outcome (open projects censored at their age).
    One row per outcome (competing risks): its cumulative incidence by the longest observed time
    (``share``, Aalen-Johansen) and the time at which that incidence reaches 1/2 (null if it never
    does: then most projects do not end that way). ``n`` projects started, ``events`` ended that
    way. Values over fewer than ``min_n`` started projects are suppressed."""
    ot = outcome_times(intervals, start, outcomes, calendar, as_of)
    days, kinds = ot["business_days"].to_list(), ot["outcome"].to_list()
    rows: list[dict[str, object]] = []
    agg = ot.group_by("business_days").agg(pl.col("outcome").is_not_null().sum().alias("d"),
                                           pl.col("outcome").is_null().sum().alias("c")).sort("business_days")
    times, ev, cens = agg["business_days"].to_list(), agg["d"].to_list(), agg["c"].to_list()
    table = km_table(times, ev, cens)
    median = next((float(t) for t, s in table if s <= Fraction(1, 2)), None)
    rows.append({"outcome": "any", "n": ot.height, "events": sum(ev), "km_median_bdays": median, "share": None,
                 "half_bdays": None})
    cif = cumulative_incidence(days, kinds)
    for name in outcomes:
        curve = cif.get(name, [])
        rows.append({"outcome": name, "n": ot.height, "events": sum(1 for k in kinds if k == name),
                     "km_median_bdays": None, "share": float(curve[-1][1]) if curve else None,
                     "half_bdays": next((float(t) for t, c in curve if c >= Fraction(1, 2)), None)})
    out = pl.DataFrame(rows, schema={"outcome": pl.String, "n": pl.Int64, "events": pl.Int64,
                                     "km_median_bdays": pl.Float64, "share": pl.Float64, "half_bdays": pl.Float64})
    return minn.apply(out, "n", ["km_median_bdays", "share", "half_bdays"], min_n)


def outcome_incidence(intervals: pl.DataFrame, start: str, outcomes: dict[str, Iterable[str]],
                      calendar: Calendar | None = None, as_of: datetime | None = None) -> pl.DataFrame:
    """The competing-risks curves behind :func:`time_to_outcome`: business_days, outcome, incidence."""
    ot = outcome_times(intervals, start, outcomes, calendar, as_of)
    cif = cumulative_incidence(ot["business_days"].to_list(), ot["outcome"].to_list())
    rows = [(t, name, float(c)) for name in outcomes for t, c in cif.get(name, [])]
    return pl.DataFrame(rows, schema={"business_days": pl.Int64, "outcome": pl.String, "incidence": pl.Float64},
                        orient="row")
