"""Inferring a first program profile from what the API and the cache show (pcnb.profile holds the
profile itself): statuses from GetStatusList, who holds each status and the roles from the cached
histories, the time zone from the API's UTC offsets, segments from form schemas. Every guess is
recorded with its evidence in ``guessed``, for the user to confirm or correct. ``infer_from_api``
makes the read-only calls that feed it (the Workspace only passes its client and cache).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, available_timezones

import polars as pl

from pcnb import profile_outcomes as outcomes
from pcnb.errors import Forbidden
from pcnb.profile import EXITS, ProfileError, ProgramProfile, StatusInfo
from pcnb.profile_calendar import infer_subdivision

if TYPE_CHECKING:
    from pcnb.api.client import PowerClerkClient

#: Where a US time zone guess prefers one name over its aliases (same offsets all year).
PREFERRED_ZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
                   "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico")


def infer(environment: str, program_id: str, statuses: Iterable[Mapping[str, Any]], events: pl.DataFrame,
          projects: pl.DataFrame, timestamps: Iterable[str] = (),
          program_name: str = "", field_hints: Iterable[Mapping[str, Any]] = ()) -> ProgramProfile:
    """A first profile from the status list, the cached histories and raw API timestamps.

    GetForms' ``AvailableInStatuses`` does not say whose form it is (admins also see the utility's
    own forms) and V2 removed ``LeadsToStatus``, so who holds each status is read from the histories:
    the side (the project's owner, or anyone else) that usually moves a project on from it.

    ``events``: the status_events frame (project_id, seq, status, changed_by); ``projects``: the
    projects frame (project_id, status, owner_name); ``timestamps``: timestamps as the API wrote
    them (with their UTC offsets) for the time zone; ``field_hints``: form schema fields
    (``{"form": FORM, "CustomId", "Name", "Type"}``) for segmentation. Every guess is recorded.
    """
    prof = ProgramProfile(environment, program_id, program_name)
    seen: dict[str, StatusInfo] = {}
    for item in statuses:
        seen.setdefault(str(item["Name"]), StatusInfo(str(item["Name"]), str(item.get("CustomId") or ""),
                                                       str(item.get("StatusId") or "")))
    ev = events.select("project_id", "seq", pl.col("status").cast(pl.String), "changed_by",
                       *(["ts"] if "ts" in events.columns else [])).sort("project_id", "seq")
    for name in ev["status"].unique(maintain_order=True).to_list():
        seen.setdefault(name, StatusInfo(name))
    prof.statuses = list(seen.values())
    if not prof.statuses:
        raise ProfileError("no statuses to build a profile from", "sync the program first (`%powerclerk sync`)")

    nxt = ev.with_columns(pl.col("status").shift(-1).over("project_id").alias("next"),
                          pl.col("changed_by").shift(-1).over("project_id").alias("mover"))
    pairs = nxt.filter(pl.col("next").is_not_null())
    counts = Counter(zip(pairs["status"].to_list(), pairs["next"].to_list(), strict=True))
    prof.workflow = sorted(((a, b, n) for (a, b), n in counts.items()), key=lambda t: -t[2])
    owners = dict(zip(projects["project_id"].to_list(), projects["owner_name"].to_list(), strict=True))
    first = Counter(ev.group_by("project_id", maintain_order=True).agg(pl.col("status").first())["status"].to_list())
    stamps = ev["ts"].to_list() if "ts" in ev.columns else [None] * ev.height
    walks = outcomes.paths(zip(ev["project_id"].to_list(), ev["status"].to_list(), ev["changed_by"].to_list(),
                               stamps, strict=True), owners)
    # who holds a status: the side that moves projects *on* from it; closing a project (a move into a
    # status nobody leaves, e.g. the utility's removal after a notice went unanswered) is not holding it
    ends = set(outcomes.candidates(walks))
    movers: dict[str, Counter[bool]] = defaultdict(Counter)
    closers: dict[str, Counter[bool]] = defaultdict(Counter)
    for pid, status, nxt_status, mover in zip(pairs["project_id"].to_list(), pairs["status"].to_list(),
                                              pairs["next"].to_list(), pairs["mover"].to_list(), strict=True):
        (closers if nxt_status in ends else movers)[status][mover == owners.get(pid)] += 1
    for status, counts_ in closers.items():
        if not movers[status]:  # a status only ever closed: its closers are all there is to go on
            movers[status] = counts_
    for s in prof.statuses:
        s.holder = "applicant" if movers[s.name][True] > movers[s.name][False] else "utility"
    final = _finals(prof, walks)
    for s in prof.statuses:
        if s.name in final:
            s.holder = "none"
        total = movers[s.name][True] + movers[s.name][False]
        prof.guessed.setdefault(f"holders.{s.name}", "final: no project left it" if s.name in final else
                                f"the project's owner moved it on in {movers[s.name][True]} of {total} exits")
    _infer_roles(prof, first, final, walks)
    _infer_calendar(prof, timestamps)
    if isinstance(ev.schema.get("ts"), pl.Datetime):  # the state's holidays: the days the utility's staff moved nothing
        owner_of = projects.select("project_id", pl.col("owner_name").alias("owner"))
        staff = ev.join(owner_of, on="project_id", how="left").filter(
            pl.col("ts").is_not_null() & pl.col("changed_by").is_not_null()
            & (pl.col("changed_by") != pl.col("owner")).fill_null(True))
        infer_subdivision(prof, staff)
    _infer_segments(prof, field_hints)
    return prof


def infer_from_api(client: PowerClerkClient, program: str, events: pl.DataFrame,
                   projects: pl.DataFrame) -> ProgramProfile:
    """:func:`infer` fed by the cached histories plus a few read-only calls: the status list (admin; a
    non-admin gets the statuses the histories show), the program's name, one page of projects (its
    timestamps' offsets give the time zone) and the form schemas (segments)."""
    if events.height == 0:
        raise ProfileError("the cache holds no status history yet to infer the program profile from",
                           "run `%powerclerk sync` first")
    try:
        statuses = client.status_list(program).get("Statuses") or []
    except Forbidden:
        statuses = []
    name = next((str(p.get("Name")) for p in client.programs().get("Programs") or []
                 if p.get("ProgramId") == program), "")
    page = client.projects(program, limit=200).get("Projects") or []
    stamps = [t for p in page for t in ((p.get("CurrentStatus") or {}).get("Timestamp"),
                                        p.get("LastChangeTimestamp")) if t]
    hints = []
    for form in client.forms(program).get("Forms") or []:
        schema = client.form_schema(program, form["CustomId"]).get("FormSchema") or {}
        hints += [{"form": form["CustomId"], **f} for f in schema.get("DataFields") or []]
    return infer(client.settings.environment, program, statuses, events, projects, timestamps=stamps,
                 program_name=name, field_hints=hints)


def _infer_roles(prof: ProgramProfile, first: Counter[str], final: list[str],
                 walks: list[list[outcomes.Visit]]) -> None:
    r = prof.roles
    if first:
        start, n = first.most_common(1)[0]
        r.draft = [start]
        prof.guessed["roles.draft"] = f"the first status of {n} of {sum(first.values())} histories"
        after = sorted(((k, b) for a, b, k in prof.workflow if a == start and b not in final), reverse=True)
        if after:
            r.intake = after[0][1]
            total = sum(k for k, _ in after)
            shares = {b: round(k / total, 3) for k, b in after}
            prof.confidence["roles.intake"] = shares  # the share of the moves on from the start
            prof.guessed["roles.intake"] = f"where most projects go from {start}: {_chances(shares)}"
    r.exits = {k: [] for k in EXITS}
    found = outcomes.shapes(walks, final, prof.holders, [s.name for s in prof.statuses])
    chances = outcomes.completion_chances(found) if found else {}
    best = next(iter(chances), outcomes.NONE_YET)
    if chances:
        prof.confidence["roles.completion"] = chances
    if best != outcomes.NONE_YET:
        r.completion = best
        r.exits["completed"].append(best)
        prof.guessed["roles.completion"] = f"{_chances(chances)}: {outcomes.evidence(found[best])}"
    elif chances:
        prof.guessed["roles.completion"] = (f"{_chances(chances)}: no final status looks like the end of the "
                                            "road yet (nobody completed?); set it once you know it")
    for s in final:
        if s == r.completion:
            continue
        kinds = outcomes.kind_chances(found[s])
        kind = next(iter(kinds))
        r.exits[kind].append(s)
        prof.confidence[f"kind of {s}"] = kinds
        prof.guessed[f"roles.exits.{kind}"] = (prof.guessed.get(f"roles.exits.{kind}", "")
                                               + f"{s}: {_chances(kinds)}, {outcomes.evidence(found[s])}; ")
    held = [s.name for s in prof.statuses if s.holder == "utility" and s.name not in final and s.name != r.intake
            and s.name not in r.draft]
    r.review = [s for s in held if s]
    if r.review:
        prof.guessed["roles.review"] = "utility-held statuses between intake and the final statuses"


def _finals(prof: ProgramProfile, walks: list[list[outcomes.Visit]]) -> list[str]:
    """The statuses nobody left that look final rather than a step projects are still in."""
    order = {s.name: i for i, s in enumerate(prof.statuses)}  # the program's own order, as it lists them
    ends = sorted(outcomes.candidates(walks), key=lambda name: order.get(name, len(order)))
    found = outcomes.shapes(walks, ends, prof.holders, [s.name for s in prof.statuses])
    final = []
    for name in ends:
        chance = outcomes.final_chance(found[name])
        yes = chance >= 0.5
        if yes:
            final.append(name)
        prof.confidence[f"final: {name}"] = dict(sorted({"final": chance, "a step in flight": round(1 - chance, 3)}
                                                        .items(), key=lambda kv: -kv[1]))
        if not yes:
            prof.guessed[f"holders.{name}"] = (f"nobody left it yet, but it looks like a step in flight, not an end "
                                               f"(final {chance:.2f}): {outcomes.evidence(found[name])}")
    return final


def _chances(scores: Mapping[str, float]) -> str:
    """"'A' (confidence 0.93; runner-up 'B' 0.05)"."""
    ranked = list(scores.items())
    second = f"; runner-up {ranked[1][0]!r} {ranked[1][1]:.2f}" if len(ranked) > 1 else ""
    low = ", LOW" if ranked[0][1] < outcomes.LOW else ""
    return f"{ranked[0][0]!r} (confidence {ranked[0][1]:.2f}{low}{second})"


def _infer_calendar(prof: ProgramProfile, timestamps: Iterable[str]) -> None:
    samples = []
    for text in timestamps:
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            continue
        if dt.utcoffset() is not None:
            samples.append(dt)
    if not samples:
        prof.guessed["calendar.timezone"] = "no timestamps with offsets seen: UTC until you set it"
        return
    offsets = Counter(dt.isoformat()[-6:] for dt in samples)
    picks = samples[:: max(1, len(samples) // 400)]
    zones = [z for z in (*PREFERRED_ZONES, *sorted(available_timezones())) if "/" in z and not z.startswith("Etc/")]
    fits = [z for z in dict.fromkeys(zones) if all(dt.astimezone(ZoneInfo(z)).utcoffset() == dt.utcoffset()
                                                   for dt in picks)]
    if not fits:
        prof.guessed["calendar.timezone"] = f"offsets {sorted(offsets)} match no IANA zone: UTC until you set it"
        return
    prof.calendar.timezone = fits[0]
    also = f" (also {', '.join(fits[1:4])})" if len(fits) > 1 else ""
    prof.guessed["calendar.timezone"] = (f"UTC offsets {', '.join(sorted(offsets))} in {len(samples)} timestamps "
                                         f"match {fits[0]}{also}")
    prof.guessed["calendar.subdivision"] = "federal holidays only; add the state (e.g. CA) and the utility's closures"


def _infer_segments(prof: ProgramProfile, hints: Iterable[Mapping[str, Any]]) -> None:
    words = {"size": ("kw", "mw", "size", "capacity"), "technology": ("technology", "resource", "measure", "fuel"),
             "track": ("track", "class", "type of customer", "household", "tier")}
    for h in hints:
        label, typ = f"{h.get('Name', '')} {h.get('CustomId', '')}".lower(), h.get("Type")
        for seg, keys in words.items():
            want_number = seg == "size"
            if prof.segments.get(seg) or (typ == "Number") != want_number or not any(k in label for k in keys):
                continue
            prof.segments[seg] = f"{h['form']}/{h['CustomId']}"
            prof.guessed[f"segments.{seg}"] = f"field {h.get('Name')!r} ({typ}) looks like the {seg}"
