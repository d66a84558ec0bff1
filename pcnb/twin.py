"""A twin of a real program: a sandbox definition built from a synced cache, with no real project data.

Users rehearse a bulk write-back against their own workflow before touching production. The twin
keeps the program's shape, which is program metadata: its statuses (names, custom ids), who holds
each (from the profile), the transitions observed in the histories with their frequencies and
step-duration statistics (median and spread of business days), the forms with their fields, types,
choices and limits, the inquiry rate, the time zone and holidays. It copies nothing about a project:
no project number, owner, email, address, note text or field value; numbers get a different prefix,
field values are drawn fresh (aggregate statistics only: a lognormal fitted to a number field's
values, the choices' frequencies), and inquiry texts are placeholders.

Step durations are measured on the generator's own clock (working days of 08:00-17:00 in the
program's zone), so a twin of a sandbox reproduces its step medians. This module sits above the
cache and the profile and writes a sandbox definition; the sandbox itself never imports it.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from pcnb.profile import ProgramProfile
from pcnb.sandbox.definition import from_dict
from pcnb.sandbox.generator import BusinessCalendar
from pcnb.twin_fit import fit_status

PLACEHOLDER_TOPICS = [["Please provide the missing document (placeholder question).", "Document provided."],
                      ["Please confirm the application details (placeholder question).", "Confirmed."]]


def _custom(name: str) -> str:
    text = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper() or "STATUS"
    return text if text[0].isalpha() else "S_" + text


def _position(cal: BusinessCalendar, ts: datetime) -> float:
    """Where ``ts`` falls on the working clock: working-day index + fraction of the 9-hour day."""
    local = ts.astimezone(cal.tz)
    hour = min(max(local.hour + local.minute / 60, 8.0), 17.0)
    return cal.index(local.date()) + (hour - 8.0) / 9.0


def step_durations(events: pl.DataFrame, cal: BusinessCalendar) -> dict[tuple[str, str], list[float]]:
    """Business days of each observed move (from -> to), on the working clock."""
    ev = events.select("project_id", "seq", pl.col("status").cast(pl.String), "ts").sort("project_id", "seq")
    out: dict[tuple[str, str], list[float]] = defaultdict(list)
    rows = ev.rows()
    for (pid, _, status, ts), (pid2, _, nxt, ts2) in zip(rows, rows[1:], strict=False):
        if pid == pid2 and ts is not None and ts2 is not None:
            out[(status, nxt)].append(max(_position(cal, ts2) - _position(cal, ts), 0.01))
    return out


def open_ages(events: pl.DataFrame, cal: BusinessCalendar, as_of: datetime) -> dict[str, list[float]]:
    """Business days each project has spent so far in the status it is in now (its last event), by
    status: the censored stays of the duration fit."""
    last = events.sort("project_id", "seq").group_by("project_id", maintain_order=True).agg(
        pl.col("status").last().cast(pl.String), pl.col("ts").last())
    end = _position(cal, as_of)
    out: dict[str, list[float]] = defaultdict(list)
    for status, ts in last.select("status", "ts").iter_rows():
        if ts is not None:
            out[status].append(max(end - _position(cal, ts), 0.01))
    return out


def _lognormal(values: list[float]) -> tuple[float, float]:
    logs = [math.log(v) for v in values if v > 0]
    if not logs:
        return 1.0, 0.5
    sigma = statistics.pstdev(logs) if len(logs) > 1 else 0.5
    return round(math.exp(statistics.median(logs)), 3), round(min(max(sigma, 0.05), 2.5), 3)


def build(profile: ProgramProfile, events: pl.DataFrame, projects: pl.DataFrame,
          forms: Iterable[Mapping[str, Any]] = (), schemas: Mapping[str, Mapping[str, Any]] | None = None,
          threads: pl.DataFrame | None = None, field_values: Mapping[str, list[Any]] | None = None,
          prefix: str | None = None) -> dict[str, Any]:
    """The twin's definition (a dict ready for YAML) from a profile and the cached frames.

    ``schemas``: form custom id -> GetFormSchema's ``FormSchema``; ``field_values``: "FORM/FIELD" ->
    cached values, used only for aggregate sampling statistics (never copied)."""
    cal_spec = profile.calendar
    first_ts = events["ts"].min()
    last_ts = events["ts"].max()
    assert isinstance(first_ts, datetime) and isinstance(last_ts, datetime), "the cache has no status events"
    closed = tuple(sorted(date.fromisoformat(d) for d in cal_spec.closures))
    cal = BusinessCalendar(cal_spec.timezone, first_ts.date() - timedelta(days=10), last_ts.date(),
                           cal_spec.country, cal_spec.subdivision, closed)
    durations = step_durations(events, cal)
    moves = Counter({pair: len(v) for pair, v in durations.items()})
    entered = set(events["status"].cast(pl.String).unique().to_list())
    statuses = [s for s in profile.statuses if s.name in entered]
    ids = {s.name: (s.custom_id or _custom(s.name)) for s in statuses}
    final = set(profile.roles.final)
    start = (profile.roles.draft or [statuses[0].name])[0]

    transitions: dict[str, list[dict[str, Any]]] = {}
    current = Counter(projects["status"].cast(pl.String).to_list())
    ages = open_ages(events, cal, last_ts)
    for s in statuses:
        outs = [(b, n) for (a, b), n in moves.items() if a == s.name and b in ids]
        total = sum(n for _, n in outs)
        if not outs:
            transitions[ids[s.name]] = [] if s.name in final else [{"to": None, "p": 1.0}]
            continue
        stay = current[s.name] if s.name == start else 0  # drafts never submitted stay where they are
        # the stays still open count as "longer than their age" (pcnb.twin_fit); drafts are not waiting
        fits = fit_status({b: durations[(s.name, b)] for b, _ in outs}, [] if stay else ages.get(s.name, []))
        steps = []
        for b, n in sorted(outs, key=lambda t: -t[1]):
            fit = fits[b]
            share = fit.p * total / (total + stay) if not stay else n / (total + stay)
            steps.append({"to": ids[b], "p": share, "days": [fit.median, fit.sigma],
                          "by": "applicant" if s.holder == "applicant" else "utility"})
        if stay:
            steps.append({"to": None, "p": stay / (total + stay)})
        _normalise(steps)
        transitions[ids[s.name]] = steps

    # each final status's outcome, as the profile has it (confirmed or guessed)
    outcome = {status: kind for kind, members in profile.roles.exits.items() for status in members}
    definition: dict[str, Any] = {
        "name": f"{profile.program_name or profile.program_id} (twin)",
        "custom_id": "TWIN_" + _custom(profile.program_id)[:20],
        "project_prefix": prefix or _prefix(projects),
        "timezone": cal_spec.timezone,
        "holidays": {"country": cal_spec.country, "subdivision": cal_spec.subdivision,
                     **({"days": [d.isoformat() for d in closed]} if closed else {})},
        "years": round(max((last_ts - first_ts).days / 365, 0.25), 2),
        "start": ids[start],
        "statuses": [{"custom_id": ids[s.name], "name": s.name, "holder": s.holder,
                      **({"outcome": outcome[s.name]} if s.name in outcome and not transitions[ids[s.name]] else {})}
                     for s in statuses],
        "transitions": transitions,
        "forms": _forms(forms, schemas or {}, ids, profile, transitions, field_values or {}),
    }
    deadlines = _deadlines(profile, ids, final)
    if deadlines:
        definition["deadlines"] = deadlines
    inquiries = _inquiries(threads, events, ids)
    if inquiries:
        definition["inquiries"] = inquiries
    from_dict(definition, "twin")  # the twin must itself be a valid definition
    return definition


def _deadlines(profile: ProgramProfile, ids: Mapping[str, str], final: set[str]) -> list[dict[str, Any]]:
    """The profile's deadlines in the definition's terms (custom ids), so a twin's workspace has the
    program's deadlines too. Rules for one track are left out (the twin's forms draw fresh values,
    not the program's track field), as are rules on statuses no project entered."""
    out = []
    for d in profile.deadlines:
        names = [n for n in (d.status, d.start, d.end) if n]
        if d.track is not None or not all(n in ids for n in names) or (d.status and d.status in final):
            continue
        rule: dict[str, Any] = {"days": d.days, "unit": d.unit}
        if d.status:
            rule["status"] = ids[d.status]
        else:
            rule.update(start=ids[str(d.start)], end=ids[str(d.end)], clock=d.clock)
        out.append(rule)
    return out


