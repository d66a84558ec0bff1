"""Bidirectional control characters in names a program defines, made visible wherever pcnb shows them.

Why: status, form, field and choice names come from the program's administrators (and, through
choices, from applicants); a name holding U+202E (RIGHT-TO-LEFT OVERRIDE) makes the text after it
render reversed in a chart, a grid, a report or a terminal -- a label that lies about what it says.
Markup is escaped everywhere already; these characters are not markup, so escaping leaves them.

The one rule, :func:`visible`: each of the embedding, override and isolate controls (U+202A-U+202E,
U+2066-U+2069) becomes the visible text ``[U+202E]``, so the label reads in logical order and says
what it held. It is applied where names are displayed -- figures (:func:`visible_figure`), frames
shown as grids, tables or terminal text (:func:`visible_frame`), report outputs and widget labels
(:func:`visible_data`, :func:`visible`) -- and never to the data: filters, joins and write-back
keep the program's own names.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where a frame is shown: the terminal's `pcnb` starts without polars
    import polars as pl

CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_CONTROL = re.compile(f"[{CONTROLS}]")


def marker(ch: str) -> str:
    """How a control character is shown: its code point, e.g. ``[U+202E]``."""
    return f"[U+{ord(ch):04X}]"


def visible(text: str) -> str:
    """``text`` with every bidirectional control character shown as its code point."""
    return _CONTROL.sub(lambda m: marker(m.group(0)), text) if _CONTROL.search(text) else text


def visible_data(value: Any) -> Any:
    """Every string in a JSON-like value (dicts, lists, tuples; keys too) made visible."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {visible_data(k): visible_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(visible_data(v) for v in value)
    return value


def _dirty(value: Any) -> bool:
    """Does any string in a JSON-like value hold a control character? (arrays of numbers: no)"""
    if isinstance(value, str):
        return _CONTROL.search(value) is not None
    if isinstance(value, dict):
        return any(_dirty(k) or _dirty(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_dirty(v) for v in value)
    return False


def visible_frame(df: pl.DataFrame) -> pl.DataFrame:
    """A copy of ``df`` for display: text columns (String, Categorical, Enum) and column names made
    visible; the frame itself is returned when nothing holds a control character."""
    import polars as pl

    text = [name for name, dtype in df.schema.items() if dtype in (pl.String, pl.Categorical) or
            isinstance(dtype, pl.Enum)]
    dirty = [c for c in text if df[c].cast(pl.String).str.contains(f"[{CONTROLS}]").any()]
    renamed = {c: visible(c) for c in df.columns if visible(c) != c}
    if not dirty and not renamed:
        return df
    exprs = []
    for c in dirty:
        expr = pl.col(c).cast(pl.String)
        for ch in CONTROLS:
            expr = expr.str.replace_all(ch, marker(ch), literal=True)
        exprs.append(expr.alias(c))
    return df.with_columns(exprs).rename(renamed)


def visible_figure(fig: Any) -> Any:
    """A plotly figure with every string of its traces and layout made visible (in place; returned)."""
    for trace in fig.data:
        data = trace.to_plotly_json()
        changed = {k: visible_data(v) for k, v in data.items() if k != "type" and _dirty(v)}
        if changed:
            trace.update(changed, overwrite=True)
    layout = fig.layout.to_plotly_json()
    changed = {k: visible_data(v) for k, v in layout.items() if k != "template" and _dirty(v)}
    if changed:
        fig.layout.update(changed, overwrite=True)
    return fig
