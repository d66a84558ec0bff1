"""Random, differently shaped sandbox programs, with the outcome roles their designer meant.

The profile's inference must hold on programs nobody here designed, so it is measured on programs
drawn at random (benchmarks/inference.py, tests/test_profile_inference.py): 2 to 12 main steps,
applicant-held steps, correction loops, fast tracks that skip steps, alternative steps, one to
five final exits of three kinds, volumes in which an exit outnumbers completion, a completion
entered by the applicant now and then; names from neutral word pools (birds, colours, codes),
realistic English, Spanish, German and French, so that no word list can carry the inference.

The meaning of each exit kind is what the generator does, and what a profile means by it:
``withdrawn``, the applicant leaves (from anywhere, moved by the applicant); ``rejected``, the
utility decides against the project in a review step; ``cancelled``, the utility closes a project
the applicant left waiting (from applicant-held steps, after long, timer-like waits).
``random_program(seed)`` returns the definition (a dict for ``definition.from_dict``) and the
:class:`Truth`; the same seed gives the same program.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

KINDS = ("withdrawn", "rejected", "cancelled")

#: Per naming style: step names, and names for the start, the completion and each exit kind.
#: "neutral" and "codes" say nothing about a status's role; the languages say it in their words.
STYLES: dict[str, dict[str, list[str]]] = {
    "neutral": {
        "step": [f"{a} {b}" for a in ("Amber", "Birch", "Cobalt", "Dune", "Ember", "Fjord", "Garnet", "Heron",
                                       "Indigo", "Juniper", "Kestrel", "Lumen", "Marlin", "Nettle", "Onyx", "Pewter")
                 for b in ("Gate", "Step", "Desk", "Stage", "Phase", "Track", "Point", "Station")],
        "start": ["Sparrow Step", "Plover Point", "Tern Gate", "Wren Desk"],
        "completion": ["Osprey Point", "Falcon Gate", "Harrier Stage", "Condor Desk"],
        "withdrawn": ["Sandpiper Stage", "Curlew Desk", "Dunlin Gate", "Godwit Point"],
        "rejected": ["Gannet Desk", "Shrike Stage", "Raven Point", "Petrel Gate"],
        "cancelled": ["Bittern Gate", "Avocet Point", "Puffin Stage", "Grebe Desk"],
    },
    "codes": {
        "step": [f"S{n:03d}" for n in range(10, 400, 10)],
        "start": ["S000", "A000", "P000"],
        "completion": ["Z900", "Z990", "C999", "F100"],
        "withdrawn": ["X110", "X120", "X130", "Q410"],
        "rejected": ["X210", "X220", "X230", "Q420"],
        "cancelled": ["X310", "X320", "X330", "Q430"],
    },
    "english": {
        "step": [f"{a} {b}" for a in ("Completeness", "Engineering", "Eligibility", "Technical", "Site", "Utility",
                                       "Supplemental", "Facilities", "Metering", "Design", "Interconnection",
                                       "Document", "Field", "Final", "Program", "Capacity")
                 for b in ("Check", "Review", "Study", "Screening", "Assessment", "Verification", "Inspection",
                           "Approval")],
        "start": ["Draft Request", "Application Started", "Pre-Application", "New Request"],
        "completion": ["In Service", "Complete", "Operational", "Closed Out", "Energized", "Incentive Paid"],
        "withdrawn": ["Withdrawn", "Applicant Withdrew", "Removed From Queue", "Dropped Out", "Abandoned"],
        "rejected": ["Denied", "Not Approved", "Rejected", "Declined", "Ineligible"],
        "cancelled": ["Expired", "Lapsed", "Cancelled", "Timed Out", "Terminated"],
    },
    "spanish": {
        "step": [f"{a} {b}" for a in ("Revisión", "Estudio", "Verificación", "Evaluación", "Inspección", "Validación")
                 for b in ("Técnica", "Inicial", "Final", "Documental", "de Campo", "de Red", "Comercial",
                           "Eléctrica")],
        "start": ["Borrador", "Solicitud Iniciada", "Prerregistro"],
        "completion": ["En Servicio", "Conexión Completada", "Operativa"],
        "withdrawn": ["Desistida", "Retirada por el Cliente", "Abandonada"],
        "rejected": ["Rechazada", "Denegada", "No Procedente"],
        "cancelled": ["Caducada", "Archivada por Plazo", "Vencida"],
    },
    "german": {
        "step": [f"{a}{b}" for a in ("Netz", "Technische ", "Vollständigkeits", "Anlagen", "Zähler", "Vor", "Haupt",
                                      "Standort")
                 for b in ("prüfung", "Prüfung", "bewertung", "freigabe", "abnahme", "planung")],
        "start": ["Entwurf", "Antrag angelegt", "Voranfrage"],
        "completion": ["In Betrieb", "Inbetriebnahme erfolgt", "Abgeschlossen"],
        "withdrawn": ["Zurückgezogen", "Vom Kunden storniert", "Aufgegeben"],
        "rejected": ["Abgelehnt", "Nicht genehmigt", "Unzulässig"],
        "cancelled": ["Verfallen", "Fristablauf", "Erloschen"],
    },
    "french": {
        "step": [f"{a} {b}" for a in ("Étude", "Revue", "Vérification", "Instruction", "Contrôle", "Analyse")
                 for b in ("Technique", "Initiale", "Finale", "Documentaire", "Réseau", "Terrain", "Complète",
                           "Détaillée")],
        "start": ["Brouillon", "Demande Créée", "Pré-demande"],
        "completion": ["Mise en Service", "Raccordé", "Achevé"],
        "withdrawn": ["Désistement", "Retirée", "Abandonnée"],
        "rejected": ["Refusée", "Irrecevable", "Non Conforme"],
        "cancelled": ["Caduque", "Expirée", "Classée sans Suite"],
    },
}
ZONES: dict[str, list[tuple[str, str, str | None]]] = {
    "english": [("America/New_York", "US", "NY"), ("America/Chicago", "US", "IL"), ("America/Denver", "US", "CO"),
                ("America/Los_Angeles", "US", "CA"), ("America/Phoenix", "US", "AZ"), ("Pacific/Honolulu", "US", "HI")],
    "spanish": [("Europe/Madrid", "ES", None), ("America/Mexico_City", "MX", None)],
    "german": [("Europe/Berlin", "DE", "BY"), ("Europe/Vienna", "AT", None)],
    "french": [("Europe/Paris", "FR", None), ("America/Montreal", "CA", "QC")]}


@dataclass(frozen=True)
class Truth:
    """The roles the generated program's designer meant, by status name."""

    start: str
    intake: str
    completion: str
    exits: dict[str, list[str]] = field(default_factory=dict)  # withdrawn/rejected/cancelled -> names
    style: str = ""
    shape: str = ""  # a few words on the shape, for a benchmark's table of misses


