"""``pcnb sandbox --replay DIR``: serve answers recorded by ``pcnb doctor --record DIR``.

Any client credentials get a token; each API request gets the recorded answer of the same method
and path (the one with the same query string when there is one), in recording order, the last one
repeating; unrecorded paths answer 404. Request ids are fresh (the GatewayMiddleware adds them): the
recorded ones stay in the files for the bug report.
"""

from __future__ import annotations

import json
import secrets
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pcnb.sandbox.asgi import GatewayMiddleware
from pcnb.sandbox.faults import Faults

PREFIX = "/services/v2"


def load_recording(folder: str | Path) -> list[dict[str, Any]]:
    """The answers of a recording (the format pcnb.diagnostics.recording writes); ValueError if it is none."""
    folder = Path(folder)
    try:
        index = json.loads((folder / "index.json").read_text())
        return [json.loads((folder / a["file"]).read_text()) for a in index["answers"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{folder} is not a pcnb recording ({exc}); make one with `pcnb doctor --record DIR`") \
            from None


class ReplayApp:
    def __init__(self, folder: str | Path):
        self.answers: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for a in load_recording(folder):
            self.answers[(a["method"], a["path"])].append(a)
        self.served: dict[tuple[str, str], int] = defaultdict(int)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == "/connect/token" and method == "POST":
            await _send(send, 200, {"access_token": secrets.token_urlsafe(16), "expires_in": 3600,
                                    "token_type": "Bearer"})
            return
        key = (method, path[len(PREFIX):] if path.startswith(PREFIX) else path)
        options = self.answers.get(key)
        if not options:
            await _send(send, 404, {"message": f"{method} {key[1]} is not in the recording"})
            return
        query = scope.get("query_string", b"").decode()
        same = [a for a in options if a.get("query") == query]
        pool = same or options
        i = self.served[key]
        self.served[key] += 1
        answer = pool[min(i, len(pool) - 1)]
        await _send(send, int(answer["status"]), answer.get("body"))


async def _send(send: Any, status: int, body: Any) -> None:
    data = json.dumps(body).encode() if body is not None else b""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


def replay_app(folder: str | Path) -> Any:
    return GatewayMiddleware(ReplayApp(folder), Faults())


def program_of(folder: str | Path) -> str:
    """The program id the recording was made against (from its paths)."""
    for a in load_recording(folder):
        parts = str(a.get("path", "")).split("/")
        if len(parts) > 2 and parts[1] == "Programs":
            return parts[2]
    return "UNKNOWN"


@contextmanager
def replaying(folder: str | Path, port: int = 0) -> Iterator[dict[str, Any]]:
    """Serve a recording on 127.0.0.1 in a background thread; yields a sandbox connection dict
    (placeholder credentials: the replay accepts any)."""
    from pcnb.sandbox.runner import serving

    with serving(replay_app(folder), port, "pcnb-replay") as actual:
        root = f"http://127.0.0.1:{actual}"
        creds = {"api_key": "replay-key", "client_id": "replay-client", "client_secret": "replay-secret"}
        yield {"base_url": root + PREFIX, "token_url": root + "/connect/token", "control_url": "",
               "control_token": "", "program_id": program_of(folder), "rate_limit": [100000, 60],
               "users": {"admin": creds, "applicant": creds, "mfa": creds}}
