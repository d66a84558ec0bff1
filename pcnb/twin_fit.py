"""Step durations for the twin, fitted with the stays still open (censoring), not without them.

A twin fitted from finished stays only makes long steps short: the projects still in a long step
are the slow ones, and leaving them out drops the slow tail (10-21 % short on the sandbox programs'
long steps). The sandbox draws a project's next step first (probability ``p``) and then its
duration (a lognormal per step), so a status's stays are a mixture; a stay still open at age ``c``
is "longer than c" under whichever step it will take. This fits that mixture by EM: an open stay is
shared among the steps by how likely each is to still be running at its age, and each step's
lognormal is the censored-normal fit of the logs (truncated-normal moments), with ``p`` re-estimated
from the shares. Only the standard library: a few thousand stays per status need no optimizer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ITERATIONS = 60


@dataclass(frozen=True)
class StepFit:
    """One next step of a status: its probability and its duration's lognormal (median, sigma)."""

    p: float
    median: float
    sigma: float


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def _survival(x: float) -> float:
    """P(Z > x) for a standard normal."""
    return 0.5 * math.erfc(x / math.sqrt(2))


def fit_status(closed: Mapping[str, Sequence[float]], open_ages: Sequence[float]) -> dict[str, StepFit]:
    """Each next step's fit from its finished stays (business days, by the step taken) and the ages of
    the stays still open in the status. Without open stays this is the plain lognormal fit of each
    step (median of the logs' mean, as the sandbox draws them)."""
    logs = {k: [math.log(max(v, 0.01)) for v in vs] for k, vs in closed.items() if vs}
    if not logs:
        return {}
    n_closed = {k: len(v) for k, v in logs.items()}
    mu = {k: sum(v) / len(v) for k, v in logs.items()}
    sd = {k: max(math.sqrt(sum((x - mu[k]) ** 2 for x in v) / len(v)), 0.05) if len(v) > 1 else 0.5
          for k, v in logs.items()}
    total = sum(n_closed.values()) + len(open_ages)
    p = {k: n / sum(n_closed.values()) for k, n in n_closed.items()}
    ages = [math.log(max(a, 0.01)) for a in open_ages]
    for _ in range(ITERATIONS if ages else 0):
        # E: each open stay shared among the steps by p_k * P(still running at its age | k)
        shares: dict[str, list[float]] = {k: [] for k in logs}
        for a in ages:
            weights = {k: p[k] * _survival((a - mu[k]) / sd[k]) for k in logs}
            norm = sum(weights.values())
            for k in logs:
                shares[k].append(weights[k] / norm if norm > 0 else p[k])
        # M: censored-normal moments of the logs, weighted by the shares
        for k, xs in logs.items():
            s1, s2, w = sum(xs), sum(x * x for x in xs), float(len(xs))
            for a, share in zip(ages, shares[k], strict=True):
                if share < 1e-9:
                    continue
                alpha = (a - mu[k]) / sd[k]
                tail = _survival(alpha)
                lam = _phi(alpha) / tail if tail > 1e-12 else alpha  # inverse Mills ratio
                ex = mu[k] + sd[k] * lam
                ex2 = mu[k] ** 2 + 2 * mu[k] * sd[k] * lam + sd[k] ** 2 * (1 + alpha * lam)
                s1, s2, w = s1 + share * ex, s2 + share * ex2, w + share
            mu[k] = s1 / w
            sd[k] = min(max(math.sqrt(max(s2 / w - mu[k] ** 2, 0.0)), 0.05), 2.5)
        p = {k: (n_closed[k] + sum(shares[k])) / total for k in logs}
    return {k: StepFit(round(p[k], 6), round(math.exp(mu[k]), 3), round(sd[k], 3)) for k in logs}
