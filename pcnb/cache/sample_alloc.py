"""How many histories each stratum gets: an allocation toward the figures asked for.

Why: proportional allocation serves every figure alike. The deadline shares (pct_exceeding, on-time
rate) are ratios over the projects that passed the deadline's status, so a project whose current
status lies before every deadline status adds nothing to them; sampling such strata less and the
strata past the deadline statuses more shrinks those intervals at the same number of calls.

The allocation is Neyman's (n_h proportional to N_h S_h) for the sum of the variances of the asked
figures, with S_h taken from what is known before any history is fetched:

- figure k is a share over X_k projects, those that passed deadline status k; a stratum (current
  status s) passes k when k can precede s in the program's workflow (or s is k itself). Inside a
  stratum that passes, the share's linearised variable has standard deviation at most
  1 / (2 X_k) (a share of 1/2, the worst case); outside it is 0;
- the other figures (time in status, throughput, cohorts) count as one more share over all N
  projects, so every stratum keeps a rate above 0 and none is left unsampled.

So S_h^2 = sum_k pass_hk / X_k^2 + 1 / N^2 (the common factor 1/4 dropped), and stratum h is
sampled at a rate proportional to S_h (its share of the sample over its share of the listing).
The rates are fixed before the first history is fetched, from the listing and the profile alone;
they depend on no fetched value, so every project's inclusion probability is n_h / N_h exactly and
the estimators (pcnb.analytics.estimates, weights N_h / n_h) stay design-unbiased. The workflow is
the profile's observed one (a program synced before) or, with no profile, unknown: the allocation
is then proportional. docs/large-programs.md states how much it gains (little, on the sandbox) and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Focus:
    """The figures a sample should serve best: the statuses with a deadline and the workflow's
    steps (from, to), all by status name."""

    deadlines: tuple[str, ...]
    steps: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, deadlines: Iterable[str], steps: Iterable[tuple[str, str]]) -> Focus | None:
        """A focus, or None when it cannot change the allocation (no deadline, or no known workflow)."""
        dl, st = tuple(sorted(set(deadlines))), tuple(sorted(set(steps)))
        return cls(dl, st) if dl and st else None


def passes(focus: Focus, status: str) -> list[str]:
    """The deadline statuses a project now in ``status`` has passed through (or is in): those from
    which ``status`` can be reached along the workflow's steps."""
    after: dict[str, set[str]] = {}
    for a, b in focus.steps:
        after.setdefault(a, set()).add(b)
    out = []
    for d in focus.deadlines:
        seen, todo = {d}, [d]
        while todo:
            for nxt in after.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        if status in seen:
            out.append(d)
    return out


def rates(names: Sequence[str], focus: Focus | None) -> dict[str, float]:
    """Each stratum's sampling rate relative to proportional allocation (1.0 everywhere without a
    focus), given the current status name of every listed project (one entry per project)."""
    labels, sizes = np.unique(np.asarray(names, dtype=object), return_counts=True)
    if focus is None or len(labels) == 0:
        return {str(s): 1.0 for s in labels}
    big_n = float(sizes.sum())
    passed = {str(s): set(passes(focus, str(s))) for s in labels}
    x = {d: float(sum(n for s, n in zip(labels, sizes, strict=True) if d in passed[str(s)])) for d in focus.deadlines}
    s_h = np.array([np.sqrt(sum(1 / x[d] ** 2 for d in passed[str(s)] if x[d] > 0) + 1 / big_n ** 2)
                    for s in labels])
    mean = float((sizes * s_h).sum() / big_n)  # proportional allocation has rate 1 on average
    return {str(s): float(r / mean) for s, r in zip(labels, s_h, strict=True)}


def stratum_rates(strata: Sequence[str], names: Sequence[str], focus: Focus | None) -> Mapping[str, float]:
    """``rates`` keyed by the sample's stratum label (``strata``, e.g. the status id) where the
    workflow knows statuses by ``names`` (one of each per project, in the same order)."""
    by_name = rates(names, focus)
    return {s: by_name[n] for s, n in zip(strata, names, strict=True)}


__all__ = ["Focus", "passes", "rates", "stratum_rates"]
