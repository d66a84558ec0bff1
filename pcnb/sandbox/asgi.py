"""Outermost ASGI layer: request ids on every response and transport-level fault injection.

A plain ASGI middleware (not FastAPI's) because a dropped connection must be produced below the
framework: we start a response that promises more bytes than it sends, so the client sees the
connection cut mid-body exactly as it would on a flaky network.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from email.utils import formatdate
from typing import Any

from pcnb.contract import REQUEST_ID_HEADER
from pcnb.sandbox.faults import Faults
from pcnb.sandbox.quirks import Quirks


class GatewayMiddleware:
    def __init__(self, app: Any, faults: Faults, api_prefix: str = "/services/v2", quirks: Quirks | None = None):
        self.app, self.faults, self.prefix = app, faults, api_prefix
        self.quirks = quirks or Quirks()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        header = (REQUEST_ID_HEADER.lower().encode(), request_id.encode())
        date = (b"date", formatdate(time.time() + self.quirks.clock_offset, usegmt=True).encode())

        async def send_with_id(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], header, date]  # the server's clock (uvicorn's is off)
                gateway = self.quirks.header_list()
                if gateway:  # a gateway's headers replace the server's of the same name
                    names = {k for k, _ in gateway}
                    message["headers"] = [(k, v) for k, v in message["headers"] if k.lower() not in names] + gateway
            await send(message)

        if self.quirks.token_path:  # the token endpoint lives elsewhere on this server
            if scope["path"] == TOKEN_PATH:
                await _reply(send_with_id, 404, {"message": "Resource not found"})
                return
            if scope["path"] == self.quirks.token_path:
                scope = {**scope, "path": TOKEN_PATH, "raw_path": TOKEN_PATH.encode()}
        if scope["path"].startswith(self.prefix):
            fault, delay = self.faults.draw(f"{scope['method']} {scope['path']}")
            if delay:  # like a real server: the request has arrived whole, then it is slow to answer
                receive = await _received(receive)
                await asyncio.sleep(delay)
            if fault == "503":
                await _reply(send_with_id, 503, {"message": "Service Unavailable (injected fault)"})
                return
            if fault == "429":
                extra = [] if self.faults.retry_after is None else [
                    (b"retry-after", str(self.faults.retry_after).encode())]
                await _reply(send_with_id, 429, {"message": "Too Many Requests"}, extra)
                return
            if fault == "drop":
                await send_with_id({"type": "http.response.start", "status": 200,
                                    "headers": [(b"content-type", b"application/json"),
                                                (b"content-length", b"4096")]})
                await send_with_id({"type": "http.response.body", "body": b'{"Projects": [', "more_body": False})
                return
            if fault == "drop_after":  # the operation is applied; only its answer is lost on the way
                await self.app(scope, receive, _cut_body(send_with_id))
                return
            if fault == "502_after":  # applied, then a gateway answers 502 instead of the result
                await self.app(scope, receive, _swallow)
                await _reply(send_with_id, 502, {"message": "Bad Gateway (injected fault)"})
                return
            if self.quirks.api_raw:  # a gateway that answers its own body
                await self.app(scope, receive, _replaced(send_with_id, self.quirks.api_raw.encode()))
                return
            if self.quirks.reshapes:
                await self.app(scope, receive, _reshaped(send_with_id, self.quirks))
                return
        await self.app(scope, receive, send_with_id)


TOKEN_PATH = "/connect/token"


def _reshaped(send: Any, quirks: Quirks) -> Any:
    """Buffer a successful JSON answer and send it as the quirky server would (content-length fixed)."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def reshape(message: dict[str, Any]) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            ctype = dict(message.get("headers", [])).get(b"content-type", b"")
            if message["status"] >= 400 or b"json" not in ctype:
                start = {}
                await send(message)
            else:
                start = message
            return
        if not start:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = json.dumps(quirks.reshape(json.loads(b"".join(chunks) or b"{}"))).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    return reshape


def _replaced(send: Any, body: bytes) -> Any:
    """Send the answer's status and headers with ``body`` instead of its own (content-length fixed)."""
    async def replace(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
            await send({**message, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        elif not message.get("more_body"):
            await send({"type": "http.response.body", "body": body})
    return replace


async def _reply(send: Any, status: int, body: dict[str, Any], extra: list[Any] | None = None) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(data)).encode()), *(extra or [])]})
    await send({"type": "http.response.body", "body": data})


async def _received(receive: Any) -> Any:
    """Read the whole request body now; the app then reads it even if the client has gone away
    meanwhile (a slow server still applies a write whose client timed out)."""
    body, more = b"", True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return receive
        body += message.get("body", b"")
        more = message.get("more_body", False)
    replayed = False

    async def replay() -> dict[str, Any]:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # type: ignore[no-any-return]
    return replay


async def _swallow(message: dict[str, Any]) -> None:
    """Discard the application's answer (a gateway replaces it)."""


def _cut_body(send: Any) -> Any:
    """Forward the response start with a longer content-length, then send half the body and stop."""
    done = False

    async def cut(message: dict[str, Any]) -> None:
        nonlocal done
        if done:
            return
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"content-length"]
            message = {**message, "headers": [*headers, (b"content-length", b"65536")]}
            await send(message)
        elif message["type"] == "http.response.body":
            body, done = message.get("body", b""), True
            await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": False})
    return cut
