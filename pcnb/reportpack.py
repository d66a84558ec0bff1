"""Keep a self-contained report small: the JavaScript bundles it must embed go in gzip-compressed.

A report with charts and grids carries plotly.js (4.8 MB) and the itables/DataTables bundle (~1 MB,
base64). Both compress about 3:1. The browser inflates them with its own ``DecompressionStream``
(current Chrome, Edge, Firefox, Safari), so the file needs no CDN and no extra library, and the
charts and grids start once their bundle is ready. A page whose bundles do not have the expected
shape (another plotly or itables version) is left as it is: larger, still correct.
"""

from __future__ import annotations

import base64
import gzip
import re

#: the browser side: base64 -> bytes -> gunzip -> text
INFLATE = ("async function pcnbInflate(b64) {"
           " var bin = atob(b64); var bytes = new Uint8Array(bin.length);"
           " for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);"
           " var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));"
           " return await new Response(stream).text(); }\n")

NO_INFLATE = ("if (typeof DecompressionStream === 'undefined') document.addEventListener('DOMContentLoaded',"
              " function () { document.body.insertAdjacentHTML('afterbegin', '<p><b>This browser cannot draw the"
              " charts and tables of this report: open it in a current Chrome, Edge, Firefox or Safari.</b></p>');"
              " });\n")


def gz64(data: bytes) -> str:
    return base64.b64encode(gzip.compress(data, 9, mtime=0)).decode("ascii")


_PLOTLY_JS = re.compile(r"<script>(\s*/\*\*\s*\* plotly\.js (v[\d.]+).*?)</script>", re.S)
_FIGURE = re.compile(r"<script>(\s*window\.PLOTLYENV=.*?)</script>", re.S)
_PLOTLY_LOADER = """<script type="application/gzip;base64" id="pcnb-plotly-gz">{data}</script>
<script>/* plotly.js {version}, gzip + base64: embedded once by pcnb, no CDN */
window.pcnbPlotly = (async function () {{
  var source = await pcnbInflate(document.getElementById("pcnb-plotly-gz").textContent.trim());
  (0, eval)(source);
  return window.Plotly;
}})();
</script>"""


def compact_plotly(page: str) -> str:
    """plotly.js compressed (4.8 -> 2 MB), once per file; each figure is drawn once it is ready.
    Needs the inflater :func:`compact` adds."""
    found = _PLOTLY_JS.search(page)
    if found is None:
        return page
    loader = _PLOTLY_LOADER.format(data=gz64(found.group(1).encode("utf-8")), version=found.group(2))
    page = page[:found.start()] + loader + page[found.end():]
    return _FIGURE.sub(lambda m: "<script>window.pcnbPlotly.then(function (Plotly) {" + m.group(1) + "\n});</script>",
                       page)


# itables' offline bundle: two functions that atob() their base64 argument, then the two calls
_ITABLES = re.compile(r"<script>(\s*function injectCSS\(base64CSS\).*?window\._itables_\w+ = injectModule\(.*?)"
                      r"</script>", re.S)
_ITABLES_B64 = re.compile(r'(inject(?:CSS|Module))\("([A-Za-z0-9+/=]{100,})"\)')


def compact_itables(page: str) -> str:
    """The itables/DataTables bundle compressed (~0.97 -> 0.3 MB); its CSS and module are inflated
    by the browser instead of atob-decoded; the grids wait for the module as itables already does."""
    found = _ITABLES.search(page)
    if found is None:
        return page
    body = found.group(1)
    swaps = ("const cssText = atob(base64CSS);", "const cssText = await pcnbInflate(base64CSS);"), (
        "const jsText = atob(base64JS);", "const jsText = await pcnbInflate(base64JS);"), (
        "function injectCSS(base64CSS)", "async function injectCSS(base64CSS)")
    if not all(old in body for old, _ in swaps) or len(_ITABLES_B64.findall(body)) != 2:
        return page  # another itables version: leave it as it is
    for old, new in swaps:
        body = body.replace(old, new, 1)
    body = _ITABLES_B64.sub(lambda m: f'{m.group(1)}("{gz64(base64.b64decode(m.group(2)))}")', body)
    script = "<script>/* itables bundle, gzip + base64 (pcnb) */\n" + body + "</script>"
    return page[:found.start()] + script + page[found.end():]


def compact(page: str) -> str:
    """Both bundles compressed, and the browser-side inflater defined once, in the head (before any
    bundle script runs)."""
    packed = compact_itables(compact_plotly(page))
    if packed == page:
        return page
    return packed.replace("</head>", f'<script id="pcnb-inflate">{NO_INFLATE}{INFLATE}</script></head>', 1)


__all__ = ["compact", "compact_itables", "compact_plotly", "gz64"]
