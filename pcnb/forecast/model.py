"""The learned model: for each status, how long a stay lasts and where it goes next (semi-Markov).

Learned from every stay up to ``as_of`` in a pool of comparable stays: the same status, segment
(track or size bin) and visit (a first stay, or a return after rework). A segment's or visit's pool
with fewer than ``min_n`` stays (ended or still open: both are observations) falls back to a wider
one: the status's stays of every segment, then of every visit, then both (``basis`` says which was
used); a narrow pool is also shrunk toward the status's whole pool by ``prior`` pseudo-stays
(empirical Bayes: a small segment borrows strength, a big one speaks for itself). A status with
fewer than ``min_n`` ended stays in all projects has no pool: a project there gets no number, and a
path that enters it stops there ("beyond the data").

Censoring: a stay still open at ``as_of`` is not dropped. It has lasted at least ``m`` business
days (:mod:`pcnb.forecast.days`), so it counts in the risk set up to ``m`` and tells that much; the
estimate is the discrete-time Aalen-Johansen one (Kaplan-Meier for "any exit", split by next status
as competing risks): hazard ``h(t) = d(t) / n(t)``, ``S(t) = prod(1 - h)``, and the joint mass of
"leaves after t business days to status k" is ``S(t-1) d_k(t) / n(t)``. The mass left after the
longest ended stay (``S(t_last)``: stays still open beyond anything seen to end) is the *tail*: a
path that draws it stays in the status past the horizon, and a project already older than
``t_last`` is not given a number ("older than every stay there that ended").

A draw given that ``m`` days have passed uses only the mass at ``t >= m``, renormalised: the residual
time given the time already spent, and the next status as it depends on that time (a timer-like
expiry after 180 days is the likely exit of a stay that old, not of a new one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

#: next-status code of the tail draw (stays past the data's reach)
TAIL = -1
#: the levels tried for a (status, segment, visit) pool, narrowest first: (by segment, by visit)
LEVELS = ((True, True), (False, True), (True, False), (False, False))
ALL = "all projects"
#: pseudo-stays of the wider pool mixed into a segment's or a visit's pool (empirical-Bayes shrinkage)
PRIOR = 50.0


@dataclass
class Pool:
    """One fitted pool: the stays of ``status`` (in ``segment`` / ``repeat`` visits, None = any)."""

    status: str
    segment: str | None
    repeat: bool | None
    n: int  # stays (ended + open)
    n_closed: int  # ended stays
    t_last: int  # the longest ended stay, business days
    p95: float | None  # the censoring-aware 95th percentile of a stay, business days (None: not reached)

    @property
    def basis(self) -> str:
        seg = f"segment {self.segment}" if self.segment is not None else ALL
        visit = "" if self.repeat is None else (", returns" if self.repeat else ", first visits")
        return f"{seg}{visit}: {self.n_closed:,} ended + {self.n - self.n_closed:,} open stays"


@dataclass
class Fit:
    """Atoms of one pool: (t, next code) with their mass, the tail last; ``cb[a]`` = P(T < a)."""

    t: np.ndarray
    k: np.ndarray
    mass: np.ndarray
    cb: np.ndarray
    p95: float | None


def fit_pool(t_obs: np.ndarray, k_obs: np.ndarray, w_obs: np.ndarray, m_open: np.ndarray,
             w_open: np.ndarray) -> Fit:
    """The discrete-time Aalen-Johansen fit of one pool (see the module doc); weights are counts."""
    t_last = int(t_obs.max())
    size = max(t_last, int(m_open.max()) if m_open.size else 0) + 2
    d_t = np.bincount(t_obs, weights=w_obs, minlength=size)
    c_m = np.bincount(m_open, weights=w_open, minlength=size) if m_open.size else np.zeros(size)
    at_risk = (w_obs.sum() - np.concatenate([[0.0], np.cumsum(d_t)[:-1]])) + (w_open.sum() - np.cumsum(c_m))
    hazard = np.divide(d_t, at_risk, out=np.zeros(size), where=at_risk > 0)
    surv = np.cumprod(1.0 - hazard)  # S(t) = P(T > t)
    before = np.concatenate([[1.0], surv[:-1]])  # P(T >= t)
    key = t_obs.astype(np.int64) * (1 << 20) + k_obs  # pairs (t, k), summed
    uniq, inverse = np.unique(key, return_inverse=True)
    d_tk = np.bincount(inverse, weights=w_obs)
    t_at, k_at = (uniq >> 20).astype(np.int32), (uniq & ((1 << 20) - 1)).astype(np.int32)
    mass = before[t_at] * d_tk / at_risk[t_at]
    tail = float(surv[t_last])
    keep = mass > 0
    t_at, k_at, mass = t_at[keep], k_at[keep], mass[keep]
    if tail > 1e-12:
        t_at, k_at = np.append(t_at, t_last + 1).astype(np.int32), np.append(k_at, TAIL).astype(np.int32)
        mass = np.append(mass, tail)
    cb = 1.0 - before[: t_last + 2]
    reached = np.nonzero(surv <= 0.05)[0]
    return Fit(t_at, k_at, mass / mass.sum(), cb, float(reached[0]) if reached.size else None)


class StayModel:
    """Every pool of a program, flattened into arrays for vectorised draws (:meth:`draw`)."""

    def __init__(self, names: Sequence[str], final: Iterable[str], segments: Sequence[str]):
        self.names = list(names)
        self.codes = {n: i for i, n in enumerate(self.names)}
        self.is_final = np.array([n in set(final) for n in self.names])
        self.segments = list(segments)
        self.seg_codes = {s: i for i, s in enumerate(self.segments)}
        # lookup[status, segment, repeat] -> pool id; pool 0 is "no data": one tail atom
        self.lookup = np.zeros((len(self.names), len(self.segments), 2), dtype=np.int32)
        self.pools: list[Pool | None] = [None]
        self.fits: list[Fit] = [Fit(np.array([0], np.int32), np.array([TAIL], np.int32), np.array([1.0]),
                                    np.array([0.0]), None)]
        self.scale = np.ones(1)
        self.why: dict[tuple[int, int, int], str] = {}  # (status, segment, repeat) without a pool: why

    def add(self, pool: Pool, fit: Fit) -> int:
        self.pools.append(pool)
        self.fits.append(fit)
        self.scale = np.append(self.scale, 1.0)
        return len(self.pools) - 1

    def freeze(self) -> StayModel:
        """Concatenate the pools' atoms: ``G`` = pool id + cumulative mass, one sorted array, so one
        ``searchsorted`` draws for every path whatever its pool."""
        lens = np.array([f.t.size for f in self.fits])
        self.lo = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
        self.hi = self.lo + lens
        self.G = np.concatenate([i + np.minimum(np.cumsum(f.mass), 1.0) for i, f in enumerate(self.fits)])
        self.atom_t = np.concatenate([f.t for f in self.fits]).astype(np.int32)
        self.atom_k = np.concatenate([f.k for f in self.fits]).astype(np.int32)
        cb_lens = np.array([f.cb.size for f in self.fits])
        self.cb_lo = np.concatenate([[0], np.cumsum(cb_lens)[:-1]]).astype(np.int64)
        self.cb_len = cb_lens.astype(np.int64)
        self.cb = np.concatenate([f.cb for f in self.fits])
        return self

    def pool_of(self, status: np.ndarray, segment: np.ndarray, repeat: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.lookup[status, segment, repeat.astype(np.int64)]
        return out

    def draw(self, pool: np.ndarray, age: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(business days the stay lasts in all, next status code or TAIL) for stays of ``pool``
        that have lasted ``age`` days already. A pool's what-if ``scale`` stretches what is still to
        come: the days already spent are spent, the rest of the stay (all of a new one) takes
        ``scale`` times as long."""
        scale = self.scale[pool]
        scaled = scale != 1.0
        lo = self.cb[self.cb_lo[pool] + np.minimum(age.astype(np.int64), self.cb_len[pool] - 1)]
        u = 1.0 - rng.random(pool.size)
        i = np.searchsorted(self.G, pool + lo + u * (1.0 - lo), side="left")
        i = np.clip(i, self.lo[pool], self.hi[pool] - 1)
        t, k = self.atom_t[i], self.atom_k[i]
        k = np.where(1.0 - lo < 1e-9, TAIL, k)
        t = np.maximum(t, age)
        if scaled.any():
            t = np.where(scaled, age + np.rint((t - age) * scale), t)
        return t.astype(np.int32), k.astype(np.int32)


