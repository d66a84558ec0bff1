"""A regulator's timeline rules as data: a YAML file a utility points at its tariff.

Each regulator counts differently (which steps, business or calendar days, whose time stops the
clock, per tier, per quarter or year), so the rules are a file, not code: named steps from entering
one status to entering another, the days each allows, whose time counts, the reporting period and
the table's columns. Statuses are named as the program names them, or through the profile's roles
(``role:intake``, ``role:completion``, ``role:approval``), so one file serves programs whose statuses
differ. Every mistake is reported at once, each with the key and the fix.

A minimal file::

    name: Interconnection timelines (quarterly)
    source: the utility's tariff, section 5 (verify the days against the current text)
    period: quarter          # quarter | half | year
    unit: business_days      # business_days | calendar_days
    clock: utility           # utility: time the applicant or a third party holds does not count
    third_party: []          # statuses a third party holds (e.g. a transmission operator's study)
    steps:
      - name: Completeness review
        start: role:intake
        end: Review Started
        days: 10
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from pcnb.compliance.errors import RulesError
from pcnb.compliance.shapes import merged, read
from pcnb.profile_keys import EXITS

PERIODS = ("quarter", "half", "year")
UNITS = ("business_days", "calendar_days")
CLOCKS = ("utility", "elapsed")
COLUMNS = ("A", "B", "C", "D", "E")
ROLES = ("intake", "approval", "completion")

_REF = {"type": "string", "minLength": 1}
SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["name", "source"],
    "properties": {
        "name": {"type": "string", "minLength": 1}, "source": {"type": "string", "minLength": 1},
        "based_on": {"type": "string", "minLength": 1},
        "statuses": {"type": "object", "additionalProperties": _REF},
        "period": {"enum": list(PERIODS)}, "unit": {"enum": list(UNITS)}, "clock": {"enum": list(CLOCKS)},
        "third_party": {"type": "array", "items": _REF},
        "columns": {"type": "array", "items": {"enum": list(COLUMNS)}, "minItems": 1},
        "steps": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "start", "end", "days"],
            "properties": {"name": {"type": "string", "minLength": 1}, "start": _REF, "end": _REF,
                           "target": {"type": "number", "exclusiveMinimum": 0},
                           "days": {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {
                               "type": "object", "minProperties": 1,
                               "additionalProperties": {"type": "number", "exclusiveMinimum": 0}}]}}}},
        "counts": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "entered"],
            "properties": {"name": {"type": "string", "minLength": 1}, "entered": _REF, "after": _REF}}},
        "tier_by": {"enum": ["track", "size"]},
        "size_tiers": {"type": "object", "minProperties": 1,
                       "additionalProperties": {"type": "number", "exclusiveMinimum": 0}},
        "capacity": {"type": "string", "minLength": 1},
        "export_field": {"type": "string", "pattern": "^[^/]+/[^/]+$"},
        "tier_names": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}},
        "calendar": {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
            "country": {"type": "string"}, "subdivision": {"type": ["string", "null"]},
            "closures": {"type": "array", "items": {"type": "string"}}, "week_mask": {"type": "string"}}},
    },
}
FIXES = {
    "period": "one of: quarter, half, year", "unit": "one of: business_days, calendar_days",
    "clock": "utility (the applicant's and third parties' time stops the clock) or elapsed (every day counts)",
    "columns": "a list of A (completed), B (completed late), C (open and late at period end), D (mean days of "
               "the completed), E (percent late = (B + C) / (A + C))",
    "steps": "a list of steps, each {name: TEXT, start: STATUS or role:intake, end: STATUS, days: NUMBER}",
    "third_party": "a list of status names where a third party holds the project",
    "tier_by": "track: each project's tier is its track in the profile (segments.track, or the size bin of "
               "segments.size); size: the first of `size_tiers` its size fits; a step's days are then "
               "{TIER: DAYS, ...}, with `other` for the rest",
    "size_tiers": "{TIER: LARGEST SIZE, ...} in the size field's unit, smallest first, "
                  "e.g. {Level 1: 20, Level 2: 2000}",
    "counts": "a list of counts, each {name: TEXT, entered: STATUS or role:approval or exit:rejected, "
              "after: STATUS (optional)}",
    "statuses": "{NAME: STATUS, ...}: the names the steps and counts use, bound to the program's statuses "
                "(or role:..., exit:...)",
    "capacity": "the size field's unit (e.g. kW): counts also sum each project's size",
    "export_field": "FORM/FIELD (custom ids, as `%powerclerk fields` lists them): the field holding each project's "
                    "export capacity in the same unit; counts sum it beside the size (needs `capacity`)",
    "tier_names": "{YOUR TRACK VALUE: THE RULE'S TIER, ...}: e.g. {Fast Track: Expedited} when your program "
                  "names its tracks otherwise",
    "calendar": "{country: US, subdivision: MA, closures: [yyyy-mm-dd, ...]}: the tariff's holidays where they are "
                "not the program's (the time zone stays the program's)",
    "based_on": "a shipped shape (`pcnb rules shapes` lists them) or a rule file's path",
}


@dataclass(frozen=True)
class Step:
    name: str
    start: str  # a status name, after roles are resolved
    end: str
    days: float  # without tiers
    tiers: tuple[tuple[str, float], ...] = ()  # tier -> days ("other": the projects of any other tier)
    target: float | None = None  # a goal under the maximum (`days`): the table counts the cases within it

    def allowed(self, tier: str | None) -> float | None:
        """The days this step allows a project of ``tier`` (None: no rule for it)."""
        if not self.tiers:
            return self.days
        table = dict(self.tiers)
        return table.get(tier or "", table.get("other"))


@dataclass(frozen=True)
class Count:
    """Projects whose first entry into one of ``entered`` falls in the period (a decision counted
    once, whatever re-entries follow), and, with ``after``, only those that had entered one of
    ``after`` before it (e.g. withdrawn after approval)."""

    name: str
    entered: tuple[str, ...]
    after: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    name: str
    source: str
    steps: tuple[Step, ...]
    period: str = "quarter"
    unit: str = "business_days"
    clock: str = "utility"
    third_party: tuple[str, ...] = ()
    columns: tuple[str, ...] = COLUMNS
    tier_by: str | None = None
    digest: str = ""  # sha256 of the file's bytes (and of the shape it is based on)
    counts: tuple[Count, ...] = ()
    size_tiers: tuple[tuple[str, float], ...] = ()  # tier -> largest size, smallest first
    capacity: str | None = None  # the size field's unit, when counts sum sizes
    export_field: str | None = None  # FORM/FIELD of the export capacity, summed beside the size
    tier_names: tuple[tuple[str, str], ...] = ()  # the program's track value -> the rule's tier name
    calendar: tuple[tuple[str, Any], ...] = ()  # the tariff's own holidays (country, subdivision, closures)

    @property
    def days_word(self) -> str:
        return self.unit.replace("_", " ")


def for_profile(path: str | Path, profile: Any) -> RuleSet:
    """:func:`load` checked against a program profile's statuses, roles and exits (and its calendar
    block, if any, against the holidays package)."""
    roles = {r: getattr(profile.roles, r) for r in ROLES}
    rules = load(path, [s.name for s in profile.statuses], roles, profile.roles.exits)
    calendar_for(rules, profile)
    return rules


def calendar_for(rules: RuleSet, profile: Any) -> Any:
    """The working calendar the rule file counts business days on: the program's (time zone, week,
    holidays), with the tariff's own holidays where the file says them (a state's holidays are not
    always the utility's). A country or subdivision the holidays package lacks is a RulesError."""
    from dataclasses import replace

    from pcnb.profile_keys import ProfileError

    spec = replace(profile.calendar, **{k: (list(v) if isinstance(v, tuple) else v) for k, v in rules.calendar})
    try:
        return spec.calendar()
    except ProfileError as exc:
        raise RulesError(f"{rules.source}: {exc.message}" + (" (the rule file's calendar)" if rules.calendar else ""),
                         f"{exc.hint}; or leave `calendar` out to count on the program's calendar"
                         if rules.calendar else exc.hint) from None


