"""A frame as a person reads it: local times with the zone named, numbers rounded, names before ids,
and a one-line caption (rows, scope). Only the display changes: the value a command returns stays
the raw polars frame (UTC times, every digit), one attribute of the notebook away.
"""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

ID_SUFFIXES = ("_id", "_custom_id")
#: a cell a reader takes for a figure: 1,234 · 12.5 · 17% · -3 · "321 of 1,885" · "-" (none), or empty
_FIGURE = re.compile(r"\s*(?:[-+−]?[\d,]*\.?\d+\s*%?(?:\s+of\s+[\d,]+)?|-|–|—)?\s*")


def reads_as_figures(cells: list[str]) -> bool:
    """Whether a column of formatted cells holds figures (aligned right, so their digits line up) or
    words (aligned left, as a reader scans names): a manager's table holds its numbers as text
    ("1,920", "17%"), so the type of the column cannot tell. Figures: more cells with a figure in them
    than cells of words (a figure held back, "too few (4)", stays in its column of figures)."""
    matched = [c for c in cells if _FIGURE.fullmatch(c)]
    figures = sum(1 for c in matched if any(ch.isdigit() for ch in c))
    return figures > len(cells) - len(matched)


def figure_columns(frame: pl.DataFrame) -> list[int]:
    """The positions of ``frame``'s columns that hold figures: numeric ones, and text ones whose
    cells read as figures (``reads_as_figures``)."""
    return [i for i, (name, dtype) in enumerate(frame.schema.items())
            if dtype.is_numeric() or (dtype == pl.String
                                      and reads_as_figures(frame[name].fill_null("").to_list()))]


def for_people(frame: pl.DataFrame, timezone: str = "UTC", decimals: int = 1) -> pl.DataFrame:
    """The same rows for display: aware datetimes in ``timezone`` as ``2026-12-06 09:33`` (the column
    named with the zone), floats rounded to ``decimals``, id columns moved after the named ones."""
    zone = ZoneInfo(timezone)
    columns = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            columns.append(col.dt.convert_time_zone(timezone).dt.strftime("%Y-%m-%d %H:%M").fill_null("")
                           .alias(f"{name} ({_abbreviation(zone, frame[name])})"))
        elif dtype in (pl.Float32, pl.Float64):
            columns.append(col.round(decimals))
        else:
            columns.append(col)
    shown = frame.select(columns)
    ids = [c for c in shown.columns if c.endswith(ID_SUFFIXES)]
    return shown.select([c for c in shown.columns if c not in ids] + ids)


def _abbreviation(zone: ZoneInfo, values: pl.Series) -> str:
    """The zone's short name when every time in the column has it (PST); the zone's key when the column
    mixes winter and summer times (America/Los_Angeles)."""
    names = values.drop_nulls().dt.convert_time_zone(str(zone.key)).dt.strftime("%Z").unique().to_list()
    return str(names[0]) if len(names) == 1 else str(zone.key)


def caption(frame: pl.DataFrame, timezone: str, shown_rows: int = 0) -> str:
    """``20 rows · times in America/Los_Angeles``, saying when only the first rows are shown."""
    rows = f"{frame.height:,} row(s)"
    if shown_rows and frame.height > shown_rows:
        rows += f" (the first {shown_rows} shown; the value holds every row)"
    return f"{rows} · times in {timezone} · names first, ids last"


