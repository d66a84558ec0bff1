"""Figures with 95 % confidence intervals from the histories a sync has fetched so far.

pcnb.cache.sample_order makes the projects whose status history is cached, at every moment of a
first sync, a stratified simple random sample of the listed projects (strata: current status). The
listing gives every stratum's size N_h; the cache gives how many of it are sampled, n_h. So each
sampled project stands for w = N_h / n_h projects, and the usual design-based (survey) estimators
apply; docs/large-programs.md states the assumptions and when they are biased.

- quantiles (time in status median/p90, cohort medians): the weighted empirical distribution
  function, inverted; the interval is Woodruff's (1952): the standard error of the estimated
  distribution function at the estimate, from the stratified cluster variance of a ratio
  (projects are clusters of stays), carried back through the inverse. It is distribution-free and
  is what survey software uses for quantiles under stratified weights (R survey's svyquantile);
  a bootstrap would cost hundreds of recomputations per batch, against a 2 s budget;
- proportions (deadline pct_exceeding, on-time rate): a ratio estimator with the linearised
  stratified variance, turned into a Wilson interval at the effective sample size
  n_eff = p(1 - p) / var (Korn and Graubard 1998), which stays inside [0, 1] and behaves at
  shares near 0 or 1, where a Wald interval collapses;
- totals (throughput per month): the expansion estimator with its stratified variance and a
  normal interval, clipped at 0.

Neither interval is in scipy (its Wilson interval takes whole counts, not an effective size;
Woodruff's needs the design's variance), and statsmodels, which has the Wilson formula for
fractional counts, would be a new dependency for three lines; the normal quantile is the standard
library's (statistics.NormalDist).

Every variance carries the finite population correction (1 - n_h / N_h): once every project of the
scope is fetched the estimates are the exact figures (computed by the same arithmetic as
pcnb.analytics.time_in_status, sla and throughput) and the intervals vanish (null).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from statistics import NormalDist

import numpy as np
import polars as pl

from pcnb.analytics.calendar import Calendar
from pcnb.analytics.time_in_status import cycle_time

Z95 = NormalDist().inv_cdf(0.975)
STATS = {0.5: "median", 0.9: "p90"}


@dataclass(frozen=True)
class Design:
    """Who is sampled, and how many projects each stands for."""

    sampled: pl.DataFrame  # project_id, _i (0..n-1), _h (stratum code), weight
    sizes: np.ndarray  # N_h by stratum code
    counts: np.ndarray  # n_h by stratum code
    unrepresented: int  # projects in strata with no sampled project (what the estimates cannot see)

    @property
    def N(self) -> int:  # noqa: N802 - the survey-sampling name
        return int(self.sizes.sum())

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def complete(self) -> bool:
        return self.n == self.N

    @property
    def label(self) -> str:
        """"n of N" as tables and charts show it."""
        return f"{self.n:,} of {self.N:,}"

    def variance(self, z: np.ndarray) -> float:
        """Stratified variance of the estimated total of ``z`` (one value per sampled project, in
        ``_i`` order), with the finite population correction. A stratum with one sampled project
        has no variance estimate and adds 0 (docs/large-programs.md)."""
        h = self.sampled["_h"].to_numpy()
        k = len(self.sizes)
        s1 = np.bincount(h, z, minlength=k)
        s2 = np.bincount(h, z * z, minlength=k)
        n, big_n = self.counts.astype(float), self.sizes.astype(float)
        ok = n > 1
        var_h = np.zeros(k)
        var_h[ok] = (s2[ok] - s1[ok] ** 2 / n[ok]) / (n[ok] - 1)
        contrib = np.zeros(k)
        contrib[ok] = big_n[ok] ** 2 * (1 - n[ok] / big_n[ok]) * var_h[ok] / n[ok]
        return float(max(contrib.sum(), 0.0))


def sample_design(projects: pl.DataFrame, events: pl.DataFrame, stratum: str = "status_id") -> Design:
    """The design of a (partial) sync: strata = ``stratum`` of the listed ``projects`` (the scope),
    sampled = the projects with a cached history in ``events``."""
    have = events.select(pl.col("project_id").unique())
    p = projects.select("project_id", pl.col(stratum).cast(pl.String).fill_null("").alias("_s")).with_columns(
        pl.col("project_id").is_in(have["project_id"].implode()).alias("_sampled"))
    codes, p_h = np.unique(p["_s"].to_numpy().astype(str), return_inverse=True)
    sampled_mask = p["_sampled"].to_numpy()
    sizes = np.bincount(p_h, minlength=len(codes))
    counts = np.bincount(p_h[sampled_mask], minlength=len(codes))
    weights = sizes[p_h[sampled_mask]] / counts[p_h[sampled_mask]]
    sampled = pl.DataFrame({"project_id": p["project_id"].filter(p["_sampled"]),
                            "_i": np.arange(int(sampled_mask.sum())), "_h": p_h[sampled_mask],
                            "weight": weights.astype(float)})
    return Design(sampled, sizes, counts, int(sizes[counts == 0].sum()))


def _attach(df: pl.DataFrame, design: Design) -> pl.DataFrame:
    """Rows of sampled projects only, with their index and weight (rows of other projects, e.g. a
    history cached outside the scope, are not part of the sample)."""
    return df.join(design.sampled, on="project_id", how="inner")


def _quantile(values: np.ndarray, idx: np.ndarray, p: float, design: Design) -> tuple[float, float | None,
                                                                                        float | None]:
    """(estimate, lo, hi) of the p-quantile of ``values`` (one per stay; ``idx``: its project)."""
    if design.complete:
        exact = float(np.quantile(values, p, method="linear"))  # as polars' "linear": the exact figure
        return exact, None, None
    w = design.sampled["weight"].to_numpy()[idx]
    order = np.argsort(values, kind="stable")
    v, cum = values[order], np.cumsum(w[order])
    total = cum[-1]

    def inverse(share: float) -> float:
        share = min(max(share, 0.0), 1.0)
        return float(v[min(int(np.searchsorted(cum, share * total * (1 - 1e-12), side="left")), len(v) - 1)])

    estimate = inverse(p)
    n = design.n
    y = np.bincount(idx, (values <= estimate).astype(float), minlength=n)
    m = np.bincount(idx, minlength=n).astype(float)
    se = np.sqrt(design.variance((y - p * m) / total))
    return estimate, inverse(p - Z95 * se), inverse(p + Z95 * se)


def quantile_estimates(values: pl.DataFrame, design: Design, value: str, by: Sequence[str],
                       percentiles: Iterable[float] = (0.5, 0.9)) -> pl.DataFrame:
    """Per group of ``by``: each percentile of ``value`` (rows: project_id, by..., value; a project
    may give several rows, e.g. one per stay) with its Woodruff interval."""
    values = values.filter(pl.col(value).is_not_null())
    if design.complete:  # the exact figures, in one pass (as pcnb.analytics.time_in_status computes them)
        return _exact_quantiles(values, design, value, by, percentiles)
    df = _attach(values, design)
    rows = []
    for key, g in df.group_by(list(by), maintain_order=True):
        vals, idx = g[value].to_numpy().astype(float), g["_i"].to_numpy()
        for p in percentiles:
            est, lo, hi = _quantile(vals, idx, p, design)
            rows.append({**dict(zip(by, key, strict=True)), "statistic": STATS.get(p, f"p{round(p * 100)}"),
                         "estimate": est, "lo": lo, "hi": hi, "n": len(vals), "projects": int(np.unique(idx).size)})
    return _frame(rows, design, by)


def _exact_quantiles(values: pl.DataFrame, design: Design, value: str, by: Sequence[str],
                     percentiles: Iterable[float]) -> pl.DataFrame:
    names = {p: STATS.get(p, f"p{round(p * 100)}") for p in percentiles}
    wide = values.group_by(list(by)).agg(
        *(pl.col(value).quantile(p, "linear").alias(name) for p, name in names.items()),
        pl.len().alias("n"), pl.col("project_id").n_unique().alias("projects"))
    long = wide.unpivot(list(names.values()), index=[*by, "n", "projects"], variable_name="statistic",
                        value_name="estimate")
    return long.select(*by, "statistic", pl.col("estimate").cast(pl.Float64), pl.lit(None, pl.Float64).alias("lo"),
                       pl.lit(None, pl.Float64).alias("hi"), pl.col("n").cast(pl.Int64),
                       pl.col("projects").cast(pl.Int64), pl.lit(design.label).alias("sample")).sort([*by, "statistic"])


def _frame(rows: Sequence[Mapping[str, object]], design: Design, by: Sequence[str]) -> pl.DataFrame:
    schema = {"statistic": pl.String, "estimate": pl.Float64, "lo": pl.Float64, "hi": pl.Float64, "n": pl.Int64,
              "projects": pl.Int64}
    if not rows:
        return pl.DataFrame(schema={**dict.fromkeys(by, pl.String), **schema, "sample": pl.String})
    out = pl.DataFrame(rows, infer_schema_length=None)
    return out.with_columns(pl.lit(design.label).alias("sample")).sort([*by, "statistic"])


def time_in_status_estimates(intervals: pl.DataFrame, design: Design, terminal: Iterable[str],
                             percentiles: Iterable[float] = (0.5, 0.9), unit: str = "business_days",
                             first_visit_only: bool = False) -> pl.DataFrame:
    """Median and p90 of closed stays per status (final statuses left out), as
    pcnb.analytics.time_in_status defines them, estimated from the sample. ``n``: sampled stays."""
    iv = intervals.filter(~pl.col("is_open") & ~pl.col("status").is_in(list(terminal)))
    if first_visit_only:
        iv = iv.filter(pl.col("visit") == 1)
    iv = iv.select("project_id", pl.col("status").cast(pl.String), unit)
    return quantile_estimates(iv, design, unit, ["status"], percentiles)


def cohort_estimates(intervals: pl.DataFrame, design: Design, start: str, end: str, every: str = "1mo",
                     calendar: Calendar | None = None, as_of: datetime | None = None,
                     percentiles: Iterable[float] = (0.5,)) -> pl.DataFrame:
    """Per submission cohort (first entry into ``start``), the median business days to ``end`` of
    the completed projects (as pcnb.analytics.cohorts.cohort_cycle_times' median_bdays)."""
    cal = calendar or Calendar()
    ct = cycle_time(intervals, start, end, cal, as_of).filter(pl.col("complete")).select(
        "project_id", cal.local_date("start").dt.truncate(every).cast(pl.String).alias("cohort"), "business_days")
    return quantile_estimates(ct, design, "business_days", ["cohort"], percentiles)


def _wilson(p: float, n_eff: float) -> tuple[float, float]:
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n_eff)) / (1 + z2 / n_eff)
    half = Z95 * np.sqrt(p * (1 - p) / n_eff + z2 / (4 * n_eff * n_eff)) / (1 + z2 / n_eff)
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def _ratio(num: np.ndarray, den: np.ndarray, design: Design) -> tuple[float | None, float | None, float | None]:
    """Σw·num / Σw·den with its Wilson interval at the effective sample size (per sampled project)."""
    w = design.sampled["weight"].to_numpy()
    total = float((w * den).sum())
    if total <= 0:
        return None, None, None
    r = float((w * num).sum()) / total
    if design.complete:
        return r, None, None
    var = design.variance((num - r * den) / total)
    raw = float(den.sum())  # the sampled count: the effective size when the variance estimate is 0
    n_eff = min(r * (1 - r) / var, raw) if var > 0 and 0 < r < 1 else raw
    lo, hi = _wilson(r, max(n_eff, 1.0))
    return r, lo, hi


