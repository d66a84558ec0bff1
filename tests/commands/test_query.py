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


# ---- red team (branch redteam) -------------------------------------------------------------------

@pytest.mark.parametrize("line", ["projects --status=Withdrawn", "projects --stat Withdrawn"])
def test_an_option_on_the_cell_line_in_another_spelling_is_still_refused_in_the_body(line):
    """Commit 501e752 refuses `status` in the body when `--status X` is on the %%powerclerk line
    (argparse would keep the last one). `--status=X` and argparse's prefix `--stat X` slipped past
    the check (it compares whole words): the body silently won and the cell listed Application
    Review projects although the line asked for Withdrawn."""
    from pcnb.commands.base import CommandError
    from pcnb.commands.query import to_argv

    with pytest.raises(CommandError, match="also on the %%powerclerk line"):
        to_argv("projects", "status = 'Application Review'", {}, tuple(line.split()))


def test_a_comment_after_a_quoted_value_is_a_comment():
    """README: query lines have `#` comments. `status = 'Application Review'  # the queue` was
    refused as "5 words as one value — quote a value with spaces", although the value is quoted."""
    from pcnb.commands.query import to_argv

    argv, _ = to_argv("projects", "status = 'Application Review'  # the review queue", {})
    assert argv == ["--status", "Application Review"]


def test_an_empty_variable_does_not_drop_the_filter(pc):
    """`s = ''` then `%powerclerk projects --status {s}` expanded to `--status ''`, which the
    command treats as no filter: every project came back, silently. An empty filter value is a
    mistake (an unset variable, a blank widget): say so."""
    pc.user_ns["s"] = ""
    with pytest.raises(UsageError, match="status"):
        pc.run_line_magic("powerclerk", "projects --status {s}")
