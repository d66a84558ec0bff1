"""Censoring-aware statistics, in exact arithmetic: Kaplan-Meier quantiles and cumulative incidence.

Open stays and open applications are *censored*: we know they have lasted at least their age at
``as_of``, not how long they will last. Dropping them understates durations (the slow ones are the
ones still open); Kaplan-Meier counts them as at risk up to their age.

Definitions (ties: events at t happen before censorings at t, the usual convention):

- at risk n(t) = observations with duration >= t; d(t) = events at t;
- survival S(t) = prod over event times s <= t of (1 - d(s) / n(s));
- the q-quantile is the smallest t with S(t) <= 1 - q (None when S never gets that low:
  too many observations are still open to say);
- with competing outcomes k (e.g. completed vs withdrawn), the cumulative incidence
  CIF_k(t) = sum over s <= t of S(s-) * d_k(s) / n(s) (Aalen-Johansen), where S is the survival from
  any outcome. Unlike 1 - KM with other outcomes treated as censored, the CIFs add up to 1 - S.

Arithmetic is on fractions, so S(6) = 8/10 * 7/8 * 6/7 * 5/6 is exactly 1/2 and compares as such;
durations are whole business days, so the distinct times are few and this stays fast.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from fractions import Fraction

import polars as pl


def _exact(q: float | Fraction) -> Fraction:
    return q if isinstance(q, Fraction) else Fraction(str(q))  # 0.85 -> 17/20, not its binary neighbour


def km_table(times: Sequence[float], events: Sequence[int], censored: Sequence[int]) -> list[tuple[float, Fraction]]:
    """(t, S(t)) at each distinct time, from counts per distinct time sorted ascending."""
    at_risk = sum(events) + sum(censored)
    s = Fraction(1)
    out = []
    for t, d, c in zip(times, events, censored, strict=True):
        if d:
            s *= Fraction(at_risk - d, at_risk)
        out.append((t, s))
        at_risk -= d + c
    return out


def _counts(durations: Iterable[float], observed: Iterable[bool | int]) -> tuple[list[float], list[int], list[int]]:
    tally: dict[float, list[int]] = {}
    for t, o in zip(durations, observed, strict=True):
        tally.setdefault(t, [0, 0])[0 if o else 1] += 1
    times = sorted(tally)
    return times, [tally[t][0] for t in times], [tally[t][1] for t in times]


def km_quantile(durations: Iterable[float], observed: Iterable[bool | int], q: float | Fraction = 0.5) -> float | None:
    """Kaplan-Meier q-quantile: the smallest duration t with S(t) <= 1 - q (exact; see module doc)."""
    return km_quantile_counts(*_counts(durations, observed), q=q)


def km_quantile_counts(times: Sequence[float], events: Sequence[int], censored: Sequence[int],
                       q: float | Fraction = 0.5) -> float | None:
    target = 1 - _exact(q)
    for t, s in km_table(times, events, censored):
        if s <= target:
            return float(t)
    return None


def km_median(durations: Iterable[float], observed: Iterable[bool | int]) -> float | None:
    """Kaplan-Meier median: the smallest duration at which the survival estimate drops to <= 1/2."""
    return km_quantile(durations, observed, Fraction(1, 2))


def km_quantiles(df: pl.DataFrame, keys: list[str], duration: str, observed: str,
                 qs: Sequence[float] = (0.5, 0.85, 0.9, 0.95), prefix: str = "km_p") -> pl.DataFrame:
    """Per group of ``keys``: KM quantiles of ``duration`` with ``observed`` (false = censored).

    Counts per (group, distinct duration) are made in polars; the exact product runs over the
    distinct durations only. Columns ``{prefix}50`` ... named by percent."""
    names = [f"{prefix}{round(q * 100)}" for q in qs]
    schema: dict[str, pl.DataType | type[pl.DataType]] = {**{k: df.schema[k] for k in keys},
                                                          **dict.fromkeys(names, pl.Float64)}
    if df.height == 0:
        return pl.DataFrame(schema=schema)
    agg = df.group_by(*keys, duration).agg(pl.col(observed).sum().alias("_d"),
                                           (~pl.col(observed)).sum().alias("_c")).sort(*keys, duration)
    grouped = agg.group_by(keys, maintain_order=True).agg(pl.col(duration), "_d", "_c")
    rows = []
    for r in grouped.iter_rows(named=True):
        table = km_table(r[duration], r["_d"], r["_c"])
        values: dict[str, float | None] = {}
        for name, q in zip(names, qs, strict=True):
            target = 1 - _exact(q)
            values[name] = next((float(t) for t, s in table if s <= target), None)
        rows.append({**{k: r[k] for k in keys}, **values})
    return pl.DataFrame(rows, schema=schema, orient="row")


def cumulative_incidence(durations: Iterable[float], outcomes: Iterable[Hashable | None]
                         ) -> dict[Hashable, list[tuple[float, Fraction]]]:
    """Aalen-Johansen cumulative incidence per outcome (``None`` = censored): {outcome: [(t, CIF(t))]}
    at each distinct time."""
    tally: dict[float, dict[Hashable | None, int]] = {}
    for t, k in zip(durations, outcomes, strict=True):
        tally.setdefault(t, {}).setdefault(k, 0)
        tally[t][k] += 1
    kinds = sorted({k for per in tally.values() for k in per if k is not None}, key=str)
    at_risk = sum(sum(per.values()) for per in tally.values())
    surv = Fraction(1)
    cif = dict.fromkeys(kinds, Fraction(0))
    out: dict[Hashable, list[tuple[float, Fraction]]] = {k: [] for k in kinds}
    for t in sorted(tally):
        per = tally[t]
        d_all = sum(n for k, n in per.items() if k is not None)
        for k in kinds:
            if per.get(k):
                cif[k] += surv * Fraction(per[k], at_risk)
            out[k].append((t, cif[k]))
        if d_all:
            surv *= Fraction(at_risk - d_all, at_risk)
        at_risk -= sum(per.values())
    return out


__all__ = ["cumulative_incidence", "km_median", "km_quantile", "km_quantile_counts", "km_quantiles", "km_table"]
