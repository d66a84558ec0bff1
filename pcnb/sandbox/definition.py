"""Program definition files: a sandbox program as data, checked before anything is generated.

A definition (YAML; JSON is YAML too) names the program's statuses and who holds each, the workflow
from each status with probabilities and business-day durations, the forms with their fields,
attachments, ``available_in`` (GetForms' AvailableInStatuses) and ``leads_to`` (LeadsToStatus),
inquiry threads, review deadlines, the time zone, holidays (with single closed days and closures), the
project-number prefix, each final status's ``outcome``, ``arrivals`` (growth, monthly seasonality),
steps routed by a field (``when``), counted in calendar days or taken on a ``timer`` (flow_rules.py)
and, for tests of conformance, ``deviations:`` to inject (``{skipped_step: 3, out_of_order: 2, ...}``,
see deviations.py).
``programs/`` ships the built-ins (``load("residential")``); ``load("path/to/file.yaml")`` reads a user's or a twin's.

Each mistake is reported with where it is and what would be right, e.g.
``transitions.REVIEW[1].to: unknown status 'APROVED' (did you mean 'APPROVED'?)``:
the JSON schema below catches shapes and types; ``_check`` catches what a schema cannot (unknown
statuses, probabilities that do not sum to 1, statuses no project can reach, bad time zones).

Field ``sample`` forms: ``owner`` (the installer's name), ``address``, ``submitted`` (the date the
form is submitted), ``{lognormal: [[weight, median, sigma], ...], round: 1}``, ``{weights: [...]}``
(for choices), ``{values: [...]}`` (text; several for multi fields), ``{digits: N}``,
``{p_true: 0.8}``, ``{days_after_created: [min, max]}``, ``{copy: FORM/FIELD}``; none = left empty.
"""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
import jsonschema
import yaml

from pcnb.sandbox import flow_rules
from pcnb.sandbox.program import AttachmentDef, DeadlineDef, FieldDef, FormDef, Inquiries, ProgramDef, Status

BUILTINS = ("residential", "rebate", "large-dg")
HOLDERS = ("utility", "applicant", "none")
FIELD_TYPES = ("Text", "Number", "Date", "Boolean", "Choice")

_ID = {"type": "string", "pattern": "^[A-Za-z][A-Za-z0-9_]*$"}
#: A project-number prefix, as the numbers read (SIR-00001): with or without its dash.
PREFIX = "^[A-Z][A-Z0-9]{0,7}-?$"
_DAYS = {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}, "minItems": 2, "maxItems": 2}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "custom_id", "project_prefix", "timezone", "start", "statuses", "transitions", "forms"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "custom_id": _ID,
        "project_prefix": {"type": "string", "pattern": PREFIX},
        "timezone": {"type": "string"},
        "holidays": {"type": "object", "additionalProperties": False, "required": ["country"],
                     "properties": {"country": {"type": "string"}, "subdivision": {"type": ["string", "null"]},
                                    **flow_rules.HOLIDAY_KEYS}},
        "arrivals": flow_rules.ARRIVALS_SCHEMA,
        "years": {"type": "number", "exclusiveMinimum": 0, "maximum": 20},
        "start": _ID,
        "places": {"type": "object", "additionalProperties": False,
                   "properties": {"cities": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                                  "state": {"type": "string"}}},
        "statuses": {"type": "array", "minItems": 2, "items": {
            "type": "object", "required": ["custom_id", "name"], "additionalProperties": False,
            "properties": {"custom_id": _ID, "name": {"type": "string", "minLength": 1},
                           "holder": {"enum": list(HOLDERS)}, "approves_attachments": {"type": "boolean"},
                           "outcome": {"enum": list(flow_rules.OUTCOMES)}}}},
        "transitions": {"type": "object", "additionalProperties": {"type": "array", "items": {
            "type": "object", "required": ["to"], "additionalProperties": False,
            "properties": {"to": {"anyOf": [_ID, {"type": "null"}]}, "p": {"type": "number", "minimum": 0,
                                                                           "maximum": 1},
                           "days": _DAYS, "by": {"enum": ["utility", "applicant"]},
                           "unit": {"enum": ["business_days", "calendar_days"]},
                           "timer": {"type": "number", "exclusiveMinimum": 0}, "when": flow_rules.WHEN_SCHEMA}}}},
        "forms": {"type": "array", "items": {
            "type": "object", "required": ["custom_id", "name", "available_in", "fields"],
            "additionalProperties": False,
            "properties": {
                "custom_id": _ID, "name": {"type": "string"}, "admin_only": {"type": "boolean"},
                "available_in": {"type": "array", "items": _ID},
                "leads_to": {"type": "object", "additionalProperties": _ID},
                "attachments": {"type": "array", "items": {
                    "type": "object", "required": ["custom_id", "name"], "additionalProperties": False,
                    "properties": {"custom_id": _ID, "name": {"type": "string"}, "file": {"type": "string"}}}},
                "fields": {"type": "array", "items": {
                    "type": "object", "required": ["custom_id", "name", "type"], "additionalProperties": False,
                    "properties": {"custom_id": _ID, "name": {"type": "string"}, "type": {"enum": list(FIELD_TYPES)},
                                   "required": {"type": "boolean"}, "multi": {"type": "boolean"},
                                   "min": {"type": "number"}, "max": {"type": "number"},
                                   "choices": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                                   "sensitive": {"type": "boolean"}, "sample": {},
                                   "segment": {"enum": ["size", "technology", "track"]}}}}}}},
        "deadlines": {"type": "array", "items": {
            "type": "object", "required": ["days"], "additionalProperties": False,
            "properties": {"status": _ID, "start": _ID, "end": _ID, "days": {"type": "number", "exclusiveMinimum": 0},
                           "unit": {"enum": ["business_days", "calendar_days", "business_hours"]},
                           "track": {"type": "string", "minLength": 1}, "clock": {"enum": ["elapsed", "utility"]}}}},
        "deviations": {"type": "object", "additionalProperties": False, "properties": {
            k: {"type": "integer", "minimum": 0} for k in ("skipped_step", "out_of_order", "unexpected_transition",
                                                          "re_entry")}},
        "inquiries": {"type": "object", "required": ["status", "rate"], "additionalProperties": False,
                      "properties": {"status": _ID, "rate": {"type": "number", "minimum": 0, "maximum": 1},
                                     "closes_on": {"type": "array", "items": _ID}, "reply_days": _DAYS,
                                     "topics": {"type": "array", "minItems": 1, "items": {
                                         "type": "array", "items": {"type": "string"}, "minItems": 2,
                                         "maxItems": 2}}}},
    },
}


