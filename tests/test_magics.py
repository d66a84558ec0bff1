"""%powerclerk through a real IPython shell against the sandbox."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import polars as pl
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from pcnb.commands import CHARTS, build_parser


@pytest.fixture(scope="module")
def ip():
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pcnb")
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 150")
    yield shell
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 5")  # closes the previous workspace


def test_load_prints_one_line_without_credentials(capsys):
    shell = InteractiveShell.instance()
    shell.run_line_magic("reload_ext", "pcnb")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "connect --sandbox" in out[0]


def test_every_subcommand_has_help(ip, capsys):
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in sub.choices:
        ip.run_line_magic("powerclerk", f"{name} --help")
        text = capsys.readouterr().out
        assert f"%powerclerk {name}" in text and "usage:" in text, name


def test_sync_projects_history_threads_budget(ip, capsys):
    ip.run_line_magic("powerclerk", "sync")
    assert "sync complete" in capsys.readouterr().out
    ip.run_line_magic("powerclerk", "projects --status 'Permission to Operate' -o pto")
    pto = ip.user_ns["pto"]
    assert f"stored a frame of {pto.height:,} row(s) x {pto.width} column(s) in `pto`" in capsys.readouterr().out
    assert isinstance(pto, pl.DataFrame) and pto.height > 0 and set(pto["status"].cast(pl.String)) == {
        "Permission to Operate"}
    number = pto["project_number"][0]
    hist = ip.run_line_magic("powerclerk", f"history {number}")
    assert hist["status"].cast(pl.String)[-1] == "Permission to Operate"
    threads = ip.run_line_magic("powerclerk", "threads --waiting-on applicant")
    assert threads.height > 0 and set(threads["waiting_on"].to_list()) == {"applicant"}
    everyone = ip.run_line_magic("powerclerk", "threads")
    assert threads.height < everyone.height  # the filter removed the closed threads
    ip.run_line_magic("powerclerk", "budget")
    assert "operations used" in capsys.readouterr().out
    ip.run_line_magic("powerclerk", "info")
    assert "sandbox" in capsys.readouterr().out


def test_charts(ip):
    for name in CHARTS:
        fig = ip.run_line_magic("powerclerk", f"chart {name}")
        assert isinstance(fig, go.Figure) and "as of" in fig.layout.title.text
        sizes = [len(t.link.value or []) if t.type == "sankey" else len(t.x if t.x is not None else t.y or [])
                 for t in fig.data if t.type != "table"]
        assert sizes and max(sizes) > 0, name  # a chart with data, not an empty frame


def test_errors_are_one_line_with_fix(ip):
    with pytest.raises(UsageError, match="fix:"):
        ip.run_line_magic("powerclerk", "history NOPE-99999")
    with pytest.raises(UsageError, match="'pie' is not a valid NAME"):
        ip.run_line_magic("powerclerk", "chart pie")
    with pytest.raises(UsageError, match="ISO date"):
        ip.run_line_magic("powerclerk", "projects --changed-since yesterday")
    with pytest.raises(UsageError, match="quotes"):
        ip.run_line_magic("powerclerk", "projects --owner 'unterminated")


def test_login_returns_the_panel_or_text(ip, capsys):
    from ipywidgets import VBox

    panel = ip.run_line_magic("powerclerk", "login")
    assert isinstance(panel, VBox)
    ip.run_line_magic("powerclerk", "login --text")
    assert "PCNB_API_KEY" in capsys.readouterr().out


def test_did_you_mean_for_subcommands_statuses_and_programs(ip, tmp_path, monkeypatch):
    with pytest.raises(UsageError, match=r"unknown subcommand 'snyc' \(did you mean 'sync'\?\)"):
        ip.run_line_magic("powerclerk", "snyc")
    with pytest.raises(UsageError, match=r"no status 'Aplication Review' in this program \(did you mean "
                                         r"'Application Review'\?\)"):
        ip.run_line_magic("powerclerk", "projects --status 'Aplication Review'")
    monkeypatch.setenv("PCNB_DATA_DIR", str(tmp_path))
    with pytest.raises(UsageError, match=r"no visible program 'NOPE'"):
        ip.run_line_magic("powerclerk", "use NOPE")
    assert not list(tmp_path.rglob("*NOPE*"))  # no cache file was created for it


def test_profile_command_shows_sets_and_refuses(ip, capsys):
    ip.run_line_magic("powerclerk", "sync")  # the profile is inferred from the history: alone, nothing synced yet
    capsys.readouterr()
    ip.run_line_magic("powerclerk", "profile")
    shown = capsys.readouterr().out
    assert "completion: Permission to Operate" in shown and "guessed" in shown
    ip.run_line_magic("powerclerk", "profile set deadlines.'Application Review' 12")
    assert "Application Review 12 business_days" in capsys.readouterr().out
    with pytest.raises(UsageError, match=r"no status 'Reveiw'"):
        ip.run_line_magic("powerclerk", "profile set roles.completion Reveiw")
    ip.run_line_magic("powerclerk", "profile path")
    assert ".profile.yaml" in capsys.readouterr().out


def test_info_after_an_interrupted_first_sync_says_partial(capsys):
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "pcnb")
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 80")
    shell.run_line_magic("powerclerk", "info")
    assert "never synced" in capsys.readouterr().out
    shell.run_line_magic("powerclerk", "sync --max-calls 20")
    assert "paused" in capsys.readouterr().out
    shell.run_line_magic("powerclerk", "info")
    out = capsys.readouterr().out
    assert "partial: the first sync was interrupted" in out and "never synced" not in out
    shell.run_line_magic("powerclerk", "connect --sandbox --projects 5")  # close it


# ---- red team (branch redteam) -------------------------------------------------------------------

def test_debug_does_not_change_what_the_command_reads(pc):
    """`--debug` was removed by split()/join(), which also collapsed the spaces inside quoted
    values: `--status 'Application  Review'` (a typo, two spaces) is refused without --debug but
    silently matched 'Application Review' with it, so debugging changed the result."""
    with pytest.raises(UsageError, match="no status"):
        pc.run_line_magic("powerclerk", "projects --status 'Application  Review'")
    with pytest.raises(Exception, match="no status"):  # --debug: the full exception, same meaning
        pc.run_line_magic("powerclerk", "projects --status 'Application  Review' --debug")


def test_typographic_quotes_get_an_error_that_names_them(pc):
    """A status pasted from an email or a Word tariff comes with “curly” quotes; shlex does not
    know them and the user read `unrecognized arguments: Review”`. Say what is wrong (or accept
    them as quotes)."""
    with pytest.raises(UsageError, match=r"(?i)quote"):
        pc.run_line_magic("powerclerk", "projects --status “Application Review”")


def test_profile_set_a_quoted_days_and_unit_with_a_track(pc, capsys):
    """`profile set deadlines.STATUS "16 business_hours"` is documented, and so is
    `... 60 business_days "track=Fast Track"`; together, `'10 business_days' 'track=Fast Track'`
    was refused: "does not start with a number of days" (the join quoted '10 business_days' as one
    word)."""
    key = "'deadlines.Application Submitted -> Permission to Operate'"
    try:
        pc.run_line_magic("powerclerk", f"profile set {key} '10 business_days' 'track=Fast Track'")
        assert "Permission to Operate 10 business_days track=Fast Track" in capsys.readouterr().out
    finally:
        ws = pc.magics_manager.registry["PowerClerkMagic"].session.workspace
        ws.profile.deadlines = [d for d in ws.profile.deadlines if d.track != "Fast Track"]
        ws.save_profile()


def test_an_option_given_twice_on_the_line_is_refused(pc):
    """Query cells refuse a key given twice (commit 501e752: argparse would silently keep the last);
    the line form still did: `--status 'Application Review' --status Withdrawn` listed the
    Withdrawn projects only, no word said."""
    with pytest.raises(UsageError, match="status"):
        pc.run_line_magic("powerclerk", "projects --status 'Application Review' --status Withdrawn")


def test_a_comment_on_a_line_is_a_comment_not_options():
    """The docs' `%powerclerk connect --sandbox  # or: ... connect --env trial` read `--env trial` from
    the comment and failed ('--env: not allowed with --sandbox'); a word starting with # starts a comment."""
    from pcnb.commands import parse

    args = parse("connect --sandbox          # or: %powerclerk login (panel), connect --env trial")
    assert args.command == "connect" and args.sandbox and args.env is None
    assert parse("note DGI-00012 --subject 'Issue #4' --text 'see #4'").subject == "Issue #4"


def test_frames_are_shown_for_people_and_stay_raw_as_values(ip):
    """Issue 26: frames printed dtype rows, internal ids first, UTC times, six decimals. The shown copy
    has local times (zone named), rounded numbers, names before ids and a caption; the value is raw."""
    ip.run_line_magic("powerclerk", "sync")
    ip.run_line_magic("powerclerk", "profile")  # the profile in use gives the program's time zone
    tz = ip.magics_manager.registry["PowerClerkMagic"].session.workspace.profile.calendar.timezone
    result = ip.run_line_magic("powerclerk", "projects --status 'Permission to Operate'")
    page = result._repr_html_()
    assert f"times in {tz}" in page and f"{result.height:,} row(s)" in page
    shown = result._shown(lambda f: f)
    (column,) = [c for c in shown.columns if c.startswith("status_ts (")]  # named with the zone
    assert column in page and "status_ts" not in shown.columns
    utc = result["status_ts"][0].astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    assert shown[column][0] == utc
    assert shown.columns.index("project_number") < shown.columns.index("project_id")
    assert all(c.endswith("_id") for c in shown.columns[-4:])
    assert result.schema["status_ts"] == pl.Datetime("us", "UTC") and result.columns[0] == "project_id"
