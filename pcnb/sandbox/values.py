"""Type checks of data-field values as V2 carries them (strings) [doc + assumed types]."""

from __future__ import annotations

import re
from datetime import date

from pcnb.sandbox.program import FieldDef

_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_value(fd: FieldDef, value: object) -> str | None:
    """Return why ``value`` is not acceptable for ``fd``, or None when it is."""
    if value is None or value == "":
        return None  # clearing a field is allowed; required-ness is checked at submit
    if not isinstance(value, str):
        return f"{fd.name}: values travel as strings, got {type(value).__name__}"
    if fd.type == "Number":
        if not _NUMBER_RE.match(value):
            return f"{fd.name}: {value!r} is not an invariant decimal number (e.g. 7.5)"
        number = float(value)
        if fd.min is not None and number < fd.min:
            return f"{fd.name}: {value} is below the minimum {fd.min:g}"
        if fd.max is not None and number > fd.max:
            return f"{fd.name}: {value} is above the maximum {fd.max:g}"
    elif fd.type == "Date":
        if not _DATE_RE.match(value):
            return f"{fd.name}: {value!r} is not a date in yyyy-MM-dd format"
        try:
            date.fromisoformat(value)
        except ValueError:
            return f"{fd.name}: {value!r} is not a real calendar date"
    elif fd.type == "Boolean":
        if value not in ("true", "false"):
            return f"{fd.name}: {value!r} must be true or false"
    elif fd.type == "Choice":
        if value not in fd.choices:
            return f"{fd.name}: {value!r} is not one of {', '.join(fd.choices)}"
    elif len(value) > 4000:
        return f"{fd.name}: text longer than 4000 characters"
    return None


def obfuscate(value: object) -> object:
    """How sensitive values look without reveal_sensitive_data: last four characters kept."""
    if not isinstance(value, str) or not value:
        return value
    return "*" * max(len(value) - 4, 4) + value[-4:]