class ProgramDefinitionError(ValueError):
    """A definition file that cannot describe a program; the message lists every problem found."""

    def __init__(self, source: str, problems: list[str]):
        self.source, self.problems = source, problems
        super().__init__(f"program definition {source} has {len(problems)} problem(s):\n  - "
                         + "\n  - ".join(problems))


def builtin_rules(name: str | None) -> str:
    """The example rule file (pcnb.compliance) of built-in program ``name`` (default residential)."""
    name = name or "residential"
    if name not in BUILTINS:
        raise ValueError(f"{name!r} is no built-in program with an example rule file; pass rules=FILE "
                         f"(built-ins: {', '.join(BUILTINS)})")
    return str(resources.files("pcnb.sandbox") / "rules" / f"{name}.yaml")


def builtin_path(name: str) -> Path:
    return Path(str(resources.files("pcnb.sandbox") / "programs" / f"{name}.yaml"))


def load(spec: str | Path | None = None) -> ProgramDef:
    """A built-in name (``residential``, ``rebate``, ``large-dg``) or a definition file's path."""
    spec = spec or "residential"
    path = Path(spec)
    if str(spec) in BUILTINS:
        path = builtin_path(str(spec))
    elif not path.is_file():
        close = difflib.get_close_matches(str(spec), BUILTINS, n=1)
        raise ProgramDefinitionError(str(spec), [
            f"no built-in program or file named {str(spec)!r}"
            + (f" (did you mean {close[0]!r}?)" if close else "")
            + f"; built-ins: {', '.join(BUILTINS)}, or pass the path of a .yaml definition"])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProgramDefinitionError(str(path), [f"not valid YAML: {exc}"]) from None
    return from_dict(data, str(spec) if str(spec) in BUILTINS else str(path))


def from_dict(data: Any, source: str = "<definition>") -> ProgramDef:
    """Check ``data`` (a parsed definition) and build the ProgramDef; raise with every problem."""
    if not isinstance(data, dict):
        raise ProgramDefinitionError(source, ["the file must hold a mapping (name:, statuses:, transitions:, ...)"])
    validator = jsonschema.Draft202012Validator(SCHEMA)
    problems = [_problem(e) for e in validator.iter_errors(data)]
    if not problems:
        problems = _check(data)
    if problems:
        raise ProgramDefinitionError(source, problems)
    return _build(data, source)


def _problem(err: jsonschema.ValidationError) -> str:
    """A schema error in the author's words; a regular expression is no fix."""
    where = _where(err.absolute_path)
    if where == "project_prefix" and err.validator == "pattern":
        return (f"project_prefix: {err.instance!r} is not a project-number prefix: write 1-8 capital letters or "
                "digits starting with a letter, with or without the dash the numbers carry, e.g. SIR or SIR- "
                "(numbers read SIR-00001)")
    return f"{where}: {err.message}"


