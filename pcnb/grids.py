"""Data grids that need no lab extension: aligned columns, sorting, search and per-column filters,
long text wrapped rather than cut -- in JupyterLab, Notebook 7, VS Code, Colab and exported HTML.

Why itables: it renders a polars frame as a DataTables grid in plain HTML output, so it needs no
widget extension (ipydatagrid does: a front end without it shows nothing) and works in a saved or
exported notebook. Its JavaScript is embedded, not fetched: the first grid of a kernel carries the
DataTables bundle (about 1 MB, base64, loaded from a blob URL), later grids use it -- and when the
cell that carried it is run again, its new output carries it again, so a saved notebook keeps one
copy (a widget's grid that carried it keeps carrying it through filter changes: pcnb.widgets.grid);
no request goes to a CDN, so reports stay offline. Colab is the exception itables documents (every
output is its own iframe there, so an embedded bundle is not shared): there the bundle comes from
unpkg, as Colab is online anyway. Without JavaScript (untrusted notebook, GitHub preview) itables
shows a static HTML table; in a terminal ``repr`` is polars' text table with long strings kept.
"""

from __future__ import annotations

import uuid
from html import escape
from typing import Any

import polars as pl

from pcnb.bidi import visible, visible_frame
from pcnb.frameview import figure_columns

MAX_BYTES = 2**20  # itables thins out bigger frames (and says so under the grid); the browser caps rows
#: where the bundle was last sent: (cell id, execute request id); None before the first grid
_state: dict[str, tuple[str | None, str | None] | None] = {"carrier": None}


def _colab() -> bool:
    from itables.javascript import GOOGLE_COLAB

    return bool(GOOGLE_COLAB)


def _request() -> tuple[str | None, str | None]:
    """(cell id, request id) of the cell being run, as JupyterLab / VS Code send them; None outside a kernel."""
    try:
        from IPython import get_ipython

        header = getattr(get_ipython(), "parent_header", None) or {}
    except ImportError:
        return None, None
    return (header.get("metadata") or {}).get("cellId"), (header.get("header") or {}).get("msg_id")


def needs_bundle(carrier: tuple[str | None, str | None] | None, now: tuple[str | None, str | None]) -> bool:
    """Send the bundle with the first grid of a kernel, and again when the cell that carried it runs
    again: its new output replaces the old one, and a saved notebook must still hold one copy."""
    if carrier is None:
        return True
    cell, request = carrier
    return cell is not None and cell == now[0] and request != now[1]


def bundle_if_needed() -> str:
    """The DataTables bundle, when ``needs_bundle`` (the page keeps it while the notebook is open)."""
    now = _request()
    if _colab() or not needs_bundle(_state["carrier"], now):
        return ""
    _state["carrier"] = now
    return bundle_html()


def bundle_html() -> str:
    """The DataTables bundle, unconditionally ("" on Colab, which loads it per output): for an output
    that carried it and is being replaced by a widget callback (pcnb.widgets.grid), which must keep it."""
    if _colab():
        return ""
    from itables import options
    from itables.javascript import generate_init_offline_itables_html

    return generate_init_offline_itables_html(options.dt_bundle)


def grid_html(df: pl.DataFrame, caption: str | None = None, page_length: int = 25, bundle: bool = True) -> str:
    """HTML of an interactive grid of ``df`` (sortable, searchable, per-column filters, wrapped text)."""
    from itables.javascript import to_html_datatable

    df = visible_frame(df)  # a program's names: no bidirectional override reorders what a cell says
    # a column whose values are all null has polars dtype Null, which itables writes as the text
    # "null" in every cell; as text (String) its nulls are empty cells, like any other column's
    nulls = [name for name, dtype in df.schema.items() if dtype == pl.Null]
    if nulls:
        df = df.with_columns(pl.col(nulls).cast(pl.String))
    # the search box always (itables hides it for one-page frames, but a diff is searched by its checks)
    many = df.height > 10
    layout = {"topStart": "pageLength" if many else None, "topEnd": "search", "bottomStart": "info" if many else None,
              "bottomEnd": "paging" if df.height > page_length else None}
    # JupyterLab right-aligns every table cell: text left, numbers right, whatever the front end
    numeric = figure_columns(df)  # "1,920" and "17%" of a manager's table too
    text = [i for i in range(df.width) if i not in numeric]
    align = [{"className": "dt-left", "targets": text}, {"className": "dt-right", "targets": numeric}]
    # filter boxes as wide as their column (the browser default would make the table overflow), and
    # long words (e-mails, ids) may break, so the grid fits its output area instead of being cut
    table_id = f"pcnb_{uuid.uuid4().hex[:12]}"
    css = (f"#{table_id} tfoot input {{width: 100%; min-width: 3em; box-sizing: border-box}}\n"
           f"#{table_id} td {{overflow-wrap: anywhere}}")
    # itables writes the caption and the footer filter row's column names as markup, also inside its
    # <script>: a caption is escaped here, and names with markup characters go without the filter row
    caption = None if caption is None else escape(visible(caption))
    markup_names = any(set(str(c)) & set("<>&") for c in df.columns)
    html = to_html_datatable(df, caption=caption, connected=_colab(), table_id=table_id, css=css, showIndex=False,
                             classes="display wrap compact",
                             column_filters="footer" if df.height > 1 and not markup_names else False,
                             pageLength=page_length, lengthMenu=[10, 25, 100, 500], maxBytes=MAX_BYTES,
                             display_logo_when_loading=False, ordering=True,
                             allow_html=False, layout=layout, columnDefs=align, autoWidth=False,
                             text_in_header_can_be_selected=False,  # a click anywhere on a header sorts
                             style={"table-layout": "auto", "width": "100%", "margin": "0", "caption-side": "bottom"})
    return (bundle_if_needed() if bundle else "") + html


def text_table(df: pl.DataFrame) -> str:
    """The plain-terminal fallback: polars' table, long strings wrapped in their cell (polars cuts
    them at 30 characters by default), 120 characters wide."""
    with pl.Config(fmt_str_lengths=2000, tbl_rows=200, tbl_cols=16, tbl_width_chars=120):
        return repr(visible_frame(df))


class Grid:
    """A frame shown as a grid in a notebook and as a text table in a terminal; ``.frame`` is the data."""

    def __init__(self, frame: pl.DataFrame, caption: str | None = None):
        self.frame, self.caption = frame, caption

    def __repr__(self) -> str:
        return (f"{visible(self.caption)}\n" if self.caption else "") + text_table(self.frame)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": repr(self), "text/html": grid_html(self.frame, self.caption)}
