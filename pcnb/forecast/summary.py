"""The simulation's totals as frames a reader can use: one row per project, per outcome, per deadline.

Probabilities are shares of the project's paths; the dates are local dates of the program calendar
(a percentile that falls after the horizon is null, the note says so). A project the data cannot
support gets no figures (null) and a note saying why, never a number made up.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from pcnb.forecast.days import NEVER, BusinessDays
from pcnb.forecast.model import StayModel
from pcnb.forecast.program import Program
from pcnb.forecast.simulate import Totals
from pcnb.forecast.state import STATES, Rule, Start

KINDS = ("completed", "withdrawn", "rejected", "cancelled")


#: a project most of whose futures go beyond what the data has seen end gets no figures
BEYOND_MAX = 0.5


def support(model: StayModel, start: Start, totals: Totals | None = None) -> tuple[np.ndarray, list[str], list[str]]:
    """Per project: whether the data supports a forecast, the basis it was drawn from, and the
    note (why not, or a caveat). With the simulation's ``totals``, a project half of whose futures
    reach a stay longer than any that ended (beyond the data) is not supported either."""
    pools = model.pool_of(start.status, start.segment, start.repeat)
    ok = np.ones(start.size, dtype=bool)
    basis, notes = [], []
    for i, p in enumerate(pools):
        pool = model.pools[p]
        if pool is None:
            ok[i] = False
            basis.append("")
            why = model.why.get((int(start.status[i]), int(start.segment[i]), int(start.repeat[i])), "no data")
            notes.append(f"no forecast: {why}")
            continue
        basis.append(pool.basis)
        if start.age[i] > pool.t_last:
            ok[i] = False
            notes.append(f"no forecast: it has been in {pool.status!r} for {int(start.age[i])} business days, longer "
                         f"than any stay there that ended (longest {pool.t_last})")
        else:
            notes.append("")
    if totals is not None:
        codes = len(model.names)
        beyond = totals.outcomes[:, codes + 1] / totals.paths
        for j in np.nonzero(ok & (beyond >= BEYOND_MAX))[0]:
            ok[j] = False
            notes[j] = (f"no forecast: in {beyond[j]:.0%} of its simulated futures it reaches a stay longer than any "
                        "the data has seen end (most likely it stays where it is)")
    return ok, basis, notes


def projects_frame(model: StayModel, start: Start, program: Program, days: BusinessDays, end: int,
                   totals: Totals) -> pl.DataFrame:
    codes = len(model.names)
    ok, basis, notes = support(model, start, totals)
    share = totals.outcomes / totals.paths
    kinds: dict[str, np.ndarray] = {}
    for i, name in enumerate(model.names):
        if model.is_final[i]:
            kind = program.kind(name)
            kinds[kind] = kinds.get(kind, np.zeros(start.size)) + share[:, i]
    p_open, p_beyond = share[:, codes], share[:, codes + 1]
    for i in range(start.size):
        extra = []
        if ok[i] and p_beyond[i] >= 0.05:
            extra.append(f"{p_beyond[i]:.0%} of its paths reach a status without enough ended stays to go on")
        if ok[i] and totals.quantiles[i, -1] >= end:
            extra.append(f"{1 - p_open[i] - p_beyond[i]:.0%} of its paths finish by the horizon "
                         f"({days.date(end - 1).isoformat()})")
        if extra:
            notes[i] = "; ".join([n for n in (notes[i], *extra) if n])
    dates = {f"done_p{round(q * 100)}": _dates(days, totals.quantiles[:, j], end, ok)
             for j, q in enumerate(totals.q)}
    frame = pl.DataFrame({
        "project_id": start.project_id.tolist(),
        "status": [model.names[c] for c in start.status],
        "holder": [program.holder(model.names[c]) for c in start.status],
        "segment": [model.segments[c] for c in start.segment],
        "visit": np.where(start.repeat, "return", "first"),
        "age_bdays": start.age.astype(np.int32),
        "p95_bdays": pl.Series(_p95(model, start), dtype=pl.Float64),
        "supported": ok,
        **{f"p_{k}": pl.Series(np.where(ok, v, np.nan)).fill_nan(None) for k, v in kinds.items()},
        "p_open": pl.Series(np.where(ok, p_open + p_beyond, np.nan)).fill_nan(None),
        **dates,
        "utility_bdays": pl.Series(np.where(ok, totals.utility, np.nan)).fill_nan(None),
        "applicant_bdays": pl.Series(np.where(ok, totals.applicant, np.nan)).fill_nan(None),
        "basis": basis,
        "note": notes,
    })
    return frame


def _p95(model: StayModel, start: Start) -> list[float | None]:
    """Per project: the 95th percentile of a stay in its pool (censoring-aware), None if unknown."""
    out: list[float | None] = []
    for p in model.pool_of(start.status, start.segment, start.repeat):
        pool = model.pools[p]
        out.append(None if pool is None else pool.p95)
    return out


def _dates(days: BusinessDays, idx: np.ndarray, end: int, ok: np.ndarray) -> pl.Series:
    keep = ok & (idx < end)
    out = np.full(idx.size, np.datetime64("NaT"), dtype="datetime64[D]")
    if keep.any():
        out[keep] = days.dates(idx[keep])
    return pl.Series(out).cast(pl.Date)


def outcomes_frame(model: StayModel, start: Start, program: Program, totals: Totals) -> pl.DataFrame:
    """project_id, outcome (a final status, "open at the horizon" or "beyond the data"), kind, probability."""
    ok, _, _ = support(model, start, totals)
    codes = len(model.names)
    names = [*model.names, "open at the horizon", "beyond the data"]
    kinds = [program.kind(n) if model.is_final[i] else "" for i, n in enumerate(model.names)] + ["open", "open"]
    cols = [i for i in range(codes + 2) if i >= codes or model.is_final[i]]
    rows = np.nonzero(ok)[0]
    share = totals.outcomes[np.ix_(rows, np.array(cols, dtype=np.int64))] / totals.paths
    frame = pl.DataFrame({
        "project_id": np.repeat(np.array(start.project_id, dtype=object)[rows], len(cols)).tolist(),
        "outcome": [names[c] for c in cols] * rows.size,
        "kind": [kinds[c] for c in cols] * rows.size,
        "probability": share.ravel(),
    }, schema={"project_id": pl.String, "outcome": pl.String, "kind": pl.String, "probability": pl.Float64})
    return frame.filter(pl.col("probability") > 0)


def deadlines_frame(model: StayModel, start: Start, rules: list[Rule], days: BusinessDays, totals: Totals,
                    within: int) -> pl.DataFrame:
    """One row per (open project, rule whose clock is ahead, running or already late): p_meet,
    p_breach, p_moot (the step ends without being finished: an exit), p_undecided (still running at
    the horizon), p_breach_within (goes late within ``within`` business days), late_on (the day it
    went late, or goes late if its step is still open then; null while the clock waits or is paused)."""
    ok, _, _ = support(model, start, totals)
    parts = []
    for r, cnt in zip(rules, totals.rules, strict=True):
        keep = r.state >= 0
        if not keep.any():
            continue
        idx = np.nonzero(keep)[0]
        share = cnt[idx] / totals.paths
        late = r.state[idx] == 3
        known = ok[idx] | late

        def null(v: np.ndarray, known: np.ndarray = known) -> pl.Series:
            return pl.Series(np.where(known, v, np.nan)).fill_nan(None)

        undecided = 1 - share[:, :3].sum(axis=1)
        late_on = np.full(idx.size, np.datetime64("NaT"), dtype="datetime64[D]")
        dated = r.late_day[idx] < NEVER
        if dated.any():
            late_on[dated] = days.dates(r.late_day[idx][dated])
        parts.append(pl.DataFrame({
            "project_id": start.project_id[idx].tolist(),
            "deadline": r.label, "track": r.rule.track, "days": float(r.rule.days), "unit": r.rule.unit,
            "clock": r.rule.clock,
            "state": [STATES[int(s)] for s in r.state[idx]],
            "p_meet": null(np.where(late, 0.0, share[:, 0])),
            "p_breach": null(np.where(late, 1.0, share[:, 1])),
            "p_moot": null(np.where(late, 0.0, share[:, 2])),
            "p_undecided": null(np.where(late, 0.0, undecided)),
            "p_breach_within": null(np.where(late, 0.0, share[:, 3])),
            "late_on": pl.Series(late_on).cast(pl.Date),
        }, schema_overrides={"track": pl.String}))
    schema = {"project_id": pl.String, "deadline": pl.String, "track": pl.String, "days": pl.Float64,
              "unit": pl.String, "clock": pl.String, "state": pl.String, "p_meet": pl.Float64,
              "p_breach": pl.Float64, "p_moot": pl.Float64, "p_undecided": pl.Float64,
              "p_breach_within": pl.Float64, "late_on": pl.Date}
    if not parts:
        return pl.DataFrame(schema=schema)
    out = pl.concat(parts, how="vertical_relaxed").cast(schema)  # type: ignore[arg-type]
    # a clock that (almost) never starts and ends is not this project's deadline: leave it out
    return out.filter((pl.col("state") != "ahead") | pl.col("p_meet").is_null()
                      | (pl.col("p_meet") + pl.col("p_breach") > 0.005))


def model_frame(model: StayModel) -> pl.DataFrame:
    rows = [(p.status, p.segment, None if p.repeat is None else ("return" if p.repeat else "first"), p.n, p.n_closed,
             p.t_last, p.p95, p.basis) for p in model.pools if p is not None]
    return pl.DataFrame(rows, orient="row", schema={
        "status": pl.String, "segment": pl.String, "visit": pl.String, "n": pl.Int64, "n_closed": pl.Int64,
        "longest_bdays": pl.Int64, "p95_bdays": pl.Float64, "basis": pl.String})


def horizon_date(days: BusinessDays, end: int) -> date:
    return days.date(end - 1)


__all__ = ["KINDS", "deadlines_frame", "horizon_date", "model_frame", "outcomes_frame", "projects_frame", "support"]
