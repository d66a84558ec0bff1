"""A frame as a person reads it: local times with the zone named, numbers rounded, names before ids,
and a one-line caption (rows, scope). Only the display changes: the value a command returns stays
the raw polars frame (UTC times, every digit), one attribute of the notebook away.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import polars as pl

ID_SUFFIXES = ("_id", "_custom_id")


def for_people(frame: pl.DataFrame, timezone: str = "UTC", decimals: int = 1) -> pl.DataFrame:
    """The same rows for display: aware datetimes in ``timezone`` as ``2026-12-06 09:33`` (the column
    named with the zone), floats rounded to ``decimals``, id columns moved after the named ones."""
    zone = ZoneInfo(timezone)
    columns = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            columns.append(col.dt.convert_time_zone(timezone).dt.strftime("%Y-%m-%d %H:%M")
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
        return pl.col(col).round(0).cast(pl.Int64).cast(pl.String).fill_null("-")

    def count(col: str) -> pl.Expr:
        return pl.col(col).map_elements(lambda n: f"{n:,}", return_dtype=pl.String)

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
