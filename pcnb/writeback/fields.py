"""Check one value against a DataFieldSchema and convert it to the string V2 carries.

Run before any write so a bad value costs no operation from the 60/minute budget and the user sees
which row and field to fix. Python values are accepted where the meaning is unambiguous (bool,
int/float, date), strings must already be in the wire format.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

_NUMBER_RE = re.compile(r"-?[0-9]+(\.[0-9]+)?")  # fullmatch, ASCII digits only (not ７.５)
MAX_TEXT = 4000  # the server refuses longer text values
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # fullmatch, ASCII digits only
MASKED_RE = re.compile(r"^\*{4,}")  # how V2 returns sensitive values without reveal_sensitive_data


def to_wire(schema: dict[str, Any], value: Any) -> tuple[Any, str | None]:
    """(wire value, problem or None) for ``value`` on the field ``schema``."""
    name = str(schema.get("Name") or schema.get("CustomId"))
    if schema.get("MultiInstance"):
        items = value.split("|") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)):
            return None, f"{name} holds several values: pass a list (or 'a|b' in CSV)"
        converted = [_one(schema, name, v) for v in items if v not in (None, "")]
        problems = [p for _, p in converted if p]
        return [v for v, _ in converted], (problems[0] if problems else None)
    if isinstance(value, (list, tuple)):
        return None, f"{name} holds a single value, got a list of {len(value)}"
    if value == "":
        return "", (f"{name} is required and cannot be cleared" if schema.get("Required") else None)
    return _one(schema, name, value)


def _one(schema: dict[str, Any], name: str, value: Any) -> tuple[Any, str | None]:
    kind = schema.get("Type")
    if kind == "Number":
        return _number(schema, name, value)
    if kind == "Date":
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            return value.isoformat(), None
        text = str(value).strip()
        if not _DATE_RE.fullmatch(text):
            return None, f"{name}: {value!r} is not a date in yyyy-MM-dd format (e.g. 2026-03-31)"
        try:
            date.fromisoformat(text)
        except ValueError:
            return None, f"{name}: {value!r} is not a real calendar date"
        return text, None
    if kind == "Boolean":
        if isinstance(value, bool):
            return ("true" if value else "false"), None
        text = str(value).strip().lower()
        if text not in ("true", "false"):
            return None, f"{name}: {value!r} must be true or false"
        return text, None
    if kind == "Choice":
        choices = [str(c) for c in schema.get("Choices") or []]
        text = str(value).strip()
        if text in choices:
            return text, None
        near = [c for c in choices if c.lower() == text.lower()]
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        return None, f"{name}: {value!r} is not one of {', '.join(choices)}{hint}"
    if not isinstance(value, (str, int, float, Decimal)) or isinstance(value, bool):
        return None, f"{name}: text field, got {type(value).__name__}"
    if len(str(value)) > MAX_TEXT:
        return None, f"{name}: {len(str(value))} characters; the server takes at most {MAX_TEXT}"
    return str(value), None


def _number(schema: dict[str, Any], name: str, value: Any) -> tuple[Any, str | None]:
    if isinstance(value, bool):
        return None, f"{name}: number field, got a boolean"
    if isinstance(value, (int, float, Decimal)):
        try:
            text = format(Decimal(str(value)).normalize(), "f")
        except InvalidOperation:
            return None, f"{name}: {value!r} is not a finite number"
    else:
        text = str(value).strip()
    if not _NUMBER_RE.fullmatch(text):
        return None, f"{name}: {value!r} is not a decimal number with a '.' point (e.g. 7.5)"
    number = float(text)
    props = schema.get("Properties") or {}
    if props.get("Min") is not None and number < float(props["Min"]):
        return None, f"{name}: {text} is below the minimum {float(props['Min']):g}"
    if props.get("Max") is not None and number > float(props["Max"]):
        return None, f"{name}: {text} is above the maximum {float(props['Max']):g}"
    return text, None


def same(current: Any, new: Any) -> bool:
    """Whether writing ``new`` would change nothing (null and "" are the same empty value)."""
    def norm(v: Any) -> Any:
        if isinstance(v, list):
            return [str(x) for x in v]
        return "" if v is None else str(v)
    return bool(norm(current) == norm(new))