def status_times(tis: pl.DataFrame) -> pl.DataFrame:
    """The time-in-status table (pcnb.analytics.time_in_status) as a manager reads it: worded
    columns, whole business days, counts with separators, and the statuses with too few stays
    saying so instead of a blank. The full table (every percentile, calendar days) stays in ``tis``."""
    def days(col: str) -> pl.Expr:
        return _formatted(pl.col(col), pl.Float64(), "days")

    def count(col: str) -> pl.Expr:
        return _formatted(pl.col(col), pl.Int64(), "count")

    few = pl.col("suppressed") & pl.col("km_suppressed")
    return tis.select(
        pl.col("status").cast(pl.String).alias("Status"),
        count("n").alias("Finished stays"),
        count("n_open").alias("Still open"),
        days("median_bdays").alias("Median, finished (business days)"),
        days("p90_bdays").alias("9 in 10 finished within"),
        days("km_p50_bdays").alias("Median, counting open stays"),
        days("km_p90_bdays").alias("9 in 10 within, counting open stays"),
        pl.when(few).then(pl.lit("fewer than 10 stays: not shown")).otherwise(pl.lit("")).alias("Note"),
    )


def outcome_times(tto: pl.DataFrame) -> pl.DataFrame:
    """The time-to-outcome table (pcnb.analytics.time_in_status.time_to_outcome) as a manager reads
    it: one column of days, since the median to any outcome and each outcome's "half reached it"
    answer the same question (when had half of all applications got there?), the expected share
    worded, and a blank said in a note (fewer than half end that way; too few to say)."""
    days = pl.when(pl.col("outcome") == "any").then(pl.col("km_median_bdays")).otherwise(pl.col("half_bdays"))
    held = pl.col("suppressed").fill_null(False) if "suppressed" in tto.columns else pl.lit(False)
    note = (pl.when(held).then(pl.lit("too few applications to say"))
            .when(days.is_null() & (pl.col("outcome") != "any") & (pl.col("share") < 0.5))
            .then(pl.lit("fewer than half are expected to end this way"))
            .when(days.is_null()).then(pl.lit("half have not got there yet")).otherwise(pl.lit("")))
    return tto.select(
        pl.when(pl.col("outcome") == "any").then(pl.lit("Any final status"))
        .otherwise(pl.col("outcome").str.slice(0, 1).str.to_uppercase() + pl.col("outcome").str.slice(1))
        .alias("Outcome"),
        (_formatted(pl.col("events"), pl.Int64(), "count") + pl.lit(" of ")
         + _formatted(pl.col("n"), pl.Int64(), "count")).alias("Ended so far"),
        pl.when(pl.col("outcome") == "any").then(pl.lit("-"))  # a dash, as every table says "no figure"
        .otherwise(_formatted(pl.col("share"), pl.Float64(), "share"))
        .alias("Expected share, open ones included"),
        _formatted(days, pl.Float64(), "days").alias("Business days until half of all applications reached it"),
        note.alias("Note"),
    )


