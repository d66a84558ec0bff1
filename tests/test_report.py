"""Reports: secrets never saved, secret-looking parameters refused, demo produces real charts."""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from pcnb.report import ReportError, check_parameters, run_report, scrub
from tests.conftest import parameters_notebook

SECRET = "s3cr3t-" + "Zq9XwV8tY7uR6"
NOTEBOOKS = ("01_getting_started", "02_pipeline_throughput", "03_time_in_status", "04_inquiry_backlog")


def test_secret_parameters_refused():
    with pytest.raises(ReportError, match="looks like a secret"):
        check_parameters({"client_secret": "x"})
    with pytest.raises(ReportError):
        check_parameters({"API_KEY": "x"})
    check_parameters({"program": "DGI", "as_of": "2026-01-01"})


@pytest.mark.slow
def test_report_with_credentials_in_env_contains_none(tmp_path, monkeypatch):
    monkeypatch.setenv("PCNB_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("PCNB_API_KEY", "apikey-" + "77aa88bb99cc")
    nb = parameters_notebook(tmp_path / "ok.ipynb",
                             "import os\nprint('client id set:', 'PCNB_CLIENT_SECRET' in os.environ)",
                             "import plotly.graph_objects as go, plotly.io as pio\npio.renderers.default='notebook'\n"
             "go.Figure(go.Bar(x=[1, 2], y=[3, 4]))")
    out = run_report(nb, tmp_path / "out" / "ok.html", {"label": "hello"}, with_code=True)  # keeps printed lines
    html, ipynb = out.read_text(), out.with_suffix(".ipynb").read_text()
    for secret in (SECRET, "apikey-77aa88bb99cc"):
        assert secret not in html and secret not in ipynb
    assert "client id set: True" in html and "plotly" in html


def test_printed_secret_is_masked(tmp_path, monkeypatch):
    monkeypatch.setenv("PCNB_CLIENT_SECRET", SECRET)
    nb = parameters_notebook(tmp_path / "print.ipynb", "import os\nprint(os.environ['PCNB_CLIENT_SECRET'])")
    out = run_report(nb, tmp_path / "out" / "print.html", with_code=True)
    assert SECRET not in out.read_text() and "***" in out.read_text()
    assert SECRET not in out.with_suffix(".ipynb").read_text()


def test_unmaskable_leak_is_refused_and_nothing_written(tmp_path, monkeypatch):
    """A secret as a JSON output's key is not rewritten (keys name data): the run is refused. Its
    values are masked like every other string of the notebook."""
    monkeypatch.setenv("PCNB_CLIENT_SECRET", SECRET)
    nb = parameters_notebook(tmp_path / "leak.ipynb", "import os\nfrom IPython.display import JSON\n"
             "JSON({'nested': {os.environ['PCNB_CLIENT_SECRET']: 'value'}})")
    with pytest.raises(ReportError, match="would overwrite"):
        run_report(nb, tmp_path / "leak.html")  # the executed .ipynb would replace the source notebook
    with pytest.raises(ReportError, match="nothing was written"):
        run_report(nb, tmp_path / "out" / "leak.html")
    assert not (tmp_path / "out").exists()
    values = parameters_notebook(tmp_path / "values.ipynb", "import os\nfrom IPython.display import JSON\n"
                                 "JSON({'nested': {'value': os.environ['PCNB_CLIENT_SECRET']}})")
    out = run_report(values, tmp_path / "out" / "values.html")
    executed = nbformat.read(out.with_suffix(".ipynb"), as_version=4)
    shown = [c for c in executed.cells if c.get("outputs")]  # the report's appendix cell showed nothing here
    assert shown[-1].outputs[0]["data"]["application/json"] == {"nested": {"value": "***"}}


def test_scrub_removes_widget_state_and_masks_injected_secrets():
    nb = new_notebook()
    nb.metadata["widgets"] = {"state": {"x": {"value": SECRET}}}
    cell = new_code_cell(f"token = '{SECRET}'", metadata={"tags": ["injected-parameters"]})
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": "abc"}, "text/plain": f"tok {SECRET}"})]
    nb.cells = [cell]
    clean = scrub(nb, [SECRET])
    text = nbformat.writes(clean)
    assert SECRET not in text and "widget-view" not in text and "widgets" not in clean.metadata


def test_missing_notebook_is_a_clear_error(tmp_path):
    with pytest.raises(ReportError, match="does not exist"):
        run_report(tmp_path / "nope.ipynb")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`pcnb demo` run once for the module: the tests below check different things about its reports
    (notebooks 01-04 executed once, not once per test)."""
    out = tmp_path_factory.mktemp("demo")
    res = subprocess.run([sys.executable, "-m", "pcnb.cli", "demo", "-o", str(out), "--projects", "600"],
                         capture_output=True, text=True, timeout=600)
    return out, res


@pytest.mark.slow
def test_demo_writes_four_reports_with_charts(demo):
    tmp_path, res = demo
    assert res.returncode == 0, res.stderr[-2000:]
    # only its own progress lines: no kernel transport warning, no papermill parser noise
    assert res.stderr == ""
    lines = res.stdout.splitlines()
    assert lines[0].startswith("sandbox: 600 synthetic projects at http://127.0.0.1:")
    assert [line.split("/")[-1].split(" (")[0] for line in lines[1:5]] == [f"{n}.html" for n in NOTEBOOKS[:4]]
    assert all(re.search(r"\.html \(\d+ s\)$", line) for line in lines[1:5])  # each report's own time
    assert all(line.startswith(f"  wrote {tmp_path}") for line in lines[1:5])
    assert re.fullmatch(r"demo done in \d+s: 4 reports in .*, [\d,]+ API operations served, no credentials needed",
                        lines[5]) and len(lines) == 6
    for name in NOTEBOOKS[:4]:
        html = (tmp_path / f"{name}.html").read_text()
        executed = nbformat.read(tmp_path / f"{name}.ipynb", as_version=4)
        errors = [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors and "Traceback" not in html
        assert "application/vnd.jupyter.widget-view+json" not in html
        streams = [o.get("text", "") for c in executed.cells for o in c.get("outputs", []) if o.output_type == "stream"
                   and o.get("name") == "stderr"]
        assert not [t for t in streams if "Warning" in t or "WARNING" in t], streams
    charts_html = (tmp_path / "03_time_in_status.html").read_text()
    assert "Plotly.newPlot" in charts_html and "as of " in charts_html and "n = " in charts_html
    # plotly.js is embedded exactly once, compressed (its 4.8 MB would be most of the file), and no
    # script is loaded from a plotly CDN
    assert charts_html.count("plotly.js v") == 1 and charts_html.count('id="pcnb-plotly-gz"') == 1
    assert "/**\n* plotly.js v" not in charts_html and len(charts_html.encode()) < 3_000_000  # not the raw bundle
    assert charts_html.count("/* itables bundle, gzip + base64") == 1  # the grids' bundle compressed too
    assert not re.search(r'<script[^>]+src="[^"]*(plot\.ly|plotly)[^"]*"', charts_html)


@pytest.mark.slow
def test_exported_html_renders_plots_offline_in_chromium(tmp_path):
    """Headless Chromium (Debian's, installed by .ci/run) renders the plotly DOM from the file alone."""
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    nb = parameters_notebook(tmp_path / "plot.ipynb", "import plotly.graph_objects as go, plotly.io as pio\n"
             "pio.renderers.default = 'plotly_mimetype+notebook'\n"
             "go.Figure(go.Bar(x=['a', 'b'], y=[3, 4]), layout_title_text='rendered offline')")
    out = run_report(nb, tmp_path / "out" / "plot.html")
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={tmp_path / 'chrome'}", "--virtual-time-budget=8000", "--dump-dom",
                          out.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert "main-svg" in dom and "rendered offline" in dom


def test_unknown_and_malformed_parameters_are_refused_before_execution(tmp_path):
    marker = tmp_path / "ran"
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [new_code_cell('start_date = "2024-01-01"\nas_of = ""\nlimit = 5\nverbose = False',
                              metadata={"tags": ["parameters"]}),
                new_code_cell(f"open({str(marker)!r}, 'w').write(str((start_date, limit, verbose)))")]
    nbformat.write(nb, tmp_path / "p.ipynb")
    cases = [({"start_dat": "2025-01-01"}, r"no parameter 'start_dat' \(did you mean 'start_date'\?\)"),
             ({"start_date": "2025-13-01"}, r"start_date = '2025-13-01' is not a valid ISO date"),
             ({"as_of": "yesterday"}, r"as_of = 'yesterday' is not a valid ISO date"),
             ({"limit": "five"}, r"limit = 'five' must be a number"),
             ({"verbose": "yes"}, r"verbose = 'yes' must be true or false")]
    for params, message in cases:
        with pytest.raises(ReportError, match=message):
            run_report(tmp_path / "p.ipynb", tmp_path / "out" / "p.html", params)
    assert not marker.exists() and not (tmp_path / "out").exists()
    run_report(tmp_path / "p.ipynb", tmp_path / "out" / "p.html",
               {"start_date": "2025-02-03", "limit": "7", "verbose": "true"})
    assert marker.read_text() == "('2025-02-03', 7, True)"


def test_failed_run_writes_only_a_scrubbed_notebook(tmp_path, monkeypatch):
    monkeypatch.setenv("PCNB_CLIENT_SECRET", SECRET)
    nb = parameters_notebook(tmp_path / "fail.ipynb", "import os\nprint(os.environ['PCNB_CLIENT_SECRET'])", "1 / 0")
    with pytest.raises(ReportError, match="failed in cell 3: ZeroDivisionError"):
        run_report(nb, tmp_path / "out" / "fail.html")
    executed = (tmp_path / "out" / "fail.ipynb").read_text()
    assert SECRET not in executed and "***" in executed and "ZeroDivisionError" in executed
    assert not (tmp_path / "out" / "fail.html").exists()
    leak = parameters_notebook(tmp_path / "leak2.ipynb", "import os\nfrom IPython.display import JSON\n"
               "JSON({os.environ['PCNB_CLIENT_SECRET']: 'v'})", "1 / 0")
    with pytest.raises(ReportError, match="nothing was written"):
        run_report(leak, tmp_path / "out2" / "leak2.html")
    assert not (tmp_path / "out2").exists()


def test_a_kernel_that_cannot_start_is_a_clear_error(tmp_path, monkeypatch):
    """A broken kernel (here: its python exits at once) gives a one-line error, not a traceback."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec_dir = tmp_path / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text('{"argv": ["' + sys.executable + '", "-c", "import sys; '
                                          'sys.stderr.write(\\"no kernel here\\\\n\\"); sys.exit(3)"], '
                                          '"display_name": "broken", "language": "python"}')
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setattr(KernelSpecManager, "ensure_native_kernel", False)
    nb = parameters_notebook(tmp_path / "k.ipynb", "1 + 1")
    with pytest.raises(ReportError, match="could not run") as err:
        run_report(nb, tmp_path / "out" / "k.html", timeout=30)
    assert "no kernel here" in str(err.value) and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_report_mode_reads_like_a_report_offline_and_as_pdf(demo, tmp_path):
    """Notebook 03 as a manager gets it (the demo's report): no code, title block and key figures first,
    no request to any host when opened (headless Chromium via Playwright), and a PDF whose first page
    renders."""
    import shutil

    from pcnb.frameview import reads_as_figures
    from pcnb.reportview import remote_references, to_pdf

    browser = shutil.which("chromium")
    if browser is None or shutil.which("pdftoppm") is None:
        pytest.skip("chromium and poppler-utils are installed by .ci/run")
    out = demo[0] / "03_time_in_status.html"
    assert demo[1].returncode == 0, demo[1].stderr[-2000:]
    page = out.read_text()
    assert 'jp-InputArea-editor"' not in page and "Workspace.open" not in page  # no code cells
    # the answer in sentences (pcnb.headlines) comes right after the title block, before any chart
    assert page.index("pcnb-title") < page.index("In short") < page.index(": a median of ") < page.index(
        "Plotly.newPlot")
    assert "from January 1, 2024" in page and "(local)" not in page
    assert "<title>Time in status and SLA compliance</title>" in page  # the PDF's title too, not "Notebook"
    assert "&quot;" not in page.split("<body")[1].split("<script")[0]
    assert "synced 20" in page and "just now" not in page and " ago)" not in page  # read later, when forwarded
    assert remote_references(page) == [] and page.count("plotly.js v") == 1
    assert not re.search(r"cdnjs|jsdelivr|unpkg|cdn\.plot\.ly", page)  # not even a dormant CDN import

    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chrome = pw.chromium.launch(executable_path=browser, args=["--no-sandbox", "--disable-gpu",
                                                                   "--disable-background-networking"])
        tab = chrome.new_page()
        requests_seen: list[str] = []
        tab.on("request", lambda r: requests_seen.append(r.url))
        page_errors: list[str] = []
        tab.on("pageerror", lambda e: page_errors.append(str(e)))
        tab.goto(out.as_uri())
        tab.wait_for_selector(".main-svg", timeout=30_000)  # plotly drew the charts from the embedded bundle
        # the tables under the charts are DataTables grids, initialised from the bundle embedded once (pcnb.grids)
        tab.wait_for_selector("table.dataTable", timeout=30_000)
        assert tab.locator("table.dataTable").count() == page.count("new ITable(") >= 2
        assert tab.locator(".pcnb-title").count() == 1 and tab.locator("pre code, .jp-InputArea-editor").count() == 0
        # names read from the left, figures line up on the right: polars' tables and the grids alike
        tables = tab.evaluate("() => [...document.querySelectorAll('table.dataframe, table.dataTable')].map("
                              "t => [...t.querySelectorAll('tbody tr')].map(r => [...r.children].map("
                              "c => [getComputedStyle(c).textAlign, c.textContent.trim()])))")
        columns = [[row[i] for row in rows if len(row) > i] for rows in tables for i in range(len(rows[0]))]
        assert len(tables) >= 4 and len(columns) >= 30
        misaligned = [col for col in columns if any((align in ("right", "end")) != reads_as_figures(
            [text for _, text in col]) for align, _ in col)]
        assert misaligned == []
        figures = page.count("window.pcnbPlotly.then(")
        tab.wait_for_function(f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {figures}")
        assert figures >= 3 and page_errors == []  # every chart drawn from the compressed bundle
        chrome.close()
    assert [u for u in requests_seen if not u.startswith(("file:", "data:", "blob:"))] == []

    pdf = to_pdf(out, tmp_path / "tis.pdf")
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True)
    png = tmp_path / "p-1.png" if (tmp_path / "p-1.png").exists() else tmp_path / "p-01.png"
    assert png.stat().st_size > 5_000  # a page with text on it, not a blank sheet

    small = parameters_notebook(tmp_path / "small.ipynb", "import plotly.graph_objects as go, plotly.io as pio\n"
                "pio.renderers.default = 'plotly_mimetype+notebook'\ngo.Figure(go.Bar(x=['a'], y=[1]))")
    code = run_report(small, tmp_path / "c" / "small.html", with_code=True).read_text()
    assert 'jp-InputArea-editor"' in code and remote_references(code) == []  # --with-code keeps the code


@pytest.mark.slow
def test_pdf_of_a_grid_holds_all_its_rows(tmp_path):
    """Red team: a grid (the table under a chart, the bottleneck table) pages at 25 rows; printed or --pdf, only
    page 1 is on paper ("Showing 1 to 25 of 60 entries"): a manager's PDF silently lacks the other rows."""
    import shutil

    import polars as pl

    from pcnb import grids
    from pcnb.reportview import render, to_pdf

    if not (shutil.which("chromium") and shutil.which("pdftotext")):
        pytest.skip("chromium and poppler-utils are installed by .ci/run")
    df = pl.DataFrame({"From": [f"Status {i:02d}" for i in range(60)], "n": list(range(60))})
    grids._state["carrier"] = None  # this grid carries the DataTables bundle, as the first of a report does
    out = nbformat.v4.new_output("display_data", data={"text/html": grids.grid_html(df, "Transitions"),
                                                       "text/plain": "grid"})
    nb = new_notebook(cells=[nbformat.v4.new_markdown_cell("# Grid"), new_code_cell("g", outputs=[out])])
    page = tmp_path / "g.html"
    page.write_text(render(nb))
    to_pdf(page, tmp_path / "g.pdf")
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "g.pdf"), "-"], capture_output=True, text=True).stdout
    assert all(f"Status {i:02d}" in text for i in range(60))


