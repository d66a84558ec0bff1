"""What a manager reads: an executed notebook rendered as a report, not as a notebook.

Report mode (the default of ``pcnb report``): no code cells, no prompts, no log lines; a title block
(program, environment, as of, data freshness, counts) and a summary of key figures up front (cells
display them with :func:`title_block` and :func:`summary`, wherever they run); tables without dtype
rows or quoted strings, rounded, with readable headers; the notebook's markdown as captions.
``with_code=True`` keeps the code for analysts. Either way the file is self-contained: plotly.js is
embedded once, and every script or stylesheet a CDN would serve (require.js, MathJax) is removed,
so opening the report makes no network request.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import nbformat

from pcnb import clock
from pcnb.bidi import visible
from pcnb.chartkit import zone_words
from pcnb.frameview import reads_as_figures
from pcnb.reportout import GENERATOR
from pcnb.reportpack import compact
from pcnb.reportprint import PRINT_ALL_ROWS, fit_charts

TITLE_CLASS, SUMMARY_CLASS, IN_SHORT_CLASS = "pcnb-title", "pcnb-summary", "pcnb-in-short"
SETUP_TAG, APPENDIX_TAG = "pcnb-report-setup", "pcnb-report-appendix"
#: the class of pcnb.appendix's reference beneath a chart ("table A1 in the appendix")
REFERENCE_CLASS = "pcnb-appendix-ref"
#: Run last in report mode: the tables behind the charts, after the last section (pcnb.appendix)
APPENDIX_CELL = "import pcnb.appendix as _appendix\n_appendix.show()\ndel _appendix"
#: Run first in report mode (and removed afterwards): tables a reader can read.
TABLE_SETUP = ("import polars as _pl\n_pl.Config.set_tbl_hide_column_data_types(True)\n"
               "_pl.Config.set_tbl_hide_dataframe_shape(True)\n_pl.Config.set_float_precision(2)\n"
               "_pl.Config.set_fmt_str_lengths(200)\n_pl.Config.set_tbl_rows(25)\ndel _pl\n"  # whole sentences, no cut
               "import pcnb.reportview as _rv\n_rv.PRINTED = True\ndel _rv")
#: True in a report's kernel (TABLE_SETUP): a page read later says when the data was synced, not "just now"
PRINTED = False
STYLE = ("<style>.pcnb-title{border-bottom:2px solid #345;margin:0 0 1em}.pcnb-title h1{margin:.2em 0}"
         ".pcnb-title dl{display:grid;grid-template-columns:max-content auto;gap:.15em 1em;margin:.5em 0}"
         ".pcnb-title dt{color:#555;white-space:nowrap}"
         ".pcnb-summary{background:#f4f7fa;border-left:4px solid #345;padding:.5em 1em;margin:0 0 1.5em}"
         ".pcnb-summary td{padding:.1em 1em .1em 0}.pcnb-summary td.v{font-weight:bold}"
         ".pcnb-in-short{font-size:1.15em;line-height:1.45;margin:0 0 1.2em}.pcnb-in-short p{margin:.35em 0}"
         # names read from the left, figures line up on the right (pcnb.reportview.tidy_tables)
         ".jp-RenderedHTMLCommon table.dataframe .pcnb-words{text-align:left}.dataframe thead th{vertical-align:bottom}"
         # a figure and a name on one line ("1,699 of\n1,931" wrapped); only long text wraps
         ".dataframe td.pcnb-name,.dataframe td:not(.pcnb-words){white-space:nowrap}"
         # on paper (--pdf, or the browser's print): landscape Letter, no chart toolbar, wide tables in
         # smaller type instead of cut off behind a scroll bar
         "@media print{@page{size:letter landscape;margin:12mm}.modebar-container{display:none!important}"
         ".jp-OutputArea-output,.jp-RenderedHTMLCommon{overflow:visible!important}"
         ".jp-RenderedHTMLCommon table{font-size:8.5pt}.jp-RenderedHTMLCommon td,.jp-RenderedHTMLCommon th"
         "{padding:1px 4px}.jp-RenderedHTMLCommon .pcnb-summary table{font-size:11pt}"
         # a heading stays with what it introduces, and a chart with its caption, on one page
         "h1,h2,h3,.jp-MarkdownCell,.jp-OutputArea-child:has(h1,h2,h3){break-after:avoid}"
         # a chart's cell (its heading and caption with it) never splits; a long table may, rather than
         # leave a page blank
         # (not a cell that holds a table too: taller than a page, it was moved whole and left one blank)
         ".jp-MarkdownCell,.jp-Cell:has(.js-plotly-plot):not(:has(table)),.jp-OutputArea-child:has(.js-plotly-plot)"
         "{break-inside:avoid}"
         # at 9/10 of their screen size a chart and its heading share a page (a tall one left its heading
         # alone on the page before); 4/5 printed its small type at 6-8 pt and left a third of the page blank
         # (a chart too tall to share a page with its heading and caption is made shorter: pcnb.reportprint)
         ".jp-OutputArea-child:has(.js-plotly-plot) .jp-OutputArea-output{zoom:0.9}"
         # a table's caption stays with it; a grid's caption above it, as the other tables'; the appendix's
         # heading with its first table (pcnb.appendix)
         ".pcnb-appendix{break-after:avoid;margin-top:1.2em}.pcnb-appendix-ref{color:#555;margin:.2em 0 0}"
         ".pcnb-table-caption{break-after:avoid;margin:.6em 0 .2em;font-size:10pt}"
         ".jp-RenderedHTMLCommon table.dataTable caption{caption-side:top!important;font-size:10pt;"
         "text-align:left;font-weight:bold}"
         # a grid's rows as tight as the other tables' (DataTables pads "compact" cells 4px)
         "table.dataTable.compact tbody td,table.dataTable.compact thead th{padding:1px 4px!important}"
         # tables on paper: no sort arrows in their headers
         ".dt-column-order,table.dataTable thead th:before,table.dataTable thead th:after{display:none!important}"
         # page 1 holds the title block and the answer in short together
         ".pcnb-in-short{font-size:.95em;line-height:1.3}.pcnb-title dl{margin:.3em 0}"
         ".pcnb-title{font-size:.85em}"
         # JupyterLab keeps every output whole on paper (break-inside:avoid-page): an answer too long for
         # what page 1 has left moved whole to page 2 and left page 1 a title block; it may break between
         # its sentences instead; the line saying where the figures are never alone on a page (it was, on page 2)
         ".jp-OutputArea-child:has(.pcnb-in-short){break-inside:auto!important}"
         # and in blocks, not JupyterLab's flex boxes: Chromium moved a box that fitted page 1 but for its last
         # line or its padding whole to page 2 from inside them (tried: overflow, paddings; only this held)
         ".jp-Cell:has(.pcnb-in-short),.jp-Cell:has(.pcnb-in-short) .jp-Cell-outputWrapper,"
         ".jp-OutputArea:has(.pcnb-in-short),.jp-OutputArea-child:has(.pcnb-in-short),"
         ".jp-OutputArea-output:has(.pcnb-in-short){display:block!important;box-sizing:border-box}"
         ".pcnb-in-short p{break-inside:avoid}"
         ".pcnb-in-short-ref{break-before:avoid}"
         # a grid prints as the static table it holds: no search box, filters, page menu or "Showing 1 to"
         ".dt-search,.dt-length,.dt-info,.dt-paging,.dataTables_filter,.dataTables_length,.dataTables_info,"
         ".dataTables_paginate,.dt-layout-row:has(.dt-search),tfoot{display:none!important}}</style>")


class _Html:
    """Displays as HTML in any front end (and as text in a terminal)."""

    def __init__(self, markup: str, text: str):
        self.markup, self.text = markup, text

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:
        return self.text


#: the environment as the report's reader takes it (a manager asked "is this real data?")
ENVIRONMENT_WORDS = {"sandbox": "sandbox: generated demonstration data, not a real program",
                     "trial": "PowerClerk trial site: test data", "production": "production: the program's live data"}


def title_block(ws: Any, as_of: datetime, title: str = "", relative: bool = True, **extra: object) -> _Html:
    """Program, environment, as of, data freshness and counts: the report's header. ``relative=False``
    leaves out how long ago the data was synced (it depends on when the page is made: a compliance
    pack's report must render the same at any time); so does every report (``PRINTED``): "just now"
    is wrong by the time a forwarded page is read."""
    prof = ws.profile
    health = ws.health() if relative and not PRINTED else dataclasses.replace(ws.health(), now=None)
    rows = {"Program": prof.program_name or ws.program,  # its id is the analyst's (ws.program), not a reader's
            "Environment": ENVIRONMENT_WORDS.get(ws.client.settings.environment, ws.client.settings.environment),
            # the zone as a reader says it ("Los Angeles time"), not its key ("America/Los_Angeles")
            "As of": f"{clock.local_time(as_of, prof.calendar.timezone)} ({zone_words(prof.calendar.timezone)})",
            "Data": str(health),
            "Projects / status changes": f"{ws.projects().height:,} / {ws.status_events().height:,}",
            **{k.replace("_", " ").capitalize(): str(v) for k, v in extra.items()}}
    caveats = ws.profile_caveats() if hasattr(ws, "profile_caveats") else []
    if caveats:  # every figure below rests on the profile: say what is guessed or passed over
        rows["Caveats"] = " · ".join(f"⚠ {c}" for c in caveats)
    rows = {visible(k): visible(v) for k, v in rows.items()}  # the program's name may hold bidi controls
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in rows.items())
    head = f"<h1>{html.escape(title)}</h1>" if title else ""
    return _Html(f"<div class='{TITLE_CLASS}'>{head}<dl>{items}</dl></div>",
                 "\n".join(f"{k}: {v}" for k, v in rows.items()))


def period_words(start: date, events: Any, timezone: str) -> str:
    """The title block's period: "from January 1, 2024", and the program's first status change where it
    came later (a reviewer read "since Jan 1, 2024" beside charts that begin in June 2024)."""
    said = f"from {start:%B} {start.day}, {start.year}"
    first = events["ts"].min() if events.height else None
    if first is None:
        return said
    day = first.astimezone(ZoneInfo(timezone)).date()
    return said + (f" (the first status change in the data: {day:%B} {day.day}, {day.year})" if day > start else "")


def summary(figures: Mapping[str, object], caption: str = "Key figures") -> _Html:
    """A short box of key figures; the report puts every summary right under the title block."""
    shown = {visible(k): visible(_fmt(v)) for k, v in figures.items()}  # keys may be status names
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td class='v'>{html.escape(v)}</td></tr>"
                   for k, v in shown.items())
    return _Html(f"<div class='{SUMMARY_CLASS}'><b>{html.escape(caption)}</b><table>{rows}</table></div>",
                 caption + "\n" + "\n".join(f"  {k}: {v}" for k, v in shown.items()))


def in_short(sentences: list[str], caption: str = "In short", figures: object = None) -> _Html:
    """The answer to the report's question in sentences (pcnb.headlines), right under the title block:
    what a manager reads before any chart. ``figures``: where the sentences' figures are, one or a
    list (pcnb.appendix.behind and pointer): in a report references to the appendix, said in one line
    last in the box; on screen a table itself, beneath it (a pointer on screen is None: left out)."""
    shown = [visible(s) for s in sentences]  # sentences carry status names
    body = "".join(f"<p>{html.escape(s)}</p>" for s in shown)
    text = caption + "\n" + "\n".join(f"  {s}" for s in shown)
    given: list[Any] = [f for f in (figures if isinstance(figures, list) else [figures]) if f is not None]
    refs = [f for f in given if callable(getattr(f, "text", None))]
    said = refs[0].text() if len(refs) == 1 else (
        "In the appendix: " + "; ".join(f"{r.what}, table {r.number}" for r in refs) + "." if refs else "")
    if said:  # not REFERENCE_CLASS, which a section's caption would take in
        body += f"<p class='{IN_SHORT_CLASS}-ref'><i>{html.escape(said)}</i></p>"
        text += f"\n  {said}"
    box = f"<div class='{IN_SHORT_CLASS} {SUMMARY_CLASS}'><b>{html.escape(caption)}</b>{body}</div>"
    tables = [f for f in given if f not in refs and callable(getattr(f, "_repr_html_", None))]
    return _Html(box + "".join(t._repr_html_() for t in tables),
                 "\n".join([text, *(repr(t) for t in tables)]))


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:,.1f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return "-" if v is None else str(v)


def prepare(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Before execution in report mode: a first, hidden cell that makes tables readable, and a last
    one that shows the appendix (its code hidden like every cell's)."""
    cell = nbformat.v4.new_code_cell(TABLE_SETUP, metadata={"tags": [SETUP_TAG]})
    cell.id = "pcnbsetup"
    last = nbformat.v4.new_code_cell(APPENDIX_CELL, metadata={"tags": [APPENDIX_TAG]})
    last.id = "pcnbappendix"
    nb.cells = [cell, *nb.cells, last]
    return nb


def render(nb: nbformat.NotebookNode, with_code: bool = False) -> str:
    """The executed notebook as one self-contained HTML page (report mode unless ``with_code``)."""
    from nbconvert import HTMLExporter

    nb.cells = [c for c in nb.cells if SETUP_TAG not in c.metadata.get("tags", [])]
    if not with_code:
        nb = _captions_with_outputs(_front_matter(nb))
        fit_charts(nb)  # a chart and its caption on one page
    exporter = HTMLExporter(template_name="lab", exclude_input=not with_code,
                            exclude_input_prompt=not with_code, exclude_output_prompt=not with_code)
    # the page's (and the PDF's) title: the notebook's first heading, not nbconvert's "Notebook"
    heading = next((line[2:].strip() for c in nb.cells if c.cell_type == "markdown"
                    for line in c.source.splitlines() if line.startswith("# ")), "pcnb report")
    page = stable_ids(compact(strip_remote(exporter.from_notebook_node(
        nb, resources={"metadata": {"name": heading}})[0])))
    page = re.sub(r"<head[^>]*>", lambda m: m.group(0) + GENERATOR, page, count=1)  # a later run may replace it
    page = page.replace("</body>", PRINT_ALL_ROWS + "</body>", 1)
    if not with_code:
        page = tidy_tables(page).replace("</head>", STYLE + "</head>", 1)
    return page


def _front_matter(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Title blocks and summaries go first (in that order); logs (stream outputs) and the
    parameters cells go; a notebook without a title block keeps its first heading as the title."""
    tops: list[tuple[int, Any]] = []
    for cell in nb.cells:
        kept = []
        for out in cell.get("outputs", []):
            markup = str(out.get("data", {}).get("text/html", ""))
            if TITLE_CLASS in markup or SUMMARY_CLASS in markup:
                tops.append((0 if TITLE_CLASS in markup else 1, out))
            elif out.get("output_type") != "stream":
                kept.append(out)
        cell["outputs"] = kept if cell.cell_type == "code" else cell.get("outputs", [])
    nb.cells = [c for c in nb.cells if not {"parameters", "injected-parameters"} & set(c.metadata.get("tags", []))]
    if tops:
        front = nbformat.v4.new_code_cell("", outputs=[out for _, out in sorted(tops, key=lambda t: t[0])])
        front.id = "pcnbfront"  # not a random id: the same notebook on the same data renders the same page
        first_md = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"), None)
        nb.cells.insert(0 if first_md is None else first_md + 1, front)
    return nb


#: the random element ids plotly (a UUID per chart) and the grids (pcnb_ + 12 hex) give their elements
_RANDOM_ID = re.compile(r"<(?:div|table)[^>]*\bid=\"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
                        r"|pcnb_[0-9a-f]{12})\"")


def stable_ids(page: str) -> str:
    """Number the charts' and grids' random element ids in order of appearance, so the same notebook
    on the same data renders byte for byte the same page (a compliance pack is reproduced, its
    manifest's hash too). Only ids that name an element are replaced: a UUID in the data stays."""
    ids = list(dict.fromkeys(_RANDOM_ID.findall(page)))
    if not ids:
        return page
    names = {old: f"pcnb-id-{i}" for i, old in enumerate(ids, 1)}
    return re.sub("|".join(map(re.escape, ids)), lambda m: names[m.group(0)], page)


def _captions_with_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Each markdown cell (a section's heading and caption) moved into the code cell it introduces,
    as that cell's first output: on paper a heading then stays on the page of its chart (a chart's
    cell is kept whole, pcnb.reportview.STYLE), where a break between two cells could strand it.
    Where the chart's figures are (pcnb.appendix's reference, displayed beneath it) ends the caption:
    beneath a chart that fills its page it was printed alone at the top of the next one."""
    cells: list[Any] = []
    for cell in nb.cells:
        if cell.cell_type == "code" and not cell.get("outputs"):
            continue  # shows nothing (code hidden, summary moved to the front): it parted a caption from its chart
        before = cells[-1] if cells else None
        if (cell.cell_type == "code" and cell.get("outputs") and before is not None
                and before.cell_type == "markdown" and before is not nb.cells[0]
                and APPENDIX_TAG not in cell.metadata.get("tags", [])):  # the appendix is no section's
            refs = [o for o in cell.outputs if REFERENCE_CLASS in str(o.get("data", {}).get("text/html", ""))]
            said = " ".join(f"*{o['data']['text/plain']}*" for o in refs)
            # the caption's last paragraph goes on (a line more would push the chart off its page); a heading
            # alone is followed by a paragraph of it
            last = (before.source.rstrip().splitlines() or [""])[-1]
            joint = "" if not said else "\n\n" if last.startswith("#") else " "
            caption = nbformat.v4.new_output("display_data", data={"text/markdown": before.source.rstrip() + joint
                                                                   + said})
            cell.outputs = [caption, *(o for o in cell.outputs if o not in refs)]
            cells[-1] = cell
            continue
        cells.append(cell)
    nb.cells = cells
    return nb


_REMOTE = re.compile(r"<script[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>|<link[^>]*\bhref=\"https?://[^\"]*\"[^>]*>",
                     re.I)


# nbconvert's lab template also carries a module that imports mermaid.js from a CDN when a diagram is on
# the page: none of ours has one, and no report should hold a CDN address at all
_REMOTE_IMPORT = re.compile(r"<script type=\"module\">(?:(?!</script>).)*?import\(\s*\"https?://.*?</script>", re.S)


def strip_remote(page: str) -> str:
    """Remove every script or stylesheet loaded from another host (CDNs): the report stays offline."""
    return _REMOTE_IMPORT.sub("", _REMOTE.sub("", page))


def remote_references(page: str) -> list[str]:
    """What in ``page`` a browser would fetch from another host (src/href of scripts, links, images)."""
    return re.findall(r"<(?:script|link|img|iframe)[^>]*\b(?:src|href)=\"(https?://[^\"]+)\"", page, re.I)


_TABLE = re.compile(r"(<table border=\"1\" class=\"dataframe\">)(.*?)(</table>)", re.S)
_ROW = re.compile(r"<tr>(.*?)</tr>", re.S)
_CELL = re.compile(r"<(td|th)>(.*?)</\1>", re.S)
WORDS_CLASS, NAME_CLASS = "pcnb-words", "pcnb-name"
NAME_LENGTH = 32  # characters: a status's or an installer's name, kept on one line


def tidy_tables(page: str) -> str:
    """polars' HTML tables for readers: no quotes around strings, headers with spaces, not underscores,
    and columns of words aligned left (polars aligns every cell right; a manager's table holds its
    figures as text, so each column is judged by what its cells say: pcnb.frameview.reads_as_figures)."""
    page = re.sub(r"<td>(?:&quot;|\")([^<]*?)(?:&quot;|\")</td>", r"<td>\1</td>", page)
    page = re.sub(r"<th>([^<]*)</th>", lambda m: "<th>" + m.group(1).replace("_", " ") + "</th>", page)
    return _TABLE.sub(_words_left, page)


def _words_left(table: re.Match[str]) -> str:
    body = table.group(2)
    rows = [_CELL.findall(row) for row in _ROW.findall(body.split("<tbody>", 1)[-1])] if "<tbody>" in body else []
    width = max((len(r) for r in rows), default=0)
    columns = [[html.unescape(r[i][1]) for r in rows if len(r) > i and r[i][1] != "…"] for i in range(width)]
    words = {i for i, cells in enumerate(columns) if not reads_as_figures(cells)}
    # a name (a status's, an owner's) on one line; only long text (a note, a reason) wraps
    names = {i for i in words if max((len(c) for c in columns[i]), default=0) <= NAME_LENGTH}

    def cls(i: int) -> str:
        return f"{WORDS_CLASS} {NAME_CLASS}" if i in names else WORDS_CLASS

    def row(m: re.Match[str]) -> str:
        cells = itertools.count()
        return "<tr>" + _CELL.sub(lambda c: (f"<{c.group(1)} class=\"{cls(i)}\">{c.group(2)}</{c.group(1)}>"
                                             if (i := next(cells)) in words else c.group(0)), m.group(1)) + "</tr>"

    return table.group(1) + _ROW.sub(row, body) + table.group(3)


def to_pdf(page: Path, pdf: Path, timeout: int = 180) -> Path:
    """Print the HTML report to PDF with headless Chromium (Debian's ``chromium``; PCNB_CHROMIUM names
    another binary): the charts are drawn by the page's own plotly.js, as in a browser, then printed.
    Returns ``pdf``; raises RuntimeError with the fix when no Chromium is installed or it fails."""
    browser = os.environ.get("PCNB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        raise RuntimeError("PDF export needs Chromium: install Debian's `chromium` (apt-get install chromium) "
                           "or set PCNB_CHROMIUM to a Chromium binary")
    with tempfile.TemporaryDirectory(prefix="pcnb-pdf-") as profile:
        done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                               "--no-first-run", "--disable-background-networking", "--disable-component-update",
                               "--disable-sync",
                               # the charts are drawn once, at the window's width: a little wider than the
                               # printed page (landscape Letter less its margins, 96 px an inch: 960), as
                               # STYLE prints them at 9/10 of their drawn size
                               "--window-size=1080,1300",
                               f"--user-data-dir={profile}", "--virtual-time-budget=15000", "--no-pdf-header-footer",
                               f"--print-to-pdf={pdf}", page.resolve().as_uri()],
                              capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        raise RuntimeError(f"Chromium could not print the report to PDF (exit {done.returncode}): "
                           f"{done.stderr.strip()[-300:]}")
    return pdf
