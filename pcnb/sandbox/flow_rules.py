"""What real programs do beyond a fixed workflow, as definition keys: steps that apply only to some
projects (routing by a field, e.g. large systems go to a study), durations in calendar days, moves on
a timer (removed from the queue after 30 calendar days without an answer), closed days and closures,
arrivals that grow and follow the seasons, and each final status's outcome.

A transition's ``when`` picks the projects it applies to: ``{field: FORM/FIELD, in: [values]}``,
``{field: ..., over: N}`` or ``{field: ..., at_most: N}`` (numbers). From a status, the steps of the
first ``when`` a project matches (in file order) are its choices, their ``p`` summing to 1; a project
matching none takes the steps without ``when``. A ``timer: DAYS`` step (no ``p``) is taken when the
project has stayed that many calendar days and its drawn step would come later (or never).
"""

from __future__ import annotations

import json
import math
import random
from bisect import bisect_left
from datetime import date
from itertools import accumulate
from typing import Any

from pcnb.sandbox.program import Step

OUTCOMES = ("completed", "withdrawn", "rejected", "cancelled")
_NUMBER = {"type": "number"}
WHEN_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["field"], "minProperties": 2, "maxProperties": 2,
    "properties": {"field": {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*/[A-Za-z][A-Za-z0-9_]*$"},
                   "in": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                   "over": _NUMBER, "at_most": _NUMBER}}
DATE = {"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
HOLIDAY_KEYS: dict[str, Any] = {
    "days": {"type": "array", "items": DATE},
    "closures": {"type": "array", "items": {"type": "array", "items": DATE, "minItems": 2, "maxItems": 2}}}
ARRIVALS_SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "properties": {"growth": {"type": "number", "exclusiveMinimum": 0, "maximum": 20},
                   "seasonality": {"type": "array", "items": {"type": "number", "minimum": 0}, "minItems": 12,
                                   "maxItems": 12}}}


def check(d: dict[str, Any], fields: set[str]) -> list[str]:
    """Problems a schema cannot see: sums per ``when`` group, timers, unknown fields, closures, outcomes."""
    problems = []
    for status, steps in d["transitions"].items():
        groups: dict[str, float] = {}
        timers = 0
        for i, step in enumerate(steps):
            where = f"transitions.{status}[{i}]"
            if "timer" in step:
                timers += 1
                if "p" in step or step["to"] is None:
                    problems.append(f"{where}: a timer step names where it goes (to) and no p: it is taken when "
                                    "the timer runs out first")
                continue
            if "p" not in step:
                problems.append(f"{where}: needs p (its probability) or timer (calendar days)")
                continue
            when = step.get("when")
            if when and when["field"] not in fields:
                problems.append(f"{where}.when.field: unknown field {when['field']!r}; fields are FORM/FIELD "
                                "custom ids of the forms above")
            key = json.dumps(when, sort_keys=True) if when else ""
            groups[key] = groups.get(key, 0.0) + float(step["p"])
        if timers > 1:
            problems.append(f"transitions.{status}: {timers} timer steps; a status has at most one timer")
        if steps and "" not in groups and groups:
            problems.append(f"transitions.{status}: every step has a `when`; add the steps a project matching "
                            "none takes (without `when`)")
        for key, total in groups.items():
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                which = f" (when {key})" if key else ""
                problems.append(f"transitions.{status}: probabilities{which} sum to {total:g}, not 1")
    for i, (first, last) in enumerate((d.get("holidays") or {}).get("closures", [])):
        if first > last:
            problems.append(f"holidays.closures[{i}]: {first} is after {last}; write [first day, last day]")
    for i, s in enumerate(d["statuses"]):
        if "outcome" in s and d["transitions"].get(s["custom_id"]):
            problems.append(f"statuses[{i}].outcome: {s['custom_id']!r} has steps out of it; only a final status "
                            "has an outcome")
    return problems


def build_step(x: dict[str, Any]) -> Step:
    """A transition entry as the generator's Step."""
    days = (float(x["timer"]), 0.0) if "timer" in x else (x.get("days") or (1.0, 0.5))
    when = x.get("when")
    cond = None
    if when:
        op = next(k for k in ("in", "over", "at_most") if k in when)
        values = when[op]
        cond = (when["field"], op, tuple(str(v) for v in values) if op == "in" else (str(values),))
    return Step(x["to"], float(x.get("p", 0.0)), float(days[0]), float(days[1]), x.get("by", "utility"),
                x.get("unit", "business_days"), float(x["timer"]) if "timer" in x else None, cond)


def matches(when: tuple[str, str, tuple[str, ...]], values: dict[str, dict[str, object]]) -> bool:
    """Whether a project's form values (form -> field -> value) satisfy a step's ``when``."""
    field, op, wanted = when
    form, key = field.split("/", 1)
    value = values.get(form, {}).get(key)
    if value is None:
        return False
    if op == "in":
        return str(value) in wanted
    try:
        number = float(str(value))
    except ValueError:
        return False
    return number > float(wanted[0]) if op == "over" else number <= float(wanted[0])


def choices(steps: tuple[Step, ...], values: dict[str, dict[str, object]]) -> tuple[Step, ...]:
    """The steps a project can draw from: the first matching ``when`` group, else those without."""
    drawn = [s for s in steps if s.timer is None]
    for s in drawn:
        if s.when is not None and matches(s.when, values):
            return tuple(x for x in drawn if x.when == s.when)
    return tuple(s for s in drawn if s.when is None)


def timer(steps: tuple[Step, ...]) -> Step | None:
    return next((s for s in steps if s.timer is not None), None)


def closed_days(holidays: dict[str, Any]) -> tuple[tuple[date, ...], tuple[tuple[date, date], ...]]:
    return (tuple(date.fromisoformat(x) for x in holidays.get("days", [])),
            tuple((date.fromisoformat(a), date.fromisoformat(b)) for a, b in holidays.get("closures", [])))


def arrival_days(rng: random.Random, n: int, days: list[date], growth: float,
                 seasonality: tuple[float, ...] | None) -> list[int]:
    """``n`` business-day indexes into ``days``: a rate rising linearly by ``growth`` (end over start),
    weighted by the month's seasonality; drawn by inverse CDF over the days' weights."""
    span = len(days)
    weights = [(1 + (growth - 1) * i / max(span - 1, 1)) * (seasonality[d.month - 1] if seasonality else 1.0)
               for i, d in enumerate(days)]
    cum = list(accumulate(weights))
    return [min(bisect_left(cum, rng.random() * cum[-1]), span - 1) for _ in range(n)]


__all__ = ["ARRIVALS_SCHEMA", "HOLIDAY_KEYS", "OUTCOMES", "WHEN_SCHEMA", "arrival_days", "build_step", "check",
           "choices", "closed_days", "matches", "timer"]
