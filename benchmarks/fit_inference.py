"""Fit the weights of pcnb.profile_outcomes on random programs (seeds below the benchmark's).

The inference's three small logistic models (is a status nobody left final; which final status
is completion, or none yet; which kind each other exit is) weigh the workflow features of
pcnb.profile_outcomes.Shape. This script draws ``--programs`` random programs (seeds from 0;
benchmarks/inference.py measures on seeds from 100000, which no fit has seen), generates their
histories, computes the features as the inference does, fits the models by maximum likelihood with a
small L2 penalty (numpy, gradient descent), and prints ``WEIGHTS`` to paste into profile_outcomes.py.

Run: ``python benchmarks/fit_inference.py [--programs 1500] [--cache examples.pkl]`` (about 10 minutes;
numpy and scipy needed: a development tool, not a dependency of pcnb). The penalty is chosen by
the held-out log-likelihood of the last fifth of the programs (``--l2`` to give one).
"""

from __future__ import annotations

import argparse
import math
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.inference import inputs  # noqa: E402
from pcnb import clock  # noqa: E402
from pcnb import profile_outcomes as outcomes  # noqa: E402
from pcnb.profile_infer import infer  # noqa: E402
from pcnb.sandbox.definition import from_dict  # noqa: E402
from pcnb.sandbox.generator import generate  # noqa: E402
from pcnb.sandbox.random_programs import random_program  # noqa: E402


def examples(programs: int) -> dict[str, list[Any]]:
    """Per program: the candidates' features with their truth, for the three models."""
    end = clock.midnight()
    final_x, final_y, groups, kind_x, kind_y, seeds = [], [], [], [], [], {"final": [], "kind": []}
    for seed in range(programs):
        definition, truth = random_program(seed)
        prog = from_dict(definition, f"random program {seed}")
        data = inputs(generate(300 + seed % 5 * 100, seed=seed, end=end, program=prog))
        prof = infer("sandbox", prog.program_id, data["statuses"], data["events"], data["projects"])
        owners = dict(zip(data["projects"]["project_id"], data["projects"]["owner_name"], strict=True))
        ev = data["events"].sort("project_id", "seq")
        walks = outcomes.paths(zip(ev["project_id"], ev["status"], ev["changed_by"], ev["ts"], strict=True), owners)
        meant = {truth.completion: "completed", **{s: k for k, names in truth.exits.items() for s in names}}
        cands = outcomes.candidates(walks)
        listed = [s.name for s in prof.statuses]
        for name, shape in outcomes.shapes(walks, cands, prof.holders, listed).items():
            final_x.append(shape.features())
            final_y.append(float(name in meant))
            seeds["final"].append(seed)
        finals = [c for c in cands if c in meant]
        found = outcomes.shapes(walks, finals, prof.holders, listed)
        names = list(found)
        target = names.index(truth.completion) if truth.completion in found else len(names)  # len: none yet
        groups.append(([found[n].features() for n in names], target))
        for name in names:
            if meant[name] != "completed":
                kind_x.append(found[name].features())
                kind_y.append(outcomes.KINDS.index(meant[name]))
                seeds["kind"].append(seed)
    return {"final": [np.array(final_x), np.array(final_y)], "groups": groups,
            "kind": [np.array(kind_x), np.array(kind_y)], "seeds": {k: np.array(v) for k, v in seeds.items()}}


def _minimize(loss: Any, size: int) -> np.ndarray:
    from scipy.optimize import minimize

    result = minimize(loss, np.zeros(size), method="L-BFGS-B")
    return np.asarray(result.x)


def fit_binary(x: np.ndarray, y: np.ndarray, l2: float = 0.01) -> np.ndarray:
    def loss(w: np.ndarray) -> float:
        s = x @ w
        return float(np.mean(np.logaddexp(0, s) - y * s) + l2 * np.sum(w[:-1] ** 2))

    return _minimize(loss, x.shape[1])


