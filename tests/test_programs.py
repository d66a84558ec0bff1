"""Every notebook, every chart and the browser on programs none of pcnb's code names.

The residential program is what the rest of the suite runs on; here the other built-ins (rebate with
expiry in New York time, a large-DG queue with studies in Denver time) and a test-only program
(community solar in Honolulu time, business-hour deadlines) run with only their inferred profiles.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import polars as pl
import pytest

from pcnb import palette
from pcnb.commands import CHARTS, Session, parse, run
from pcnb.profile import ProgramProfile
from pcnb.report import run_report
from pcnb.workspace import Workspace
from tests.conftest import END
from tests.test_charts import same_colour_everywhere

pytestmark = pytest.mark.slow  # the slow tier: pytest -m slow

ROOT = Path(__file__).resolve().parents[1]
COMMUNITY = str(ROOT / "tests" / "programs" / "community_solar.yaml")
#: a program from the random generator (pcnb.sandbox.random_programs, seed 100044), as no one designed it
GENERATED_FILE = str(ROOT / "tests" / "programs" / "random_100044.yaml")
PROGRAMS = ("rebate", "large-dg", COMMUNITY)
#: a program using the richer definition keys (timers, routing, calendar-day steps, closures): its charts
QUEUE = str(ROOT / "tests" / "programs" / "queue_with_timers.yaml")
NAMES = {"rebate": "Clean Energy Incentive Program", "large-dg": "Large Generator Interconnection Queue",
         COMMUNITY: "Kaiāulu Community Solar Subscriptions", QUEUE: "Coastal Interconnection Queue",
         GENERATED_FILE: "Random program 100044"}


def _figures(nb: nbformat.NotebookNode) -> list[dict]:
    return [o["data"]["application/vnd.plotly.v1+json"] for c in nb.cells for o in c.get("outputs", [])
            if "application/vnd.plotly.v1+json" in o.get("data", {})]


def _says_why(fig: dict) -> bool:
    """A process chart with nothing to draw (a program without loops has no rework) says so in its
    plot: "No rework loops found" and why, never an empty plot."""
    return any(str(a.get("text", "")).startswith("<b>No ") for a in fig.get("layout", {}).get("annotations", []))


def _has_data(fig: dict) -> bool:
    for trace in fig["data"]:
        if trace.get("type") == "table":
            continue
        values = trace.get("x") or trace.get("y") or (trace.get("link") or {}).get("value") or []
        if len(values):
            return True
    return False


@pytest.mark.parametrize("program", (*PROGRAMS, GENERATED_FILE))
@pytest.mark.parametrize("notebook", ["02_pipeline_throughput", "03_time_in_status", "04_inquiry_backlog",
                                      "05_write_back", "06_forecast", "07_compliance", "08_process"])
def test_notebooks_run_on_every_program(notebook, program, tmp_path, monkeypatch):
    monkeypatch.setenv("PCNB_SANDBOX_PROJECTS", "600")  # the notebook's embedded sandbox: smaller, same shape
    params = {"program": program}
    if notebook == "07_compliance" and program == COMMUNITY:  # no built-in rule file: the user's own
        params["rules"] = str(ROOT / "tests" / "programs" / "community_solar_rules.yaml")
    if notebook == "07_compliance" and program == GENERATED_FILE:  # a rule file of roles only fits any program
        params["rules"] = str(ROOT / "tests" / "programs" / "roles_only_rules.yaml")
    out = run_report(ROOT / "notebooks" / f"{notebook}.ipynb", tmp_path / f"{notebook}.html", params)
    executed = nbformat.read(out.with_suffix(".ipynb"), as_version=4)
    text = json.dumps([c.get("outputs", []) for c in executed.cells], ensure_ascii=False)
    assert NAMES[program] in text  # the notebook ran on that program, not the default one
    figures = _figures(executed)
    if notebook == "04_inquiry_backlog" and program == GENERATED_FILE:  # a program with no inquiries at all:
        assert figures and all(_says_why(f) for f in figures)  # every inquiry chart says so, none is blank
    elif notebook != "05_write_back":
        assert figures and all(_has_data(f) or _says_why(f) for f in figures), [f["layout"].get("title") for f in
                                                                                 figures]
        assert sum(_has_data(f) for f in figures) >= len(figures) - 1
    else:  # the write-back ran: a plan, a journal with request ids, and an undo
        assert "request_id" in text and "done" in text
    if notebook == "02_pipeline_throughput":
        _the_years_change_is_in_the_table(out.read_text())


def _the_years_change_is_in_the_table(page: str) -> None:
    """Page 1's change over 12 months is the flow table's last column in the row of the last
    complete month (a reviewer could not find it: the column added up since the period began)."""
    import html
    import re

    said = re.search(r"Over the last 12 complete months \(\w+ \d{4}–(\w+ \d{4})\) the submitted work in progress "
                     r"(grew by ([\d,]+)|shrank by ([\d,]+)|held steady)", html.unescape(page))
    assert said, "no 12-month sentence on page 1"
    change = int((said.group(3) or said.group(4) or "0").replace(",", "")) * (-1 if said.group(4) else 1)
    flow_table = page[page.index("Table A1. Arrivals, completions and departures"):]  # the appendix's
    row = re.search(rf"<tr>\s*<td[^>]*>{said.group(1)}</td>(.*?)</tr>", flow_table, re.S)
    assert row, f"no row for {said.group(1)}"
    last = re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)[-1]
    assert int(last.replace(",", "").replace("−", "-")) == change, (said.group(0), last)


@pytest.mark.parametrize("program", (*PROGRAMS, QUEUE))
def test_every_chart_and_the_browser_on_every_program(program):
    from pcnb.widgets.browser import ProjectBrowser

    with Workspace.sandbox(projects=400, seed=4, program=program, end=END) as ws:
        session = Session()
        session.workspace = ws
        run(parse("sync"), session)
        prof = ws.profile
        assert prof.program_name == NAMES[program] and prof.roles.completion and prof.roles.final
        figs = []
        for name in CHARTS:
            # the backlog leaves finished projects' threads out by default, and a small program may have
            # no other open thread: drawn with them apart, it has data whatever the program's state
            fig = run(parse(f"chart {name}" + (" --finished group" if name == "backlog" else "")), session)
            drawn = fig.to_plotly_json()
            assert "as of" in fig.layout.title.text and (_has_data(drawn) or name == "rework" and _says_why(drawn)), \
                (program, name)
            figs.append(fig)
        # every chart colours a status as the program's palette does (its profile's status order)
        colours = same_colour_everywhere(figs, {s.name for s in prof.statuses})
        expected = palette.for_profile(prof)
        assert len(colours) > 3 and all(c == expected[s] for s, c in colours.items()), (program, colours)
        _deadlines_hold_every_rule(ws, session, program)
        browser = ProjectBrowser(ws)
        forms = {f.custom_id for f in ws.sandbox_program.forms}
        assert set(browser.form.options) <= forms and browser.form.value in forms
        assert [value for _, value in browser.status.options[1:]] == sorted(set(ws.projects()["status"].cast(str)
                                                                                .to_list()))


def _deadlines_hold_every_rule(ws: Workspace, session: Session, program: str) -> None:
    """Spans, the utility's clock and tracks, as the definition's tariff sets them, on the real sync."""
    sla = ws.deadline_compliance()
    names = {s.custom_id: s.name for s in ws.sandbox_program.statuses}
    wanted = [(names[d.status] if d.status else f"{names[d.start]} -> {names[d.end]}") for d in
              ws.sandbox_program.deadlines]
    assert sla["deadline"].to_list() == wanted
    seen = sla.select(pl.col("completed") + pl.col("open") + pl.col("exited"))
    assert seen.to_series().min() > 0, sla  # every rule counted projects
    if program != "large-dg":
        return
    span = "Completeness Review -> Agreement Tendered"
    rows = {r["track"]: r for r in sla.filter(pl.col("deadline") == span).iter_rows(named=True)}
    entered = set(ws.status_events().filter(pl.col("status") == "Completeness Review")["project_id"].to_list())
    fast = set(ws.project_tracks().filter(pl.col("track") == "Fast Track")["project_id"].to_list()) & entered
    total = {t: r["completed"] + r["open"] + r["exited"] for t, r in rows.items()}
    assert total == {"Fast Track": len(fast), "other tracks": len(entered) - len(fast)} and fast
    assert rows["Fast Track"]["clock"] == "utility" and rows["Fast Track"]["days"] == 120
    labels = list(run(parse("chart sla"), session).layout.yaxis.categoryarray)  # one row per rule, its terms beneath
    row = (f"{span.replace(' -> ', ' → ')}<br>", f"120 business days, the utility's days only · Fast Track · n = "
           f"{total['Fast Track']}, ")
    assert [label for label in labels if label.startswith(row[0]) and row[1] in label], labels
    # set from the magic's line, the track's name quoted: it replaces that track's rule only
    run(parse(f'profile set "deadlines.{span}" 55 business_days clock=utility "track=Fast Track"'), session)
    again = ProgramProfile.load(ws.profile_path)
    assert {(d.track, d.days) for d in again.deadlines if d.label == span} == {(None, 150), ("Fast Track", 55)}


#: a generated program with unusual names and shape (pcnb.sandbox.random_programs; see the test)
GENERATED = 100044  # German names with umlauts, 9 steps, 5 correction loops, 2 alternative steps


def test_every_chart_runs_on_a_generated_program(tmp_path):
    """Names no list knows (another language, accents), loops and an alternative step: every chart
    draws data from the program's inferred profile, and each says its outcomes are guesses."""
    import yaml

    from pcnb.sandbox.random_programs import random_program

    definition, truth = random_program(GENERATED)
    intake = next(s["custom_id"] for s in definition["statuses"] if s["name"] == truth.intake)
    definition["inquiries"] = {"status": intake, "rate": 0.4, "topics": [["Bitte Lageplan nachreichen.", "Erledigt."]]}
    path = tmp_path / "generated.yaml"
    path.write_text(yaml.safe_dump(definition, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with Workspace.sandbox(projects=500, seed=GENERATED, program=str(path), end=END) as ws:
        session = Session()
        session.workspace = ws
        run(parse("sync"), session)
        assert ws.profile.roles.completion == truth.completion
        for name in CHARTS:
            if name == "sla":  # a generated program has no tariff: the chart says how to set one
                with pytest.raises(Exception, match="no deadlines"):
                    run(parse("chart sla"), session)
                run(parse(f"profile set \"deadlines.{truth.intake}\" 10"), session)
            fig = run(parse(f"chart {name}"), session)
            assert _has_data(fig.to_plotly_json()), name
            assert "outcomes guessed, not confirmed" in fig.layout.title.text, name


def test_the_generated_program_file_is_the_generators():
    """tests/programs/random_100044.yaml is what the random generator makes for its seed (not edited)."""
    import yaml

    from pcnb.sandbox.random_programs import random_program

    assert yaml.safe_load(Path(GENERATED_FILE).read_text(encoding="utf-8")) == random_program(GENERATED)[0]
