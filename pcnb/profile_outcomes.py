"""Which statuses are final, which one is completion, and what kind of exit each other one is.

Word lists and counts alone get unfamiliar programs backwards: the final status most projects reach
may be a withdrawal ("Removed From Queue"), names may be codes or in another language, and who
entered a status says little when the utility both completes and rejects. What does not change
from one program to another is the shape of the workflow in the cached histories:

- completion ends the longest road: its projects went through the deepest steps first (the rank
  of the step they came from, the number of steps behind them), it is entered from one or two
  steps, and from that step it is the usual way on (most projects there go to it);
- a withdrawal is the applicant's own move (the project's owner entered it), from anywhere;
- a cancellation is the utility closing a project that waited on the applicant (it comes from
  applicant-held steps, after waits of nearly the same length: a timer);
- a rejection is the utility's decision in a review step (utility-held, waits of review length);
- a status nobody has left may still be a step in flight rather than an end: its oldest stay is
  no older than the program's slow steps take.

Each of these is a :class:`Shape` feature; three small logistic models (``WEIGHTS``) turn them into
chances: is a status final, which final status is completion (or none yet: nobody completed), and
which kind each other exit is. The weights were fitted by ``benchmarks/fit_inference.py`` on
random programs (pcnb.sandbox.random_programs, seeds below 100000) and are measured on others
(``benchmarks/inference.py``). Every guess keeps its chances and runner-up (the profile's
``confidence``); one below :data:`LOW` is called low confidence wherever the profile is shown. A
name that says withdrawal, rejection or cancellation (generic English words, no program's
vocabulary) counts for :data:`NAMED` of an exit's kind (it is the utility's own word for it) and
the shape for the rest, so a shape that disagrees shows as the runner-up, with low confidence.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import astuple, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pcnb.profile import ProgramProfile

KINDS = ("withdrawn", "rejected", "cancelled")
#: "No completion seen yet": the completion candidate when no final status looks like one.
NONE_YET = "(none yet)"
#: Below this confidence a guess is "low confidence": the profile, charts and notebooks say so.
LOW = 0.9
#: Generic English words (not any program's vocabulary) that hint at an exit's kind.
EXIT_WORDS = {"withdrawn": ("withdraw", "dropped", "abandon"),
              "rejected": ("reject", "denied", "ineligible", "not eligible", "disqualif", "declined", "not approved"),
              "cancelled": ("cancel", "expire", "terminat", "void", "lapse")}


@dataclass(frozen=True)
class Visit:
    status: str
    by_owner: bool
    at: datetime | None


@dataclass
class Shape:
    """What the histories show about one status nobody (or almost nobody) left."""

    entries: int
    depth: float  # median number of distinct statuses a project went through before it, / the finals' deepest
    rank: float  # mean rank of the step projects came from (1 = the program's deepest step)
    fan_in: float  # distinct steps it is entered from, / the number of steps
    concentration: float  # share of its entries from its main step (shrunk for a few: k / (n + 1))
    usual: float  # share of its main step's moves that go to it (shrunk for a few: k / (n + 2))
    by_owner: float  # share of its entries the project's owner made
    from_applicant: float  # share of its entries from applicant-held steps
    timer: float  # 1 when the waits before it (per step it comes from) are nearly equal, 0 when they vary
    volume: float  # its entries / the most entered candidate's
    settled: float  # log10(its oldest stay's age / the program's slow steps' time), in [-1, 2]
    unreached: float  # share of the program's statuses (GetStatusList) no project has entered yet
    word: str | None  # the exit kind its name suggests, if any

    def features(self) -> list[float]:
        """The numbers the models weigh, in the order of their weights."""
        utility_from_applicant = (1 - self.by_owner) * self.from_applicant
        return [*(float(x) for x in astuple(self)[1:12]), utility_from_applicant, utility_from_applicant * self.timer,
                self.unreached * self.rank, math.log10(self.entries + 1) / 3, *(float(self.word == k) for k in KINDS),
                1.0]


#: Logistic weights over ``Shape.features()`` (11 shape numbers, 3 interactions, the entries' size,
#: 3 name words, the intercept), fitted
#: by benchmarks/fit_inference.py; "none_yet" is the score of "no completion seen yet".
WEIGHTS: dict[str, list[float] | dict[str, list[float]] | float] = {
    "final": [-2.293, -1.090, 0.537, -0.006, 0.133, 3.026, -2.680, -0.885, 0.106, 3.852,
              -3.473, 4.175, 1.522, -5.084, 2.516, 1.464, 1.761, 0.113, 5.106],
    "completion": [-3.564, 9.713, -6.950, 0.601, 12.001, 0.664, -0.826, -1.539, 1.536, -0.899,
                   -13.089, 1.803, -4.403, -6.935, 4.296, -1.121, -1.791, -2.606, -2.250],
    "none_yet": 2.250,
    "kind": {
        "withdrawn": [0.099, 0.198, 1.125, -0.005, -0.115, 7.783, 0.176, -0.398, -0.131, 0.300,
                       -0.012, -1.668, -0.571, -0.020, -0.061, 0.650, -0.315, -0.036, -2.351],
        "rejected": [0.610, 1.350, -0.547, 4.346, -1.788, -6.044, -2.914, -1.044, -0.172, 0.330,
                      0.094, -2.160, -1.801, 0.091, 2.788, -0.506, 1.225, -0.754, 0.886],
        "cancelled": [-0.709, -1.548, -0.578, -4.341, 1.903, -1.739, 2.739, 1.442, 0.302, -0.629,
                       -0.081, 3.828, 2.372, -0.071, -2.726, -0.143, -0.910, 0.790, 1.465],
    },
}


def _word(name: str) -> str | None:
    low = name.lower()
    return next((k for k, words in EXIT_WORDS.items() if any(w in low for w in words)), None)


def paths(rows: Iterable[tuple[str, str, str | None, datetime | None]], owners: Mapping[str, str]) -> list[list[Visit]]:
    """Each project's statuses in order (repeated entries of one status merged), from (project,
    status, changed_by, timestamp) rows sorted by project and sequence."""
    out: dict[str, list[Visit]] = defaultdict(list)
    for pid, status, by, at in rows:
        seq = out[pid]
        if not seq or seq[-1].status != status:
            seq.append(Visit(status, by is not None and by == owners.get(pid), at))
    return list(out.values())


def candidates(walks: Sequence[Sequence[Visit]]) -> list[str]:
    """Statuses projects do not leave (at most 2 % of the entries moved on): final, or in flight."""
    entered, left = Counter[str](), Counter[str]()
    for w in walks:
        for i, v in enumerate(w):
            entered[v.status] += 1
            left[v.status] += i + 1 < len(w)
    return [s for s, n in entered.items() if left[s] <= 0.02 * n]


def _slow_steps(walks: Sequence[Sequence[Visit]], ends: set[str]) -> float:
    """Days the program's slow steps take: the 95th percentile of closed stays in other statuses."""
    stays = sorted((b.at - a.at).total_seconds() / 86400 for w in walks for a, b in zip(w, w[1:], strict=False)
                   if a.at is not None and b.at is not None and a.status not in ends)
    return stays[int(0.95 * (len(stays) - 1))] if stays else 0.0


