"""frames.py: the frames carry the ReportAs (suppress) flag, and a change of it is seen after the next sync."""

from __future__ import annotations

import polars as pl

from pcnb.analytics import status_intervals
from tests.analytics.helpers import CAL, EXITS, _la


def test_bug4_frames_carry_the_report_as_flag(tmp_path):
    try:  # the cache package of the layout change; before it, top-level modules
        from pcnb.cache import frames  # type: ignore[import-not-found,unused-ignore]
        from pcnb.cache.store import Store  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        from pcnb.store import Store  # type: ignore[no-redef,unused-ignore]

        from pcnb import frames  # type: ignore[no-redef,unused-ignore]

    store = Store(tmp_path / "s.sqlite")
    entries = [  # newest first, as V2 sends them
        {"StatusId": "s3", "Name": "Application Review", "Timestamp": "2024-07-03T10:00:00-07:00",
         "ReportAs": "normal"},
        {"StatusId": "s9", "Name": "Rejected", "Timestamp": "2024-07-03T09:00:00-07:00", "ReportAs": "suppress"},
        {"StatusId": "s2", "Name": "Application Review", "Timestamp": "2024-07-02T09:00:00-07:00"},
    ]
    with store.tx() as conn:
        Store.replace_history(conn, "P1", entries)
    ev = frames.status_events(store, wait=True)
    assert ev.sort("seq")["suppressed"].to_list() == [False, True, False]
    iv = status_intervals(ev, CAL, _la(7, 15, 9), terminal=EXITS)
    assert iv.select("status", "visit").rows() == [("Application Review", 1)]
    store.close()


def test_bug4_report_as_change_is_seen_after_the_next_sync(ws):
    """A ReportAs change only moves LastChangeTimestamp: the default sync (one call per status change)
    does not refetch the history; refresh_histories=True does, at one call per changed project."""
    pid = ws.status_events().group_by("project_id").len().filter(pl.col("len") >= 3)["project_id"][0]
    entry = ws.client.status_history(ws.program, pid)["StatusHistory"][1]  # newest first: not the current one
    ws.client.set_status_report_as(ws.program, pid, entry["StatusId"], entry["Timestamp"], "suppress")
    report = ws.sync(progress=False, refresh_histories=True)
    assert report.histories == 1  # just the changed project's history
    ev = ws.status_events().filter(pl.col("project_id") == pid)
    assert ev["suppressed"].sum() == 1
