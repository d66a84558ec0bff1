"""Request parsing and response rendering shared by the sandbox routes (JSON or XML)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from pcnb.api import codec
from pcnb.contract import MAX_PAGE_LIMIT
from pcnb.sandbox.models import SandboxError


def wants_xml(request: Request) -> bool:
    return "application/xml" in request.headers.get("accept", "")


def reply(request: Request, data: dict[str, Any], status: int = 200,
          headers: dict[str, str] | None = None) -> Response:
    if wants_xml(request):
        return Response(codec.dumps(data), status, headers=headers, media_type="application/xml")
    return JSONResponse(data, status, headers=headers)


def error_response(request: Request, exc: SandboxError) -> Response:
    body = exc.body or {"message": exc.message, **({"Errors": exc.errors} if exc.errors else {})}
    return reply(request, body, exc.status, exc.headers)


async def body_of(request: Request) -> dict[str, Any]:
    """Parse a JSON or XML body (by Content-Type); anything else is a 400 with the fix."""
    raw = await request.body()
    if not raw:
        raise SandboxError(400, "Request body is empty; send JSON (default) or XML")
    ctype = request.headers.get("content-type", "application/json")
    if "xml" in ctype:
        try:
            data = codec.loads(raw)
        except ValueError as exc:
            raise SandboxError(400, f"Malformed XML body: {exc}") from exc
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SandboxError(400, f"Malformed JSON body: {exc}") from exc
    if not isinstance(data, dict):
        raise SandboxError(400, "Request body must be a JSON object")
    return data


def flag(value: str | None, name: str) -> bool:
    if value is None:
        return False
    if value.lower() not in ("true", "false"):
        raise SandboxError(400, f"{name} must be true or false")
    return value.lower() == "true"


def paging(limit: str | None, offset: str | None) -> tuple[int | None, int]:
    def as_int(v: str | None, name: str) -> int | None:
        if v is None:
            return None
        if not (v.isascii() and v.isdigit()):  # str.isdigit() also accepts '³', which int() refuses
            raise SandboxError(400, f"{name} must be a non-negative integer")
        return int(v)
    lim, off = as_int(limit, "limit"), as_int(offset, "offset") or 0
    if lim is not None and not 1 <= lim <= MAX_PAGE_LIMIT:
        raise SandboxError(400, f"limit must be between 1 and {MAX_PAGE_LIMIT}")
    return lim, off
