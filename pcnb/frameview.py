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