def _where(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _unknown(what: str, key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    return f"unknown {what} {key!r}" + (f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(known)}")


def _check(d: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    ids = [s["custom_id"] for s in d["statuses"]]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"statuses: custom id {dup!r} is used twice")
    names = [s["name"] for s in d["statuses"]]
    for dup in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"statuses: name {dup!r} is used twice")

    def status_ref(where: str, key: str | None) -> None:
        if key is not None and key not in ids:
            problems.append(f"{where}: {_unknown('status', key, ids)}")

    status_ref("start", d["start"])
    try:
        ZoneInfo(d["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"timezone: {d['timezone']!r} is not an IANA time zone (e.g. America/New_York)")
    hol = d.get("holidays") or {"country": "US"}
    try:
        holidays_lib.country_holidays(hol["country"], subdiv=hol.get("subdivision"), years=2025)
    except (NotImplementedError, KeyError) as exc:
        problems.append(f"holidays: {exc}")
    for status, steps in d["transitions"].items():
        status_ref(f"transitions.{status}", status)
        for i, step in enumerate(steps):
            status_ref(f"transitions.{status}[{i}].to", step["to"])
            if step.get("p", 0) > 0 and step["to"] is not None and "days" not in step:
                problems.append(f"transitions.{status}[{i}]: a step the generator takes (p > 0) needs days: "
                                "[median, sigma]")
    for status in ids:
        if status not in d["transitions"]:
            problems.append(f"transitions: status {status!r} has no entry (write `{status}: []` for a final status)")
    form_ids = [f["custom_id"] for f in d["forms"]]
    for dup in sorted({i for i in form_ids if form_ids.count(i) > 1}):
        problems.append(f"forms: custom id {dup!r} is used twice")
    fields = {f"{f['custom_id']}/{x['custom_id']}" for f in d["forms"] for x in f["fields"]}
    problems += flow_rules.check(d, fields)
    for i, form in enumerate(d["forms"]):
        for status in form["available_in"]:
            status_ref(f"forms[{i}].available_in", status)
        for src, dst in (form.get("leads_to") or {}).items():
            status_ref(f"forms[{i}].leads_to", src)
            status_ref(f"forms[{i}].leads_to.{src}", dst)
            if src not in form["available_in"]:
                problems.append(f"forms[{i}].leads_to: {src!r} is not in available_in, so the form cannot be "
                                "submitted there")
        for j, fd in enumerate(form["fields"]):
            problems += _check_field(f"forms[{i}].fields[{j}]", fd, fields)
    for i, deadline in enumerate(d.get("deadlines", [])):
        if ("status" in deadline) == ("start" in deadline or "end" in deadline) or (
                ("start" in deadline) != ("end" in deadline)):
            problems.append(f"deadlines[{i}]: give either a status, or a start and an end status (a span)")
        for key in ("status", "start", "end"):
            if key in deadline:
                status_ref(f"deadlines[{i}].{key}", deadline[key])
        if "start" in deadline and deadline.get("start") == deadline.get("end"):
            problems.append(f"deadlines[{i}]: the start and end are the same status; a span runs from entering "
                            "its start to entering a later end")
        if deadline.get("clock") == "utility" and "status" in deadline:
            problems.append(f"deadlines[{i}]: clock utility applies to a span (start and end), not one status")
        if "status" in deadline and deadline["status"] in d["transitions"] and not d["transitions"][deadline["status"]]:
            problems.append(f"deadlines[{i}]: {deadline['status']!r} is a final status: a stay there never ends, "
                            "so it cannot have a deadline (use a span that ends there)")
        if "track" in deadline:
            problems += _check_track(f"deadlines[{i}].track", deadline["track"], d)
    inq = d.get("inquiries")
    if inq:
        status_ref("inquiries.status", inq["status"])
        for status in inq.get("closes_on", []):
            status_ref("inquiries.closes_on", status)
    if not problems:
        problems += _unreachable(d, ids)
    return problems


def _check_track(where: str, track: str, d: dict[str, Any]) -> list[str]:
    """A deadline's track is a choice of the field marked ``segment: track`` (a typo would give the
    track no project and judge its projects by the untracked rule). Without a track field, tracks
    are the size field's bins, which the analytics name."""
    choices = [c for form in d["forms"] for fd in form["fields"] if fd.get("segment") == "track"
               for c in fd.get("choices", [])]
    if not choices or track in choices:
        return []
    close = difflib.get_close_matches(track, choices, n=1, cutoff=0.5)
    return [f"{where}: unknown track {track!r}" + (f" (did you mean {close[0]!r}?)" if close else "")
            + f"; the track field's choices: {', '.join(choices)}"]


def _check_field(where: str, fd: dict[str, Any], fields: set[str]) -> list[str]:
    problems = []
    if fd["type"] == "Choice" and not fd.get("choices"):
        problems.append(f"{where}: a Choice field needs choices: [...]")
    if fd.get("choices") and fd["type"] != "Choice":
        problems.append(f"{where}: choices are only for type Choice (this field is {fd['type']})")
    sample = fd.get("sample")
    if isinstance(sample, dict):
        if "weights" in sample and len(sample["weights"]) != len(fd.get("choices", [])):
            problems.append(f"{where}.sample.weights: {len(sample['weights'])} weights for "
                            f"{len(fd.get('choices', []))} choices")
        if "copy" in sample and sample["copy"] not in fields:
            problems.append(f"{where}.sample.copy: {_unknown('field', str(sample['copy']), sorted(fields))}")
        known = {"lognormal", "round", "weights", "values", "digits", "p_true", "days_after_created", "copy"}
        for key in sorted(set(sample) - known):
            problems.append(f"{where}.sample: unknown key {key!r}; known: {', '.join(sorted(known))}")
    elif sample is not None and sample not in ("owner", "address", "submitted"):
        problems.append(f"{where}.sample: {sample!r} is not owner, address, submitted or a mapping")
    return problems


def _unreachable(d: dict[str, Any], ids: list[str]) -> list[str]:
    """Statuses no project can ever be in: not reachable from the start by transitions or form submits."""
    edges: dict[str, set[str]] = {s: {step["to"] for step in d["transitions"].get(s, []) if step["to"]} for s in ids}
    for form in d["forms"]:
        for src, dst in (form.get("leads_to") or {}).items():
            edges[src].add(dst)
    seen, todo = {d["start"]}, [d["start"]]
    while todo:
        for nxt in edges[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return [f"statuses: {s!r} cannot be reached from start {d['start']!r} by any transition or form submit"
            for s in ids if s not in seen]


def _build(d: dict[str, Any], source: str) -> ProgramDef:
    statuses = tuple(Status(s["name"], s["custom_id"]) for s in d["statuses"])
    holders = {s["custom_id"]: s.get("holder", "utility") for s in d["statuses"]}
    flow = {status: tuple(flow_rules.build_step(x) for x in steps) for status, steps in d["transitions"].items()}
    forms = tuple(FormDef(
        name=f["name"], custom_id=f["custom_id"], available_in=tuple(f["available_in"]),
        submit_to=dict(f.get("leads_to") or {}), admin_only=bool(f.get("admin_only", False)),
        attachments=tuple(AttachmentDef(a["name"], a["custom_id"], a.get("file", "document.pdf"))
                          for a in f.get("attachments", [])),
        fields=tuple(FieldDef(x["name"], x["custom_id"], x["type"], required=bool(x.get("required")),
                              multi=bool(x.get("multi")), min=x.get("min"), max=x.get("max"),
                              choices=tuple(x.get("choices", ())), sensitive=bool(x.get("sensitive")),
                              sample=x.get("sample"), segment=x.get("segment")) for x in f["fields"]))
        for f in d["forms"])
    inq = d.get("inquiries")
    inquiries = Inquiries(inq["status"], float(inq["rate"]), tuple(inq.get("closes_on", ())),
                          (float(inq.get("reply_days", (1.5, 0.8))[0]), float(inq.get("reply_days", (1.5, 0.8))[1])),
                          tuple((a, b) for a, b in inq.get("topics", [["Please send the missing document.",
                                                                      "Uploaded."]]))) if inq else None
    hol = d.get("holidays") or {"country": "US"}
    closed, closures = flow_rules.closed_days(hol)
    arrivals = d.get("arrivals") or {}
    places = d.get("places") or {}
    return ProgramDef(
        name=d["name"], custom=d["custom_id"], prefix=d["project_prefix"].rstrip("-"), timezone=d["timezone"],
        statuses=statuses, forms=forms, flow=flow, start=d["start"], holders=holders, inquiries=inquiries,
        holidays=(hol["country"], hol.get("subdivision")), years=float(d.get("years", 3)),
        places=(tuple(places.get("cities", ("Springfield",))), places.get("state", "")),
        approves_attachments=frozenset(s["custom_id"] for s in d["statuses"] if s.get("approves_attachments")),
        deadlines=tuple(DeadlineDef(**{**x, "days": float(x["days"])}) for x in d.get("deadlines", [])),
        deviations=dict(d.get("deviations") or {}), source=source, closed_days=closed, closures=closures,
        outcomes={s["custom_id"]: s["outcome"] for s in d["statuses"] if "outcome" in s},
        growth=arrivals.get("growth"),
        seasonality=tuple(float(w) for w in arrivals["seasonality"]) if "seasonality" in arrivals else None)
