"""Turn what a user hands us (a polars frame, a list of dicts, a CSV) into uniform change requests.

An analyst's natural shape is a frame with a ``project`` column and one column per form field
("wide"), or a long frame with ``field``/``value``; non-data actions use a column named after what
they set (``status``, ``email``, ``text``...). Everything is normalised here, with the input row
number kept so every later error can point at the row that caused it.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import polars as pl

from pcnb.errors import InputError

#: action -> what it does (shown by --help and in errors)
ACTIONS: dict[str, str] = {
    "set": "admin: set submitted form data (SetProjectData on .../Data; run_followup_actions)",
    "draft": "set draft form data, optionally submitting the form afterwards",
    "submit": "submit a form's draft (moves the project to the form's next status)",
    "status": "admin: move a project to a status (SetProjectStatus; AutoCommunication)",
    "note": "admin: add an inquiry note to a thread, or open a new thread with a subject",
    "thread-status": "admin: open or close an inquiry thread",
    "assign": "set a project's assignee (email)",
    "owner": "set a project's owner (email)",
    "upload": "upload a file to a form's draft attachment, optionally submitting afterwards",
    "attachment": "admin: Approve / Reject / Unmark / Save an uploaded attachment, with a note",
}
ADMIN_ACTIONS = frozenset({"set", "status", "note", "thread-status", "attachment"})
DATA_ACTIONS = frozenset({"set", "draft"})

#: per action: (column holding the target, column holding the value); aliases accepted on input
TARGET_COLUMN = {"set": "field", "draft": "field", "note": "thread", "thread-status": "thread",
           "upload": "attachment", "attachment": "attachment"}
VALUE_COLUMN = {"set": "value", "draft": "value", "status": "status", "note": "text", "thread-status": "status",
          "assign": "email", "owner": "email", "upload": "file", "attachment": "decision"}
#: option columns (and keyword defaults) each action understands
OPTIONS = {"form", "subject", "note", "auto_communication", "run_followup_actions", "submit"}
_NEEDS_PROJECT = set(ACTIONS) - {"thread-status"}


def normalize(changes: pl.DataFrame | list[dict[str, Any]] | dict[str, Any], action: str | None = None,
              **defaults: Any) -> list[dict[str, Any]]:
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
                         "e.g. pl.DataFrame({'project': ['DGI-00011'], 'SYSTEM_SIZE_KW': [7.5]})")
    if not rows:
        raise InputError("there are no changes to plan", "pass at least one row")
    if action is None and "action" not in columns:
        raise InputError("which action? the changes have no 'action' column and no action= was given",
                         f"pass action= one of {', '.join(ACTIONS)}")
    out: list[dict[str, Any]] = []
    for i, raw in enumerate(rows, start=1):
        act = raw.get("action") or action
        if act not in ACTIONS:
            raise InputError(f"row {i}: action {act!r} is unknown", f"use one of {', '.join(ACTIONS)}")
        out.extend(_requests(i, act, raw, columns, defaults))
    if not out:
        raise InputError("every cell of the changes is empty: nothing to plan",
                         "fill the field columns (null means 'leave alone', '' clears a field)")
    return out


def _requests(row: int, action: str, raw: dict[str, Any], columns: list[str], defaults: dict[str, Any]
              ) -> list[dict[str, Any]]:
    options = {k: raw[k] if raw.get(k) is not None else defaults.get(k) for k in OPTIONS}
    base = {"row": row, "action": action, "project": _text(raw.get("project")), **options}
    if action in _NEEDS_PROJECT and not base["project"]:
        raise InputError(f"row {row}: {action} needs a project", "add a 'project' column (id or project number)")
    tcol, vcol = TARGET_COLUMN.get(action), VALUE_COLUMN.get(action)
    if action in DATA_ACTIONS and tcol not in columns:  # wide: every other column is a field
        fields = [c for c in columns if c not in OPTIONS | {"action", "project", "row"}]
        if not fields:
            raise InputError(f"row {row}: no field columns", "add one column per form field, or field/value columns")
        return [{**base, "target": c, "value": raw[c]} for c in fields if raw.get(c) is not None]
    target = _text(raw.get(tcol)) if tcol else None
    value = raw.get(vcol) if vcol else None
    if vcol and value is None and action != "submit":
        if action in DATA_ACTIONS:
            return []  # long form, null value: leave alone
        raise InputError(f"row {row}: {action} needs a {vcol!r} value", f"add a {vcol!r} column")
    if action in ("thread-status", "upload", "attachment", *DATA_ACTIONS) and not target:
        raise InputError(f"row {row}: {action} needs a {tcol!r}", f"add a {tcol!r} column")
    return [{**base, "target": target, "value": value}]


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
    shifted cell would silently write a value into the wrong field."""
    lines = [ln for ln in text.strip("\n").splitlines() if ln.strip()]
    if len(lines) < 2:
        raise InputError("the CSV needs a header line and at least one row of changes",
                         "e.g. 'project,SYSTEM_SIZE_KW' then 'DGI-00011,7.5'")
    reader = csv.reader(io.StringIO("\n".join(lines)))
    header = [h.strip() for h in next(reader)]
    if len(set(header)) != len(header) or "" in header:
        raise InputError(f"the CSV header {header} has an empty or repeated column name")
    records = []
    for number, cells in enumerate(reader, start=2):
        if len(cells) != len(header):
            raise InputError(f"CSV line {number} has {len(cells)} cells but the header has {len(header)}",
                             "quote values that contain commas, e.g. \"Smith, Pat\"")
        # an empty cell means "leave alone"; the token <clear> empties a field
        records.append({h: _cell(c) for h, c in zip(header, cells, strict=True)})
    return pl.DataFrame(records, schema={h: pl.String for h in header})
