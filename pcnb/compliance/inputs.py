"""What a rule file needs from a workspace beyond the histories: each project's size (for levels by
size and capacity) and tier, and the steps' and counts' tables built from them, so the commands and
notebook 07 count the same way."""

from __future__ import annotations

from typing import Any

import polars as pl

from pcnb.compliance.counts import size_tiers
from pcnb.compliance.rules import RuleSet
from pcnb.errors import ConfigError

Built = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, Any]


def size_form(ws: Any, rules: RuleSet) -> str | None:
    """The form holding the profile's size field, when the rule file tiers by size or sums capacity
    (a sync must have fetched it for each project: ``ws.sync(forms=(FORM,))``)."""
    if rules.tier_by != "size" and not rules.capacity:
        return None
    field = ws.profile.segments.get("size")
    if not field or "/" not in field:
        raise ConfigError("the rule file tiers by size or sums capacity, but the profile has no size field",
                          "set it with `%powerclerk profile set segments.size FORM/FIELD` (custom ids)")
    return str(field).split("/", 1)[0]


def size_forms(ws: Any, rules: RuleSet) -> tuple[str, ...]:
    """Every form a sync must fetch for the rule file: the size field's, and the export field's."""
    forms = [size_form(ws, rules), rules.export_field.split("/", 1)[0] if rules.export_field else None]
    return tuple(dict.fromkeys(f for f in forms if f))


def sizes(ws: Any, rules: RuleSet) -> pl.DataFrame | None:
    """project_id, size: each project's value of the profile's size field (None when not needed)."""
    from pcnb.cache import frames

    form = size_form(ws, rules)
    if form is None:
        return None
    field = str(ws.profile.segments["size"])
    every = frames.form_values(ws.store)
    out = _field(every, field, "size")
    if rules.export_field:  # a project without an export value (not filed yet) counts, its export unknown
        out = out.join(_field(every, rules.export_field, "export"), on="project_id", how="full", coalesce=True)
    return out


def _field(values: pl.DataFrame, field: str, name: str) -> pl.DataFrame:
    """project_id, ``name``: each project's number in FORM/FIELD, from the cached form values."""
    form, custom = field.split("/", 1)
    mine = values.filter((pl.col("form_id") == form) & (pl.col("field") == custom))
    if mine.height == 0:
        raise ConfigError(f"the cache holds no values of the {name} field {field}",
                          f"fetch form {form} once for each project: `%powerclerk sync --forms {form}` "
                          f"(`pcnb sync --forms {form}` in a terminal)")
    return mine.group_by("project_id").agg(pl.col("value").cast(pl.Float64, strict=False).first().alias(name))


def tiers(ws: Any, rules: RuleSet, sized: pl.DataFrame | None) -> pl.DataFrame | None:
    """project_id, tier: the track (under the rule's tier names) or the size tier, when the rule
    file has tiers."""
    if rules.tier_by == "track":
        out: pl.DataFrame = ws.project_tracks().rename({"track": "tier"})
        names = dict(rules.tier_names)  # the program's track values under the rule's tier names
        return out.with_columns(pl.col("tier").cast(pl.String).replace(names)) if names else out
    return size_tiers(sized, rules) if rules.tier_by == "size" and sized is not None else None


Segments = tuple[pl.DataFrame | None, pl.DataFrame | None]


def segments(ws: Any, rules: RuleSet) -> Segments:
    """(sizes, tiers): each project's size and tier, read once for all the periods a report counts."""
    sized = sizes(ws, rules)
    return sized, tiers(ws, rules, sized)


def built(ws: Any, rules: RuleSet, label: str,
          segmented: Segments | None = None) -> tuple[Built, tuple[pl.DataFrame, pl.DataFrame] | None]:
    """(the steps' table, cases, stays and period end; the counts' table and cases, or None).
    ``segmented``: :func:`segments`' answer when the caller has it already (notebook 07's trend)."""
    from pcnb.compliance.pack import build, build_counts
    from pcnb.compliance.period import kind
    from pcnb.compliance.rules import calendar_for

    if kind(label) != rules.period:  # an annual report's shape over a quarter would mislead its reader
        examples = {"quarter": "2025Q3", "half": "2025H1", "year": "2025"}
        raise ConfigError(f"the rule file reports per {rules.period} and {label} is a {kind(label)}",
                          f"give a {rules.period} (e.g. --period {examples[rules.period]}), or change "
                          "`period:` in the rule file")
    prof = ws.profile
    if rules.steps and not prof.roles.final:
        raise ConfigError("the program profile has no final statuses, so no step can be judged ended",
                          "set them with `%powerclerk profile set roles.completion STATUS` (and the exits)")
    sized, tiered = segmented if segmented is not None else segments(ws, rules)
    events, cal, projects = ws.status_events(), calendar_for(rules, prof), ws.projects()
    steps = build(events, rules, cal, label, prof.roles.final, prof.holders, projects, tiered)
    counted = build_counts(events, rules, cal, label, projects, tiered, sized) if rules.counts else None
    return steps, counted


__all__ = ["Built", "Segments", "built", "segments", "size_form", "size_forms", "sizes", "tiers"]
