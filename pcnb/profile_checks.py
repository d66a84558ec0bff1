"""Checking a program profile as a whole: every key's type and value, before any chart reads it.

A profile is edited in three ways (``profile set``, the YAML file by hand, Python attributes), and
a wrong value used to surface as a traceback deep in a chart (the ``holidays`` package's
NotImplementedError for an unknown country, a TypeError for ``timezone: 5``). Here one check
serves all three: a JSON schema for the types and shapes (the same one for the file and for the
dataclasses' dict form), then the rules a schema cannot state (statuses that exist, a time zone
of the IANA database, a country and subdivision of the ``holidays`` package, real dates, a week
mask). Each problem is a :class:`Problem` with the key's path, so the file loader can name the
line and every caller can name the key; :func:`first` raises the first one as a ProfileError.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
import jsonschema

from pcnb import profile_roles
from pcnb.analytics.deadlines import CLOCKS
from pcnb.profile_keys import (
    EXITS,
    HOLDERS,
    SEGMENTS,
    UNITS,
    WEEKDAY_LETTERS,
    Path,
    Problem,
    ProfileError,
    key_of,
)

__all__ = ["EXITS", "HOLDERS", "SEGMENTS", "UNITS", "Problem", "ProfileError", "key_of"]

if TYPE_CHECKING:
    from pcnb.profile import ProgramProfile

_TEXT = {"type": "string", "minLength": 1}
_MAYBE = {"type": ["string", "null"]}
_NAMES = {"type": "array", "items": _TEXT}
#: The profile's shape, as saved (``asdict`` with tuples as lists). Every key is required at the
#: top level, so a file cut short at a line end is refused instead of read with keys missing.
SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["environment", "program_id", "program_name", "statuses", "roles", "deadlines", "calendar",
                 "segments", "workflow", "guessed", "confidence"],
    "properties": {
        "environment": _TEXT, "program_id": _TEXT, "program_name": {"type": "string"},
        "statuses": {"type": "array", "items": {
            "type": "object", "required": ["name"], "additionalProperties": False,
            "properties": {"name": _TEXT, "custom_id": {"type": "string"}, "status_id": {"type": "string"},
                           "holder": {"enum": list(HOLDERS)}}}},
        "roles": {"type": "object", "additionalProperties": False, "properties": {
            "draft": _NAMES, "intake": _MAYBE, "review": _NAMES, "approval": _MAYBE, "completion": _MAYBE,
            "exits": {"type": "object", "additionalProperties": False, "properties": dict.fromkeys(EXITS, _NAMES)}}},
        "deadlines": {"type": "array", "items": {
            "type": "object", "required": ["days"], "additionalProperties": False,
            "properties": {"days": {"type": "number"}, "status": _MAYBE, "start": _MAYBE, "end": _MAYBE,
                           "unit": {"enum": list(UNITS)}, "track": _MAYBE, "clock": {"enum": list(CLOCKS)}}}},
        "calendar": {"type": "object", "additionalProperties": False, "properties": {
            "timezone": {"type": "string"}, "week_mask": {"type": "string"}, "country": {"type": "string"},
            "subdivision": _MAYBE, "closures": {"type": "array", "items": {"type": "string"}}}},
        "segments": {"type": "object", "additionalProperties": False, "properties": dict.fromkeys(SEGMENTS, _MAYBE)},
        "workflow": {"type": "array", "items": {"type": "array", "minItems": 3, "maxItems": 3,
                                                "prefixItems": [_TEXT, _TEXT, {"type": "integer", "minimum": 0}]}},
        "guessed": {"type": "object", "additionalProperties": {"type": "string"}},
        "confidence": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}}},
        # optional: files written before programs' changes were logged have none
        "changes": {"type": "array", "items": {
            "type": "object", "required": ["seen", "what", "kind", "key", "name"], "additionalProperties": False,
            "properties": {"seen": {"type": "string", "format": "date"}, "what": {"enum": ["status", "form"]},
                           "kind": {"enum": ["added", "renamed", "removed"]}, "key": _TEXT, "name": _TEXT,
                           "previous": _TEXT}}},
    },
}

#: How to write each key right (list indices as ``[]``), for the fix half of a message.
FIXES = {
    "": "the file holds the profile's keys (environment, program_id, statuses, roles, deadlines, calendar, "
        "segments, workflow, guessed, confidence); delete it and run `%powerclerk profile infer` to start again",
    "statuses": "one entry per status: {name: NAME, custom_id: ID, status_id: ID, holder: utility|applicant|none}",
    "roles": "roles holds keys: draft, intake, review, approval, completion, exits (statuses by name)",
    "roles.exits": "exits holds lists of statuses: completed, withdrawn, rejected, cancelled",
    "deadlines": "one entry per deadline: {status: NAME, days: 10, unit: business_days} or "
                 "{start: NAME, end: NAME, days: 60}",
    "deadlines[].days": "a positive number, unquoted, e.g. days: 10",
    "deadlines[].unit": f"one of: {', '.join(UNITS)}",
    "deadlines[].clock": "elapsed (every day counts) or utility (the applicant's days do not)",
    "calendar": "calendar holds keys: timezone, week_mask, country, subdivision, closures",
    "calendar.timezone": "an IANA time zone, e.g. America/New_York or America/Los_Angeles",
    "calendar.week_mask": "7 characters from Monday to Sunday, the day's letter when the utility works and - "
                          "when it is closed, e.g. MTWTF--",
    "calendar.country": "a country code of the holidays package, e.g. US or CA",
    "calendar.subdivision": "a subdivision code of the country (e.g. CA or NY for US), or null for national "
                            "holidays only",
    "calendar.closures": "the utility's closed days as dates yyyy-mm-dd, e.g. closures: [2025-12-26]",
    "segments": "FORM/FIELD custom ids of the form and its field (`%powerclerk profile` lists the guesses), or null",
    "workflow": "observed transitions [FROM, TO, COUNT]; `%powerclerk profile infer` rebuilds them",
    "guessed": "KEY: the evidence (text); delete a line once you confirm it",
    "changes": "the program's changes as syncs saw them, one entry each: {seen: yyyy-mm-dd, what: status|form, "
               "kind: added|renamed|removed, key: ID, name: NAME, previous: OLD NAME}; delete the list to forget them",
    "confidence": "the outcome guesses' chances, e.g. roles.completion: {STATUS: 0.93, OTHER: 0.07}; "
                  "`%powerclerk profile confirm` removes them",
}
_KINDS = {"string": "text", "array": "a list", "object": "a set of keys", "number": "a number",
          "integer": "a whole number", "null": "empty", "boolean": "yes/no"}


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "yes/no"
    for name, typ in (("text", str), ("a list", list), ("a set of keys", dict), ("a number", int | float)):
        if isinstance(value, typ):
            return name
    return type(value).__name__


def _fix(path: Sequence[str | int]) -> str:
    generic = key_of(["[]" if isinstance(p, int) else p for p in path]).replace(".[]", "[]")
    while generic not in FIXES:
        generic = generic[:-2] if generic.endswith("[]") else generic.rpartition(".")[0]
    return FIXES[generic]


def _schema_problem(err: jsonschema.ValidationError) -> Problem:
    path = tuple(err.absolute_path)
    value: Any = err.instance
    rule: Any = err.validator_value  # jsonschema types it loosely (it may be unset)
    schema: Any = err.schema
    if err.validator == "type":
        wanted = rule if isinstance(rule, list) else [rule]
        return Problem(path, f"{value!r} is {_kind(value)}, not {' or '.join(_KINDS[w] for w in wanted)}", _fix(path))
    if err.validator == "enum":
        leaf = next((p for p in reversed(path) if isinstance(p, str)), "value")
        return Problem(path, f"unknown {leaf} {value!r} (one of: {', '.join(map(str, rule))})",
                       _fix(path))
    if err.validator == "additionalProperties":
        known = list(schema.get("properties", {}))
        extra = sorted(set(value) - set(known))[0]
        close = difflib.get_close_matches(str(extra), known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        return Problem((*path, extra), f"unknown key ({hint})", _fix(path))
    if err.validator == "required":
        missing = [k for k in rule if k not in value]
        return Problem(path, f"the key {missing[0]!r} is missing", _fix((*path, missing[0])))
    if err.validator == "minLength":
        return Problem(path, "is empty", _fix(path))
    return Problem(path, f"{value!r}: {err.message}", _fix(path))


def shape_problems(data: Any) -> list[Problem]:
    """Types and shapes of the profile's dict form (the file, or ``asdict`` of a profile)."""
    validator = jsonschema.Draft202012Validator(SCHEMA)
    rank = {"additionalProperties": 1, "required": 2}  # a wrong value first, then a typo, then a gap
    errors = sorted(validator.iter_errors(data), key=lambda e: (rank.get(str(e.validator), 0),
                                                                [str(p) for p in e.absolute_path]))
    return [_schema_problem(e) for e in errors]