#: Metric columns as a manager reads them: (label, format). Formats: count (1,234), days (whole
#: business or calendar days), share (27%), month (November 2026), text. A column not named here keeps
#: its name with spaces; ``suppressed`` columns become one note.
LABELS: dict[str, tuple[str, str]] = {
    "status": ("Status", "text"), "next_status": ("Next status", "text"), "deadline": ("Deadline on", "text"),
    "track": ("Track", "text"), "days": ("Days allowed", "days"), "unit": ("Counted in", "unit"),
    "clock": ("Clock", "clock"), "completed": ("Finished", "count"),
    "completed_late": ("Finished late", "count"),
    "open_late": ("Open and already late", "count"), "open": ("Still open (late or not)", "count"),
    "exited": ("Left before the end", "count"), "pct_exceeding": ("Missed the deadline", "share"),
    "on_time_rate": ("On time, of those finished", "share"), "period": ("Month", "month"),
    "arrivals": ("Arrived", "count"),
    "departures": ("Reached a final status", "count"), "reopened": ("Re-opened", "count"),
    "net_flow": ("Change in work in progress", "count"),
    "cumulative_net": ("Net change since the period began", "count"),
    "outcome": ("Outcome", "text"), "n": ("Projects", "count"), "events": ("Reached it", "count"),
    "km_median_bdays": ("Median business days (counting open)", "days"), "share": ("Share", "share"),
    "half_bdays": ("Business days until half reached it", "days"), "cohort": ("Submitted in", "month"),
    "median_bdays": ("Median business days (finished)", "days"),
    "p85_bdays": ("Of those finished, 85% within", "days"),
    "count": ("Count", "count"), "median_business_days": ("Median business days", "days"),
    "p90_business_days": ("9 in 10 within", "days"), "owner_name": ("Project owner (installer)", "text"),
    "check": ("Check", "text"), "affected": ("Affected", "count"), "of": ("Of", "count"),
    "examples": ("Examples", "text"), "why_it_matters": ("Why it matters", "text"),
    "A": ("Finished (A)", "count"), "B": ("Finished late (B)", "count"),
    "C": ("Open and late at the period's end (C)", "count"), "D": ("Mean days, finished (D)", "decimal"),
    "E": ("Late (E)", "share"), "days_allowed": ("Days allowed", "decimal"), "tier": ("Tier", "text"),
    "open_within": ("Open, within the days", "count"), "no_rule": ("No rule for their tier", "count"),
    "total": ("Total", "count"), "all others": ("All others", "count"),
    "cases": ("Cases", "count"), "decision": ("Decision", "text"), "projects": ("Projects", "count"),
    "utility_days": ("Utility's days (mean)", "decimal"),
    "applicant_days": ("Applicant's days (mean)", "decimal"),
    "third_party_days": ("Third party's days (mean)", "decimal"),
    "deadline_bdays": ("Business days allowed", "days"), "deadline_days": ("Calendar days allowed", "days"),
    "deadline_hours": ("Business hours allowed", "days"),
}
_WORDS = {"business_days": "business days", "calendar_days": "calendar days", "business_hours": "business hours",
          # "Whose days count: the utility's and the applicant's" read as applicant days held against the
          # utility's deadline (a reviewer): the clock's rule in words instead
          "elapsed": "runs throughout the step", "utility": "stops while the applicant holds it"}


def for_managers(frame: pl.DataFrame) -> pl.DataFrame:
    """Any metric table of pcnb.analytics as a report prints it: worded columns, counts with
    separators, whole days, percentages, months in words, and the figures held back for too few
    stays (``suppressed``) said in a note instead of a true/false column. The frame the metric returned
    stays the analyst's (every digit, the code names)."""
    flags = [c for c in frame.columns if c.endswith("suppressed")]
    said_nothing = [c for c in frame.columns if frame.height and frame[c].null_count() == frame.height]  # no tiers
    if "pct_exceeding" in frame.columns and "on_time_rate" in frame.columns:  # one share, the chart's: an on-time
        said_nothing.append("on_time_rate")  # rate of finished ones beside it (another base) read as a contradiction
    if "track" in frame.columns and frame["track"].fill_null("all").eq("all").all():
        said_nothing.append("track")  # a program without tracks: a column of "all" says nothing
    frame = frame.drop(said_nothing)
    columns = []
    for name in frame.columns:
        if name in flags:
            continue
        plain = name.replace("_", " ").capitalize() if name.isidentifier() and name == name.lower() else name
        label, kind = LABELS.get(name, (plain, "text"))  # a code name worded; a name (an installer's) kept
        if name.startswith("capacity_"):  # a rule file's summed sizes, in the size field's unit
            label, kind = f"Capacity ({name.removeprefix('capacity_')})", "thousands"
        cell = _formatted(pl.col(name), frame.schema[name], kind)
        if name == "deadline":  # a span's key "A -> B" as the charts draw it
            cell = cell.str.replace_all(" -> ", " → ", literal=True)
        columns.append(cell.alias(label))
    if not flags:
        return frame.select(columns)
    held = pl.when(pl.any_horizontal(pl.col(c).fill_null(False) for c in flags)).then(
        pl.lit("too few to state these figures")).otherwise(pl.lit(""))
    if "caveat" in frame.columns:  # one column of notes, not a Caveat beside a Note (a reviewer read both)
        columns = [c for c in columns if c.meta.output_name() != "Caveat"]
        said = pl.col("caveat").fill_null("")
        held = pl.when(said != "").then(said).otherwise(held)
    shown = frame.select(*columns, held.alias("Note"))
    return shown.drop("Note") if shown["Note"].eq("").all() else shown  # an empty column of notes says nothing


