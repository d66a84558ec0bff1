"""Issue #16 items 11-12: malformed input is refused with a reason (and a line number), never
silently changed, never a traceback."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from pcnb.commands.base import CommandError
from pcnb.errors import InputError
from pcnb.writeback import actions
from pcnb.writeback.changes import parse_csv

ROOT = Path(__file__).resolve().parents[2]


# ---- item 11: CSV ----------------------------------------------------------------------------------
def test_csv_with_an_unbalanced_quote_is_refused_with_its_line():
    text = 'project,INSTALLER\nDGI-00011,"Acme Solar\nDGI-00012,Beta Crew\nDGI-00013,Gamma"\n'
    with pytest.raises(InputError, match=r"line 2") as err:
        parse_csv(text)
    assert "quote" in str(err.value)


def test_csv_unterminated_quote_at_the_end_is_refused():
    with pytest.raises(InputError, match=r"line 3"):
        parse_csv('project,INSTALLER\nDGI-00011,Acme\nDGI-00012,"Beta\n')


def test_csv_keeps_a_blank_line_inside_a_quoted_cell():
    frame = parse_csv('project,text\nDGI-00011,"first paragraph\n\nsecond paragraph"\nDGI-00012,x\n')
    assert frame["text"].to_list() == ["first paragraph\n\nsecond paragraph", "x"]


def test_csv_with_a_byte_order_mark_is_accepted():
    frame = parse_csv("\ufeffproject,INSTALLER\r\nDGI-00011,Acme\r\n")
    assert frame.columns == ["project", "INSTALLER"] and frame["project"].to_list() == ["DGI-00011"]


# ---- item 12 ---------------------------------------------------------------------------------------
def test_retry_after_nan_is_treated_as_missing(fresh_sandbox, make_client):
    client = make_client(fresh_sandbox, backoff_cap=0.05)
    fresh_sandbox.sandbox.faults.update(force_429=1, retry_after="nan")
    assert client.programs()  # backoff, then the answer


@pytest.mark.parametrize("ref", ["DGI-00011\n", "DGI-00011\r\n"])
def test_an_id_with_a_trailing_newline_is_refused_without_a_call(fresh_sandbox, make_client, ref):
    client = make_client(fresh_sandbox)
    calls = client.calls
    with pytest.raises(InputError, match="not a valid id"):
        client.project_data(fresh_sandbox.program_id, ref, "APPLICATION")
    assert client.calls == calls


def test_non_ascii_digits_are_not_a_number():
    from pcnb.writeback.fields import _one

    schema = {"Type": "Number", "Properties": {}}
    value, problem = _one(schema, "SYSTEM_SIZE_KW", "７.５")
    assert value is None and problem and "decimal number" in problem


def test_text_over_the_servers_limit_is_a_plan_problem():
    from pcnb.writeback.fields import _one

    value, problem = _one({"Type": "Text"}, "NOTES", "x" * 4001)
    assert value is None and problem and "4000" in problem
    assert _one({"Type": "Text"}, "NOTES", "x" * 4000) == ("x" * 4000, None)


def _set_rows(*targets: str) -> list[dict]:
    return actions.get("set").command_rows(list(targets), argparse.Namespace())


def test_set_refuses_an_assignment_to_a_reserved_column():
    with pytest.raises(InputError, match="project"):
        _set_rows("DGI-00011", "project=DGI-00012", "INSTALLER=x")
    with pytest.raises(InputError, match="INSTALLER"):
        _set_rows("DGI-00011", "INSTALLER=a", "INSTALLER=b")


def test_clear_on_a_command_line_empties_the_field_as_in_a_csv():
    assert _set_rows("DGI-00011", "INSTALLER=<clear>") == [{"project": "DGI-00011", "INSTALLER": ""}]


def test_cell_magic_line_with_an_unbalanced_quote_is_a_usage_error(ws):
    from pcnb.commands import Session
    from pcnb.commands.cell import run_cell

    session = Session()
    session.workspace = ws
    with pytest.raises(CommandError, match="quot"):
        run_cell('set --form "APPLICATION', "project,INSTALLER\nDGI-00001,x\n", session)


@pytest.mark.parametrize("minutes", [float("nan"), -1.0, float("inf")])
def test_sync_refuses_nan_negative_or_infinite_limits(fresh_sandbox, make_client, tmp_path, minutes):
    from pcnb.cache.store import Store
    from pcnb.cache.sync import sync

    with pytest.raises(InputError, match="max_minutes"):
        sync(make_client(fresh_sandbox), Store(tmp_path / "s.sqlite"), fresh_sandbox.program_id,
             max_minutes=minutes, progress=False)
    with pytest.raises(InputError, match="max_calls"):
        sync(make_client(fresh_sandbox), Store(tmp_path / "s.sqlite"), fresh_sandbox.program_id,
             max_calls=-3, progress=False)


def _cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pcnb.cli", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=120)


def test_cli_sandbox_port_out_of_range_is_a_usage_error(tmp_path):
    out = _cli("sandbox", "--port", "70000", "--projects", "5", cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr and "70000" in out.stderr, out.stderr


def test_cli_output_into_a_missing_folder_is_a_clear_error(tmp_path):
    import polars as pl

    from pcnb.cli import _emit
    from pcnb.errors import ConfigError

    with pytest.raises(ConfigError, match="does not exist"):
        _emit(pl.DataFrame({"a": [1]}), str(tmp_path / "missing" / "x.csv"))