def stays_table(intervals: pl.DataFrame, final: Sequence[str], today: int, segments: pl.DataFrame | None,
                censoring: bool = True) -> pl.DataFrame:
    """Counts of stays by (status, segment, repeat, closed, t, next): the model's whole input.

    ``t`` is an ended stay's business days, or an open one's censoring bound ``m`` (its age plus
    ``today``, see :mod:`pcnb.forecast.days`). ``censoring=False`` drops the open stays: the
    biased "closed stays only" estimate the back-test compares against."""
    iv = intervals.filter(~pl.col("status").is_in(list(final)))
    if not censoring:
        iv = iv.filter(~pl.col("is_open"))
    iv = iv.join(segments.select("project_id", "segment"), on="project_id", how="left") if segments is not None \
        else iv.with_columns(pl.lit(ALL).alias("segment"))
    t = pl.when(pl.col("is_open")).then(pl.col("age_business_days") + today).otherwise(pl.col("business_days"))
    return iv.group_by(pl.col("status"), pl.col("segment").fill_null("unknown"), (pl.col("visit") > 1).alias("repeat"),
                       (~pl.col("is_open")).alias("closed"), t.clip(0).cast(pl.Int32).alias("t"),
                       pl.col("next_status")).len("w").sort(  # sorted: a seeded bootstrap is the same again
        "status", "segment", "repeat", "closed", "t", "next_status", nulls_last=True)


