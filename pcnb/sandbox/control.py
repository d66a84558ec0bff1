"""Sandbox control endpoints (``/_sandbox/...``), guarded by a per-run control token.

They let tests and benchmarks in other processes steer a running sandbox: set faults, revoke
tokens, simulate activity, read rate-limit counters, save state. Not part of the V2 contract and
left out of the OpenAPI document.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from pcnb.sandbox.activity import simulate
from pcnb.sandbox.models import SandboxError

if TYPE_CHECKING:
    from pcnb.sandbox.server import Sandbox


def control_router(sb: Sandbox) -> APIRouter:
    r = APIRouter(prefix="/_sandbox")

    def guard(request: Request) -> None:
        if not secrets.compare_digest(request.headers.get("x-sandbox-control", ""), sb.control_token):
            raise SandboxError(403, "control endpoints need the X-Sandbox-Control token of this run")

    @r.post("/faults")
    async def faults(request: Request) -> JSONResponse:
        guard(request)
        try:
            sb.faults.update(**(await request.json()))
        except (ValueError, TypeError) as exc:
            raise SandboxError(400, str(exc)) from exc
        return JSONResponse(sb.faults.as_dict())

    @r.post("/quirks")
    async def quirks(request: Request) -> JSONResponse:
        guard(request)
        try:
            sb.quirks.update(**(await request.json()))
        except (ValueError, TypeError) as exc:
            raise SandboxError(400, str(exc)) from exc
        return JSONResponse(sb.quirks.as_dict())

    @r.post("/revoke-tokens")
    async def revoke(request: Request) -> JSONResponse:
        guard(request)
        return JSONResponse({"revoked": sb.identity.revoke_all()})

    @r.post("/activity")
    async def activity(request: Request) -> JSONResponse:
        guard(request)
        body = await request.json()
        with sb.state.lock:
            report = simulate(sb.state, float(body.get("fraction", 0.03)), int(body.get("seed", 1)))
        return JSONResponse(report.as_dict())

    @r.get("/stats")
    async def stats(request: Request) -> JSONResponse:
        guard(request)
        return JSONResponse({"accepted": sb.rate.accepted, "rejected_429": sb.rate.rejected,
                             "projects": len(sb.state.projects), "threads": len(sb.state.threads)})

    @r.post("/save")
    async def save(request: Request) -> JSONResponse:
        guard(request)
        path = (await request.json())["path"]
        sb.state.save(path)
        return JSONResponse({"saved": path})

    return r
