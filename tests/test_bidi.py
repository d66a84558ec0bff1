"""Issue #25, item 4: a right-to-left override (or any embedding/isolate control) in a name the
program defines -- a status, a choice, the program itself -- is shown as its code point in every
output: charts, grids, widgets, the terminal, the magic and reports. The sandbox serves a program
whose names hold them; nothing here is faked."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from pcnb.sandbox import running
from tests.conftest import END, FAST, parameters_notebook

RLO, LRI, PDI = "\u202e", "\u2066", "\u2069"
STATUS = f"Application {RLO}weiveR"  # would render "Application Review" reversed: a spoofed label
CHOICE = f"Solar {LRI}PV{PDI}"
PROGRAM = f"DG {RLO}Interconnection"


_RAW = r"[\u202a-\u202e\u2066-\u2069]"
_ENTITY = r"&#(?:x20(?:2[a-e]|6[6-9])|82(?:3[4-8]|9[4-7]));"
_ESCAPED = r"\\u20(?:2[a-e]|6[6-9])"


def raw_controls(text: str) -> list[str]:
    """Control characters a viewer would obey: raw or as HTML entities anywhere, JSON/JS-escaped
    (\\u202e) inside scripts (plotly's and itables' data); elsewhere an escape is inert text."""
    scripts = " ".join(re.findall(r"<script[^>]*>(.*?)</script>", text, re.S | re.I))
    return (re.findall(_RAW, text) + re.findall(_ENTITY, text, re.I)
            + re.findall(_ESCAPED, scripts if "<script" in text.lower() else text, re.I))


@pytest.fixture(scope="module")
def spoofed(tmp_path_factory):
    """A sandbox whose program, a status and a choice carry bidi controls."""
    from pcnb.sandbox.definition import builtin_path

    text = builtin_path("residential").read_text()
    text = text.replace("name: Distributed Generation Interconnection", f'name: "{PROGRAM}"')
    text = text.replace("name: Application Review", f'name: "{STATUS}"')
    text = text.replace("choices: [Solar PV,", f'choices: ["{CHOICE}",')
    folder = tmp_path_factory.mktemp("bidi")
    (folder / "spoofed.yaml").write_text(text, encoding="utf-8")
    with running(projects=60, seed=4, rate_limit=FAST, end=END, program=str(folder / "spoofed.yaml")) as sb:
        yield sb, folder


@pytest.fixture(scope="module")
def ws(spoofed):
    from pcnb.workspace import Workspace

    sb, folder = spoofed
    w = Workspace.from_connection(sb.write_connection(folder / "sandbox.json"), store_path=folder / "s.sqlite")
    w.sync(progress=False, forms=("APPLICATION",))
    assert STATUS in w.status_events()["status"].cast(str).to_list()  # the data keeps the program's names
    yield w
    w.close()


def test_every_chart_shows_the_code_point(ws):
    from pcnb.commands import Session, parse, run
    from pcnb.commands.chart import CHARTS

    session = Session(workspace=ws)
    for name in CHARTS:
        text = run(parse(f"chart {name}"), session).to_json()
        assert not raw_controls(text), (name, raw_controls(text)[:3])
        if name in ("cfd", "time-in-status", "aging", "bottlenecks"):  # the charts that draw every status
            assert "Application [U+202E]weiveR" in text, name


def test_grids_terminal_tables_and_the_magic_show_the_code_point(ws):
    from pcnb.grids import Grid, grid_html
    from pcnb.magics import PowerClerkMagic

    frame = ws.projects()
    assert STATUS in frame["status"].cast(str).to_list()
    for text in (grid_html(frame), repr(Grid(frame, caption=f"by {STATUS}")),
                 repr(PowerClerkMagic._show(frame.select("status"), 5)),
                 PowerClerkMagic._show(frame, 0)._repr_html_()):
        assert not raw_controls(text) and "[U+202E]" in text, text[:200]


def test_widgets_label_with_the_code_point_and_keep_the_name_as_value(ws):
    from pcnb.widgets.browser import ProjectBrowser

    browser = ProjectBrowser(ws)
    labels = {label: value for label, value in browser.status.options}
    assert labels["Application [U+202E]weiveR"] == STATUS
    assert not [label for label in labels if raw_controls(label)]
    browser.status.value = STATUS  # filtering uses the program's own name
    assert browser.rows.options and all("[U+202E]" in label and not raw_controls(label)
                                        for label, _ in browser.rows.options)
    assert not raw_controls(json.dumps([o for o, _ in browser.to_status.options]))


def test_terminal_commands_show_the_code_point(spoofed, monkeypatch, capsys, tmp_path):
    from pcnb.cli import main

    sb, folder = spoofed
    monkeypatch.setenv("PCNB_SANDBOX_CONNECTION", str(sb.write_connection(tmp_path / "sb.json")))
    monkeypatch.setenv("PCNB_STORE_PATH", str(tmp_path / "t.sqlite"))
    assert main(["sync"]) == 0
    assert main(["projects", "--status", STATUS]) == 0
    out = capsys.readouterr().out
    assert "[U+202E" in out and not raw_controls(out), out[-500:]  # the table may wrap the name in its cell


@pytest.mark.slow  # a whole report run
def test_a_report_shows_the_code_point_in_its_html_and_notebook(spoofed, monkeypatch, tmp_path):
    from pcnb.report import run_report

    sb, folder = spoofed
    monkeypatch.setenv("PCNB_SANDBOX_CONNECTION", str(sb.write_connection(tmp_path / "sb.json")))
    monkeypatch.setenv("PCNB_STORE_PATH", str(tmp_path / "r.sqlite"))
    nb = parameters_notebook(
        tmp_path / "bidi.ipynb",
        "from pcnb import clock, reportview\nfrom pcnb.workspace import Workspace\n"
        "ws = Workspace.open()\nws.sync(progress=False)\nreportview.title_block(ws, clock.now(), 'Spoof check')",
        "import polars as pl\nws.status_events().group_by('status').len().sort('status')",
        "print(sorted(set(ws.status_events()['status'].cast(str))))")
    out = run_report(nb, tmp_path / "out" / "bidi.html", with_code=True)
    html = out.read_text()
    assert not raw_controls(html), raw_controls(html)[:3]
    assert "Application [U+202E]weiveR" in html and "DG [U+202E]Interconnection" in html
    outputs = json.dumps([c.get("outputs", []) for c in nbformat.read(out.with_suffix(".ipynb"), as_version=4).cells],
                         ensure_ascii=False)  # the notebook's outputs as a viewer reads them: parsed
    assert not re.findall(_RAW, outputs) and "Application [U+202E]weiveR" in outputs
