"""Scripts a report runs just before it is printed (the browser's print, or ``pcnb report --pdf``):
what a page on paper needs that the screen does not.

Both run on ``beforeprint`` (headless Chromium's print-to-PDF fires it too) and again when the print
media query starts to match, as some browsers fire only one of the two.
"""

from __future__ import annotations

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


#: On paper a chart shares its page with its section's heading and caption (moved into its cell:
#: pcnb.reportview): printed at 9/10 of its screen size, a tall chart (the bottleneck chart's nine
#: rows) under a long caption did not fit, and Chromium cut the chart in two across pages. Before
#: printing, each chart gets the zoom that fits it, its heading and caption on one page (never more than
#: 9/10, never less than 6/10: below that its small type is unreadable). Measured on screen, where the
#: page is about as wide as on paper (the window is, pcnb.reportview.to_pdf); the caption is given a
#: tenth more for the narrower printed line.
PRINT_FIT = """<script>
(function () {
  var PAGE = 700;  // CSS px of a landscape Letter page less its 12 mm margins (726), less a little for rounding
  function fit() {
    document.querySelectorAll(".jp-OutputArea-child").forEach(function (child) {
      var plot = child.querySelector(".js-plotly-plot");
      if (!plot || !plot._fullLayout) { return; }
      var above = 0;  // what is printed above the chart in its cell: the heading and caption
      for (var c = child.parentElement.firstElementChild; c && c !== child; c = c.nextElementSibling) {
        above += c.getBoundingClientRect().height;
      }
      var room = (PAGE - 1.1 * above) / plot._fullLayout.height;
      child.style.setProperty("--pcnb-print-zoom", Math.min(0.9, Math.max(0.6, room)).toFixed(3));
    });
  }
  window.addEventListener("beforeprint", fit);
  if (window.matchMedia) { window.matchMedia("print").addListener(function (m) { if (m.matches) { fit(); } }); }
})();
</script>"""