def deadline_estimates(intervals: pl.DataFrame, design: Design, deadlines: Mapping[str, int],
                       unit: str = "business_days", first_visit_only: bool = True) -> pl.DataFrame:
    """pct_exceeding = (B + C) / (A + C) and on_time_rate = (A - B) / A per status with a deadline,
    counted as pcnb.analytics.sla.sla_compliance counts them (A completed, B completed late,
    C open and past the deadline), estimated from the sample."""
    iv = intervals.filter(pl.col("status").is_in(list(deadlines)))
    if first_visit_only:
        iv = iv.filter(pl.col("visit") == 1)
    limit = pl.col("status").cast(pl.String).replace_strict(dict(deadlines), return_dtype=pl.Int32)
    iv = _attach(iv.with_columns(
        (~pl.col("is_open")).cast(pl.Float64).alias("_a"),
        ((~pl.col("is_open")) & (pl.col(unit) > limit)).cast(pl.Float64).alias("_b"),
        (pl.col("is_open") & (pl.col(f"age_{unit}") > limit)).cast(pl.Float64).alias("_c")), design)
    rows = []
    for status in sorted(deadlines):
        g = iv.filter(pl.col("status").cast(pl.String) == status).group_by("_i").agg(
            pl.col("_a").sum(), pl.col("_b").sum(), pl.col("_c").sum())
        per = {k: np.bincount(g["_i"].to_numpy(), g[k].to_numpy(), minlength=design.n) for k in ("_a", "_b", "_c")}
        a, b, c = per["_a"], per["_b"], per["_c"]
        for name, num, den in (("pct_exceeding", b + c, a + c), ("on_time_rate", a - b, a)):
            est, lo, hi = _ratio(num, den, design)
            rows.append({"status": status, "statistic": name, "estimate": est, "lo": lo, "hi": hi,
                         "n": int(den.sum()), "projects": int((den > 0).sum())})
    return _frame(rows, design, ["status"])


