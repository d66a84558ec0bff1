"""The process map: a directly-follows graph with frequencies and business-day times.

Nodes are statuses, in the program's order (the profile's status order, ``order=``): how many
projects entered each, stays, how many projects started and ended there, and the median and 90th
percentile of finished stays in business days. Edges are the moves A → B observed: how many
(``count``), by how many projects, their share of A's moves on, and the median and 90th percentile
of the time spent in A before moving to B (business days; calendar days beside them, which equal
pm4py's performance DFG: tests/analytics/test_pm4py_equality.py). An edge is "back" when it goes
to an earlier status of the order (a loop), "forward" otherwise.

``min_count`` / ``min_share`` hide rare edges (fewer moves than that, or a smaller share of all
moves); what they hide is counted in the result (``hidden_edges``, ``hidden_moves``), so a chart
can say so. Statistics over fewer than ``min_n`` stays or moves are suppressed (minn).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from pcnb.analytics import minn
from pcnb.analytics.stays import codes, ordered

NODE_SCHEMA = pl.Schema({
    "status": pl.String(), "rank": pl.UInt32(), "projects": pl.UInt32(), "stays": pl.UInt32(),
    "starts": pl.UInt32(), "ends": pl.UInt32(), "n_closed": pl.UInt32(), "median_bdays": pl.Float64(),
    "p90_bdays": pl.Float64(), "suppressed": pl.Boolean()})
EDGE_SCHEMA = pl.Schema({
    "source": pl.String(), "target": pl.String(), "count": pl.UInt32(), "projects": pl.UInt32(),
    "share_of_source": pl.Float64(), "direction": pl.String(), "median_bdays": pl.Float64(),
    "p90_bdays": pl.Float64(), "median_calendar_days": pl.Float64(), "suppressed": pl.Boolean()})


@dataclass(frozen=True)
class ProcessMap:
    """``nodes`` and ``edges`` (schemas above); what the frequency filter hid; the status order."""

    nodes: pl.DataFrame
    edges: pl.DataFrame
    hidden_edges: int
    hidden_moves: int
    moves: int
    order: tuple[str, ...]

    def _repr_html_(self) -> str:  # a notebook shows the two frames
        return (f"<p>process map: {self.nodes.height} statuses, {self.edges.height} edges "
                f"({self.moves:,} moves; {self.hidden_edges} rare edges with {self.hidden_moves:,} moves hidden)</p>"
                + self.nodes._repr_html_() + self.edges._repr_html_())


def process_map(intervals: pl.DataFrame, order: Sequence[str] | None = None, min_count: int = 0,
                min_share: float = 0.0, min_n: int = minn.MIN_N) -> ProcessMap:
    """The directly-follows graph of ``intervals`` (see the module doc). ``order``: the program's
    status order (``[s.name for s in ws.profile.statuses]``); statuses it lacks come last."""
    if min_count < 0 or not 0 <= min_share < 1:
        raise ValueError("min_count must be >= 0 and min_share in [0, 1)")
    iv = ordered(intervals, "process_map")
    if iv.height == 0:
        return ProcessMap(pl.DataFrame(schema=NODE_SCHEMA), pl.DataFrame(schema=EDGE_SCHEMA), 0, 0, 0,
                          tuple(order or ()))
    closed = pl.col("business_days").filter(~pl.col("is_open"))
    nodes = iv.group_by("status").agg(
        (pl.col("visit") == 1).sum().cast(pl.UInt32).alias("projects"), pl.len().cast(pl.UInt32).alias("stays"),
        pl.col("_first").sum().cast(pl.UInt32).alias("starts"), pl.col("_last").sum().cast(pl.UInt32).alias("ends"),
        (~pl.col("is_open")).sum().cast(pl.UInt32).alias("n_closed"),
        closed.median().cast(pl.Float64).alias("median_bdays"),
        closed.quantile(0.9, "linear").cast(pl.Float64).alias("p90_bdays"))
    names = codes(nodes["status"].to_list(), order)  # every status seen, the program's order first
    rank = {s: i for i, s in enumerate(names)}
    nodes = nodes.with_columns(pl.col("status").replace_strict(rank, return_dtype=pl.UInt32).alias("rank"))
    nodes = minn.apply(nodes.sort("rank"), "n_closed", ["median_bdays", "p90_bdays"], min_n)
    nxt = pl.col("status").shift(-1)
    moves = iv.select("status", nxt.alias("target"), "_pid", "business_days", "calendar_days", "_last").filter(
        ~pl.col("_last"))
    edges = moves.group_by("status", "target").agg(
        pl.len().cast(pl.UInt32).alias("count"), pl.col("_pid").n_unique().cast(pl.UInt32).alias("projects"),
        pl.col("business_days").median().cast(pl.Float64).alias("median_bdays"),
        pl.col("business_days").quantile(0.9, "linear").cast(pl.Float64).alias("p90_bdays"),
        pl.col("calendar_days").median().alias("median_calendar_days"))
    total = int(edges["count"].sum())
    r_src = pl.col("status").replace_strict(rank, return_dtype=pl.Int64)
    r_dst = pl.col("target").replace_strict(rank, return_dtype=pl.Int64)
    edges = edges.with_columns(
        (pl.col("count") / pl.col("count").sum().over("status")).alias("share_of_source"),
        pl.when(r_dst < r_src).then(pl.lit("back")).otherwise(pl.lit("forward")).alias("direction"),
        r_src.alias("_rs"), r_dst.alias("_rt")).rename({"status": "source"})
    keep = (pl.col("count") >= min_count) & (pl.col("count") >= min_share * total)
    hidden = edges.filter(~keep)
    edges = minn.apply(edges.filter(keep).sort("_rs", "_rt"), "count", ["median_bdays", "p90_bdays",
                                                                         "median_calendar_days"], min_n)
    return ProcessMap(nodes.select(list(NODE_SCHEMA)).cast(NODE_SCHEMA),
                      edges.select(list(EDGE_SCHEMA)).cast(EDGE_SCHEMA),
                      hidden.height, int(hidden["count"].sum()), total, tuple(names))