def load(path: str | Path, statuses: Iterable[str], roles: Mapping[str, str | None],
         exits: Mapping[str, list[str]] | None = None) -> RuleSet:
    """The rule set in ``path`` checked against a program: its statuses (names), the profile's roles
    (``intake``, ``approval``, ``completion`` -> status) and exits (``withdrawn`` -> statuses ...).
    A file ``based_on`` a shipped shape takes the shape's keys and overrides them with its own
    (``statuses`` merged name by name). Raises :class:`RulesError` listing every problem."""
    data, raw = read(Path(path))
    data, base = merged(data, Path(path).parent)
    digest = hashlib.sha256(raw + base).hexdigest()
    return from_dict(data, statuses, roles, exits, source=str(path), digest=digest)


def from_dict(data: Any, statuses: Iterable[str], roles: Mapping[str, str | None],
              exits: Mapping[str, list[str]] | None = None, source: str = "rules", digest: str = "") -> RuleSet:
    """As :func:`load`, from the parsed (and merged) file."""
    problems = _shape(data)
    if not problems and not data.get("steps") and not data.get("counts"):
        problems.append(f"the file has neither steps nor counts (fix: {FIXES['steps']}; or {FIXES['counts']})")
    if problems:
        raise RulesError(f"{source}: " + "; ".join(problems), "see docs/compliance.md for each key")
    refs = _Refs(list(statuses), roles, exits or {}, data.get("statuses") or {})
    third = tuple(s for ref in data.get("third_party") or [] for s in refs.many(ref, "third_party"))
    steps = _steps(data, refs)
    counts = tuple(Count(c["name"], refs.many(c["entered"], f"counts ({c['name']}).entered"),
                         refs.many(c["after"], f"counts ({c['name']}).after") if c.get("after") else ())
                   for c in data.get("counts") or [])
    tiers = tuple((str(k), float(v)) for k, v in (data.get("size_tiers") or {}).items())
    if data.get("tier_by") == "size" and not tiers:
        refs.problems.append("tier_by: size needs `size_tiers` (fix: " + FIXES["size_tiers"] + ")")
    if [v for _, v in tiers] != sorted(v for _, v in tiers):
        refs.problems.append("size_tiers: the sizes must grow from the first tier to the last (a project takes the "
                             "first tier it fits)")
    if data.get("export_field") and not data.get("capacity"):
        refs.problems.append("export_field: export capacity is summed in the size field's unit, and `capacity` names "
                             "none (fix: add `capacity: kW`, or the unit your fields use)")
    if len({c.name for c in counts}) < len(counts):
        refs.problems.append("counts: two counts of the same name; give each its own")
    if refs.problems:
        raise RulesError(f"{source}: " + "; ".join(refs.problems), "correct the rule file; statuses are named as "
                         "`%powerclerk profile` lists them")
    return RuleSet(data["name"], data["source"], steps, data.get("period", "quarter"),
                   data.get("unit", "business_days"), data.get("clock", "utility"), third,
                   tuple(data.get("columns") or COLUMNS), tier_by=data.get("tier_by"), digest=digest,
                   counts=counts, size_tiers=tiers, capacity=data.get("capacity"),
                   export_field=data.get("export_field"),
                   tier_names=tuple((str(k), str(v)) for k, v in (data.get("tier_names") or {}).items()),
                   calendar=tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                                         for k, v in (data.get("calendar") or {}).items())))


