"""Segmentation: project attributes (installer, program, technology, system-size bin) joined onto
intervals, so every metric that takes ``by=`` can be split by any of them.

The technology and size come from the submitted form fields the program profile names as its size and
technology segments (``sync(forms=(FORM,))`` caches them); without form data those columns are null
and the segment is "unknown".
"""

from __future__ import annotations

import polars as pl

#: (lower exclusive, upper inclusive, label) in kW AC; residential / small commercial / large
SIZE_BINS: tuple[tuple[float, float | None, str], ...] = (
    (0, 10, "<= 10 kW"), (10, 25, "10-25 kW"), (25, 100, "25-100 kW"), (100, 1000, "100 kW-1 MW"),
    (1000, None, "> 1 MW"))


def size_bin(kw: pl.Expr, bins: tuple[tuple[float, float | None, str], ...] = SIZE_BINS) -> pl.Expr:
    label: pl.Expr = pl.lit("unknown")
    for lo, hi, name in reversed(bins):  # the first matching bin wins; null or out of range: unknown
        label = pl.when((kw > lo) & (kw <= hi) if hi is not None else kw > lo).then(pl.lit(name)).otherwise(label)
    return label.cast(pl.Enum([b[2] for b in bins] + ["unknown"]))


def project_attributes(projects: pl.DataFrame, form_values: pl.DataFrame | None = None,
                       size_field: str | None = None, technology_field: str | None = None) -> pl.DataFrame:
    """project_id, program_id, owner_name, technology, system_size_kw, size_bin.

    ``size_field`` / ``technology_field``: the form fields (custom ids) holding them, from the
    profile's segments (``ws.profile.segments``); a field not given stays "unknown"."""
    base = projects.select("project_id", "program_id", "owner_name")
    if form_values is None or form_values.height == 0:
        fields = pl.DataFrame(schema={"project_id": pl.String, "technology": pl.String, "system_size_kw": pl.Float64})
    else:
        wanted = form_values.filter(pl.col("field").is_in([f for f in (size_field, technology_field) if f]))
        fields = wanted.group_by("project_id").agg(
            pl.col("value").filter(pl.col("field") == technology_field).first().alias("technology"),
            pl.col("value").filter(pl.col("field") == size_field).first().cast(pl.Float64, strict=False)
            .alias("system_size_kw"))
    out = base.join(fields, on="project_id", how="left")
    return out.with_columns(pl.col("technology").fill_null("unknown"), size_bin(pl.col("system_size_kw"))
                            .alias("size_bin"))


def segmented(intervals: pl.DataFrame, attributes: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """Intervals with the chosen attribute columns (for ``by=``); unknown values become "unknown"."""
    missing = [c for c in columns if c not in attributes.columns]
    if missing:
        raise ValueError(f"unknown segment column(s) {missing}; available: {attributes.columns[1:]}")
    return intervals.join(attributes.select("project_id", *columns), on="project_id", how="left")
