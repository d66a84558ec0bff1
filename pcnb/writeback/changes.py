"""Turn what a user hands us (a polars frame, a list of dicts, a CSV) into uniform change requests.

An analyst's natural shape is a frame with a ``project`` column and one column per form field
("wide"), or a long frame with ``field``/``value``; non-data actions use a column named after what
they set (``status``, ``email``, ``text``...). Everything is normalised here, with the input row
number kept so every later error can point at the row that caused it.
"""

from __future__ import annotations

import csv
import io
from typing import Any, cast

import polars as pl

from pcnb.errors import InputError
from pcnb.writeback import actions
from pcnb.writeback.model import ChangeRequest

#: the option columns every request carries (None when absent)
OPTIONS = set(actions.OPTIONS)


def normalize(changes: pl.DataFrame | list[dict[str, Any]] | dict[str, Any], action: str | None = None,
              **defaults: Any) -> list[ChangeRequest]:
    """Return one request dict per change: action, project, target, value, row and options.

    ``defaults`` (form=, submit=, auto_communication=, ...) fill option columns that are absent
    or null. In a wide data frame a null cell means "leave this field alone"; "" clears it.
    """
    unknown = set(defaults) - OPTIONS
    if unknown:
        raise InputError(f"unknown write-back option(s) {sorted(unknown)}", f"known: {sorted(OPTIONS)}")
    if isinstance(changes, dict):
        changes = [changes]
    if isinstance(changes, pl.DataFrame):
        rows = changes.to_dicts()
        columns = changes.columns
    elif isinstance(changes, list) and all(isinstance(r, dict) for r in changes):
        rows = changes
        columns = list(dict.fromkeys(k for r in rows for k in r))
    else:
        raise InputError(f"changes must be a polars DataFrame or a list of dicts, not {type(changes).__name__}",
                         "e.g. pl.DataFrame({'project': ['PRJ-00011'], 'FIELD': [7.5]})")
    if not rows:
        raise InputError("there are no changes to plan", "pass at least one row")
    if action is None and "action" not in columns:
        raise InputError("which action? the changes have no 'action' column and no action= was given",
                         f"pass action= one of {', '.join(actions.names())}")
    out: list[ChangeRequest] = []
    for i, raw in enumerate(rows, start=1):
        act = raw.get("action") or action
        if act not in actions.names():
            raise InputError(f"row {i}: action {act!r} is unknown", f"use one of {', '.join(actions.names())}")
        out.extend(_requests(i, act, raw, columns, defaults))
    if not out:
        raise InputError("every cell of the changes is empty: nothing to plan",
                         "fill the field columns (null means 'leave alone', '' clears a field)")
    return out


def _requests(row: int, name: str, raw: dict[str, Any], columns: list[str], defaults: dict[str, Any]
              ) -> list[ChangeRequest]:
    action = actions.get(name)
    options = {k: raw[k] if raw.get(k) is not None else defaults.get(k) for k in actions.OPTIONS}
    project = _text(raw.get("project"))
    if action.needs_project and not project:
        raise InputError(f"row {row}: {name} needs a project", "add a 'project' column (id or project number)")

    def request(target: str | None, value: Any) -> ChangeRequest:
        return cast(ChangeRequest, {"row": row, "action": name, "project": project, "target": target,
                                    "value": value, **options})

    tcol, vcol = action.target_column, action.value_column
    if action.data and tcol not in columns:  # wide: every other column is a field
        fields = [c for c in columns if c not in OPTIONS | {"action", "project", "row"}]
        if not fields:
            raise InputError(f"row {row}: no field columns", "add one column per form field, or field/value columns")
        return [request(c, raw[c]) for c in fields if raw.get(c) is not None]
    target = _text(raw.get(tcol)) if tcol else None
    value = raw.get(vcol) if vcol else None
    if vcol and value is None:
        if action.data:
            return []  # long form, null value: leave alone
        raise InputError(f"row {row}: {name} needs a {vcol!r} value", f"add a {vcol!r} column")
    if action.needs_target and not target:
        raise InputError(f"row {row}: {name} needs a {tcol!r}", f"add a {tcol!r} column")
    return [request(target, value)]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


CLEAR = "<clear>"


def _cell(text: str) -> str | None:
    text = text.strip()
    return "" if text == CLEAR else (text or None)


def parse_csv(text: str) -> pl.DataFrame:
    """A CSV of changes (first line the header) -> all-string frame. Empty cells leave a field
    alone and ``<clear>`` empties it. Ragged rows are refused with their line number, because a
    shifted cell would silently write a value into the wrong field; so is an unbalanced quote (a
    quoted value that never ends, or that swallows lines which look like rows of their own). A
    UTF-8 byte-order mark (Excel's default) is dropped; blank lines inside a quoted value are kept."""
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text), strict=True)
    rows: list[tuple[int, list[str]]] = []
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not cells or all(not c.strip() for c in cells) and len(cells) == 1:
                continue  # a blank line between rows
            rows.append((start, cells))
    except csv.Error as exc:
        raise InputError(f"CSV line {start}: {exc} (an unbalanced quote?)",
                         "close every opening \" or write a literal quote as \"\"") from None
    if len(rows) < 2:
        raise InputError("the CSV needs a header line and at least one row of changes",
                         "e.g. 'project,FIELD' then 'PRJ-00011,7.5'")
    header = [h.strip() for h in rows[0][1]]
    if len(set(header)) != len(header) or "" in header:
        raise InputError(f"the CSV header {header} has an empty or repeated column name")
    records = []
    for number, cells in rows[1:]:
        for cell in cells:  # a quoted value over several lines that contains what looks like rows
            inner = cell.splitlines()[1:]
            if any(line.count(",") >= len(header) - 1 > 0 for line in inner):
                raise InputError(f"CSV line {number}: a quoted value runs over {len(inner) + 1} lines and takes in "
                                 "lines that look like rows of their own (an unbalanced quote?)",
                                 "close the quote on the line where the value ends")
        if len(cells) != len(header):
            raise InputError(f"CSV line {number} has {len(cells)} cells but the header has {len(header)}",
                             "quote values that contain commas, e.g. \"Smith, Pat\"")
        # an empty cell means "leave alone"; the token <clear> empties a field
        records.append({h: _cell(c) for h, c in zip(header, cells, strict=True)})
    return pl.DataFrame(records, schema={h: pl.String for h in header})