def _normalise(steps: list[dict[str, Any]]) -> None:
    total = sum(s["p"] for s in steps)
    for s in steps:
        s["p"] = round(s["p"] / total, 6)
    steps[0]["p"] = round(steps[0]["p"] + 1 - sum(s["p"] for s in steps), 6)


def _prefix(projects: pl.DataFrame) -> str:
    numbers = projects["project_number"].drop_nulls().to_list()
    found = Counter(m.group(1) for n in numbers if (m := re.match(r"([A-Za-z]+)", n)))
    base = found.most_common(1)[0][0].upper()[:6] if found else "PRJ"
    return base + "T"  # a different prefix: none of the source's project numbers can appear in the twin


def _forms(forms: Iterable[Mapping[str, Any]], schemas: Mapping[str, Mapping[str, Any]], ids: Mapping[str, str],
           profile: ProgramProfile, transitions: Mapping[str, list[dict[str, Any]]],
           values: Mapping[str, list[Any]]) -> list[dict[str, Any]]:
    holders = {ids[s.name]: s.holder for s in profile.statuses if s.name in ids}
    out = []
    for f in forms:
        custom = str(f["CustomId"])
        available = [ids[str(s["Name"])] for s in f.get("AvailableInStatuses") or [] if str(s["Name"]) in ids]
        applicant = [s for s in available if holders.get(s) == "applicant"]
        leads_to = {}
        for s in applicant:  # the applicant's usual move out of a status where the form is open
            moves = [t for t in transitions.get(s, []) if t["to"] and t.get("by") == "applicant"]
            if moves:
                leads_to[s] = max(moves, key=lambda t: t["p"])["to"]
        schema = schemas.get(custom) or {}
        item: dict[str, Any] = {"custom_id": custom, "name": str(f.get("Name") or custom),
                                "available_in": available, "admin_only": not applicant,
                                "fields": [_field(custom, d, values) for d in schema.get("DataFields", [])]}
        if leads_to:
            item["leads_to"] = leads_to
        atts = [{"custom_id": a["CustomId"], "name": a["Name"], "file": "document.pdf"}
                for a in schema.get("Attachments", [])]
        if atts:
            item["attachments"] = atts
        out.append(item)
    return out


