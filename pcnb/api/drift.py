"""Contract drift detection: every parsed answer is checked against the shape pcnb models.

Why at the client: a field the real server renamed or retyped must fail where it arrives, with the
endpoint, the field, what was expected and seen, and the ``x-amzn-RequestId`` support asks for --
not as a ``KeyError`` deep in sync or in a frame. Unknown fields are not errors (the server may add
fields at any time; the raw JSON is stored whole): they are counted per endpoint and field, and
``pcnb doctor`` reports the summary.

Shapes: ``{"Field": spec}``; a name ending in ``?`` is optional (absent or null allowed), otherwise
required. Required = documented **and** read by pcnb (ids, the collections, the timestamps sync and
the frames rely on); everything else, and every [assumed] fact of powerclerk-v2.md, is optional and
only type-checked when present, so a field pcnb never reads cannot block a user.
A spec is a type name (``str``, ``int``, ``num``, ``bool``, ``ts``, ``any``), a nested shape (dict) or
``[spec]`` for a list of it. ``ts`` is a string ``parse_timestamp`` reads. XML answers carry most
scalars as strings (pcnb.api.codec restores only the types in the contract's XML tables), so ``str``
accepts a number's text and a scalar is compared by what XML can carry.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, NoReturn

from pcnb.contract import parse_timestamp
from pcnb.errors import ContractMismatch

Spec = Any

STATUS = {"StatusId": "str", "CustomId?": "str", "Name": "str", "Timestamp?": "ts"}
SUMMARY = {"ProjectId": "str", "ProgramId?": "str", "ProjectNumber?": "str", "Url?": "str",
           "LastChangeTimestamp": "ts", "ProjectOwner?": {"Name?": "str", "Email?": "str"},
           "CurrentStatus?": STATUS}
PROJECT_LIST = {"Projects": [SUMMARY], "RequestTimestamp?": "ts"}
DATA_FIELD = {"DataFieldId": "str", "CustomId?": "str", "Name?": "str", "Value?": "any", "Values?": ["any"]}
ATTACHMENT = {"AttachmentId": "str", "CustomId?": "str", "Name?": "str", "FileName?": "str"}
OPTIONAL_SUMMARY = {k.rstrip("?") + "?": v for k, v in SUMMARY.items()}
PROJECT_DATA = {"Project": {**OPTIONAL_SUMMARY, "CanSubmit?": "bool", "DataFields": [DATA_FIELD],
                            "Attachments?": [ATTACHMENT]}}
HISTORY_ENTRY = {**STATUS, "Timestamp": "ts", "ChangedBy?": "str", "ReportAsChangedBy?": "str", "ReportAs?": "str"}
THREAD = {"ThreadId": "str", "Subject?": "str", "Status?": "str", "ExternalId?": "str",
          "CreatedTimestamp?": "ts", "LastNoteTimestamp?": "ts"}
NOTE = {"NoteId?": "str", "Author?": {"Name?": "str", "Email?": "str"}, "IsAdmin?": "bool", "Text?": "str",
        "Timestamp?": "ts"}

#: endpoint (client method name) -> modelled shape of its answer. Endpoints not listed are not checked.
SHAPES: dict[str, dict[str, Spec]] = {
    "programs": {"Programs": [{"ProgramId": "str", "CustomId?": "str", "Name?": "str"}]},
    "forms": {"Forms": [{"FormId": "str", "CustomId?": "str", "ProgramId?": "str", "Name": "str",
                         "AvailableInStatuses?": [STATUS]}]},
    "form_schema": {"FormSchema": {"FormId?": "str", "CustomId?": "str", "Name?": "str",
                                   "DataFields": [{"DataFieldId": "str", "CustomId?": "str", "Name?": "str",
                                                   "Type?": "str", "Required?": "bool", "MultiInstance?": "bool",
                                                   "Properties?": {"Min?": "num", "Max?": "num"},
                                                   "HierarchyLevel?": "num", "Choices?": ["any"],
                                                   "Sensitive?": "bool"}],
                                   "Attachments?": [{"AttachmentId": "str", "CustomId?": "str", "Name?": "str"}]}},
    "status_list": {"Statuses": [STATUS]},
    "projects": PROJECT_LIST,
    "projects_by_number": PROJECT_LIST,
    "projects_by_data": PROJECT_LIST,
    "create_project": {"Project": {**OPTIONAL_SUMMARY, "ProjectId": "str", "Forms?": ["any"]}},
    "submit_project": {"Project": OPTIONAL_SUMMARY},
    "project_data": PROJECT_DATA,
    "set_project_data": PROJECT_DATA,
    "set_project_data_admin": PROJECT_DATA,
    "status_history": {"StatusHistory": [HISTORY_ENTRY]},
    "set_project_status": {"Status": STATUS},
    "inquiry_threads": {"InquiryThreads": [THREAD]},
    "inquiry_notes": {"ThreadId?": "str", "Notes": [NOTE]},
}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _expected(spec: Spec) -> str:
    if isinstance(spec, dict):
        return "object"
    if isinstance(spec, list):
        return "list"
    return {"str": "string", "int": "integer", "num": "number", "bool": "boolean", "ts": "timestamp (ISO 8601 with "
            "offset)", "any": "any"}[spec]


def _scalar_ok(spec: str, value: Any) -> bool:
    if spec == "any":
        return True
    if spec == "str":
        return isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))
    if spec == "bool":
        return isinstance(value, bool)
    if spec in ("int", "num"):
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return spec == "num" or float(value).is_integer()
        try:  # XML carries numbers the codec does not restore as text
            float(value)
            return True
        except (TypeError, ValueError):
            return False
    if spec == "ts":
        if not isinstance(value, str):
            return False
        try:
            return parse_timestamp(value) is not None or value == ""
        except ValueError:
            return False
    raise ValueError(f"unknown shape spec {spec!r}")


class DriftLog:
    """Counts unknown fields per (endpoint, field path) and raises ContractMismatch on missing or
    mistyped ones. One per client; thread-safe (a sync and a notebook cell may share a client)."""

    def __init__(self) -> None:
        self.unknown: Counter[tuple[str, str]] = Counter()
        self.checked: Counter[str] = Counter()
        self.mismatches: list[ContractMismatch] = []
        self._lock = threading.Lock()

    def check(self, endpoint: str, data: Any, request_id: str | None = None) -> None:
        shape = SHAPES.get(endpoint)
        if shape is None:
            return
        unknown: list[str] = []
        try:
            _walk(endpoint, shape, data, "", unknown, request_id)
        except ContractMismatch as exc:
            with self._lock:
                self.mismatches.append(exc)
            raise
        finally:
            with self._lock:
                self.checked[endpoint] += 1
                for path in unknown:
                    self.unknown[(endpoint, path)] += 1

    def record(self, mismatch: ContractMismatch) -> NoReturn:
        """Keep a mismatch found outside the shape walk (an unparsable body) and raise it."""
        with self._lock:
            self.mismatches.append(mismatch)
        raise mismatch

    def summary(self) -> str:
        """One line per kind of drift seen so far ("no drift" when none)."""
        with self._lock:
            lines = [f"{m.endpoint}: {m.field} expected {m.expected}, saw {m.seen} "
                     f"(x-amzn-RequestId: {m.request_id})" for m in self.mismatches]
            lines += [f"{ep}: unknown field {path} in {n} answer(s) (kept in the raw JSON)"
                      for (ep, path), n in sorted(self.unknown.items())]
        return "\n".join(lines) if lines else "no drift: every answer matched the modelled contract"

    @property
    def unknown_fields(self) -> dict[str, int]:
        with self._lock:
            return {f"{ep}:{path}": n for (ep, path), n in self.unknown.items()}


def _walk(endpoint: str, shape: dict[str, Spec], data: Any, where: str, unknown: list[str],
          request_id: str | None) -> None:
    if not isinstance(data, dict):
        raise ContractMismatch(endpoint, where or "(answer)", "object", _type_name(data), request_id)
    known = {key.rstrip("?") for key in shape}
    for name in data:  # first, so a renamed field's new name is counted even when the old one fails
        if name not in known:
            path = f"{where}.{name}" if where else name
            if path not in unknown:
                unknown.append(path)
    for key, spec in shape.items():
        name, optional = (key[:-1], True) if key.endswith("?") else (key, False)
        path = f"{where}.{name}" if where else name
        value = data.get(name)
        if value is None:
            if not optional:
                seen = "null" if name in data else "absent"
                raise ContractMismatch(endpoint, path, _expected(spec), seen, request_id)
            continue
        _value(endpoint, spec, value, path, unknown, request_id)


def _value(endpoint: str, spec: Spec, value: Any, path: str, unknown: list[str], request_id: str | None) -> None:
    if isinstance(spec, dict):
        _walk(endpoint, spec, value, path, unknown, request_id)
    elif isinstance(spec, list):
        if not isinstance(value, list):
            raise ContractMismatch(endpoint, path, "list", _type_name(value), request_id)
        for item in value:
            if item is not None:
                _value(endpoint, spec[0], item, f"{path}[]", unknown, request_id)
    elif not _scalar_ok(spec, value):
        seen = _type_name(value)
        if spec == "ts" and isinstance(value, str):
            seen = f"string {value[:40]!r}"
        raise ContractMismatch(endpoint, path, _expected(spec), seen, request_id)