def shapes(walks: Sequence[Sequence[Visit]], ends: Sequence[str], holders: Mapping[str, str],
           listed: Iterable[str] = ()) -> dict[str, Shape]:
    """The :class:`Shape` of each status in ``ends`` (the candidates); ``listed``: the program's
    statuses (GetStatusList), some of which nobody may have reached yet -- a sign the road goes on."""
    finals = set(ends)
    position: dict[str, list[int]] = defaultdict(list)
    moves: dict[str, Counter[str]] = defaultdict(Counter)
    stamps = [v.at for w in walks for v in w if v.at is not None]
    as_of = max(stamps) if stamps else None
    for w in walks:
        seen: list[str] = []
        for i, v in enumerate(w):
            if v.status not in seen:
                seen.append(v.status)
                position[v.status].append(len(seen) - 1)
            if i + 1 < len(w):
                moves[v.status][w[i + 1].status] += 1
    rank = {s: statistics.median(p) for s, p in position.items()}
    deepest = max((r for s, r in rank.items() if s not in finals), default=1.0) or 1.0
    steps = max(1, len(rank) - len(finals))
    slow = _slow_steps(walks, finals)
    raw: dict[str, tuple[int, float, float, float, float, float, float, float, float, float]] = {}
    for f in ends:
        depth, came, owner, applicant = [], Counter[str](), 0, 0
        waits: dict[str, list[float]] = defaultdict(list)
        oldest: datetime | None = None
        for w in walks:
            i = next((k for k, v in enumerate(w) if v.status == f), 0)
            if not i:
                continue  # not reached, or the first status (no step before it)
            prev, at = w[i - 1], w[i].at
            depth.append(len({v.status for v in w[:i]}))
            came[prev.status] += 1
            owner += w[i].by_owner
            applicant += holders.get(prev.status) == "applicant"
            if prev.at is not None and at is not None:
                waits[prev.status].append((at - prev.at).total_seconds() / 86400)
                oldest = at if oldest is None or at < oldest else oldest
        n = sum(came.values())
        if not n:
            raw[f] = (0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
            continue
        main, k = came.most_common(1)[0]
        spreads = [(len(x), statistics.pstdev(x) / statistics.mean(x)) for x in waits.values()
                   if len(x) >= 3 and statistics.mean(x) > 0]
        spread = sum(m * s for m, s in spreads) / sum(m for m, _ in spreads) if spreads else 1.0
        age = (as_of - oldest).total_seconds() / 86400 if as_of is not None and oldest is not None else 0.0
        settled = math.log10(max(age, 0.1) / slow) if slow > 0 else 2.0
        raw[f] = (n, statistics.median(depth), sum(rank[s] * c for s, c in came.items()) / n / deepest,
                  len(came) / steps, k / (n + 1), moves[main][f] / (sum(moves[main].values()) + 2), owner / n,
                  applicant / n, max(0.0, min(1.0, (0.5 - spread) / 0.3)), max(-1.0, min(2.0, settled)))
    top_depth = max((r[1] for r in raw.values()), default=1.0) or 1.0
    top_n = max((r[0] for r in raw.values()), default=1) or 1
    every = set(listed) | set(rank)
    unreached = len(every - set(rank)) / len(every) if every else 0.0
    return {f: Shape(r[0], r[1] / top_depth, *r[2:9], r[0] / top_n, r[9], unreached, _word(f))
            for f, r in raw.items()}


def _dot(weights: Sequence[float], x: Sequence[float]) -> float:
    return sum(w * v for w, v in zip(weights, x, strict=True))


def _softmax(scores: Mapping[str, float]) -> dict[str, float]:
    top = max(scores.values())
    weights = {k: math.exp(v - top) for k, v in scores.items()}
    total = sum(weights.values())
    return dict(sorted(((k, round(w / total, 3)) for k, w in weights.items()), key=lambda kv: -kv[1]))


def final_chance(s: Shape) -> float:
    """The chance that a status nobody left is final, not a step projects are still in. However
    final it looks, ``n`` projects that stayed leave at least 1 / (n + 2) for the next one moving on
    (Laplace's rule of succession): one or two entries never make a sure guess either way."""
    w = WEIGHTS["final"]
    assert isinstance(w, list)
    doubt = 1 / (s.entries + 2)
    return round(min(1 - doubt, max(doubt, 1 / (1 + math.exp(-_dot(w, s.features()))))), 3)


#: How much a name that says an exit kind counts, against the shape: the utility's own word for a
#: status wins, and a shape that says otherwise still shows as the runner-up (and low confidence).
NAMED = 0.7


def completion_chances(found: Mapping[str, Shape]) -> dict[str, float]:
    """Each final status's chance of being completion, and :data:`NONE_YET`'s (summing to 1, best
    first). A status whose name says withdrawal, rejection or cancellation keeps 1 - NAMED of its."""
    w, none = WEIGHTS["completion"], WEIGHTS["none_yet"]
    assert isinstance(w, list) and isinstance(none, float)
    shape = _softmax({**{name: _dot(w, s.features()) for name, s in found.items()}, NONE_YET: none})
    named = {k: p * (1 - NAMED) if k in found and found[k].word else p for k, p in shape.items()}
    total = sum(named.values()) or 1.0
    return dict(sorted(((k, round(p / total, 3)) for k, p in named.items()), key=lambda kv: -kv[1]))


def kind_chances(s: Shape) -> dict[str, float]:
    """An exit's chance of each kind (summing to 1, best first): the shape's, or, when the name says
    a kind, NAMED for that kind plus 1 - NAMED of the shape's."""
    w = WEIGHTS["kind"]
    assert isinstance(w, dict)
    shape = _softmax({k: _dot(w[k], s.features()) for k in KINDS})
    if s.word:
        shape = {k: (1 - NAMED) * p + (NAMED if k == s.word else 0.0) for k, p in shape.items()}
    return dict(sorted(((k, round(p, 3)) for k, p in shape.items()), key=lambda kv: -kv[1]))


def evidence(s: Shape) -> str:
    return (f"entered {s.entries}x, from the step of rank {s.rank:.2f} (1 = deepest), {s.usual:.0%} of that step's "
            f"moves; {s.by_owner:.0%} by the project's owner, {s.from_applicant:.0%} from applicant-held steps"
            + (", after timer-like waits" if s.timer > 0.5 else "")
            + (f"; its name suggests {s.word}" if s.word else ""))


def low_confidence(prof: ProgramProfile) -> list[str]:
    """The outcome guesses of ``prof`` below :data:`LOW`, each as "KEY: GUESS (p) vs RUNNER-UP (p)".
    A guess the user confirmed or set has no confidence entry any more."""
    out = []
    for key, scores in prof.confidence.items():
        ranked = list(scores.items())
        if ranked and ranked[0][1] < LOW:
            second = f" vs {ranked[1][0]!r} {ranked[1][1]:.2f}" if len(ranked) > 1 else ""
            out.append(f"{key}: {ranked[0][0]!r} {ranked[0][1]:.2f}{second}")
    return out


def unconfirmed(prof: ProgramProfile) -> list[str]:
    """What a figure drawn from ``prof`` must say while its outcome roles are guesses: one line in a
    reader's words (a manager reads it on paper: no commands), naming the least sure guesses, until
    the analyst confirms them (``%powerclerk profile confirm``, or sets them)."""
    if not any(k == "roles.completion" or k.startswith("roles.exits.") for k in prof.guessed):
        return []
    doubts = [_doubt(key, scores) for key, scores in prof.confidence.items()
              if scores and next(iter(scores.values())) < LOW]
    more = f" (least sure: {'; '.join(doubts[:2])}{'; ...' if len(doubts) > 2 else ''})" if doubts else ""
    return [f"outcomes guessed, not confirmed: which statuses mean completed, withdrawn or rejected was inferred "
            f"from the data{more}"]


def _doubt(key: str, scores: dict[str, float]) -> str:
    """One low-confidence guess as a question: "is STATUS cancelled or withdrawn?"."""
    ranked = list(scores)
    other = f" or {ranked[1]}" if len(ranked) > 1 else ""
    if key.startswith("kind of "):
        return f"is {key.removeprefix('kind of ')} {ranked[0]}{other}?"
    if key.startswith("final: "):
        return f"is {key.removeprefix('final: ')} {ranked[0]}{other}?"
    role = key.removeprefix("roles.").replace("exits.", "")
    return f"{role}: {ranked[0]}{other}?"
