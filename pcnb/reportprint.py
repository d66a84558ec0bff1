"""What a report's page needs on paper (the browser's print, or ``pcnb report --pdf``): a grid's
every row, and charts short enough to share a page with their heading and caption.
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import Any

import nbformat

PLOTLY = "application/vnd.plotly.v1+json"
#: CSS px on a landscape Letter page less its 12 mm margins (725), less a cell's padding and a little more.
#: A chart is printed at 9/10 (pcnb.reportview.STYLE), but Chromium decides whether a block fits on a
#: fresh page by its height before that zoom: a chart and its caption taller than a page before zoom
#: are cut apart, even where they would fit after it.
PAGE_PX = 700
HEADING_PX, LINE_PX, PARAGRAPH_PX = 52, 22, 14
CHARS_PER_LINE = 125  # of a caption across the printed page (about 135; fewer, so it is not underestimated)
LEAST = 0.75  # of a chart's height: shorter, its rows crowd

#: On paper (print, --pdf) a grid shows all its rows, not its first page: before printing, every
#: DataTables grid of the page (pcnb.grids, itables) is switched to "all rows".
PRINT_ALL_ROWS = """<script>
(function () {
  function all() {
    for (var key in window) {
      if (key.indexOf("_itables_") === 0 && window[key] && window[key].then) {
        window[key].then(function (m) { m.jQuery.fn.dataTable.tables({api: true}).page.len(-1).draw(false); });
      }
    }
    var dt = window.jQuery && window.jQuery.fn && window.jQuery.fn.dataTable;
    if (dt) { dt.tables({api: true}).page.len(-1).draw(false); }
  }
  window.addEventListener("beforeprint", all);
  if (window.matchMedia) { window.matchMedia("print").addListener(function (m) { if (m.matches) { all(); } }); }
})();
</script>"""


def text_height(markdown: str) -> float:
    """The printed height of a heading and caption, estimated from its text (CSS px): a heading's
    line, and each paragraph's lines at the page's width."""
    height = 0.0
    for block in (b.strip() for b in markdown.split("\n\n")):
        if block.startswith("#"):
            height += HEADING_PX
        elif block:
            height += LINE_PX * math.ceil(len(block) / CHARS_PER_LINE) + PARAGRAPH_PX
    return height


def _text(out: Any) -> str:
    data = out.get("data", {})
    if "text/markdown" in data:
        return str(data["text/markdown"])
    if "text/html" not in data:
        return ""
    shown = re.sub(r"<(script|style)\b.*?</\1>", "", str(data["text/html"]), flags=re.S | re.I)  # not printed
    return html.unescape(re.sub(r"<[^>]+>", "", shown)).strip()


def fit_charts(nb: nbformat.NotebookNode) -> int:
    """Make each chart that would not share a page with the heading and caption above it (in its cell,
    or the markdown cell before it) shorter, to fit, but never below 3/4 of its height (its rows
    would crowd); returns how many were shortened. A taller one was cut in two across pages (the
    bottleneck chart under its heading). Its height is changed, not its print zoom: Chromium decides
    whether a block fits a page by its height before zoom, and cut a chart zoomed small enough."""
    shortened = 0
    before: Any = None
    for cell in nb.cells:
        above = text_height(before.source) if before is not None and before.cell_type == "markdown" else 0.0
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if PLOTLY in out.get("data", {}):
                layout = out["data"][PLOTLY].setdefault("layout", {})
                height = float(layout.get("height") or 450)  # plotly's default
                fits = max(LEAST * height, PAGE_PX - above)
                if fits < height:
                    layout["height"], shortened = int(fits), shortened + 1
                    if "text/html" in out["data"]:  # what the page draws: plotly's own HTML of the figure
                        out["data"]["text/html"] = shorter_html(str(out["data"]["text/html"]), int(fits))
                above = 0.0  # a chart after a chart starts a page of its own when it does not fit
            else:
                above += text_height(_text(out))
        before = cell
    return shortened


def shorter_html(markup: str, height: int) -> str:
    """Plotly's HTML of a figure (its container's height, the layout of its ``Plotly.newPlot`` call)
    with another height; unchanged if it is not that HTML."""
    start = markup.find("Plotly.newPlot(")
    if start < 0:
        return markup
    decoder, pos, parts = json.JSONDecoder(), start + len("Plotly.newPlot("), []
    try:
        for _ in range(3):  # the element's id, the traces, the layout
            while markup[pos] in " \t\r\n,":
                pos += 1
            value, end = decoder.raw_decode(markup, pos)
            parts.append((pos, end, value))
            pos = end
    except (ValueError, IndexError):
        return markup
    begin, end, layout = parts[2]
    if not isinstance(layout, dict):
        return markup
    layout["height"] = height
    text = json.dumps(layout, separators=(",", ":")).replace("</", "<\\/")  # no "</script>" in a script
    markup = markup[:begin] + text + markup[end:]
    return re.sub(r'style="height:\d+(?:\.\d+)?px;', f'style="height:{height}px;', markup, count=1)
