"""pcnb.writeback.journal: a row's claim is atomic across connections, on SQLite and on a shared
PostgreSQL store (issue #28: two analysts' kernels, on two machines, resuming one batch)."""

from __future__ import annotations

import threading

from pcnb.cache.store import Store
from pcnb.writeback import journal


def test_two_connections_claiming_the_same_rows_at_once_never_both_win(store_at):
    target = store_at("journal")
    setup = Store(target)
    rows = 150
    journal._insert(setup, "wb-race", [(seq, "note", f"P{seq}", None, "{}", "{}") for seq in range(rows)], 0.0)
    stores = [Store(target), Store(target)]
    barrier = threading.Barrier(2)
    wins: list[list[int]] = [[], []]

    def claimer(i: int) -> None:
        owner = journal.new_owner() + f"-{i}"  # two owners of one process, as two machines would be
        for seq in range(rows):
            barrier.wait()
            if journal.claim(stores[i], "wb-race", seq, owner, 60.0)[0]:
                wins[i].append(seq)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    both = set(wins[0]) & set(wins[1])
    assert not both, f"{len(both)} rows claimed by both owners"
    assert len(wins[0]) + len(wins[1]) == rows  # and every row by one of them
    assert set(journal.states(setup, "wb-race").values()) == {"sending"}
    for s in (setup, *stores):
        s.close()
