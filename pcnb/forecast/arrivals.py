"""The arrivals model of the backlog forecast: how many new projects come, and when.

A project arrives on the local day of its first status event, in that status (the program's
start: drafts, pre-applications...).

- Seasonality, when the history holds at least two years of whole months: a factor per calendar
  month, the month's arrivals per business day over their centred 12-month moving average (the
  trend taken out), averaged over the years, scaled to a mean of 1 and shrunk toward 1 by the share
  of its spread that Poisson noise alone would give (a program without seasons gets factors near 1,
  not its noise). Otherwise none, and the model says so.
- The rate: arrivals per business day (seasonality taken out) in each of the last ``TREND_WEEKS``
  weeks, fitted by weighted least squares to a level now plus a weekly trend. The trend is kept
  only when it is clear (|t| >= 2) and at least 8 weeks are known; else the rate is the level of the
  last 13 weeks. Its uncertainty (the fit's covariance, from how much the weeks scatter) is drawn
  per simulated world, so the bands include not knowing the rate exactly.
- A future business day's mean is level + trend x weeks ahead (never below 0), times its month's
  factor, times a what-if ``surge``; a world's arrivals that day are a Poisson draw of that mean.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from pcnb.forecast.days import BusinessDays

TREND_WEEKS = 52
LEVEL_WEEKS = 13


@dataclass
class Arrivals:
    level: float  # arrivals per business day now (seasonality taken out)
    trend: float  # change of that rate per week (0: no trend)
    cov: np.ndarray  # 2x2 covariance of (level, trend)
    weeks: int  # weeks the rate was fitted on
    n: int  # arrivals in those weeks
    seasonal: dict[int, float] | None  # month (1-12) -> factor (mean 1)
    starts: dict[str, float]  # first status -> share of recent arrivals
    segments: dict[str, float] = field(default_factory=dict)  # segment -> share of recent arrivals

    def daily(self, days: BusinessDays, idx: np.ndarray, surge: float = 1.0,
              rng: np.random.Generator | None = None, worlds: int = 1) -> np.ndarray:
        """Expected arrivals on each business day ``idx``: (worlds, days), each world with its own
        draw of the level and trend when ``rng`` is given (else the estimate, one row)."""
        ahead = (days.dates(idx) - np.datetime64(days.day0, "D")).astype(np.int64) / 7.0
        if rng is not None:
            params = rng.multivariate_normal([self.level, self.trend], self.cov, size=worlds, method="eigh")
        else:
            params = np.array([[self.level, self.trend]])
        rate = np.clip(params[:, :1] + params[:, 1:] * ahead[None, :], 0, None)
        if self.seasonal is not None:
            factor = np.array([self.seasonal[m] for m in range(1, 13)])
            rate = rate * factor[days.dates(idx).astype("datetime64[M]").astype(np.int64) % 12][None, :]
        out: np.ndarray = rate * surge
        return out

    def short(self) -> str:
        """One line for a chart's footnote."""
        return f"new projects: {self.level:.1f} a business day now, {self.trend:+.2f} more each week"

    def describe(self) -> str:
        if self.seasonal is None:
            season = "no seasonality (less than two years of whole months of arrivals)"
        elif all(abs(f - 1) < 0.01 for f in self.seasonal.values()):
            season = "no seasonality beyond chance in the monthly arrivals"
        else:
            season = "seasonality by month: " + ", ".join(f"{date(2000, m, 1):%b} {f:.2f}"
                                                          for m, f in self.seasonal.items())
        se = float(np.sqrt(self.cov[0, 0]))
        trend = (f"trend {self.trend:+.3f} per business day each week (from {self.weeks} weeks)" if self.trend else
                 f"no clear trend (the level of the last {self.weeks} weeks)")
        return (f"arrivals: {self.level:.2f} per business day now (+/- {se:.2f}; {self.n:,} arrivals); {trend}; "
                f"{season}; a Poisson draw per business day")