def _ident(name: str, taken: set[str]) -> str:
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^A-Za-z0-9]+", "_", ascii_).strip("_").upper() or "S"
    base = base if base[0].isalpha() else f"S_{base}"
    ident, n = base, 2
    while ident in taken:
        ident, n = f"{base}_{n}", n + 1
    taken.add(ident)
    return ident


class _Builder:
    def __init__(self, rng: random.Random, style: str):
        self.rng, self.pool, self.style = rng, STYLES[style], style
        self.names: set[str] = set()
        self.ids: set[str] = set()
        self.statuses: list[dict[str, Any]] = []
        self.flow: dict[str, list[dict[str, Any]]] = {}

    def status(self, kind: str, holder: str) -> str:
        options = [n for n in self.pool[kind] if n not in self.names] or [
            f"{n} {i}" for i in range(2, 99) for n in self.pool[kind] if f"{n} {i}" not in self.names]
        name = self.rng.choice(options)
        self.names.add(name)
        ident = _ident(name, self.ids)
        self.statuses.append({"custom_id": ident, "name": name, "holder": holder})
        self.flow[ident] = []
        return ident

    def days(self, lo: float, hi: float) -> list[float]:
        return [round(self.rng.uniform(lo, hi), 1), round(self.rng.uniform(0.3, 0.9), 2)]

    def move(self, src: str, dst: str | None, p: float, by: str, days: list[float] | None = None) -> None:
        step: dict[str, Any] = {"to": dst, "p": p}
        if dst is not None:
            step["days"] = days or self.days(1.0, 25.0)
            step["by"] = by
        self.flow[src].append(step)


