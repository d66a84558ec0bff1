"""A program that changes between two syncs (issue 24, deliverable 3): a renamed status keeps its
history, role and deadline under its new name; an added status is reported; a removed one that a
role still points at is named under every figure. Real sandbox, real SQLite, ids as PowerClerk keeps
them (pcnb.sandbox.program_edits plays the utility's administrator)."""

from __future__ import annotations

import polars as pl

from pcnb.cache import catalog
from pcnb.profile import ProgramProfile
from pcnb.sandbox import program_edits

OLD, NEW = "Application Review", "Application Review (Tier 1)"


def _sync(ws):
    report = ws.sync(progress=False)
    assert report.complete, report
    return report


def test_a_rename_and_an_added_status_across_two_syncs(ws, fresh_sandbox):
    before = ws.status_events().filter(pl.col("status") == OLD)
    prof = ws.profile
    assert prof.deadlines_for().get(OLD) == 10 and OLD in prof.roles.review
    ws.save_profile()
    assert "program changed" not in str(_sync(ws))  # nothing changed: nothing said

    program_edits.rename_status(fresh_sandbox.state, "REVIEW", NEW)
    program_edits.add_status(fresh_sandbox.state, "Reservation Triage", "TRIAGE")
    report = str(_sync(ws))
    assert f"status '{OLD}' renamed '{NEW}'" in report and "status 'Reservation Triage' added" in report
    assert f"profile: '{OLD}' is now '{NEW}'" in report

    after = ws.status_events().filter(pl.col("status") == NEW)  # the same stays, under the name used now
    assert after.height == before.height > 0 and ws.status_events().filter(pl.col("status") == OLD).height == 0
    assert set(after["status_id"]) == set(before["status_id"])
    assert ws.projects().filter(pl.col("status") == OLD).height == 0  # rows listed before the rename too
    assert ws.projects().filter(pl.col("status") == NEW).height > 0

    saved = ProgramProfile.load(ws.profile_path)  # the file, as the next session reads it
    assert saved.deadlines_for().get(NEW) == 10 and OLD not in saved.deadlines_for()
    assert NEW in saved.roles.review and OLD not in saved.roles.review
    assert saved.status(NEW).holder == "utility" and "holders.Reservation Triage" in saved.guessed
    assert [(c["kind"], c["name"]) for c in saved.changes] == [("renamed", NEW), ("added", "Reservation Triage")]
    assert [str(c) for c in catalog.changes(ws.store)] == [f"status '{OLD}' renamed '{NEW}'",
                                                          "status 'Reservation Triage' added"]
    assert "program changed" not in str(_sync(ws))  # said once


def test_a_removed_status_a_deadline_still_uses_is_named_under_the_figures(ws, fresh_sandbox):
    ws.save_profile()
    _sync(ws)
    assert not [c for c in ws.profile_caveats() if "removed" in c]
    program_edits.remove_status(fresh_sandbox.state, "INSPECTION")
    report = str(_sync(ws))
    assert "status 'Inspection Pending' removed" in report, report
    assert "deadlines.Inspection Pending" in report  # the sync says what still points at it
    stale = [c for c in ws.profile_caveats() if "removed" in c]
    assert len(stale) == 1 and "deadlines.Inspection Pending" in stale[0] and "profile set" in stale[0], stale
    assert ws.status_events().filter(pl.col("status") == "Inspection Pending").height > 0  # its history stays
    prof = ws.profile  # the user points the profile elsewhere: the line goes
    prof.set("deadlines.Inspection Pending", "none")
    prof.set("roles.review", ", ".join(s for s in prof.roles.review if s != "Inspection Pending"))
    ws.save_profile()
    assert not [c for c in ws.profile_caveats() if "removed" in c]