def _field(form: str, d: Mapping[str, Any], values: Mapping[str, list[Any]]) -> dict[str, Any]:
    typ = str(d.get("Type") or "Text")
    out: dict[str, Any] = {"custom_id": d["CustomId"], "name": d.get("Name") or d["CustomId"], "type": typ}
    if d.get("Required"):
        out["required"] = True
    if d.get("MultiInstance"):
        out["multi"] = True
    props = d.get("Properties") or {}
    for key in ("Min", "Max"):
        if key in props:
            out[key.lower()] = props[key]
    if d.get("Choices"):
        out["choices"] = list(d["Choices"])
    seen = values.get(f"{form}/{d['CustomId']}", [])
    if typ == "Number":
        nums = [float(v) for v in seen if _is_number(v)]
        median, sigma = _lognormal(nums) if nums else (max(float(props.get("Min", 1) or 1), 1.0), 0.5)
        out["sample"] = {"lognormal": [[1.0, median, sigma]], "round": 2}
    elif typ == "Choice" and out.get("choices"):
        counts = Counter(v for v in seen if v in out["choices"])
        out["sample"] = {"weights": [counts.get(c, 0) + 1 for c in out["choices"]]}
    elif typ == "Boolean":
        trues = sum(1 for v in seen if str(v).lower() == "true")
        out["sample"] = {"p_true": round((trues + 1) / (len(seen) + 2), 3)}
    elif typ == "Date":
        out["sample"] = "submitted"
    elif d.get("Sensitive") or "account" in str(d.get("Name", "")).lower():
        out["sensitive"] = True
        out["sample"] = {"digits": 10}
    elif typ == "Text" and d.get("Required"):
        out["sample"] = "owner"
    return out


def _is_number(v: Any) -> bool:
    try:
        return math.isfinite(float(v))
    except (TypeError, ValueError):
        return False


def _inquiries(threads: pl.DataFrame | None, events: pl.DataFrame, ids: Mapping[str, str]) -> dict[str, Any] | None:
    """Where threads start (the status a project was in), how often, how fast replies come: no texts."""
    if threads is None or threads.height == 0:
        return None
    ev = events.select("project_id", pl.col("status").cast(pl.String), "ts").sort("ts")
    opened = threads.select("project_id", pl.col("created").alias("ts")).sort("ts")
    # both sorted by ts just above (polars cannot check that per by-group, hence check_sortedness=False)
    at = opened.join_asof(ev, on="ts", by="project_id", strategy="backward",
                          check_sortedness=False).drop_nulls("status")
    if at.height == 0:
        return None
    status, n = Counter(at["status"].to_list()).most_common(1)[0]
    if status not in ids:
        return None
    reached = events.filter(pl.col("status").cast(pl.String) == status)["project_id"].n_unique()
    return {"status": ids[status], "rate": round(min(n / max(reached, 1), 1.0), 3), "topics": PLACEHOLDER_TOPICS}


def write(definition: Mapping[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# A twin of a synced program, made by pcnb (pcnb sandbox --twin): its workflow and forms,\n"
                    "# with no project data. Serve it with `pcnb sandbox --program THIS_FILE`.\n"
                    + yaml.safe_dump(dict(definition), sort_keys=False, allow_unicode=True, width=110),
                    encoding="utf-8")
    return path
