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

Gateway quirks (what a proxy in front of PowerClerk may send; ``pcnb doctor`` must diagnose each):
``headers`` is a JSON object of response headers set on every answer (replacing the sandbox's own,
e.g. ``{"Date": "Sun, 06 Dec 2026 02:32:53 -0000"}``); ``token_answer`` a JSON object merged over
the token endpoint's answer (``null`` removes a field); ``token_raw`` a body the token endpoint
answers instead, with status ``token_status``; ``revoke_tokens`` revokes every token right after
it is issued (the API then answers 401 to a token the identity server just handed out); ``api_raw`` is
a body every API answer carries instead of its own (any text).
"""

from __future__ import annotations

import json
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
    headers: str = ""  # JSON object: response headers set on every answer (a gateway's)
    token_answer: str = ""  # JSON object merged over the token answer (null removes a field)
    token_raw: str = ""  # the token endpoint answers this body instead (any text)
    token_status: str = "200"  # ... with this status
    revoke_tokens: str = ""  # "1": every token is revoked as soon as it is issued
    api_raw: str = ""  # every API answer's body is this text instead (status and headers kept)

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
            self._headers = _json_object(self.headers, "headers")
            self._token_answer = _json_object(self.token_answer, "token_answer")
            self._token_status = int(self.token_status or 200)
            if any(not isinstance(v, str) for v in self._headers.values()):
                raise ValueError("headers values must be strings")
            if self.token_path and not self.token_path.startswith("/"):
                raise ValueError("token_path must start with '/', e.g. /oauth2/token")

    def header_list(self) -> list[tuple[bytes, bytes]]:
        """The gateway's headers as ASGI pairs (latin-1, as HTTP carries them)."""
        return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self._headers.items()]

    def token(self, issued: dict[str, Any]) -> tuple[int, str | dict[str, Any]]:
        """(status, body) the token endpoint answers, given the answer it issued."""
        if self.token_raw:
            return self._token_status, self.token_raw
        answer = {**issued, "token_type": self.token_type, **self._token_answer}
        return self._token_status, {k: v for k, v in answer.items() if v is not None}

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


def _json_object(text: str, name: str) -> dict[str, Any]:
    if not text:
        return {}
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{name} must be a JSON object")
    return data


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