def plain(value: Any) -> Any:
    """``asdict`` output with tuples as lists: the shape the file has and the schema describes."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


# ---- the rules a schema cannot state ---------------------------------------------------------------
def calendar_problems(cal: dict[str, Any]) -> Iterator[Problem]:
    """The time zone, week mask, holiday country/subdivision and closures of a calendar's dict form."""
    try:
        ZoneInfo(cal["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        yield Problem(("calendar", "timezone"), f"{cal['timezone']!r} is not an IANA time zone",
                      _fix(("calendar", "timezone")))
    mask = cal["week_mask"]
    if len(mask) != 7 or any(ch not in ("-", day, day.lower()) for ch, day in zip(mask, WEEKDAY_LETTERS,
                                                                                  strict=False)):
        yield Problem(("calendar", "week_mask"), f"{mask!r} is not a week mask", _fix(("calendar", "week_mask")))
    elif set(mask) == {"-"}:
        yield Problem(("calendar", "week_mask"), f"{mask!r} has no working day", _fix(("calendar", "week_mask")))
    countries = holidays_lib.list_supported_countries()
    country, sub = cal["country"], cal["subdivision"]
    if country not in countries:
        close = [c for c in countries if c.upper() == country.upper()] or difflib.get_close_matches(
            country.upper(), list(countries), n=1, cutoff=0.75)
        yield Problem(("calendar", "country"), f"{country!r} is not a country of the holidays package"
                      + (f" (did you mean {close[0]!r}?)" if close else ""), _fix(("calendar", "country")))
    elif sub is not None and sub not in countries[country]:
        subs = list(countries[country])
        close = [s for s in subs if s.upper() == sub.upper()] or difflib.get_close_matches(sub, subs, n=1)
        yield Problem(("calendar", "subdivision"), f"{sub!r} is not a subdivision of {country}"
                      + (f" (did you mean {close[0]!r}?)" if close else f"; its subdivisions: {', '.join(subs)}"),
                      _fix(("calendar", "subdivision")))
    for i, day in enumerate(cal["closures"]):
        try:
            date.fromisoformat(day)
        except ValueError:
            yield Problem(("calendar", "closures", i), f"{day!r} is not a date", _fix(("calendar", "closures")))


def _status_refs(prof: ProgramProfile) -> Iterator[tuple[Path, str]]:
    r = prof.roles
    for role in ("draft", "review"):
        for i, name in enumerate(getattr(r, role)):
            yield ("roles", role, i), name
    for role in ("intake", "approval", "completion"):
        if getattr(r, role):
            yield ("roles", role), getattr(r, role)
    for kind, names in r.exits.items():
        for i, name in enumerate(names):
            yield ("roles", "exits", kind, i), name
    for i, d in enumerate(prof.deadlines):
        for part in ("status", "start", "end"):
            if getattr(d, part):
                yield ("deadlines", i, part), getattr(d, part)


def _same(prof: ProgramProfile, a: str, b: str) -> bool:
    try:
        return prof.status(a).name == prof.status(b).name
    except ProfileError:
        return False  # named as an unknown status already


def value_problems(prof: ProgramProfile) -> Iterator[Problem]:
    """What a schema cannot state: statuses that exist, the calendar, deadlines that can be counted."""
    names = [s.name for s in prof.statuses]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        yield Problem(("statuses",), f"the status name {dup!r} is listed twice", FIXES["statuses"])
    for path, key in _status_refs(prof):
        try:
            prof.status(key)
        except ProfileError as exc:
            yield Problem(path, exc.message, exc.hint)
    yield from profile_roles.problems(prof)
    final = set(prof.roles.final)
    for i, d in enumerate(prof.deadlines):
        at: Path = ("deadlines", i)
        if not math.isfinite(d.days) or d.days <= 0:
            yield Problem((*at, "days"), f"{d.days!r} days must be a positive number", _fix((*at, "days")))
        if not d.status and not (d.start and d.end):
            yield Problem(at, "a deadline needs a status, or a start and an end status", FIXES["deadlines"])
        elif d.status and d.status in final:
            yield Problem((*at, "status"), f"{d.status!r} is a final status; a stay there never ends",
                          "give the deadline a span that ends there instead: deadlines.START -> END")
        elif d.status and d.clock == "utility":
            yield Problem((*at, "clock"), "clock=utility applies to a span (START -> END)",
                          "a stay in one status has one holder; drop clock=utility")
        elif d.start and d.end and not d.status and _same(prof, d.start, d.end):
            yield Problem(at, "the start and end are the same status",
                          "a span runs from entering START to entering a later END")
    yield from calendar_problems(plain(vars(prof.calendar)))


def check_calendar(cal: dict[str, Any]) -> list[Problem]:
    """The problems of one calendar (a CalendarSpec's fields), types first."""
    validator = jsonschema.Draft202012Validator(SCHEMA["properties"]["calendar"])
    found = [_schema_problem(e) for e in validator.iter_errors(plain(cal))]
    return [Problem(("calendar", *p.path), p.what, _fix(("calendar", *p.path))) for p in found] or list(
        calendar_problems(plain(cal)))


def problems(prof: ProgramProfile) -> list[Problem]:
    """Every problem of ``prof`` (types first: the value rules assume the types are right)."""
    from dataclasses import asdict

    found = shape_problems(plain(asdict(prof)))
    return found or list(value_problems(prof))


def first(found: Sequence[Problem]) -> None:
    """Raise the first problem as a ProfileError (one line: the key and what is wrong; and the fix)."""
    if found:
        raise found[0].error()
