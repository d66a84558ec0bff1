"""The order a sync fetches status histories in: at every moment a stratified random sample.

Why: a first sync of a large program spends one call per project on histories (100,000 projects
are more than a day of the key's 60 operations a minute). Fetched newest-first, the histories
cached after an hour are the most recently changed projects, a biased set no figure can be
estimated from. Fetched in this order, the projects whose history is cached are at every moment a
stratified simple random sample of the listed projects, strata = current status (known for every
project from the listing, at one call per 1,000 projects), so pcnb.analytics.estimates can give
figures with confidence intervals long before the sync ends.

The design:

- strata: the project's current status at the listing;
- within a stratum: a uniformly random order (numpy's seeded Generator; the seed is kept in the
  store, so a resumed run keeps the order it started with);
- across strata: proportional allocation, or, given a Focus (the deadline statuses asked for and
  the workflow), the allocation of pcnb.cache.sample_alloc, which samples each stratum at a fixed
  rate g_h relative to proportional; interleaved so that after any number of fetches each stratum
  holds its share of the fetched set to within one project (position (rank + 0.5) / (N_h g_h));
- the first ``FIRST_PER_STRATUM`` projects of every stratum come first, so that no stratum stays
  unrepresented (a stratum with no sampled project biases every estimate; see docs/large-programs.md).

The inclusion probability of a project in stratum h when n_h of its N_h projects are fetched is
n_h / N_h; the estimators recompute n_h and N_h from the cache, so they stay right across resumes.
Only the order of pending history items changes: what is fetched is unchanged, so the call count
of a sync is the same as before.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from pcnb.cache.sample_alloc import Focus, stratum_rates
from pcnb.cache.store import Store

#: history items sort above every other queue item (their priority is a LastChangeTimestamp in us)
HISTORY_FIRST = 2**62
FIRST_PER_STRATUM = 2


def sample_keys(strata: list[str], seed: int, rates: Mapping[str, float] | None = None) -> np.ndarray:
    """The fetch position (0 first) of each item, given each one's stratum label and, optionally,
    each stratum's sampling rate relative to proportional allocation (pcnb.cache.sample_alloc)."""
    n = len(strata)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rng = np.random.default_rng(seed)
    u = rng.random(n)
    names, label = np.unique(np.asarray(strata, dtype=object), return_inverse=True)
    by_stratum = np.lexsort((u, label))  # items grouped by stratum, random order inside each
    sizes = np.bincount(label)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.empty(n, dtype=np.int64)
    rank[by_stratum] = np.arange(n) - np.repeat(starts, sizes)
    rate = np.array([float((rates or {}).get(str(s), 1.0)) for s in names])
    if not np.all(rate > 0):
        raise ValueError("every stratum needs a sampling rate above 0 (else its inclusion probability is 0)")
    size = (sizes * rate)[label].astype(float)
    spread = (rank + 0.5) / size  # allocation n_h proportional to N_h g_h, interleaved
    key = np.where(rank < FIRST_PER_STRATUM, rank - FIRST_PER_STRATUM, spread)
    order = np.lexsort((u, key))
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    return position


def order_histories(store: Store, run_id: str, focus: Focus | None = None) -> int:
    """Give the pending history items of run ``run_id`` the sampled order (once per run: a resumed
    run keeps it), allocated toward ``focus`` when given. Returns how many items were ordered."""
    st = store.get_state()
    if st.get("sample_ordered_run") == run_id:
        return 0
    seed = st.get("sample_seed")
    if seed is None:
        seed = int(np.random.default_rng().integers(2**31))
    runs = int(st.get("sample_runs") or 0)  # each run draws its own order, reproducibly from the seed
    rows = store.conn.execute(
        "SELECT q.item_id, COALESCE(p.status_id, ''), COALESCE(p.status_name, '') FROM queue q "
        "LEFT JOIN projects p ON p.project_id = q.project_id "
        "WHERE q.kind = 'history' AND q.done = 0 ORDER BY q.item_id").fetchall()
    strata = [r[1] for r in rows]
    rates = stratum_rates(strata, [r[2] for r in rows], focus) if focus is not None else None
    position = sample_keys(strata, seed + runs, rates)
    with store.tx(data=False) as conn:
        conn.executemany("UPDATE queue SET priority = ? WHERE item_id = ? AND kind = 'history'",
                         [(HISTORY_FIRST - int(pos), r[0]) for r, pos in zip(rows, position, strict=True)])
        Store.put_state(conn, sample_ordered_run=run_id, sample_seed=seed, sample_runs=runs + 1)
    return len(rows)