def learn_arrivals(intervals: pl.DataFrame, days: BusinessDays, segments: pl.DataFrame | None) -> Arrivals:
    """The arrivals model from the first stays of every project up to as_of (see the module doc)."""
    first = intervals.sort("entered").group_by("project_id").agg(pl.col("status").first(),
                                                                pl.col("entered").first())
    first = first.with_columns(days.local_dates("entered").alias("day"))
    seasonal = _seasonal(first, days)
    back = (pl.lit(days.day0) - pl.col("day")).dt.total_days()
    weekly = first.filter((back >= 0) & (back < 7 * TREND_WEEKS)).group_by((back // 7).alias("k")).len()
    start = first["day"].min()
    known = min(TREND_WEEKS, ((days.day0 - start).days // 7) if isinstance(start, date) else 0)
    level, trend, cov, used = _rate(dict(weekly.iter_rows()), max(known, 1), days, seasonal)
    recent = first.filter((back >= 0) & (back < 7 * used))
    starts = _shares(recent if recent.height else first, "status")
    segs: dict[str, float] = {}
    if segments is not None:
        seg = (recent if recent.height else first).join(segments, on="project_id", how="left")
        segs = _shares(seg.with_columns(pl.col("segment").fill_null("unknown")), "segment")
    return Arrivals(level, trend, cov, used, recent.height, seasonal, starts, segs)


def _rate(counts: dict[int, int], weeks: int, days: BusinessDays,
          seasonal: dict[int, float] | None) -> tuple[float, float, np.ndarray, int]:
    """(level, trend, covariance, weeks used) from arrivals per week ``k`` back (0 = the last)."""
    k = np.arange(weeks)
    ends = [days.day0 - timedelta(days=7 * int(i)) for i in k]
    bdays = np.array([max(int(np.busday_count(e - timedelta(days=6), e + timedelta(1), busdaycal=days.cal)), 0)
                      for e in ends], dtype=np.float64)
    factor = np.array([seasonal[(e - timedelta(days=3)).month] if seasonal else 1.0 for e in ends])
    n = np.array([counts.get(int(i), 0) for i in k], dtype=np.float64)
    ok = bdays > 0
    y = np.where(ok, n / np.where(ok, bdays * factor, 1), 0.0)
    x = -(k + 0.5)
    if ok.sum() >= 8:
        X = np.stack([np.ones(weeks), x], axis=1)[ok]  # noqa: N806 - the design matrix
        w = bdays[ok]
        xtwx = X.T @ (X * w[:, None])
        beta = np.linalg.solve(xtwx, X.T @ (w * y[ok]))
        resid = y[ok] - X @ beta
        s2 = max(float((w * resid**2).sum() / max(ok.sum() - 2, 1)), float(beta[0]) if beta[0] > 0 else 0.0)
        cov = s2 * np.linalg.inv(xtwx)
        if abs(beta[1]) >= 2 * np.sqrt(cov[1, 1]) and beta[0] > 0:
            return float(beta[0]), float(beta[1]), cov, weeks
    last = min(LEVEL_WEEKS, weeks)
    total = float((bdays[:last] * factor[:last]).sum())
    level = float(n[:last].sum()) / total if total else 0.0
    scatter = float(np.var(y[:last][ok[:last]], ddof=1)) / max(int(ok[:last].sum()), 1) if ok[:last].sum() > 1 else 0
    var = max(level / total if total else 0.0, scatter)
    return level, 0.0, np.array([[var, 0.0], [0.0, 0.0]]), last


def _shares(df: pl.DataFrame, col: str) -> dict[str, float]:
    counts = df.group_by(col).len().sort(col)
    total = max(int(counts["len"].sum()), 1)
    return {str(k): int(v) / total for k, v in counts.iter_rows()}


def _seasonal(first: pl.DataFrame, days: BusinessDays) -> dict[int, float] | None:
    if first.height == 0:
        return None
    start = first["day"].min()
    assert isinstance(start, date)
    months = pl.date_range(date(start.year, start.month, 1), days.day0, "1mo", eager=True)
    whole = [m for m in months.to_list()[1:] if _next(m) <= days.day0]  # whole months after the first
    if len(whole) < 24:
        return None
    counts = dict(first.group_by(pl.col("day").dt.truncate("1mo")).len().iter_rows())
    n_month = np.array([counts.get(m, 0) for m in whole], dtype=np.float64)
    rate = n_month / np.array([max(int(np.busday_count(m, _next(m), busdaycal=days.cal)), 1) for m in whole])
    weights = np.array([0.5, *[1.0] * 11, 0.5]) / 12  # the centred 2x12 moving average
    trend = np.convolve(rate, weights, mode="valid")  # trend[i] is centred on month i + 6
    ratio = rate[6:6 + trend.size] / np.where(trend > 0, trend, np.nan)
    by_month: dict[int, list[tuple[float, float]]] = {}
    for m, r, k in zip(whole[6:6 + trend.size], ratio, n_month[6:6 + trend.size], strict=True):
        if np.isfinite(r):
            by_month.setdefault(m.month, []).append((float(r), float(k)))
    if len(by_month) < 12:
        return None
    factor = np.array([np.mean([r for r, _ in by_month[m]]) for m in range(1, 13)])
    factor /= factor.mean()
    # a month's ratio from k arrivals has a Poisson variance of about ratio^2 / k; its mean over years, /years
    noise = np.mean([np.mean([r * r / max(k, 1.0) for r, k in by_month[m]]) / len(by_month[m]) for m in range(1, 13)])
    spread = float(np.mean((factor - 1) ** 2))
    keep = max(0.0, 1 - noise / spread) if spread > 0 else 0.0
    return {m: float(1 + keep * (f - 1)) for m, f in zip(range(1, 13), factor, strict=True)}


def _next(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


__all__ = ["LEVEL_WEEKS", "TREND_WEEKS", "Arrivals", "learn_arrivals"]
