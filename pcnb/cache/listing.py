"""How many listing pages a sync needs, known before it lists: a budget below it is refused.

Its own module because both the sync (before it spends) and the planner (pcnb.cache.plan) ask it,
and the planner already reads the sync's rules (no import cycle between the two).
"""

from __future__ import annotations

from pcnb.cache.store import Store
from pcnb.errors import InputError


def refuse_small_budget(store: Store, max_calls: int, full: bool, page_size: int) -> None:
    """Before a sync: ``max_calls`` below the listing pages the cache says the run needs is refused
    (a first sync of an empty cache cannot know; its listing pauses and resumes instead)."""
    st = store.get_state()
    if st.get("run_id"):
        if st.get("parent_done"):
            return
        offset = int(st.get("parent_offset") or 0)
    elif st.get("watermark") is None or full:
        offset = 0
    else:
        return  # an incremental listing: its size is what changed, unknown until listed
    count = int(store.conn.execute("SELECT COUNT(*) FROM projects WHERE deleted = 0").fetchone()[0])
    if count == 0:
        return
    pages = max(count - offset, 0) // page_size + 1
    if max_calls < pages:
        raise InputError(f"max_calls={max_calls} is smaller than the listing ({pages} pages of {page_size:,} "
                         f"for the {count:,} cached projects)",
                         f"give at least {pages} calls (`sync --plan` shows every stage), or leave max_calls out")


__all__ = ["refuse_small_budget"]
