"""Conformance: where projects left the intended process, and what it cost them.

The model (:class:`ProcessModel`) is the program's workflow: its statuses in order, the moves it
allows, its final statuses and which of them is the completion (the others are exits:
withdrawn, rejected...). :meth:`ProcessModel.from_profile` takes them from the program profile
(``ws.profile``); a profile's workflow is the moves observed in the histories, so moves under
``min_share`` of their status's moves are treated as not allowed (a workflow you edited to the
intended process: ``min_share=0``).

Every move A → B of a project (stays in time order, status_intervals' merges applied) that the
model does not allow is one deviation, of the first kind that fits:

1. **unexpected transition** when A or B is not a status of the model (``detail`` says which);
2. **re-entry**: B was entered before (a loop the model has no move for);
3. **unexpected transition** out of a final status, or into an exit (a withdrawal or rejection
   from a status the model has none from);
4. **out of order**: B comes before A in the model's order and the project had not been in B: it
   did a later step first;
5. **skipped step**: B comes later and the model reaches B from A only through other statuses,
   and at least one of those the project did not go through (``detail`` lists them; a status
   counts as gone through when the project enters it later, or entered it earlier while it ranks
   after A: that is a step done out of order, counted where the project went back for it);
6. otherwise a forward move whose steps in between were all done out of order is not counted
   again -- it is part of that out-of-order step -- unless the project has no out-of-order step,
   and it is then an **unexpected transition**, as is any other move the model does not have.

So a project that swapped two steps (A C B D for A B C D) has one deviation, out of order; one
that left out a step has one, skipped. ``impact_bdays`` is the business days a deviating move's
source stay took. Per project (:func:`conformance`): the number of each kind, conforming or not,
cycle time. :func:`conformance_over_time`: the share of projects conforming per cohort (month of
first entry), and :func:`deviation_impact`: per kind, the median cycle time of finished projects
with that deviation beside the conforming ones', and the difference (the minimum-n rule applies).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from pcnb.analytics import minn
from pcnb.analytics.calendar import Calendar
from pcnb.analytics.stays import ordered, per_project

KINDS = ("skipped step", "out of order", "unexpected transition", "re-entry")
_COLUMN = {"skipped step": "skipped", "out of order": "out_of_order", "unexpected transition": "unexpected",
           "re-entry": "reentry"}

DEVIATION_SCHEMA = pl.Schema({
    "project_id": pl.String(), "position": pl.UInt32(), "kind": pl.String(), "from_status": pl.String(),
    "to_status": pl.String(), "at": pl.Datetime("us", "UTC"), "detail": pl.String(), "impact_bdays": pl.Int64()})


@dataclass(frozen=True)
class ProcessModel:
    """The intended process: ``order`` (statuses as the program lists them), ``allowed`` moves
    (from, to), ``final`` statuses and the ``completion`` (a final status that is the end of the
    road; the other final ones are exits)."""

    order: tuple[str, ...]
    allowed: frozenset[tuple[str, str]]
    final: frozenset[str] = frozenset()
    completion: str | None = None
    basis: str = ""  # where the model came from, for the statement under a table or chart
    _paths: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        unknown = sorted({s for pair in self.allowed for s in pair} - set(self.order))
        if unknown:
            raise ValueError(f"ProcessModel: allowed moves name statuses not in its order: {', '.join(unknown)}")
        if self.completion is not None and self.completion not in self.final:
            raise ValueError(f"ProcessModel: the completion {self.completion!r} is not one of the final statuses")

    @classmethod
    def from_profile(cls, profile: Any, min_share: float = 0.01) -> ProcessModel:
        """The model of a program profile (``ws.profile``): its status order, its workflow's moves
        (those under ``min_share`` of their status's moves left out as noise), its final statuses
        and completion."""
        if not 0 <= min_share < 1:
            raise ValueError("min_share must be in [0, 1)")
        order = tuple(s.name for s in profile.statuses)
        out: dict[str, int] = {}
        for a, b, n in profile.workflow:
            if a != b:  # a re-save of the same status is no move (status_intervals merges them)
                out[a] = out.get(a, 0) + n
        allowed = frozenset((a, b) for a, b, n in profile.workflow
                            if a != b and a in order and b in order and (n == 0 or n >= min_share * out[a]))
        rare = sum(1 for a, b, n in profile.workflow if a != b and n and n < min_share * out[a])
        final = frozenset(s for s in profile.roles.final if s in order)
        completion = profile.roles.completion if profile.roles.completion in final else None
        basis = (f"the profile's workflow: {len(allowed)} moves" + (
            f" ({rare} rarer than {min_share:.0%} of their status's moves counted as deviations)" if rare else ""))
        return cls(order, allowed, final, completion, basis)

    @classmethod
    def from_moves(cls, order: Sequence[str], moves: Iterable[tuple[str, str]], final: Iterable[str] = (),
                   completion: str | None = None) -> ProcessModel:
        """A model written out: statuses in order, allowed (from, to) moves, final statuses."""
        moves = frozenset((a, b) for a, b in moves)
        return cls(tuple(order), moves, frozenset(final), completion, f"{len(moves)} allowed moves")

    @property
    def exits(self) -> frozenset[str]:
        return self.final - ({self.completion} if self.completion else set())

    def _successors(self, without: str | None = None) -> dict[str, set[str]]:
        nxt: dict[str, set[str]] = {s: set() for s in self.order}
        for a, b in self.allowed:
            if without not in (a, b):
                nxt[a].add(b)
        return nxt

    @staticmethod
    def _reach(nxt: dict[str, set[str]], start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(nxt.get(start, ()))
        while todo:
            s = todo.pop()
            if s not in seen:
                seen.add(s)
                todo.extend(nxt.get(s, ()))
        return seen

    def paths(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(reachable, must_pass): every (source, target) the model reaches in one move or more, and
        (source, target, via) for each status every route from source to target goes through.
        Computed once per model (a few thousand graph walks for 40 statuses, none per project)."""
        if "frames" not in self._paths:
            full = self._successors()
            reach = {a: self._reach(full, a) for a in self.order}
            rows = [(a, b) for a in self.order for b in reach[a] if b != a]
            via: list[tuple[str, str, str]] = []
            for x in self.order:
                cut = self._successors(without=x)
                for a in self.order:
                    if a == x:
                        continue
                    still = self._reach(cut, a)
                    via += [(a, b, x) for b in reach[a] if b not in (a, x) and b not in still]
            self._paths["frames"] = (
                pl.DataFrame(rows, schema={"_a": pl.String, "_b": pl.String}, orient="row"),
                pl.DataFrame(via, schema={"_a": pl.String, "_b": pl.String, "_x": pl.String}, orient="row"))
        frames: tuple[pl.DataFrame, pl.DataFrame] = self._paths["frames"]
        return frames

    def describe(self) -> str:
        return (f"{len(self.order)} statuses, {len(self.allowed)} allowed moves, final: "
                f"{', '.join(sorted(self.final)) or '-'}" + (f" ({self.basis})" if self.basis else ""))


def deviations(intervals: pl.DataFrame, model: ProcessModel) -> pl.DataFrame:
    """One row per deviation (see the module doc): project_id, position (of the move in the
    project's path, 1 = its first move), kind, from_status, to_status, at (when B was entered),
    detail (the statuses skipped, or what was unexpected) and impact_bdays (the source stay's
    business days)."""
    iv = ordered(intervals, "deviations")
    if iv.height == 0:
        return pl.DataFrame(schema=DEVIATION_SCHEMA)
    rank = {s: i for i, s in enumerate(model.order)}
    allowed = pl.DataFrame(sorted(model.allowed), schema={"_a": pl.String, "_b": pl.String}, orient="row")
    reach, via = model.paths()
    iv = iv.with_columns(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"))
    moves = iv.with_columns(pl.col("status").shift(1).alias("_a"), pl.col("business_days").shift(1).alias("_src_days"),
                            pl.col("status").alias("_b")).filter(~pl.col("_first"))
    moves = moves.join(allowed, on=["_a", "_b"], how="anti")  # the moves the model does not have
    if moves.height == 0:
        return pl.DataFrame(schema=DEVIATION_SCHEMA)
    r_a = pl.col("_a").replace_strict(rank, default=None, return_dtype=pl.Int64)
    r_b = pl.col("_b").replace_strict(rank, default=None, return_dtype=pl.Int64)
    moves = moves.with_columns(r_a.alias("_ra"), r_b.alias("_rb")).join(
        reach.with_columns(pl.lit(True).alias("_reach")), on=["_a", "_b"], how="left")
    # the statuses every route from A to B goes through, and whether the project went through each
    need = moves.select("_pid", "_pos", "_ra", "_a", "_b").join(via, on=["_a", "_b"])
    span = iv.group_by("_pid", "status").agg(pl.col("_pos").min().alias("_fp"), pl.col("_pos").max().alias("_lp"))
    need = need.join(span.rename({"status": "_x"}), on=["_pid", "_x"], how="left").with_columns(
        pl.col("_x").replace_strict(rank, default=None, return_dtype=pl.Int64).alias("_rx"))
    done = (pl.col("_lp") > pl.col("_pos")) | ((pl.col("_fp") < pl.col("_pos")) & (pl.col("_rx") > pl.col("_ra")))
    need = need.with_columns(done.fill_null(False).alias("_done"))
    skipped = need.filter(~pl.col("_done")).sort("_rx").group_by("_pid", "_pos").agg(
        pl.col("_x").str.join(", ").alias("_skipped"))
    via_n = need.group_by("_pid", "_pos").agg(pl.len().alias("_via"))
    moves = moves.join(skipped, on=["_pid", "_pos"], how="left").join(via_n, on=["_pid", "_pos"], how="left")
    final, exits = list(model.final), list(model.exits)
    unknown = pl.col("_ra").is_null() | pl.col("_rb").is_null()
    kind = (pl.when(unknown).then(pl.lit("unexpected transition"))
            .when(pl.col("visit") >= 2).then(pl.lit("re-entry"))
            .when(pl.col("_a").is_in(final) | pl.col("_b").is_in(exits)).then(pl.lit("unexpected transition"))
            .when(pl.col("_rb") < pl.col("_ra")).then(pl.lit("out of order"))
            .when(pl.col("_reach").fill_null(False) & (pl.col("_skipped").is_not_null() | pl.col("_via").is_null()))
            .then(pl.lit("skipped step"))
            .when(pl.col("_reach").fill_null(False)).then(pl.lit("_around"))
            .otherwise(pl.lit("unexpected transition")))
    detail = (pl.when(pl.col("_ra").is_null() & pl.col("_rb").is_null()).then(pl.lit("neither status is in the model"))
              .when(pl.col("_ra").is_null()).then(pl.format("{} is not in the model", "_a"))
              .when(pl.col("_rb").is_null()).then(pl.format("{} is not in the model", "_b"))
              .when(pl.col("_kind") == "re-entry").then(pl.format("back into {}", "_b"))
              .when(pl.col("_a").is_in(final)).then(pl.format("after the final status {}", "_a"))
              .when(pl.col("_b").is_in(exits)).then(pl.format("the model has no move from {} to {}", "_a", "_b"))
              .when(pl.col("_kind") == "out of order").then(pl.format("{} before {}", "_a", "_b"))
              .when(pl.col("_kind") == "skipped step").then(pl.coalesce("_skipped", pl.lit("a route's steps")))
              .otherwise(pl.format("the model has no move from {} to {}", "_a", "_b")))
    moves = moves.with_columns(kind.alias("_kind")).with_columns(detail.alias("detail"))
    late = moves.filter(pl.col("_kind") == "out of order").select("_pid").unique()
    moves = moves.join(late.with_columns(pl.lit(True).alias("_has_ooo")), on="_pid", how="left").with_columns(
        pl.when((pl.col("_kind") == "_around") & pl.col("_has_ooo").is_null())
        .then(pl.lit("unexpected transition")).otherwise(pl.col("_kind")).alias("_kind"))
    moves = moves.filter(pl.col("_kind") != "_around").sort("_row")
    return moves.select("project_id", pl.col("_pos").alias("position"), pl.col("_kind").alias("kind"),
                        pl.col("_a").alias("from_status"), pl.col("_b").alias("to_status"),
                        pl.col("entered").alias("at"), "detail",
                        pl.col("_src_days").alias("impact_bdays")).cast(DEVIATION_SCHEMA)


def conformance(intervals: pl.DataFrame, model: ProcessModel, found: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per project: project_id, first (entry), finished, cycle_bdays (finished ones),
    deviations, one count per kind (skipped, out_of_order, unexpected, reentry) and conforming (no
    deviation). ``found``: :func:`deviations` already computed on the same intervals."""
    iv = ordered(intervals, "conformance")
    found = deviations(intervals, model) if found is None else found
    counts = found.group_by("project_id").agg(
        pl.len().cast(pl.UInt32).alias("deviations"),
        *((pl.col("kind") == k).sum().cast(pl.UInt32).alias(_COLUMN[k]) for k in KINDS))
    pp = per_project(iv, model.final).select("project_id", "first", "finished", "cycle_bdays")
    out = pp.join(counts, on="project_id", how="left").with_columns(
        pl.col("deviations", *_COLUMN.values()).fill_null(0))
    return out.with_columns((pl.col("deviations") == 0).alias("conforming"))


def conformance_over_time(per_project: pl.DataFrame, calendar: Calendar | None = None, every: str = "1mo",
                          min_n: int = minn.MIN_N) -> pl.DataFrame:
    """Per cohort (projects by the ``every`` period of their first entry, local dates): projects,
    conforming, rate, and each kind's count; rates under ``min_n`` projects are suppressed."""
    cal = calendar or Calendar()
    out = per_project.with_columns(cal.local_date("first").dt.truncate(every).alias("cohort")).group_by("cohort").agg(
        pl.len().cast(pl.UInt32).alias("projects"), pl.col("conforming").sum().cast(pl.UInt32).alias("conforming"),
        *((pl.col(c) > 0).sum().cast(pl.UInt32).alias(c) for c in _COLUMN.values()))
    out = out.with_columns((pl.col("conforming") / pl.col("projects")).alias("rate")).sort("cohort")
    return minn.apply(out, "projects", ["rate"], min_n)


def deviation_impact(per_project: pl.DataFrame, found: pl.DataFrame, min_n: int = minn.MIN_N) -> pl.DataFrame:
    """Per kind: deviations, projects with it, finished ones, their median cycle time beside the
    conforming finished projects' median, and the difference (``impact_bdays``: the days a
    deviation of that kind goes with; a project with two kinds counts in both); medians over fewer
    than ``min_n`` finished projects are suppressed."""
    def median(s: pl.Series) -> float | None:
        value = s.cast(pl.Float64).median()
        return float(value) if s.len() >= min_n and isinstance(value, float) else None

    base = median(per_project.filter(pl.col("conforming") & pl.col("finished"))["cycle_bdays"])
    rows = []
    for k in KINDS:
        col = _COLUMN[k]
        with_k = per_project.filter(pl.col(col) > 0)
        done = with_k.filter(pl.col("finished"))["cycle_bdays"]
        med = median(done)
        rows.append({"kind": k, "deviations": int(found.filter(pl.col("kind") == k).height),
                     "projects": with_k.height, "finished": done.len(), "median_cycle_bdays": med,
                     "conforming_median_bdays": base,
                     "impact_bdays": (med - base) if med is not None and base is not None else None,
                     "suppressed": med is None or base is None})
    schema = {"kind": pl.String, "deviations": pl.Int64, "projects": pl.Int64, "finished": pl.Int64,
              "median_cycle_bdays": pl.Float64, "conforming_median_bdays": pl.Float64, "impact_bdays": pl.Float64,
              "suppressed": pl.Boolean}
    return pl.DataFrame(rows, schema=schema)