class _Refs:
    """Resolves the names a rule file uses (a status, a name of its ``statuses`` block, ``role:R``,
    ``exit:KIND``) to the program's statuses, collecting every problem."""

    def __init__(self, known: list[str], roles: Mapping[str, str | None], exits: Mapping[str, list[str]],
                 aliases: Mapping[str, str]):
        self.known, self.roles, self.exits, self.aliases = known, roles, exits, aliases
        self.problems: list[str] = []

    def many(self, ref: str, where: str, depth: int = 0) -> tuple[str, ...]:
        if ref in self.aliases and depth == 0:
            return self.many(self.aliases[ref], f"statuses.{ref} (used by {where})", 1)
        if ref.startswith("exit:"):
            kind = ref[5:]
            if kind not in EXITS:
                self.problems.append(f"{where}: {ref!r} is not an exit; use one of "
                                     + ", ".join(f"exit:{e}" for e in EXITS))
                return ()
            found = tuple(self.exits.get(kind) or ())
            if not found:
                self.problems.append(f"{where}: the profile has no {kind} exit yet; set it with "
                                     f"`%powerclerk profile set roles.exits.{kind} STATUS` or name the status")
            return found
        if ref.startswith("role:"):
            role = ref[5:]
            if role not in ROLES:
                self.problems.append(f"{where}: {ref!r} is not a role; use one of "
                                     + ", ".join(f"role:{r}" for r in ROLES))
                return ()
            status = self.roles.get(role)
            if status is None:
                self.problems.append(f"{where}: the profile has no {role} status yet; set it with "
                                     f"`%powerclerk profile set roles.{role} STATUS` or name the status")
                return ()
            return (status,)
        if ref not in self.known:
            hint = _close(ref, [*self.known, *self.aliases])
            self.problems.append(f"{where}: {ref!r} is not a status of the program ({hint})")
            return ()
        return (ref,)

    def one(self, ref: str, where: str) -> str | None:
        found = self.many(ref, where)
        if len(found) > 1:
            self.problems.append(f"{where}: {ref!r} stands for {len(found)} statuses ({', '.join(found)}); a step "
                                 "starts or ends at one status")
        return found[0] if len(found) == 1 else None


