"""Grids (pcnb.grids): the data, sorting and filtering, wrapped text, no CDN, a text fallback."""

from __future__ import annotations

import json
import re

import polars as pl
import pytest

from pcnb import grids
from pcnb.reportview import remote_references

LONG = "the Field SYSTEM_SIZE_KW value -3 is below the minimum 0.1 " * 4


@pytest.fixture(autouse=True)
def _fresh_kernel():
    grids._state["carrier"] = None


def _dt_args(html: str) -> dict:
    return json.loads(re.search(r"let dt_args = (\{.*?\n\s*\});", html, re.S).group(1))


def test_grid_holds_the_data_sorts_filters_and_wraps():
    df = pl.DataFrame({"project": [f"P-{i:03}" for i in range(30)], "check": [LONG] * 30, "n": list(range(30))})
    html = grids.grid_html(df)
    args = _dt_args(html)
    rows = json.loads(args["data_json"])
    assert len(rows) == 30 and rows[0][0] == "P-000" and rows[0][1] == LONG  # every row, the long text whole
    assert args["ordering"] is True and args["column_filters"] == "footer"  # sort by any column, filter each
    assert args["layout"]["topEnd"] == "search" and args["layout"]["bottomEnd"] == "paging"
    assert "wrap" in args["classes"] and "nowrap" not in args["classes"]  # long text wraps, not cut
    small = _dt_args(grids.grid_html(df.head(3)))
    assert small["layout"]["topEnd"] == "search"  # a short diff can still be searched


def test_no_cdn_and_the_bundle_is_embedded_once_per_kernel():
    df = pl.DataFrame({"a": ["<b>x</b>"]})
    first, second = grids.grid_html(df), grids.grid_html(df)
    for page in (first, second):
        assert not remote_references(page)
        assert not re.search(r"unpkg|jsdelivr|cdnjs|cdn\.datatables|import\s*[^;]*from\s*['\"]https?:", page)
    assert "dt_src_b64" not in first and "window._itables_" in first and len(first) > 500_000  # bundle inline
    assert len(second) < 20_000 and "injectModule" not in second  # later grids reuse it
    assert "<b>x</b>" not in second and "&lt;b&gt;x&lt;/b&gt;" in second  # data is text, never HTML


def test_text_fallback_for_terminals():
    g = grids.Grid(pl.DataFrame({"check": [LONG]}), "Diff")
    text = repr(g)
    flat = re.sub(r"[│\s]+", " ", text)
    assert text.startswith("Diff\n") and LONG.strip() in flat  # wrapped in its cell; polars would cut it at 30
    assert max(map(len, text.splitlines())) <= 120
    bundle = g._repr_mimebundle_()
    assert bundle["text/plain"] == text and "new ITable(" in bundle["text/html"]


def test_the_bundle_is_sent_again_when_its_cell_runs_again():
    first = ("cell-a", "run-1")
    assert grids.needs_bundle(None, first)  # the first grid of a kernel
    assert not grids.needs_bundle(first, first)  # a second grid of the same run
    assert not grids.needs_bundle(first, ("cell-b", "run-2"))  # another cell: the page has it already
    assert grids.needs_bundle(first, ("cell-a", "run-3"))  # the carrier re-run: its old output is replaced
    assert not grids.needs_bundle((None, None), (None, None))  # no kernel (a script): once per process


def _scripts_intact(page: str) -> bool:
    """Every <script ...> ends at its own </script>: no markup of the data broke out of one."""
    return all("<script" not in body for body in re.findall(r"<script[^>]*>(.*?)</script>", page, re.S)) and \
        page.count("<script") == page.count("</script>")


def test_caption_and_column_names_are_text_not_markup():
    """Red team: itables 2.9 writes the caption and (column_filters="footer") the column names unescaped, into
    the static table and into the JSON of a <script type="module">: a `</script>` in either closed the script
    early and the rest of the text ran as markup (XSS in a notebook or report if a name comes from data)."""
    evil = "</script><img src=x onerror=alert(1)>"
    df = pl.DataFrame({evil: ["a", "b"], "n": [1, 2]})
    page = grids.grid_html(df, caption=f"by owner {evil}", bundle=False)
    assert "<img" not in page and _scripts_intact(page)
    df = pl.DataFrame({"owner": ["a", "b"], "<b>bold</b>": [1, 2]})
    assert "<b>bold</b>" not in grids.grid_html(df, bundle=False)


def test_a_column_with_only_nulls_shows_empty_cells_like_any_other_null():
    """A text column whose values were all null (polars dtype Null) showed the word "null" in every cell,
    while nulls of other string columns showed an empty cell."""
    df = pl.DataFrame({"owner": ["a", None], "notes": [None, None], "n": [1, None]})
    assert df.schema["notes"] == pl.Null
    rows = json.loads(_dt_args(grids.grid_html(df, bundle=False))["data_json"])
    assert rows == [["a", None, 1], [None, None, None]]
    assert _dt_args(grids.grid_html(df, bundle=False))["columnDefs"][0]["targets"] == [0, 1]  # text: left


def test_figures_held_as_text_are_aligned_right_and_names_left():
    """A manager's table holds its figures as text ("1,920", "17%"): aligned by type, they sat left of
    their column under right-aligned numbers of the other tables on the same page."""
    df = pl.DataFrame({"Status": ["Application Review", "Inspection Pending"], "Finished": ["1,920", "-"],
                       "Missed": ["17%", "43%"], "Ended": ["1,700 of 1,932", "12 of 40"], "n": [3, 4],
                       "Month": ["December 2026", "January 2027"]})
    align = {d["className"]: d["targets"] for d in _dt_args(grids.grid_html(df))["columnDefs"]}
    assert align == {"dt-left": [0, 5], "dt-right": [1, 2, 3, 4]}