def fit_choice(groups: list[tuple[list[list[float]], int]], l2: float = 0.01) -> tuple[np.ndarray, float]:
    """Conditional logit: one choice among each group's candidates plus "none yet" (a scalar score)."""
    dim = len(next(xs for xs, _ in groups if xs)[0])
    packed = [(np.array(xs).reshape(-1, dim), target) for xs, target in groups]

    def loss(v: np.ndarray) -> float:
        w, none = v[:dim], v[dim]
        total = 0.0
        for x, target in packed:
            scores = np.append(x @ w, none)
            total += float(np.logaddexp.reduce(scores) - scores[target])
        return total / len(packed) + l2 * float(np.sum(w[:-1] ** 2))

    v = _minimize(loss, dim + 1)
    return v[:dim], float(v[dim])


def fit_kinds(x: np.ndarray, y: np.ndarray, l2: float = 0.01) -> np.ndarray:
    dim = x.shape[1]

    def loss(v: np.ndarray) -> float:
        w = v.reshape(3, dim)
        s = x @ w.T
        return float(np.mean(np.logaddexp.reduce(s, axis=1) - s[np.arange(len(y)), y])
                     + l2 * np.sum(w[:, :-1] ** 2))

    return _minimize(loss, 3 * dim).reshape(3, dim)


def choose_l2(data: dict[str, Any]) -> float:
    """The penalty whose fit on the first four fifths of the programs best predicts the last fifth
    (summed log-likelihood of the three models): confidences that mean what they say."""
    cut = int(len(data["groups"]) * 0.8)
    best, chosen = math.inf, 1e-3
    for l2 in (1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5):
        x, y = data["final"]
        train, test = data["seeds"]["final"] < cut, data["seeds"]["final"] >= cut
        w = fit_binary(x[train], y[train], l2)
        s = x[test] @ w
        loss = float(np.sum(np.logaddexp(0, s) - y[test] * s))
        w, none = fit_choice(data["groups"][:cut], l2)
        for xs, target in data["groups"][cut:]:
            scores = np.append(np.array(xs).reshape(-1, len(w)) @ w, none)
            loss += float(np.logaddexp.reduce(scores) - scores[target])
        x, y = data["kind"]
        train, test = data["seeds"]["kind"] < cut, data["seeds"]["kind"] >= cut
        k = fit_kinds(x[train], y[train], l2)
        s = x[test] @ k.T
        loss += float(np.sum(np.logaddexp.reduce(s, axis=1) - s[np.arange(int(test.sum())), y[test]]))
        print(f"# l2 {l2:g}: held-out log loss {loss:.1f}")
        if loss < best:
            best, chosen = loss, l2
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--programs", type=int, default=1500)
    parser.add_argument("--l2", type=float, help="the penalty on the weights' squares (default: the one with the "
                        "best log-likelihood on the last fifth of the programs, fitted on the rest)")
    parser.add_argument("--cache", help="keep the examples in this pickle file (refits without regenerating)")
    args = parser.parse_args()
    if args.cache and Path(args.cache).exists():
        data = pickle.loads(Path(args.cache).read_bytes())
    else:
        data = examples(args.programs)
        if args.cache:
            Path(args.cache).write_bytes(pickle.dumps(data))
    l2 = args.l2 if args.l2 is not None else choose_l2(data)
    final = fit_binary(*data["final"], l2=l2)
    completion, none = fit_choice(data["groups"], l2=l2)
    kinds = fit_kinds(*data["kind"], l2=l2)
    print(f"# l2 = {l2:g}, {len(data['groups'])} programs")

    def row(w: np.ndarray, indent: int) -> str:
        numbers = [f"{v:.3f}" for v in w]
        lines = [", ".join(numbers[i:i + 10]) for i in range(0, len(numbers), 10)]
        return "[" + (",\n" + " " * indent).join(lines) + "]"

    print("WEIGHTS: dict[str, list[float] | dict[str, list[float]] | float] = {")
    print(f'    "final": {row(final, 14)},')
    print(f'    "completion": {row(completion, 19)},')
    print(f'    "none_yet": {none:.3f},')
    print('    "kind": {')
    for i, k in enumerate(outcomes.KINDS):
        print(f'        "{k}": {row(kinds[i], 10 + len(k) + 4)},')
    print("    },")
    print("}")


if __name__ == "__main__":
    main()
