"""The query form: %%powerclerk projects / history / threads with one filter per line."""

from __future__ import annotations

import polars as pl
import pytest
from IPython.core.error import UsageError


def test_filters_per_line_match_the_line_form(pc):
    cell = """
# applications in review, changed this year
status = 'Application Review'
since 2020-01-01
limit 2
"""
    got = pc.run_cell_magic("powerclerk", "projects", cell)
    line = pc.run_line_magic("powerclerk", "projects --status 'Application Review' --changed-since 2020-01-01")
    assert line.height > 2 and got.height == 2
    assert got["project_id"].to_list() == line["project_id"].head(2).to_list()
    pc.user_ns["who"] = line["owner_name"][0].split()[0]
    owned = pc.run_cell_magic("powerclerk", "projects -o owned", "owner ~ {who}\nchanged-since: 2020-01-01")
    assert owned is None and pc.user_ns["owned"].height == pc.run_line_magic(
        "powerclerk", f"projects --owner {pc.user_ns['who']} --changed-since 2020-01-01").height


def test_positionals_and_other_read_commands(pc):
    ws = pc.magics_manager.registry["PowerClerkMagic"].session.workspace
    number = ws.projects().filter(pl.col("project_number").is_not_null())["project_number"][0]
    assert pc.run_cell_magic("powerclerk", "history", f"project {number}").equals(
        pc.run_line_magic("powerclerk", f"history {number}"))
    waiting = pc.run_cell_magic("powerclerk", "threads", "waiting_on = applicant")
    assert waiting.height > 0 and set(waiting["waiting_on"]) == {"applicant"}


def test_bad_lines_say_which_and_how(pc):
    with pytest.raises(UsageError, match=r"cell line 2 \('stauts = x'\): unknown key 'stauts' for projects "
                                         r"\(did you mean 'status'\?\) — fix: keys: changed_since, owner, status"):
        pc.run_cell_magic("powerclerk", "projects", "limit 2\nstauts = x")
    with pytest.raises(UsageError, match=r"cell line 1 .*: 2 words as one value — fix: quote a value with spaces"):
        pc.run_cell_magic("powerclerk", "projects", "status = Application Review")
    with pytest.raises(UsageError, match=r"no status 'Aplication Review' in this program \(did you mean"):
        pc.run_cell_magic("powerclerk", "projects", "status = 'Aplication Review'")  # the line form's check
    with pytest.raises(UsageError, match=r"limit 'ten' is not a number of rows"):
        pc.run_cell_magic("powerclerk", "projects", "limit ten")
    with pytest.raises(UsageError, match=r"status is already set on line 1"):
        pc.run_cell_magic("powerclerk", "projects", "status = Withdrawn\nstatus = Rejected")
    with pytest.raises(UsageError, match=r"ISO date"):
        pc.run_cell_magic("powerclerk", "projects", "since yesterday")
    with pytest.raises(UsageError, match=r"cell line 1 .*: status is also on the %%powerclerk line"):
        pc.run_cell_magic("powerclerk", "projects --status Withdrawn", "status = Rejected")
    with pytest.raises(UsageError, match=r"expected KEY VALUE"):
        pc.run_cell_magic("powerclerk", "projects", "status =")
