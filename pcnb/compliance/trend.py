"""The same rule file over several periods: how each step's share late moved, for the pack's trend
chart and a report's "up from" (each period as the data stood at its own end)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import polars as pl

from pcnb.chartkit import finish, title
from pcnb.compliance.cases import cases, table
from pcnb.compliance.period import end_instant, parse, previous
from pcnb.compliance.rules import RuleSet
from pcnb.palette import for_names


def last_complete(as_of: datetime, timezone: str, kind: str) -> str:
    """The last period of ``kind`` (quarter, half, year) that ended before ``as_of``'s local day."""
    day = as_of.astimezone(ZoneInfo(timezone)).date()
    label = {"quarter": f"{day.year}Q{(day.month - 1) // 3 + 1}", "half": f"{day.year}H{1 if day.month <= 6 else 2}",
             "year": str(day.year)}[kind]
    return previous(label)


def over_periods(events: pl.DataFrame, rules: RuleSet, calendar: Any, label: str, final: list[str],
                 holders: dict[str, str], count: int = 4, tiers: pl.DataFrame | None = None,
                 last: pl.DataFrame | None = None) -> pl.DataFrame:
    """Each step's table row for ``label`` and the ``count - 1`` periods before it, oldest first.
    ``last``: ``label``'s table when the caller built it already (a report shows it too): the cases of
    a period are the costly part, so they are not counted twice."""
    labels = [label]
    while len(labels) < count:
        labels.append(previous(labels[-1]))
    frames = []
    for name in reversed(labels):
        if name == label and last is not None:
            frames.append(last.with_columns(pl.lit(name).alias("period")))
            continue
        first, final_day = parse(name)
        found = cases(events, rules, calendar, (first, final_day), end_instant(final_day, calendar.timezone), final,
                      holders, tiers)
        frames.append(table(found, rules).with_columns(pl.lit(name).alias("period")))
    return pl.concat(frames)


def trend_chart(trend: pl.DataFrame, rules: RuleSet, as_of: datetime, timezone: str) -> go.Figure:
    """Percent late (E) per step (and tier: one line each), period by period: is the utility getting
    faster?"""
    tiered = "tier" in trend.columns and trend["tier"].drop_nulls().len() > 0
    label = (pl.col("step") + pl.when(pl.col("tier").is_not_null()).then(" (" + pl.col("tier") + ")")
             .otherwise(pl.lit(""))) if tiered else pl.col("step")
    trend = trend.with_columns(label.alias("_line"))
    pal = for_names(trend["_line"].unique(maintain_order=True).to_list())
    fig = go.Figure()
    for step in trend["_line"].unique(maintain_order=True).to_list():
        part = trend.filter(pl.col("_line") == step)
        if part["E"].null_count() == part.height:  # a tier never judged (no days, no case): no empty legend entry
            continue
        fig.add_scatter(x=part["period"].to_list(), y=[None if v is None else 100 * v for v in part["E"].to_list()],
                        mode="lines+markers+text", name=step, line={"color": pal[step], "width": 2},
                        text=[f"{100 * v:.0f}%" if v is not None else "" for v in part["E"].to_list()],
                        textposition="top center", cliponaxis=False,
                        customdata=list(zip(part["A"].to_list(), part["B"].to_list(), part["C"].to_list(),
                                            strict=True)),
                        hovertemplate=f"{step}<br>%{{x}}: %{{y:.0f}}% late (A %{{customdata[0]}}, "
                                      "B %{customdata[1]}, C %{customdata[2]})<extra></extra>")
    n = int(trend.filter(pl.col("period") == trend["period"].max())["A"].sum() or 0)
    text = title("How often was each step late, period by period?", as_of, n,
                 counted="completed in the last period", timezone=timezone,
                 note=f"late: finished late or still open past the days, of those finished or open past them; "
                      f"{rules.days_word}, {rules.clock} clock")
    fig = finish(fig, text, "Period", "Late (%)")
    fig.update_yaxes(rangemode="tozero", ticksuffix="%")
    return fig


def sentences(trend: pl.DataFrame, rules: RuleSet) -> list[str]:
    """Page 1 of the compliance report: each step's share late in the last period against the one
    before, and the mean counted days of those completed against the days allowed."""
    periods = trend["period"].unique(maintain_order=True).to_list()
    now, before = periods[-1], (periods[-2] if len(periods) > 1 else None)
    out = []
    for row in trend.filter(pl.col("period") == now).iter_rows(named=True):
        tier = f" ({row['tier']})" if row.get("tier") else ""
        if row["E"] is None:
            untimed = row.get("no_rule") or 0
            out.append(f"{row['step']}{tier}: {untimed:,} case{'s' if untimed != 1 else ''} not timed in {now}: the "
                       "rule file gives no days for this tier." if untimed else
                       f"{row['step']}{tier}: no project finished or was late in {now}.")
            continue
        prev = trend.filter((pl.col("period") == before) & (pl.col("step") == row["step"])
                            & (pl.col("tier").eq_missing(row.get("tier")))) if before else None
        was = prev["E"][0] if prev is not None and prev.height else None
        change = ("" if was is None else f", the same as in {before}" if round(was, 2) == round(row["E"], 2)
                  else f", {'up' if row['E'] > was else 'down'} from {was:.0%} in {before}")
        text = (f"{row['step']}{tier}: {row['E']:.0%} late in {now} ({row['B']} finished late and {row['C']} open "
                f"and late, of {row['A']} finished and {row['C']} open and late){change}.")
        if row["D"] is not None and row["days_allowed"] is not None:
            text += (f" Those finished took {row['D']:.1f} {rules.days_word} on average ({rules.clock} clock), "
                     f"against {row['days_allowed']:g} allowed.")
        out.append(text)
    return out
