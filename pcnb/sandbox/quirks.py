"""Contract quirks: make the sandbox differ from the modelled contract the way a real server might.

Faults (faults.py) model an unreliable network; quirks model a *different* server: a field
renamed or retyped, extra fields, the token endpoint at another path or handing out another token
type, a user not allowed on the program. ``pcnb doctor`` and the drift detector are tested against
them, and ``pcnb sandbox --quirks`` demonstrates them. Set per run (constructor, ``--quirks``, or
POST /_sandbox/quirks).

``rename``/``retype``/``extra`` act on the JSON answers of the API (not XML, not errors):
``rename="ProjectId=ProjectID"`` renames that key wherever it occurs; ``retype="ProjectId=number"``
replaces its value by one of another type (number, string, list, object, bool, badtime);
``extra="Region=west"`` adds the field to every object of the answer.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields
from typing import Any


def _pairs(spec: str) -> dict[str, str]:
    out = {}
    for part in filter(None, (s.strip() for s in spec.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key:
            raise ValueError(f"quirk item {part!r} must be key=value")
        out[key.strip()] = value.strip()
    return out


RETYPES = ("number", "string", "list", "object", "bool", "badtime")


@dataclass
class Quirks:
    rename: str = ""  # "Old=New,..." keys renamed in every JSON answer
    retype: str = ""  # "Field=number|string|list|object|bool|badtime,..."
    extra: str = ""  # "Field=value,..." added to every object of every JSON answer
    token_path: str = ""  # serve the token endpoint here instead of /connect/token (which then 404s)
    token_type: str = "Bearer"  # token_type the token endpoint reports
    no_program_access: str = ""  # comma-separated roles (admin, applicant, mfa) not allowed on the program
    clock_offset_s: str = "0"  # the server's clock runs this many seconds ahead (Date header, RequestTimestamp)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self.update()

    def update(self, **changes: object) -> None:
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown quirk(s) {sorted(unknown)}; known: {sorted(known)}")
        with self._lock:
            for k, v in changes.items():
                setattr(self, k, "" if v is None else str(v))
            renames, retypes = _pairs(self.rename), _pairs(self.retype)
            bad = sorted(set(retypes.values()) - set(RETYPES))
            if bad:
                raise ValueError(f"retype to {bad} is unknown; use one of {', '.join(RETYPES)}")
            self._renames, self._retypes, self._extra = renames, retypes, _pairs(self.extra)
            self.clock_offset = float(self.clock_offset_s or 0)
            if self.token_path and not self.token_path.startswith("/"):
                raise ValueError("token_path must start with '/', e.g. /oauth2/token")

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}

    @property
    def reshapes(self) -> bool:
        return bool(self._renames or self._retypes or self._extra)

    def denied(self, role: str) -> bool:
        return role in {r.strip() for r in self.no_program_access.split(",") if r.strip()}

    def reshape(self, data: Any) -> Any:
        """The answer as the quirky server would send it."""
        if isinstance(data, list):
            return [self.reshape(v) for v in data]
        if not isinstance(data, dict):
            return data
        out: dict[str, Any] = {}
        for key, value in data.items():
            value = self.reshape(value)
            if key in self._retypes:
                value = _retyped(value, self._retypes[key])
            out[self._renames.get(str(key), str(key))] = value
        for key, value in self._extra.items():
            out.setdefault(key, value)
        return out

    @classmethod
    def parse(cls, spec: str) -> Quirks:
        """``"rename=ProjectId:ProjectID;token_path=/oauth2/token"`` -> Quirks (``--quirks``);
        inside one quirk, pairs are ``Old:New`` separated by ``,``."""
        changes: dict[str, str] = {}
        for part in filter(None, (s.strip() for s in spec.split(";"))):
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"quirk {part!r} must be key=value, e.g. rename=ProjectId:ProjectID")
            if key in ("rename", "retype", "extra"):
                value = ",".join(p.replace(":", "=", 1) for p in value.split(","))
            changes[key.strip()] = value
        out = cls()
        out.update(**changes)
        return out


def _retyped(value: Any, kind: str) -> Any:
    if kind == "number":
        return 12345
    if kind == "string":
        return str(value)
    if kind == "list":
        return [value]
    if kind == "object":
        return {"Value": value}
    if kind == "bool":
        return True
    return "last Tuesday"  # badtime: a string no timestamp parser reads
