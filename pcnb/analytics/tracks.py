"""Which deadline track each project is on: the value of the program's track field (a form field
named FORM/FIELD by the profile's ``segments.track``), else the size bin of its size field.

Pure polars over the cached form values; the caller (``Workspace.project_tracks``) says how to fix
what goes wrong in the user's words (``profile set ...``), so errors here are plain ValueErrors.
"""

from __future__ import annotations

import polars as pl

from pcnb.analytics.segments import size_bin


class TrackFieldError(ValueError):
    """The track (or size) field is not FORM/FIELD, not a field of its form, or has no cached value."""

    def __init__(self, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.fields = fields  # the form's fields, when the field is not one of them


def track_field(track: str | None, size: str | None) -> tuple[str, bool] | None:
    """(FORM/FIELD, whether it is the size field, binned) giving each project its track, or None."""
    field, binned = (track, False) if track else (size, True)
    if field and "/" not in field:
        raise TrackFieldError(f"segments.{'size' if binned else 'track'} is {field!r}, not FORM/FIELD")
    return (field, binned) if field else None


def project_tracks(form_values: pl.DataFrame, field: str, binned: bool) -> pl.DataFrame:
    """project_id, track: each project's value of ``field`` (or its size bin when ``binned``)."""
    form, name = field.split("/", 1)
    of_form = form_values.filter(pl.col("form_id") == form)
    values = of_form.filter(pl.col("field") == name)
    if values.height == 0 and of_form.height:  # the form is cached: the field is not one of it
        raise TrackFieldError(f"form {form} has no field {name!r} (the profile's track field {field})",
                              sorted(set(of_form["field"].drop_nulls().to_list())))
    if values.height == 0:
        raise TrackFieldError(f"the cache holds no values of {field} for the tracked deadlines")
    value = size_bin(pl.col("value").cast(pl.Float64, strict=False)) if binned else pl.col("value")
    return values.group_by("project_id").agg(value.first().cast(pl.String).alias("track"))
