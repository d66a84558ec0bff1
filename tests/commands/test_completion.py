"""Tab completion of %powerclerk, asked as a notebook front end asks a real IPython shell,
against a synced sandbox: the grammar from the parser, values from the cache."""

from __future__ import annotations

import polars as pl
import pytest

from pcnb import writeback
from pcnb.commands import CHARTS, build_parser
from tests.conftest import complete_in


@pytest.fixture(scope="module")
def batch(_pc_session):
    """One write-back batch in the journal (a real `set --yes` against the sandbox)."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    magic = shell.magics_manager.registry["PowerClerkMagic"]
    saved, magic.session = magic.session, _pc_session
    try:
        ws = _pc_session.workspace
        number = ws.projects().filter(pl.col("project_number").is_not_null())["project_number"][0]
        result = shell.run_line_magic("powerclerk", f"set {number} INSTALLER='Tab Crew' --form APPLICATION --yes")
    finally:
        magic.session = saved
    return result.batch_id


def test_subcommands_and_options_come_from_the_parser(pc):
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert complete_in(pc, "%powerclerk sy") == ["sync"]
    assert set(complete_in(pc, "%powerclerk ")) == set(sub.choices)  # every subcommand, nothing else
    assert "disconnect" in complete_in(pc, "%powerclerk dis")
    sync_opts = {o for a in sub.choices["sync"]._actions for o in a.option_strings if o.startswith("--")}
    assert set(complete_in(pc, "%powerclerk sync --")) == sync_opts
    assert complete_in(pc, "%powerclerk sync --max-c") == ["--max-calls"]
    offered = complete_in(pc, "%powerclerk projects --status x --")
    assert "--text" in offered and "--status" not in offered  # an option is not offered twice


def test_status_names_are_quoted_when_they_have_spaces(pc):
    statuses = sorted({n for _, _, n in pc.magics_manager.registry["PowerClerkMagic"].session.workspace.store
                       .status_refs()})
    assert "Application Review" in statuses  # the sandbox program's, read from the cache
    assert complete_in(pc, "%powerclerk projects --status Appl") == ["'Application Review'",
                                                                      "'Application Submitted'"]
    assert complete_in(pc, "%powerclerk projects --status 'Application R") == ["'Application Review'"]
    assert complete_in(pc, '%powerclerk browse --status "Permission') == ['"Permission to Operate"']
    assert complete_in(pc, "%powerclerk projects --status Withd") == ["Withdrawn"]  # no space: no quotes
    assert complete_in(pc, "%powerclerk projects --status review") == ["'Application Review'"]


def test_projects_forms_fields_charts_and_batches(pc, batch):
    ws = pc.magics_manager.registry["PowerClerkMagic"].session.workspace
    numbers = ws.projects()["project_number"].drop_nulls().sort().to_list()
    assert complete_in(pc, "%powerclerk history ") == numbers[:200]
    assert complete_in(pc, f"%powerclerk history {numbers[3][:-1]}") == [
        n for n in numbers if n.startswith(numbers[3][:-1])]
    served = sorted(f.custom_id for f in ws.sandbox_handle.state.program.forms)  # what the server has
    assert "APPLICATION" in served and complete_in(pc, "%powerclerk set --form ") == served
    assert complete_in(pc, "%powerclerk set --form COMPLETION INST") == ["INSTALL_DATE="]
    assert "INSTALLER=" in complete_in(pc, f"%powerclerk set {numbers[0]} --form APPLICATION INS")
    assert complete_in(pc, "%powerclerk chart ") == list(CHARTS)
    assert complete_in(pc, "%powerclerk chart ba") == ["backlog", "backlog-trend"]
    thread = ws.inquiry_threads()["thread_id"][0]
    assert thread in complete_in(pc, f"%powerclerk thread-status {thread[:4]}")
    assert thread in complete_in(pc, f"%powerclerk note {numbers[0]} --thread {thread[:4]}")
    assert complete_in(pc, "%powerclerk attachment --attachment S") == ["SLD"]
    ids = writeback.journal.batches(ws.store)["batch_id"].to_list()  # newest first; other tests add more
    assert batch in ids and complete_in(pc, "%powerclerk journal --undo ") == ids
    assert complete_in(pc, f"%powerclerk journal {batch[:6]}") == [b for b in ids if b.startswith(batch[:6])]


def test_forms_and_fields_of_a_real_program_come_from_cached_form_data(pc):
    """Without a served definition (a real PowerClerk), forms and fields are what the cache holds."""
    ws = pc.magics_manager.registry["PowerClerkMagic"].session.workspace
    ws.sync(forms=("COMPLETION",), progress=False)  # caches GetProjectData of that form
    served, ws.sandbox_program = ws.sandbox_program, None
    try:
        segments = {ref.split("/")[0] for ref in ws.profile.segments.values() if ref}  # the profile's FORM/FIELD
        assert complete_in(pc, "%powerclerk set --form ") == sorted({"COMPLETION", *segments})
        offered = complete_in(pc, "%powerclerk set --form COMPLETION ")  # project numbers, then FIELD=
        assert [c for c in offered if c.endswith("=")] == ["FINAL_SIZE_KW=", "INSTALL_DATE="]
    finally:
        ws.sandbox_program = served


def test_first_line_of_a_cell_only(pc):
    cell = "%%powerclerk proj\nstatus = x\n"
    assert complete_in(pc, cell, len("%%powerclerk proj")) == ["projects"]
    assert complete_in(pc, "%%powerclerk set --form APP") == ["APPLICATION"]
    assert "projects" not in complete_in(pc, "print('%powerclerk proj')")  # not a magic line


def test_filter_lines_of_a_query_cell(pc):
    head = "%%powerclerk projects\n"
    assert complete_in(pc, head + "sta") == ["status"]
    assert set(complete_in(pc, head + "status = x\n")) >= {"status", "changed_since", "owner", "text", "limit"}
    assert complete_in(pc, head + "status = Appr") == ["'Approved to Install'"]
    assert complete_in(pc, head + "status = 'Permission") == ["'Permission to Operate'"]
    assert complete_in(pc, "%%powerclerk threads\nwaiting_on ") == ["utility", "applicant", "none"]
    assert "status" not in complete_in(pc, "%%powerclerk --yes\nsta")  # a write-back cell has no keys


def test_not_connected_completes_the_grammar_and_offers_no_cache_values(pc):
    magic = pc.magics_manager.registry["PowerClerkMagic"]
    from pcnb.commands import Session

    saved, magic.session = magic.session, Session()
    try:
        assert complete_in(pc, "%powerclerk conn") == ["connect", "connections"]
        assert complete_in(pc, "%powerclerk connect --env ") == ["trial", "production"]
        assert not [c for c in complete_in(pc, "%powerclerk projects --status Appl") if "Application" in c]
    finally:
        magic.session = saved


# ---- red team (branch redteam) -------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "status"), [("'Util", "Utility's Review"), ('"Plan', 'Plan "B" Review'),
                                               ("Util", "Utility's Review"), ('"Util', "Utility's Review")])
def test_a_completed_status_inside_an_open_quote_reads_back_as_the_status(typed, status):
    """Completing after an open quote wrapped the name without escaping it: `'Util<Tab>` gave
    `'Utility's Review'` (the line no longer parses: "No closing quotation") and `"Plan<Tab>` gave
    `"Plan "B" Review"` (reads back as `Plan B Review`, a status that does not exist). Status names
    are the utility's, apostrophes and quotes included."""
    import shlex
    from types import SimpleNamespace

    from pcnb.commands.base import Session
    from pcnb.commands.completion import complete

    names = ["Utility's Review", 'Plan "B" Review', "Plan Review"]
    session = Session()
    session.workspace = SimpleNamespace(store=SimpleNamespace(status_refs=lambda: [(i, "", n) for i, n in
                                                                                    enumerate(names)]))
    line = f"%powerclerk projects --status {typed}"
    fragment, words = complete(line, session)
    read_back = {shlex.split(line[:len(line) - len(fragment)] + w)[-1] for w in words}
    assert status in read_back and read_back <= set(names)


def test_tab_with_nothing_to_offer_offers_no_python_names(pc):
    """When pcnb had no candidates, IPython's Python completions filled the gap: `journal --undo
    x<Tab>` offered `%xdel`, `--status <Tab>` (not connected) offered `and`, `if`, `README.md`.
    In a %powerclerk line Tab then does nothing (the typed fragment is the only completion)."""
    from pcnb.commands.base import Session

    assert complete_in(pc, "%powerclerk journal --undo x") in ([], ["x"])
    magic = pc.magics_manager.registry["PowerClerkMagic"]
    saved, magic.session = magic.session, Session()  # not connected: no statuses to offer
    try:
        assert complete_in(pc, "%powerclerk projects --status ") in ([], [""])
        assert complete_in(pc, "%%powerclerk projects\nstatus = a") in ([], ["a"])
    finally:
        magic.session = saved
    assert "%xdel" in complete_in(pc, "x")  # outside a %powerclerk line Python completions stay