def test_report_tables_align_names_left_and_figures_right():
    """polars right-aligns every cell; a manager's table holds its figures as text, so each column is
    judged by what its cells say: names left (with their header), figures right."""
    import polars as pl

    from pcnb.reportview import WORDS_CLASS, tidy_tables

    frame = pl.DataFrame({"Status": ["Application Review", "Inspection Pending"], "Finished": ["1,920", "-"],
                          "Missed": ["17%", "43%"], "Note": ["", "too few to state these figures"]})
    with pl.Config(tbl_hide_column_data_types=True, fmt_str_lengths=200):  # as a report sets it
        page = tidy_tables("<body>" + frame._repr_html_() + "</body>")
    cells = re.findall(r"<(t[hd])( class=\"[^\"]+\")?>([^<]*)</t[hd]>", page)
    words = {text for _, cls, text in cells if WORDS_CLASS in cls}
    assert words == {"Status", "Application Review", "Inspection Pending", "Note", "",
                     "too few to state these figures"}
    assert all(WORDS_CLASS not in cls for _, cls, text in cells if text in ("Finished", "1,920", "17%", "-"))


def test_a_sections_heading_goes_into_the_cell_it_introduces():
    """On paper a break between two cells stranded a heading at the foot of a page, its chart on the
    next: in report mode a markdown cell becomes the first output of the code cell after it (kept whole
    with its chart), the title cell and captions before another caption stay as they are."""
    from nbformat.v4 import new_markdown_cell, new_output

    from pcnb.reportview import _captions_with_outputs

    nb = new_notebook(cells=[new_markdown_cell("# Title"), new_markdown_cell("## A"), new_markdown_cell("## B"),
                             new_code_cell("chart()", outputs=[new_output("display_data", data={"text/html": "c"})]),
                             new_markdown_cell("## C"), new_code_cell("nothing()")])
    nb.cells[0].source = "# Title"
    out = _captions_with_outputs(nb)
    assert [c.cell_type for c in out.cells] == ["markdown", "markdown", "code", "markdown"]
    assert out.cells[2].outputs[0]["data"] == {"text/markdown": "## B"} and len(out.cells[2].outputs) == 2
    assert out.cells[3].source == "## C"  # a code cell with nothing to show takes no caption (and goes)


def test_a_cell_that_shows_nothing_does_not_part_a_caption_from_its_chart():
    """Notebook 02's summary cell: its output goes to the front, and the empty cell left between the
    section's caption and its chart let a page break fall there (the caption at the foot of page 2,
    its chart alone on page 3)."""
    from nbformat.v4 import new_markdown_cell, new_output

    from pcnb.reportview import _captions_with_outputs

    chart = new_output("display_data", data={"text/html": "c"})
    nb = new_notebook(cells=[new_markdown_cell("# Title"), new_markdown_cell("## Arrivals"),
                             new_code_cell("in_short()"), new_code_cell("chart()", outputs=[chart])])
    out = _captions_with_outputs(nb)
    assert [c.cell_type for c in out.cells] == ["markdown", "code"]
    assert out.cells[1].outputs[0]["data"] == {"text/markdown": "## Arrivals"} and out.cells[1].outputs[1] == chart
