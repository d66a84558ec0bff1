"""Back-test of the per-project forecasts (pcnb.forecast): do they prove themselves?

For each built-in sandbox program (generated without HTTP, one fixed history end), ``as_of`` = each of
six past month-ends (12 to 7 months before the end, so each forecast has 7-12 months of history to
be judged by): forecast every open project from the history up to ``as_of`` (point-in-time cuts,
pcnb.analytics.asof), then compare with what the full history shows happened by the end:

- coverage of the 80 % completion-date intervals: the share of projects whose final status came
  between their p10 and p90 dates (target 75-85 %), over the projects whose p90 falls before the end
  (so the truth is known whichever way it went);
- P(outcome): each final status (and "still open") by the end; the multi-class Brier score and a
  reliability table (predicted vs observed frequency per probability bin);
- P(meet deadline) and P(breach deadline) by the end for every rule whose clock was ahead or running,
  the truth replayed through the same rule logic the simulation uses (pcnb.forecast.simulate.rule_step);

and the same for two comparisons the model must beat:

- naive: the spreadsheet answer, from projects closed by ``as_of``: a project's finish is its start
  plus the closed projects' median (p10, p90) time to a final status, its outcome the closed ones'
  shares, its deadline the closed stays' on-time rate; nothing about how long it has waited already;
- closed stays only: the same semi-Markov model fitted without the open (censored) stays.

``python benchmarks/forecast_backtest.py`` prints the table and records it in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pcnb.analytics.calendar import Calendar  # noqa: E402
from pcnb.analytics.deadlines import deadline_compliance  # noqa: E402
from pcnb.analytics.intervals import status_intervals  # noqa: E402
from pcnb.forecast import Forecast, Program, backlog, forecast  # noqa: E402
from pcnb.forecast.backlog import TOTAL  # noqa: E402
from pcnb.forecast.days import NEVER  # noqa: E402
from pcnb.forecast.model import TAIL  # noqa: E402
from pcnb.forecast.simulate import close_rules, rule_step  # noqa: E402
from pcnb.forecast.state import LATE, MET  # noqa: E402
from pcnb.profile import Deadline  # noqa: E402

END = datetime(2026, 11, 1, tzinfo=UTC)  # one fixed history end: another end is another history
PROGRAMS = ("residential", "rebate", "large-dg")
BINS = np.linspace(0, 1, 11)


# ---- sandbox programs as the forecast sees them -------------------------------------------------
def events_of(state: Any) -> pl.DataFrame:
    """The status events of a generated sandbox state, as frames.status_events gives them."""
    names = {s.custom_id: s.name for s in state.program.statuses}
    rows = [(pid, i, names[e.status], e.ts) for pid, p in state.projects.items() for i, e in enumerate(p.history)]
    return pl.DataFrame(rows, schema={"project_id": pl.String, "seq": pl.Int32, "status": pl.String,
                                      "ts": pl.Datetime("us", "UTC")}, orient="row").sort("project_id", "seq")


def tracks_of(state: Any) -> pl.DataFrame | None:
    """project_id, track: the value of the program's track field (``segment: track``), if it has one."""
    found = next(((f.custom_id, d.custom_id) for f in state.program.forms for d in f.fields
                  if d.segment == "track"), None)
    if found is None:
        return None
    form, name = found
    rows = [(pid, str(p.submitted.get(form, {}).get(name))) for pid, p in state.projects.items()
            if p.submitted.get(form, {}).get(name) is not None]
    return pl.DataFrame(rows, schema={"project_id": pl.String, "track": pl.String}, orient="row")


def program_of(definition: Any) -> Program:
    """The forecast's view of a sandbox program: its final statuses (the first listed is the
    completion), holders, deadlines and calendar, as a confirmed profile would say."""
    import holidays as hol

    names = {s.custom_id: s.name for s in definition.statuses}
    final = [names[s.custom_id] for s in definition.statuses if s.custom_id in definition.terminal]
    deadlines = [Deadline(d.days, status=names.get(d.status) if d.status else None,
                          start=names.get(d.start) if d.start else None, end=names.get(d.end) if d.end else None,
                          unit=d.unit, track=d.track, clock=d.clock) for d in definition.deadlines]
    country, sub = definition.holidays
    cal = Calendar(definition.timezone, holidays=tuple(sorted(hol.country_holidays(country, subdiv=sub,
                                                                                   years=range(2015, 2036)))))
    holders = {names[c]: h for c, h in definition.holders.items()}
    return Program(cal, tuple(final), {"completed": final[:1], "withdrawn": final[1:]}, holders, deadlines,
                   tuple(final[:1]), (names[definition.start],), definition.name)


