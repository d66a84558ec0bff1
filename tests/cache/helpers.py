"""Compare the store's frames with the sandbox's in-memory truth."""

from __future__ import annotations

from pcnb.cache.store import Store, to_us
from pcnb.sandbox import SandboxHandle


def truth(sb: SandboxHandle) -> dict:
    st = sb.state
    # the API reports status timestamps to the second (contract example: 2022-11-01T12:52:11-07:00)
    events = sorted((pid, i, st.program.status(e.status).name, to_us(e.ts.replace(microsecond=0)))
                    for pid, p in st.projects.items() for i, e in enumerate(p.history))
    threads = sorted((t.thread_id, t.project_id, t.status, t.external_id) for t in st.threads.values())
    notes = sorted((n.note_id, t.thread_id, n.is_admin, n.text) for t in st.threads.values() for n in t.notes)
    projects = sorted((pid, p.number, st.program.status(p.status).name) for pid, p in st.projects.items())
    return {"projects": projects, "events": events, "threads": threads, "notes": notes}


def cached(store: Store) -> dict:
    c = store.conn
    return {
        "projects": sorted(c.execute("SELECT project_id, project_number, status_name FROM projects")),
        "events": sorted(c.execute("SELECT e.project_id, e.seq, s.name, e.ts FROM status_events e "
                                   "JOIN statuses s ON s.code = e.status_code")),
        "threads": sorted(c.execute("SELECT thread_id, project_id, status, external_id FROM inquiry_threads")),
        "notes": sorted((a, b, bool(x), t) for a, b, x, t in c.execute(
            "SELECT note_id, thread_id, is_admin, text FROM inquiry_notes")),
    }