def _normalise(flow: dict[str, list[dict[str, Any]]]) -> None:
    """Probabilities of each status's moves sum to 1 (rounded, the remainder on the largest)."""
    for steps in flow.values():
        if not steps:
            continue
        total = sum(s["p"] for s in steps)
        for s in steps:
            s["p"] = round(s["p"] / total, 4)
        biggest = max(steps, key=lambda s: s["p"])
        biggest["p"] = round(biggest["p"] + 1 - sum(s["p"] for s in steps), 4)


def random_program(seed: int) -> tuple[dict[str, Any], Truth]:
    """A random program definition and the roles it means (deterministic for ``seed``)."""
    rng = random.Random(seed)
    style = rng.choice(list(STYLES))
    b = _Builder(rng, style)
    start = b.status("start", "applicant")
    n_main = rng.randint(2, 12)
    main = [b.status("step", "utility" if i == 0 or rng.random() < 0.78 else "applicant") for i in range(n_main)]
    intake = main[0]
    holder = {s["custom_id"]: s["holder"] for s in b.statuses}
    # a few alternative steps: some projects take B instead of A, both lead on
    alternatives: dict[str, str] = {}
    for i in range(1, n_main - 1):
        if rng.random() < 0.12:
            alternatives[main[i]] = b.status("step", holder[main[i]])
    corrections: dict[str, str] = {}
    for s in main:
        if holder[s] == "utility" and rng.random() < 0.35:
            corrections[s] = b.status("step", "applicant")
    holder = {s["custom_id"]: s["holder"] for s in b.statuses}
    applicant_held = [s for s in (*main, *alternatives.values(), *corrections.values()) if holder[s] == "applicant"]
    completion = b.status("completion", "none")
    kinds = ["withdrawn"] * (2 if rng.random() < 0.2 else 1)
    kinds += ["rejected"] * (0 if rng.random() < 0.2 else 2 if rng.random() < 0.15 else 1)
    kinds += ["cancelled"] * (1 if applicant_held and rng.random() < 0.55 else 0)  # expiry: a step waits on them
    exits = {k: [b.status(k, "none") for _ in range(kinds.count(k))] for k in KINDS}
    leave = rng.choice([0.01, 0.02, 0.04, 0.08, 0.14])  # how often applicants leave at each step
    reject = rng.uniform(0.03, 0.25)
    by_done = "applicant" if rng.random() < 0.12 else "utility"
    fast: tuple[int, int] | None = None
    if n_main >= 4 and rng.random() < 0.3:
        i = rng.randint(1, n_main - 3)
        fast = (i, rng.randint(i + 2, n_main))  # from main[i] straight to main[j] (or completion)
    late_done = n_main - 2 if n_main >= 3 and rng.random() < 0.2 else None
    reviewers = [s for s in main[1:] if holder[s] == "utility"] or [main[0]]
    rejecting = rng.sample(reviewers, k=min(len(reviewers), rng.randint(1, 3)))

    def leavers(src: str, early: bool) -> None:
        """Applicants leave from ``src``: to the one withdrawn exit, or, with two, the early or the late one."""
        target = exits["withdrawn"][0] if early or len(exits["withdrawn"]) == 1 else exits["withdrawn"][1]
        b.move(src, target, leave * rng.uniform(0.5, 1.5), "applicant", b.days(2.0, 30.0))

    b.move(start, intake, rng.uniform(0.8, 0.97), "applicant", b.days(0.5, 6.0))
    leavers(start, True)
    b.move(start, None, rng.uniform(0.0, 0.05), "applicant")
    for i, s in enumerate(main):
        nxt = main[i + 1] if i + 1 < n_main else completion
        by = "applicant" if holder[s] == "applicant" else ("utility" if nxt != completion else by_done)
        own = "applicant" if holder[s] == "applicant" else "utility"  # who moves a project on from s
        slow = b.days(20.0, 120.0) if holder[s] == "applicant" else b.days(1.0, 25.0)
        b.move(s, nxt, 1.0, by, slow)
        if s in alternatives:
            b.move(s, alternatives[s], rng.uniform(0.2, 0.6), own, b.days(1.0, 10.0))
            alt = alternatives[s]
            b.move(alt, nxt, 1.0, "applicant" if holder[alt] == "applicant" else "utility", b.days(5.0, 40.0))
            leavers(alt, i < n_main / 2)
        if fast and i == fast[0]:
            b.move(s, main[fast[1]] if fast[1] < n_main else completion, rng.uniform(0.15, 0.4), own,
                   b.days(1.0, 10.0))
        if late_done is not None and i == late_done:
            b.move(s, completion, rng.uniform(0.1, 0.35), own if own == "applicant" else by_done, b.days(2.0, 20.0))
        if s in corrections:
            fix = corrections[s]
            b.move(s, fix, rng.uniform(0.1, 0.45), "utility", b.days(1.0, 10.0))
            b.move(fix, s, 1.0, "applicant", b.days(3.0, 25.0))
            leavers(fix, i < n_main / 2)
        if s in rejecting:
            for target in exits["rejected"]:
                b.move(s, target, reject / len(exits["rejected"]), "utility", b.days(2.0, 20.0))
        if i > 0 or rng.random() < 0.5:
            leavers(s, i < n_main / 2)
    for src in applicant_held:
        for target in exits["cancelled"]:
            b.move(src, target, rng.uniform(0.05, 0.3), "utility", [round(rng.uniform(30, 90), 1), 0.15])
    _normalise(b.flow)
    zone, country, sub = rng.choice(ZONES.get(style, ZONES["english"]))
    code = f"R{seed % 100000:05d}"
    name_of = {s["custom_id"]: s["name"] for s in b.statuses}
    shape = (f"{style}, {n_main} main steps, {len(corrections)} loops, {len(alternatives)} alternatives"
             + (", fast track" if fast else "") + (", 2 ways in to completion" if late_done is not None else "")
             + (", applicant completes" if by_done == "applicant" else "") + f", leave rate {leave:g}")
    order = list(b.statuses)
    rng.shuffle(order)  # GetStatusList's order is the utility's: no role may be read from it
    definition = {
        "name": f"Random program {seed}", "custom_id": code, "project_prefix": code,
        "timezone": zone, "holidays": {"country": country, "subdivision": sub},
        "years": rng.choice([1, 2, 3, 4]), "start": start, "statuses": order,
        "transitions": b.flow,
        "forms": [{"custom_id": "REQUEST", "name": "Request", "available_in": [start], "leads_to": {start: intake},
                   "fields": [{"custom_id": "SIZE", "name": "Size", "type": "Number", "required": True,
                               "min": 0.1, "max": 5000, "sample": {"lognormal": [[1.0, 8.0, 0.6]], "round": 1}}]}],
    }
    truth = Truth(name_of[start], name_of[intake], name_of[completion],
                  {k: [name_of[s] for s in v] for k, v in exits.items()}, style, shape)
    return definition, truth