def _formatted(col: pl.Expr, dtype: pl.DataType, kind: str) -> pl.Expr:
    if kind in ("count", "days", "share", "decimal", "thousands") and not dtype.is_numeric():
        kind = "text"  # a column of names that shares a metric's name (a rule file's `count` of decisions)
    if kind == "count" or (kind == "text" and dtype.is_integer()):  # 1,234; a missing count is "-"
        return col.map_elements(lambda v: f"{v:,}", return_dtype=pl.String).fill_null("-")
    if kind == "thousands":  # 12,345.6
        return col.map_elements(lambda v: f"{v:,.1f}", return_dtype=pl.String).fill_null("-")
    if kind == "days":
        return col.round(0).cast(pl.Int64).cast(pl.String).fill_null("-")
    if kind == "share":
        return col.map_elements(lambda v: f"{v:.0%}", return_dtype=pl.String).fill_null("-")
    if kind == "month" and dtype in (pl.Date, pl.Datetime):
        return col.dt.strftime("%B %Y")
    if kind == "decimal":
        return col.round(1).cast(pl.String).fill_null("-")
    if kind in ("unit", "clock"):
        return col.replace(_WORDS)
    if dtype in (pl.Float32, pl.Float64):
        return col.round(1)
    if dtype == pl.Boolean:
        return pl.when(col).then(pl.lit("yes")).otherwise(pl.lit(""))
    return col


def partial_month(shown: pl.DataFrame, today: date, column: str = "Month") -> pl.DataFrame:
    """A manager's table (``for_managers``) with the month under way marked as partial in ``column``
    ("December 2026 (to Dec 6, partial)"): its counts are a few days', not a slump."""
    this = f"{today:%B %Y}"
    marked = f"{this} (to {today:%b} {today.day}, partial)"
    return shown.with_columns(pl.when(pl.col(column) == this).then(pl.lit(marked)).otherwise(pl.col(column))
                              .alias(column))


def top_grid(counts: pl.DataFrame, by: str, top: list[str], periods: list[Any]) -> pl.DataFrame:
    """Counts (period, ``by``, count) as a grid a manager reads: one row per period of ``periods``
    (a month with nothing is a row of zeros, not a missing row), one column per value of ``top``,
    the rest summed as "all others", and a total: nothing cut off, every row adds up."""
    named = counts.with_columns(pl.when(pl.col(by).is_in(top)).then(pl.col(by)).otherwise(pl.lit("all others"))
                                .alias("_who"))
    long = named.group_by("period", "_who").agg(pl.col("count").sum().cast(pl.Int64))
    columns = [*top, "all others"]
    grid = pl.DataFrame({"period": periods}).join(
        long.pivot(on="_who", index="period", values="count"), on="period", how="left")
    grid = grid.with_columns([pl.col(c).fill_null(0) if c in grid.columns else pl.lit(0, pl.Int64).alias(c)
                              for c in columns])
    return grid.select("period", *columns, pl.sum_horizontal(columns).alias("total")).sort("period")


class Captioned:
    """A manager's table with its caption above it: on paper, a table its chart pushed onto the next
    page still says what it is (reviewers found tables alone at the top of a page, unnamed).
    ``.frame`` is the table itself."""

    def __init__(self, frame: pl.DataFrame, caption: str):
        self.frame, self.caption = frame, caption

    def _repr_html_(self) -> str:
        table = self.frame._repr_html_()
        return f"<p class='pcnb-table-caption'><b>{html.escape(self.caption)}</b></p>{table}"

    def __repr__(self) -> str:
        return f"{self.caption}\n{self.frame!r}"


def captioned(frame: pl.DataFrame, caption: str) -> Captioned:
    return Captioned(frame, caption)
