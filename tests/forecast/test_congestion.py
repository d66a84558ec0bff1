"""congestion.py: the simulation checked against queueing theory (an M/M/c team's mean wait is
Erlang C's), then on a program's history: at today's arrivals the teams barely queue, a surge
queues the busiest one, more reviewers undo it, and the what-if shows it beside the baseline."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pcnb.forecast import ForecastError, whatif
from pcnb.forecast.congestion import Network, congestion, run
from tests.forecast.helpers import AS_OF, program_data


def _erlang_c_wait(arrival: float, service: float, servers: int) -> float:
    """Mean wait in queue of an M/M/c queue (Erlang C)."""
    a = arrival / service
    rho = a / servers
    top = a**servers / math.factorial(servers) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(servers)) + top)
    return p_wait / (servers * service - arrival)


@pytest.mark.parametrize(("arrival", "servers"), [(2.4, 3), (1.5, 2)])
def test_a_single_team_waits_as_erlang_c_says(arrival, servers):
    stays = np.random.default_rng(1).exponential(1.0, 50_000)  # service: exponential, mean one day
    net = Network(stays={"S": stays}, moves={"S": (["DONE"], np.array([1.0]))}, utility=frozenset({"S"}),
                  capacity={"S": servers}, arrival_rate=arrival, start="S")
    got = run(net, 6000, seed=3, limited=True)["S"]
    expected = _erlang_c_wait(arrival, 1.0, servers)
    assert got["wait"] == pytest.approx(expected, rel=0.15), (got, expected)
    assert got["time"] == pytest.approx(expected + 1.0, rel=0.1)
    free = run(net, 6000, seed=3, limited=False)["S"]
    assert free["wait"] == 0.0 and free["time"] == pytest.approx(1.0, rel=0.05)


@pytest.fixture(scope="module")
def data():
    return program_data("residential")


def test_a_surge_queues_the_busiest_team_and_more_reviewers_undo_it(data):
    ev, prog, _ = data
    today = congestion(ev, prog, AS_OF, weeks=13)
    surge = congestion(ev, prog, AS_OF, surge=2.5, weeks=13)
    staffed = congestion(ev, prog, AS_OF, surge=2.5, reviewers=2.5, weeks=13)
    rows = {name: {r["status"]: r for r in c.table.iter_rows(named=True)} for name, c in
            (("today", today), ("surge", surge), ("staffed", staffed))}
    assert set(rows["today"]) == {s for s in rows["today"] if prog.holder(s) == "utility"} and rows["today"]
    for status, r in rows["today"].items():  # at today's arrivals a team carrying its recent peak barely queues
        assert r["wait_for_a_place"] <= 0.25 * r["days_without_limit"] + 0.5, (status, r)
    busiest = max(rows["surge"], key=lambda s: rows["surge"][s]["wait_for_a_place"])
    assert rows["surge"][busiest]["wait_for_a_place"] > 3 * rows["today"][busiest]["wait_for_a_place"] + 1
    assert rows["surge"][busiest]["days_with_congestion"] > rows["surge"][busiest]["days_without_limit"] + 1
    assert rows["staffed"][busiest]["wait_for_a_place"] < 0.3 * rows["surge"][busiest]["wait_for_a_place"]
    assert rows["staffed"][busiest]["capacity"] > 2 * rows["surge"][busiest]["capacity"]


def test_the_what_if_runs_it_beside_the_baseline(data):
    ev, prog, _ = data
    w = whatif(ev, prog, as_of=AS_OF, paths=50, worlds=40, weeks=6, arrivals=2, congestion=True)
    assert w.congestion is not None and w.congestion.surge == 2
    assert "congestion model (simpy)" in " ".join(w.notes) and "with congestion" in w.describe()
    assert whatif(ev, prog, as_of=AS_OF, paths=50, worlds=40, weeks=6).congestion is None


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"surge": 0}, "surge=0 must be a number > 0"),
    ({"reviewers": -1}, "reviewers=-1 must be a number > 0"),
    ({"capacity": {"Returned to Applicant": 3}}, "is no utility-held status"),
])
def test_bad_input_is_refused_with_the_fix(data, kwargs, words):
    ev, prog, _ = data
    with pytest.raises(ForecastError) as err:
        congestion(ev, prog, AS_OF, **kwargs)
    assert words in str(err.value)
