"""The data commands' sync options through a real IPython shell against the sandbox."""

from __future__ import annotations

import re

from IPython.core.interactiveshell import InteractiveShell


def _calls(text: str, stage: str) -> int:
    found = re.search(rf"{stage}\s+([\d,]+) calls", text)
    assert found, text
    return int(found.group(1).replace(",", ""))


def test_sync_plan_prints_the_stages_then_the_sync_spends_them(capsys):
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pcnb")
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 120")
    capsys.readouterr()
    shell.run_line_magic("powerclerk", "sync --plan --no-inquiries")
    text = capsys.readouterr().out
    assert _calls(text, "status histories") == 120 and "inquiry" not in text
    ws = shell.magics_manager.registry["PowerClerkMagic"].session.workspace
    assert ws.store.conn.execute("SELECT COUNT(*) FROM projects").fetchone()[0] == 0  # the plan wrote nothing
    shell.run_line_magic("powerclerk", "sync --no-inquiries")
    out = capsys.readouterr().out
    assert "120 histories" in out
    spent = int(re.search(r"sync complete: (\d+) calls", out).group(1))
    assert spent == _calls(text, "total"), (text, out)
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 5")


def test_estimate_during_a_partial_sync_then_exact_when_complete(capsys):
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pcnb")
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 200")
    shell.run_line_magic("powerclerk", "sync --max-calls 80 --no-inquiries")
    table = shell.run_line_magic("powerclerk", "estimate time-in-status")
    assert set(table["sample"]) == {"79 of 200"} and table["lo"].null_count() == 0
    assert set(table["scope"]) == {"all projects"}
    assert (table["lo"] <= table["estimate"]).all() and (table["estimate"] <= table["hi"]).all()
    fig = shell.run_line_magic("powerclerk", "estimate deadlines --chart")
    assert "estimated from 79 of 200 projects" in fig.layout.title.text
    drawn = shell.run_line_magic("powerclerk", "chart time-in-status")  # the exact chart says it is a sample
    assert "drawn from the histories of 79 of 200 projects" in drawn.layout.title.text
    assert fig.data[0].error_x.array is not None
    shell.run_line_magic("powerclerk", "sync --no-inquiries")
    capsys.readouterr()
    done = shell.run_line_magic("powerclerk", "estimate throughput")
    assert set(done["sample"]) == {"200 of 200"} and done["lo"].null_count() == done.height
    fig = shell.run_line_magic("powerclerk", "estimate cohorts --chart")
    assert "all 200 projects" in fig.layout.title.text
    assert "drawn from" not in shell.run_line_magic("powerclerk", "chart time-in-status").layout.title.text
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 5")


def test_estimate_after_a_scoped_sync_counts_the_scope_and_says_it(capsys):
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pcnb")
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 150")
    shell.run_line_magic("powerclerk", "sync --no-inquiries --where 'project_number IS NOT NULL'")
    ws = shell.magics_manager.registry["PowerClerkMagic"].session.workspace
    numbered = ws.projects()["project_number"].drop_nulls().len()
    assert 0 < numbered < 150
    table = shell.run_line_magic("powerclerk", "estimate time-in-status")
    assert set(table["sample"]) == {f"{numbered} of {numbered}"}  # complete inside the scope: exact
    assert set(table["scope"]) == {"where project_number IS NOT NULL"}
    shell.run_line_magic("powerclerk", "info")
    assert "scope: where project_number IS NOT NULL" in capsys.readouterr().out
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 5")


def test_sync_scope_options_refuse_empty_and_conflicting_values():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pcnb")
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 20")
    ws = shell.magics_manager.registry["PowerClerkMagic"].session.workspace
    import pytest
    from IPython.core.error import UsageError

    for line, said in (("sync --status ''", "empty status name"), ("sync --all --status X", "cannot be combined"),
                       ("sync --numbers ,", "names no project number"), ("sync --since yesterday", "not an ISO date"),
                       ("sync --where 'colour = 1'", "unknown column")):
        with pytest.raises(UsageError, match=said):
            shell.run_line_magic("powerclerk", line)
    assert ws.client.calls == 0  # refused before any call
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 5")


def test_sync_forms_fetches_a_forms_values_and_refuses_a_misspelt_one(capsys):
    """`sync --forms`: what a compliance rule file's size or export field needs, from the magic."""
    import pytest
    from IPython.core.error import UsageError

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pcnb")
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 30")
    ws = shell.magics_manager.registry["PowerClerkMagic"].session.workspace
    for line, said in (("sync --forms APLICATION", "did you mean 'APPLICATION'"), ("sync --forms ,", "names no form")):
        with pytest.raises(UsageError, match=said):
            shell.run_line_magic("powerclerk", line)
    assert ws.store.conn.execute("SELECT COUNT(*) FROM projects").fetchone()[0] == 0  # nothing synced
    shell.run_line_magic("powerclerk", "sync --no-inquiries --forms APPLICATION")
    held = ws.store.conn.execute("SELECT COUNT(DISTINCT project_id) FROM form_data WHERE form_id = 'APPLICATION'")
    assert held.fetchone()[0] > 0
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 5")
