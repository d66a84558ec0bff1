"""Start the sandbox on 127.0.0.1 (a free port by default) in a background thread.

``with pcnb.sandbox.running() as sb:`` gives base URL, token URL and demo credentials;
``pcnb sandbox`` runs the same server in the foreground and writes a connection file (0600).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import uvicorn

from pcnb.sandbox.faults import Faults
from pcnb.sandbox.generator import generate
from pcnb.sandbox.identity import Identity, RateLimit, User
from pcnb.sandbox.program import ProgramDef
from pcnb.sandbox.quirks import Quirks
from pcnb.sandbox.server import Sandbox
from pcnb.sandbox.state import State


def parse_rate(spec: str) -> tuple[int, float]:
    """``"60/60"``, ``"30/2s"``, ``"60/1m"`` -> (limit, period seconds)."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*(s|m|min)?\s*", spec or "")
    if not m or int(m.group(1)) < 1 or float(m.group(2)) <= 0:
        raise ValueError(f"rate limit {spec!r} must look like 60/60 (operations/seconds), 30/2s or 60/1m")
    period = float(m.group(2)) * (60 if m.group(3) in ("m", "min") else 1)
    return int(m.group(1)), period


@dataclass
class SandboxHandle:
    """A running sandbox: where it listens, who may log in, and its live state for inspection."""

    base_url: str
    token_url: str
    control_url: str
    control_token: str
    sandbox: Sandbox
    rate_limit: tuple[int, float]

    @property
    def state(self) -> State:
        return self.sandbox.state

    @property
    def users(self) -> dict[str, User]:
        return self.sandbox.identity.users

    @property
    def program_id(self) -> str:
        return self.state.program.program_id

    def credentials(self, role: str = "admin") -> dict[str, Any]:
        u = self.users[role]
        out = {"api_key": u.api_key, "client_id": u.client_id, "client_secret": u.client_secret}
        if u.totp_secret:
            out["mfa_totp_secret"] = u.totp_secret
            out["mfa_session_token"] = next(iter(u.mfa_session_tokens))
        return out

    def connection(self) -> dict[str, Any]:
        """Everything a client in another process needs (written to the connection file)."""
        return {"base_url": self.base_url, "token_url": self.token_url, "control_url": self.control_url,
                "control_token": self.control_token, "program_id": self.program_id,
                "program_source": self.state.program.source,
                "rate_limit": list(self.rate_limit),
                "users": {role: self.credentials(role) for role in self.users}}

    def write_connection(self, path: str | Path) -> Path:
        """Write the connection file whole or not at all: it is written beside its final name (0600)
        and renamed into place, so a notebook or test that sees the file never reads half of it."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f".{path.name}.{os.getpid()}.part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # O_CREAT's mode applies only to a new file: an existing 0644 one is narrowed too
        with os.fdopen(fd, "w") as fh:
            json.dump(self.connection(), fh)
        os.replace(part, path)
        return path


def build(projects: int = 2000, seed: int = 7, rate_limit: str = "60/60", faults: Faults | None = None,
          token_lifetime: int = 3600, end: datetime | None = None, state_file: str | None = None,
          program: ProgramDef | str | None = None, quirks: Quirks | None = None, state: State | None = None) -> Sandbox:
    """A sandbox serving ``program`` (a built-in name, a definition file or a ProgramDef; default
    the residential interconnection program) with ``projects`` synthetic projects, or serving a
    ``state`` made before (a test suite generates one and serves copies of it)."""
    state = state or generate(projects, seed=seed, end=end, program=program)
    if state_file and Path(state_file).exists():
        state.load(state_file)
    limit, period = parse_rate(rate_limit)
    return Sandbox(state, Identity(token_lifetime=token_lifetime), RateLimit(limit, period),
                   faults or Faults(), secrets.token_urlsafe(16), quirks)


@contextmanager
def running(projects: int = 2000, seed: int = 7, rate_limit: str = "60/60", port: int = 0,
            faults: Faults | None = None, token_lifetime: int = 3600, end: datetime | None = None,
            state_file: str | None = None, sandbox: Sandbox | None = None,
            program: ProgramDef | str | None = None, quirks: Quirks | None = None,
            tls: tuple[str, str] | None = None, state: State | None = None) -> Iterator[SandboxHandle]:
    """Run a sandbox in a background thread for the duration of the block (``program``, ``state``: see
    build; ``tls``: (certificate file, key file) to serve https, e.g. to test certificate checks)."""
    sb = sandbox or build(projects, seed, rate_limit, faults, token_lifetime, end, state_file, program, quirks,
                          state)
    with serving(sb.app, port, "pcnb-sandbox", ssl_certfile=tls[0] if tls else None,
                 ssl_keyfile=tls[1] if tls else None) as actual:
        root = f"{'https' if tls else 'http'}://127.0.0.1:{actual}"
        yield SandboxHandle(f"{root}/services/v2", f"{root}/connect/token", f"{root}/_sandbox",
                            sb.control_token, sb, (sb.rate.limit, sb.rate.period))


@contextmanager
def serving(app: Any, port: int, name: str, **config: Any) -> Iterator[int]:
    """Serve ``app`` with uvicorn on 127.0.0.1:``port`` (0: a free one) in a daemon thread for the
    block; yields the port. The GatewayMiddleware sends Date (the sandbox clock), not uvicorn."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off",
                                           date_header=False, **config))
    thread = threading.Thread(target=server.run, name=name, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{name} could not start on 127.0.0.1:{port} (port in use?)")
        time.sleep(0.02)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        thread.join(timeout=10)