def _steps(data: dict[str, Any], refs: _Refs) -> tuple[Step, ...]:
    steps, names = [], set()
    spans: dict[tuple[str | None, ...], str] = {}
    for i, raw in enumerate(data.get("steps") or []):
        where = f"steps[{i}] ({raw['name']})"
        if raw["name"] in names:
            refs.problems.append(f"{where}: a second step of that name; give each step its own name")
        names.add(raw["name"])
        ends = (refs.one(raw["start"], f"{where}.start"), refs.one(raw["end"], f"{where}.end"))
        if ends in spans and None not in ends:
            refs.problems.append(f"{where}: the same start and end as step {spans[ends]!r}; one span is one step")
        spans.setdefault(ends, raw["name"])
        if ends[0] is not None and ends[0] == ends[1]:
            refs.problems.append(f"{where}: start and end are the same status; a step runs from entering one "
                                 "status to entering another")
        days = raw["days"]
        if isinstance(days, dict) and not data.get("tier_by"):
            refs.problems.append(f"{where}.days: days per tier need `tier_by: track` (or `size`) at the top "
                                 "of the file")
        tiers = tuple(sorted((str(k), float(v)) for k, v in days.items())) if isinstance(days, dict) else ()
        steps.append(Step(raw["name"], str(ends[0]), str(ends[1]), 0.0 if tiers else float(days), tiers,
                          raw.get("target")))
    return tuple(steps)


def _shape(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return ["the file holds no keys (name, source, steps ...)"]
    out = []
    for err in sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data), key=lambda e: list(e.path)):
        key = ".".join(str(k) for k in err.path) or "the file"
        top = str(err.path[0]) if err.path else ""
        fix = FIXES.get(top, "")
        if err.validator == "additionalProperties":
            inner = (SCHEMA["properties"][top]["items"]["properties"] if top in ("steps", "counts") and err.path
                     else SCHEMA["properties"])
            fix = "keys: " + ", ".join(inner)
        out.append(f"{key}: {err.message}" + (f" (fix: {fix})" if fix else ""))
    return out


def _close(name: str, known: list[str]) -> str:
    import difflib

    near = difflib.get_close_matches(name, known, n=1)
    return f"did you mean {near[0]!r}?" if near else f"the program has: {', '.join(known[:8])}"


__all__ = ["COLUMNS", "Count", "RuleSet", "RulesError", "Step", "for_profile", "from_dict", "load"]