def month_ends(end: datetime, timezone: str, back: Sequence[int] = range(12, 6, -1)) -> list[datetime]:
    """The end of the last local day of the month ``b`` months before ``end``'s month, for each ``b``."""
    local = end.astimezone(ZoneInfo(timezone))
    out = []
    for b in back:
        m = local.year * 12 + local.month - 1 - b + 1  # the month after the one wanted
        first_next = date(m // 12, m % 12 + 1, 1)
        out.append(datetime.combine(first_next - timedelta(days=1), dtime(23, 59, 59), ZoneInfo(timezone)))
    return out


# ---- the truth --------------------------------------------------------------------------------
def truth(fc: Forecast, full: pl.DataFrame) -> pl.DataFrame:
    """project_id, done (day index of the first final status after as_of, NEVER if none by the end),
    outcome (that final status, or "open")."""
    days, final = fc._days, list(fc.program.final)  # type: ignore[union-attr]
    assert days is not None
    ids = pl.DataFrame({"project_id": fc.projects["project_id"]})
    fin = full.filter(pl.col("status").is_in(final) & (pl.col("entered") > fc.as_of)).group_by("project_id").agg(
        pl.col("entered").min(), pl.col("status").sort_by("entered").first())
    t = ids.join(fin, on="project_id", how="left").with_columns(days.local_dates("entered").alias("_d"))
    done = np.where(t["_d"].is_null().to_numpy(), NEVER,
                    days.index(t["_d"].fill_null(date(2000, 1, 1)).to_numpy()))
    return pl.DataFrame({"project_id": t["project_id"], "done": done, "outcome": t["status"].fill_null("open")})


def replay_deadlines(fc: Forecast, full: pl.DataFrame) -> list[np.ndarray]:
    """Per rule, per open project: its state at the end when the real history after as_of is run
    through the simulation's own rule logic."""
    start, days, model, rules = fc._start, fc._days, fc._stays, fc._rules
    assert start is not None and days is not None and model is not None and fc._intervals is not None
    cur = fc._intervals.filter(pl.col("is_open")).select("project_id", pl.col("entered").alias("_since"))
    ids = pl.DataFrame({"project_id": start.project_id.tolist(), "_i": np.arange(start.size)})
    stays = (full.join(ids, on="project_id").join(cur, on="project_id")
             .filter(pl.col("entered") >= pl.col("_since")).sort("_i", "entered", "visit")
             .with_columns(pl.int_range(pl.len()).over("_i").alias("_step"),
                           days.local_dates("entered").alias("_e"), days.local_dates("exited").alias("_x")))
    codes = model.codes
    holders_exits = np.array([n in fc.program.final and n not in set(fc.program.completions)  # type: ignore[union-attr]
                              for n in model.names])
    states = [r.state.copy() for r in rules]
    rems = [r.rem.copy() for r in rules]
    dayv = [np.full(start.size, NEVER, dtype=np.int64) for _ in rules]
    end = fc._end
    for step in range(int(stays["_step"].max() or 0) + 1):
        st = stays.filter(pl.col("_step") == step)
        act = st["_i"].to_numpy()
        s = np.array([codes.get(v, -1) for v in st["status"].to_list()])
        k = np.array([codes.get(v, TAIL) if v is not None else TAIL for v in st["next_status"].to_list()])
        e = days.index(st["_e"].to_numpy()).astype(np.int64)
        x = np.where(st["_x"].is_null().to_numpy(), NEVER,
                     days.index(st["_x"].fill_null(date(2000, 1, 1)).to_numpy())).astype(np.int64)
        x = np.where(x >= end, NEVER, x)
        final_k = (k >= 0) & model.is_final[np.maximum(k, 0)]
        keep = s >= 0
        for r, state, rem, day in zip(rules, states, rems, dayv, strict=True):
            rule_step(r, state, rem, day, act[keep], s[keep], e[keep], x[keep], k[keep],
                      (st["visit"].to_numpy() > 1)[keep], final_k[keep], holders_exits, days, end)
        close_rules(states, act[final_k & (x < end)])
    return states


# ---- the naive baseline -------------------------------------------------------------------------
def naive(fc: Forecast, events: pl.DataFrame, tracks: pl.DataFrame | None) -> dict[str, Any]:
    """The spreadsheet answer at as_of (see the module doc): finish quantiles, outcome shares and
    P(done by the end) from the projects closed by then; deadlines' on-time rates."""
    days, prog, iv = fc._days, fc.program, fc._intervals
    assert days is not None and prog is not None and iv is not None
    first = iv.group_by("project_id").agg(pl.col("entered").min().alias("_f"))
    closed = iv.filter(pl.col("is_open") & pl.col("status").is_in(list(prog.final))).join(first, on="project_id")
    dur = (days.index(closed.select(days.local_dates("entered")).to_series().to_numpy())
           - days.index(closed.select(days.local_dates("_f")).to_series().to_numpy()))
    shares = closed.group_by("status").len().with_columns(pl.col("len") / pl.col("len").sum())
    share = dict(zip(shares["status"].to_list(), shares["len"].to_list(), strict=True))
    opened = pl.DataFrame({"project_id": fc.projects["project_id"]}).join(first, on="project_id", how="left")
    f = days.index(opened.select(days.local_dates("_f")).to_series().to_numpy())
    q = np.quantile(dur, [0.1, 0.5, 0.9]) if dur.size else np.array([np.nan] * 3)
    finish = np.maximum(f[:, None] + np.round(q)[None, :], days.today).astype(np.int64)
    p_done = (np.searchsorted(np.sort(dur), fc._end - 1 - f, side="right") / max(dur.size, 1))
    sla = deadline_compliance(iv, prog.deadlines, terminal=list(prog.final), completions=list(prog.completions),
                              holders=dict(prog.holders), tracks=tracks, min_n=0) if prog.deadlines else None
    on_time = {} if sla is None else {(r["deadline"], r["track"]): r["on_time_rate"] for r in sla.iter_rows(named=True)}
    return {"finish": finish, "share": share, "p_done": p_done, "on_time": on_time}


# ---- scoring ------------------------------------------------------------------------------------
@dataclass
class Scores:
    """Pairs (predicted, observed) pooled over cuts, per method."""

    hits: list[bool] = field(default_factory=list)
    outcome: list[tuple[float, float]] = field(default_factory=list)
    brier: list[float] = field(default_factory=list)  # per project: multi-class Brier
    meet: list[tuple[float, float]] = field(default_factory=list)
    breach: list[tuple[float, float]] = field(default_factory=list)
    wip80: list[bool] = field(default_factory=list)  # the week's real work in progress inside the 80 % band
    wip95: list[bool] = field(default_factory=list)

    def coverage(self) -> float:
        return float(np.mean(self.hits)) if self.hits else float("nan")

    @staticmethod
    def brier_of(pairs: list[tuple[float, float]]) -> float:
        a = np.array(pairs)
        return float(np.mean((a[:, 0] - a[:, 1]) ** 2)) if a.size else float("nan")


def reliability(pairs: list[tuple[float, float]]) -> list[tuple[str, int, float, float]]:
    """(bin, n, mean predicted, observed frequency) per tenth of probability."""
    a = np.array(pairs)
    out = []
    for lo, hi in zip(BINS[:-1], BINS[1:], strict=True):
        sel = (a[:, 0] >= lo) & ((a[:, 0] < hi) if hi < 1 else (a[:, 0] <= hi))
        if sel.any():
            out.append((f"{lo:.1f}-{hi:.1f}", int(sel.sum()), float(a[sel, 0].mean()), float(a[sel, 1].mean())))
    return out


def score_cut(fc: Forecast, alt: Forecast, events: pl.DataFrame, full: pl.DataFrame, tracks: pl.DataFrame | None,
              scores: dict[str, Scores]) -> None:
    """Add one as_of's pairs to ``scores`` (model, naive, closed-only)."""
    tr = truth(fc, full)
    nv = naive(fc, events, tracks)
    final = list(fc.program.final)  # type: ignore[union-attr]
    classes = [*final, "open"]
    done, outcome = tr["done"].to_numpy(), tr["outcome"].to_list()
    for name, f in (("model", fc), ("closed stays only", alt)):
        p = f.projects
        ok = p["supported"].to_numpy()
        p10, p90 = p["done_p10"].to_list(), p["done_p90"].to_list()
        probs = f.outcomes.pivot(on="outcome", index="project_id", values="probability")
        probs = pl.DataFrame({"project_id": p["project_id"]}).join(probs, on="project_id", how="left").fill_null(0.0)
        for i in range(p.height):
            if not ok[i]:
                continue
            if p90[i] is not None and p10[i] is not None:
                d = fc._days.date(int(done[i])) if done[i] < NEVER else None  # type: ignore[union-attr]
                scores[name].hits.append(d is not None and p10[i] <= d <= p90[i])
            row = probs.row(i, named=True)
            vec = [row.get(c, 0.0) for c in final] + [row.get("open at the horizon", 0.0)
                                                      + row.get("beyond the data", 0.0)]
            obs = [1.0 if outcome[i] == c else 0.0 for c in classes]
            scores[name].brier.append(sum((a - b) ** 2 for a, b in zip(vec, obs, strict=True)))
            scores[name].outcome += list(zip(vec, obs, strict=True))
        _score_deadlines(f, full, scores[name])
    # the naive baseline, on the projects the model forecast (the same set)
    ok = fc.projects["supported"].to_numpy()
    for i in range(fc.projects.height):
        if not ok[i]:
            continue
        lo, hi = nv["finish"][i, 0], nv["finish"][i, 2]
        if hi < fc._end:
            scores["naive"].hits.append(bool(lo <= done[i] <= hi))
        vec = [nv["share"].get(c, 0.0) * nv["p_done"][i] for c in final] + [1 - nv["p_done"][i]]
        obs = [1.0 if outcome[i] == c else 0.0 for c in classes]
        scores["naive"].brier.append(sum((a - b) ** 2 for a, b in zip(vec, obs, strict=True)))
        scores["naive"].outcome += list(zip(vec, obs, strict=True))
    states = replay_deadlines(fc, full)
    idx = {pid: i for i, pid in enumerate(fc._start.project_id)}  # type: ignore[union-attr]
    for r, state in zip(fc._rules, states, strict=True):
        rows = fc.deadlines.filter((pl.col("deadline") == r.label) & (pl.col("state") != "late")
                                   & (pl.col("track") == r.rule.track if r.rule.track else pl.col("track").is_null()))
        rate = nv["on_time"].get((r.label, r.rule.track or ("other tracks" if _tracked(fc, r) else "all")))
        if rate is None:
            continue
        for pid in rows.filter(pl.col("p_meet").is_not_null())["project_id"].to_list():
            s = state[idx[pid]]
            scores["naive"].meet.append((rate, float(s == MET)))
            scores["naive"].breach.append((1 - rate, float(s == LATE)))


def score_backlog(fc: Forecast, full: pl.DataFrame, sc: Scores, weeks: int = 26, worlds: int = 200) -> None:
    """The weekly work in progress (all but drafts) the backlog forecast gave, against what the full
    history shows at the end of each of those days."""
    b = backlog(fc, weeks=weeks, worlds=worlds)
    days, prog = fc._days, fc.program
    assert days is not None and prog is not None
    total = b.wip.filter((pl.col("status") == TOTAL) & (pl.col("week") > 0))
    live = full.filter(~pl.col("status").is_in([*prog.final, *prog.draft])).select(
        days.local_dates("entered").alias("_e"), days.local_dates("exited").alias("_x"))
    last = END.astimezone(ZoneInfo(prog.calendar.timezone)).date() - timedelta(days=1)
    for r in total.iter_rows(named=True):
        if r["date"] > last:
            continue
        real = live.filter((pl.col("_e") <= r["date"]) & (pl.col("_x").is_null() | (pl.col("_x") > r["date"]))).height
        sc.wip80.append(r["p10"] <= real <= r["p90"])
        sc.wip95.append(r["p2_5"] <= real <= r["p97_5"])


def backlog_only(program: str, projects: int, seed: int, sc: Scores, cuts: Sequence[int] = range(12, 6, -1),
                 paths: int = 200, end: datetime = END) -> None:
    """The backlog check alone on another history (another seed): the weeks of one history move
    together, so one history says little about the bands; several do."""
    from pcnb.sandbox.generator import generate

    state = generate(projects, seed=seed, end=end, program=program)
    events, prog, tracks = events_of(state), program_of(state.program), tracks_of(state)
    full = status_intervals(events, prog.calendar, end, terminal=list(prog.final))
    for as_of in month_ends(end, prog.calendar.timezone, cuts):
        horizon = (end.astimezone(as_of.tzinfo).date() - as_of.date()).days - 1  # type: ignore[arg-type]
        fc = forecast(events, prog, as_of=as_of, horizon=horizon, paths=paths, seed=seed, tracks=tracks,
                      segments=tracks.rename({"track": "segment"}) if tracks is not None else None)
        score_backlog(fc, full, sc)


def _tracked(fc: Forecast, r: Any) -> bool:
    return any(o.rule.track is not None and o.label == r.label for o in fc._rules)


def _score_deadlines(f: Forecast, full: pl.DataFrame, sc: Scores) -> None:
    states = replay_deadlines(f, full)
    idx = {pid: i for i, pid in enumerate(f._start.project_id)}  # type: ignore[union-attr]
    for r, state in zip(f._rules, states, strict=True):
        rows = f.deadlines.filter((pl.col("deadline") == r.label) & (pl.col("state") != "late")
                                  & (pl.col("track") == r.rule.track if r.rule.track else pl.col("track").is_null())
                                  & pl.col("p_meet").is_not_null())
        for pid, pm, pb in rows.select("project_id", "p_meet", "p_breach").iter_rows():
            s = state[idx[pid]]
            sc.meet.append((pm, float(s == MET)))
            sc.breach.append((pb, float(s == LATE)))


def backtest(program: str, projects: int, seed: int = 1, cuts: Sequence[int] = range(12, 6, -1),
             paths: int = 1000, end: datetime = END, scores: dict[str, Scores] | None = None,
             backlog_weeks: int = 26, **options: Any) -> dict[str, Scores]:
    """Generate ``program`` (``projects``, ``seed``, history to ``end``) and score the forecasts at
    the month-ends ``cuts`` months back (see the module doc)."""
    from pcnb.sandbox.generator import generate

    state = generate(projects, seed=seed, end=end, program=program)
    events, prog, tracks = events_of(state), program_of(state.program), tracks_of(state)
    segments = tracks.rename({"track": "segment"}) if tracks is not None else None
    full = status_intervals(events, prog.calendar, end, terminal=list(prog.final))
    scores = scores if scores is not None else {k: Scores() for k in ("model", "naive", "closed stays only")}
    for as_of in month_ends(end, prog.calendar.timezone, cuts):
        horizon = (end.astimezone(as_of.tzinfo).date() - as_of.date()).days - 1  # type: ignore[arg-type]
        kw = dict(as_of=as_of, horizon=horizon, paths=paths, seed=seed, segments=segments, tracks=tracks, **options)
        fc = forecast(events, prog, **kw)  # type: ignore[arg-type]
        alt = forecast(events, prog, censoring=False, **kw)  # type: ignore[arg-type]
        score_cut(fc, alt, events, full, tracks, scores)
        if backlog_weeks:
            score_backlog(fc, full, scores["model"], backlog_weeks)
    return scores


def table(scores: dict[str, Scores]) -> list[tuple[str, str, str]]:
    """The figures of one back-test: the model first, then the naive answer and the closed-only fit."""
    m, nv, alt = scores["model"], scores["naive"], scores["closed stays only"]
    rows = [
        ("coverage of the 80 % completion-date intervals", f"model {m.coverage():.1%} (n = {len(m.hits):,}); naive "
         f"{nv.coverage():.1%} (n = {len(nv.hits):,}); closed stays only {alt.coverage():.1%}", "75-85 %"),
        ("Brier score, outcome by the end (multi-class, lower is better)", f"model {np.mean(m.brier):.4f}; naive "
         f"{np.mean(nv.brier):.4f}; closed stays only {np.mean(alt.brier):.4f} (n = {len(m.brier):,} projects)",
         "model below naive"),
        ("Brier score, P(meet deadline) by the end", f"model {Scores.brier_of(m.meet):.4f}; naive "
         f"{Scores.brier_of(nv.meet):.4f}; closed stays only {Scores.brier_of(alt.meet):.4f} "
         f"(n = {len(m.meet):,} project-deadlines)", "model below naive"),
        ("Brier score, P(breach deadline) by the end", f"model {Scores.brier_of(m.breach):.4f}; naive "
         f"{Scores.brier_of(nv.breach):.4f}; closed stays only {Scores.brier_of(alt.breach):.4f} "
         f"(n = {len(m.breach):,} project-deadlines)", "model below naive"),
        ("backlog forecast: weekly work in progress inside its 80 % band", f"{np.mean(m.wip80):.1%} of "
         f"{len(m.wip80)} weeks (95 % band: {np.mean(m.wip95):.1%}; {len(m.wip80) // 156} histories x 6 "
         "month-ends x 26 weeks)", "70-90 %")]
    return rows if m.wip80 else rows[:-1]  # the big program's backlog is not judged (one history)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=3000, help="projects per program (default 3000)")
    ap.add_argument("--paths", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--programs", nargs="*", default=list(PROGRAMS))
    ap.add_argument("--big", type=int, default=100_000, help="also a residential program this big (0: none)")
    ap.add_argument("--backlog-histories", type=int, default=4,
                    help="histories (seeds) per program the backlog bands are judged on (default 4)")
    ap.add_argument("--prior", type=float, default=None, help="the model's shrinkage (pseudo-stays; default its own)")
    ap.add_argument("--min-n", type=int, default=None, help="the model's min_n (default its own)")
    ap.add_argument("--no-record", action="store_true", help="print only, leave RESULTS.md alone")
    args = ap.parse_args()
    started = time.perf_counter()
    every = {k: Scores() for k in ("model", "naive", "closed stays only")}
    rows: list[tuple[str, str, str]] = []
    runs = [(p, args.projects) for p in args.programs] + ([("residential", args.big)] if args.big else [])
    for program, size in runs:
        options = {k: v for k, v in (("prior", args.prior), ("min_n", args.min_n)) if v is not None}
        one = backtest(program, size, args.seed, paths=args.paths, backlog_weeks=26 if size == args.projects else 0,
                       **options)
        if size == args.projects:
            for extra in range(1, args.backlog_histories):
                backlog_only(program, size, args.seed + extra, one["model"])
        if size == args.projects:
            for k, sc in one.items():
                for f in ("hits", "outcome", "brier", "meet", "breach", "wip80", "wip95"):
                    getattr(every[k], f).extend(getattr(sc, f))
        rows += [(f"{program} ({size:,} projects): {a}", b, c) for a, b, c in table(one)]
    rows += [(f"built-in programs together: {a}", b, c) for a, b, c in table(every)]
    for what, pairs in (("outcome", "outcome"), ("P(meet deadline)", "meet"), ("P(breach deadline)", "breach")):
        for name in ("model", "naive"):
            rel = reliability(getattr(every[name], pairs))
            rows.append((f"reliability, {what}, {name}: bin (n) predicted -> observed",
                         "; ".join(f"{b} ({n:,}) {p:.2f} -> {o:.2f}" for b, n, p, o in rel), "predicted = observed"))
    rows.append(("run time", f"{time.perf_counter() - started:.0f} s ({len(runs)} programs x 6 month-ends, "
                 f"{args.paths:,} paths per project)", "-"))
    if args.no_record:
        for a, b, c in rows:
            print(f"{a}: {b} (target {c})")
    else:
        from benchmarks._results import record

        record("Forecast back-test (forecast_backtest.py)", rows)


if __name__ == "__main__":
    main()
