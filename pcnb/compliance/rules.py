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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from pcnb.errors import ConfigError

PERIODS = ("quarter", "half", "year")
UNITS = ("business_days", "calendar_days")
CLOCKS = ("utility", "elapsed")
COLUMNS = ("A", "B", "C", "D", "E")
ROLES = ("intake", "approval", "completion")

SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["name", "source", "steps"],
    "properties": {
        "name": {"type": "string", "minLength": 1}, "source": {"type": "string", "minLength": 1},
        "period": {"enum": list(PERIODS)}, "unit": {"enum": list(UNITS)}, "clock": {"enum": list(CLOCKS)},
        "third_party": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "columns": {"type": "array", "items": {"enum": list(COLUMNS)}, "minItems": 1},
        "steps": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "start", "end", "days"],
            "properties": {"name": {"type": "string", "minLength": 1}, "start": {"type": "string", "minLength": 1},
                           "end": {"type": "string", "minLength": 1},
                           "days": {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {
                               "type": "object", "minProperties": 1,
                               "additionalProperties": {"type": "number", "exclusiveMinimum": 0}}]}}}},
        "tier_by": {"enum": ["track"]},
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
               "segments.size); a step's days are then {TIER: DAYS, ...}, with `other` for the rest",
}


class RulesError(ConfigError):
    """A rule file that cannot be used: every problem, each with its key and fix."""


@dataclass(frozen=True)
class Step:
    name: str
    start: str  # a status name, after roles are resolved
    end: str
    days: float  # without tiers
    tiers: tuple[tuple[str, float], ...] = ()  # tier -> days ("other": the projects of any other tier)

    def allowed(self, tier: str | None) -> float | None:
        """The days this step allows a project of ``tier`` (None: no rule for it)."""
        if not self.tiers:
            return self.days
        table = dict(self.tiers)
        return table.get(tier or "", table.get("other"))


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
    digest: str = ""  # sha256 of the file's bytes: the pack's manifest names the rules it used

    @property
    def days_word(self) -> str:
        return self.unit.replace("_", " ")


def load(path: str | Path, statuses: Iterable[str], roles: dict[str, str | None]) -> RuleSet:
    """The rule set in ``path`` checked against a program: its statuses (names) and the profile's
    roles (``intake``, ``approval``, ``completion`` -> status). Raises :class:`RulesError` listing every
    problem."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise RulesError(f"cannot read the rule file {p}: {exc.strerror}", "check the path") from None
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise RulesError(f"the rule file {p} is not YAML{where}", "fix the line, or start from the example in "
                         "docs/compliance.md") from None
    return from_dict(data, statuses, roles, source=str(p), digest=hashlib.sha256(raw).hexdigest())


def from_dict(data: Any, statuses: Iterable[str], roles: dict[str, str | None], source: str = "rules",
              digest: str = "") -> RuleSet:
    """As :func:`load`, from the parsed file."""
    problems = _shape(data)
    if problems:
        raise RulesError(f"{source}: " + "; ".join(problems), "see docs/compliance.md for each key")
    known = list(statuses)
    third = tuple(data.get("third_party") or [])
    problems += [f"third_party: {s!r} is not a status of the program ({_close(s, known)})" for s in third
                 if s not in known]
    steps, names = [], set()
    spans: dict[tuple[str | None, ...], str] = {}
    for i, raw in enumerate(data["steps"]):
        where = f"steps[{i}] ({raw['name']})"
        if raw["name"] in names:
            problems.append(f"{where}: a second step of that name; give each step its own name")
        names.add(raw["name"])
        ends = []
        for key in ("start", "end"):
            ref = raw[key]
            status = roles.get(ref[5:]) if ref.startswith("role:") else ref
            if ref.startswith("role:") and ref[5:] not in ROLES:
                problems.append(f"{where}.{key}: {ref!r} is not a role; use one of "
                                + ", ".join(f"role:{r}" for r in ROLES))
            elif status is None:
                problems.append(f"{where}.{key}: the profile has no {ref[5:]} status yet; set it with "
                                f"`%powerclerk profile set roles.{ref[5:]} STATUS` or name the status")
            elif status not in known:
                problems.append(f"{where}.{key}: {status!r} is not a status of the program ({_close(status, known)})")
            ends.append(status)
        pair = tuple(ends)
        if pair in spans:
            problems.append(f"{where}: the same start and end as step {spans[pair]!r}; one span is one step")
        spans.setdefault(pair, raw["name"])
        if len(ends) == 2 and ends[0] is not None and ends[0] == ends[1]:
            problems.append(f"{where}: start and end are the same status; a step runs from entering one "
                            "status to entering another")
        days = raw["days"]
        if isinstance(days, dict) and not data.get("tier_by"):
            problems.append(f"{where}.days: days per tier need `tier_by: track` at the top of the file")
        tiers = tuple(sorted((str(k), float(v)) for k, v in days.items())) if isinstance(days, dict) else ()
        steps.append(Step(raw["name"], str(ends[0]), str(ends[1]) if len(ends) > 1 else "",
                          0.0 if tiers else float(days), tiers))
    if problems:
        raise RulesError(f"{source}: " + "; ".join(problems), "correct the rule file; statuses are named as "
                         "`%powerclerk profile` lists them")
    return RuleSet(data["name"], data["source"], tuple(steps), data.get("period", "quarter"),
                   data.get("unit", "business_days"), data.get("clock", "utility"), third,
                   tuple(data.get("columns") or COLUMNS), tier_by=data.get("tier_by"), digest=digest)


def _shape(data: Any) -> list[str]:
    if not isinstance(data, dict):
        return ["the file holds no keys (name, source, steps ...)"]
    out = []
    for err in sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(data), key=lambda e: list(e.path)):
        key = ".".join(str(k) for k in err.path) or "the file"
        top = str(err.path[0]) if err.path else ""
        fix = FIXES.get(top, "")
        if err.validator == "additionalProperties":
            fix = "keys: " + ", ".join(SCHEMA["properties"] if not err.path else
                                       SCHEMA["properties"]["steps"]["items"]["properties"])
        out.append(f"{key}: {err.message}" + (f" (fix: {fix})" if fix else ""))
    return out


def _close(name: str, known: list[str]) -> str:
    import difflib

    near = difflib.get_close_matches(name, known, n=1)
    return f"did you mean {near[0]!r}?" if near else f"the program has: {', '.join(known[:8])}"


__all__ = ["COLUMNS", "RuleSet", "RulesError", "Step", "from_dict", "load"]