def learn(table: pl.DataFrame, names: Sequence[str], final: Sequence[str], segments: Sequence[str],
          min_n: int, prior: float = PRIOR) -> StayModel:
    """Fit a pool for each (status, segment, visit) from the counts (:func:`stays_table`), with the
    fallbacks of the module doc; keys with no pool at any level map to pool 0 (no data) with a reason."""
    model = StayModel(names, final, segments)
    codes = model.codes
    tab = table.with_columns(pl.col("next_status").replace_strict(codes, default=TAIL, return_dtype=pl.Int32)
                             .alias("k"))
    fitted: dict[tuple[str, str | None, bool | None], int] = {}
    level_n = {}
    for by_seg, by_visit in LEVELS:
        keys = ["status", *(["segment"] if by_seg else []), *(["repeat"] if by_visit else [])]
        counts = tab.group_by(keys).agg(pl.col("w").filter(pl.col("closed")).sum().alias("closed"),
                                        pl.col("w").sum().alias("n"))
        level_n[(by_seg, by_visit)] = {tuple(r[:-2]): (r[-2], r[-1]) for r in counts.iter_rows()}
    statuses = [s for s in tab["status"].unique().sort().to_list() if s in codes]  # sorted: pool ids are stable
    for status in statuses:
        closed_all, _ = level_n[(False, False)].get((status,), (0, 0))
        why = "" if closed_all >= min_n else (
            f"no stay in {status!r} has ended yet" if closed_all == 0 else
            f"only {closed_all} stays in {status!r} have ended (fewer than min_n={min_n})")
        for seg in segments:
            for repeat in (False, True):
                pool_id = 0
                for by_seg, by_visit in LEVELS if not why else ():
                    if by_seg and len(segments) == 1:
                        continue
                    key = (status, *([seg] if by_seg else []), *([repeat] if by_visit else []))
                    closed, n = level_n[(by_seg, by_visit)].get(key, (0, 0))
                    if (by_seg or by_visit) and (n < min_n or (prior <= 0 and closed == 0)):
                        continue  # a segment's or visit's own stays (open ones count) are too few
                    name = (status, seg if by_seg else None, repeat if by_visit else None)
                    if name not in fitted:
                        fitted[name] = _fit_from(model, tab, name, int(n), int(closed), prior)
                    pool_id = fitted[name]
                    break
                model.lookup[codes[status], model.seg_codes[seg], int(repeat)] = pool_id
                if not pool_id:
                    model.why[(codes[status], model.seg_codes[seg], int(repeat))] = why
    for status in set(names) - set(statuses) - set(final):
        for seg in segments:
            for rep in (0, 1):
                model.why[(codes[status], model.seg_codes[seg], rep)] = f"no stay in {status!r} before as_of"
    return model.freeze()


def _select(tab: pl.DataFrame, status: str, seg: str | None, repeat: bool | None) -> pl.DataFrame:
    sel = tab.filter(pl.col("status") == status)
    if seg is not None:
        sel = sel.filter(pl.col("segment") == seg)
    if repeat is not None:
        sel = sel.filter(pl.col("repeat") == repeat)
    return sel


def _fit_from(model: StayModel, tab: pl.DataFrame, name: tuple[str, str | None, bool | None], n: int,
              closed: int, prior: float) -> int:
    status, seg, repeat = name
    sel = _select(tab, status, seg, repeat)
    if prior > 0 and (seg is not None or repeat is not None):  # shrink towards all the status's stays
        parent = _select(tab, status, None, None)
        weight = prior / max(float(parent["w"].sum()), 1.0)
        sel = pl.concat([sel.with_columns(pl.col("w").cast(pl.Float64)),
                         parent.with_columns(pl.col("w").cast(pl.Float64) * weight)])
    obs, cens = sel.filter(pl.col("closed")), sel.filter(~pl.col("closed"))
    fit = fit_pool(obs["t"].to_numpy().astype(np.int64), obs["k"].to_numpy().astype(np.int64),
                   obs["w"].to_numpy().astype(np.float64), cens["t"].to_numpy().astype(np.int64),
                   cens["w"].to_numpy().astype(np.float64))
    t_last = int(obs["t"].max())  # type: ignore[arg-type]
    return model.add(Pool(status, seg, repeat, n, closed, t_last, fit.p95), fit)


__all__ = ["ALL", "TAIL", "Fit", "Pool", "StayModel", "fit_pool", "learn", "stays_table"]