def throughput_estimates(intervals: pl.DataFrame, design: Design, statuses: Iterable[str] | None = None,
                         every: str = "1mo", calendar: Calendar | None = None) -> pl.DataFrame:
    """First entries into each status per period (pcnb.analytics.throughput.throughput's count),
    estimated as N_h / n_h times the sampled count, with a normal interval."""
    cal = calendar or Calendar()
    iv = intervals.filter(pl.col("visit") == 1)
    if statuses is not None:
        iv = iv.filter(pl.col("status").is_in(list(statuses)))
    per = _attach(iv.select("project_id", pl.col("status").cast(pl.String),
                            cal.local_date("entered").dt.truncate(every).alias("period")), design)
    y = per.group_by("period", "status", "_h").agg(pl.len().cast(pl.Float64).alias("s1"))  # y is 0/1 a project
    big_n, n = design.sizes.astype(float), design.counts.astype(float)
    h = y["_h"].to_numpy()
    s1 = y["s1"].to_numpy()
    scale = big_n[h] / n[h]
    ok = n[h] > 1
    var_h = np.where(ok, (s1 - s1 ** 2 / n[h]) / np.maximum(n[h] - 1, 1), 0.0)  # Σy² = Σy for 0/1
    contrib = np.where(ok, big_n[h] ** 2 * (1 - n[h] / big_n[h]) * var_h / n[h], 0.0)
    out = y.with_columns(pl.Series("_t", s1 * scale), pl.Series("_v", contrib)).group_by("period", "status").agg(
        pl.col("_t").sum().alias("estimate"), pl.col("_v").sum().alias("_v"), pl.col("s1").sum().cast(pl.Int64)
        .alias("n"))
    # strata with no sampled entry in a (period, status) have all y = 0 there: no variance, no row
    se = pl.col("_v").sqrt()
    if design.complete:
        out = out.with_columns(pl.lit(None, pl.Float64).alias("lo"), pl.lit(None, pl.Float64).alias("hi"))
    else:
        out = out.with_columns((pl.col("estimate") - Z95 * se).clip(lower_bound=0).alias("lo"),
                               (pl.col("estimate") + Z95 * se).alias("hi"))
    return out.drop("_v").with_columns(pl.lit(design.label).alias("sample")).sort("period", "status")


__all__ = ["Design", "cohort_estimates", "deadline_estimates", "quantile_estimates", "sample_design",
           "throughput_estimates", "time_in_status_estimates"]
