"""How a Workspace is reached: the one place that reads the environment and starts or finds a sandbox.

Each function returns a :class:`Connection` (a client, the program, the cache file and what must be
closed with it) and constructs no Workspace, so this module sits below ``pcnb.workspace``:
``Workspace.open`` / ``.connect`` / ``.sandbox`` / ``.from_connection`` are thin wrappers.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pcnb.api.auth import Credentials, resolve_credentials
from pcnb.api.client import PowerClerkClient
from pcnb.cache import pg
from pcnb.cache.store import default_path
from pcnb.config import Settings, cache_dir, load_settings
from pcnb.errors import ConfigError


@dataclass
class Connection:
    """What a Workspace is made of, before it is made: ``stack`` closes what was started for it
    (an embedded sandbox, its temporary cache folder) when the workspace closes, or when making it fails."""

    client: PowerClerkClient
    program: str | None
    store_path: str | Path | None
    stack: ExitStack = field(default_factory=ExitStack)
    sandbox_handle: Any = None
    sandbox_program: Any = None  # the served program's definition, when pcnb serves it


def real(environment: str, program: str | None = None, **settings: Any) -> Connection:
    """Real credentials (PCNB_* variables or the keyring) for ``environment``: "trial" or
    "production" -- named explicitly, never a default, since production is a live system."""
    s = load_settings(environment=environment, program=program, **settings)
    return Connection(PowerClerkClient(s, resolve_credentials(s.environment)), s.program, s.store_url or s.store_path)


def embedded_sandbox(projects: int = 2000, seed: int = 7, rate_limit: str = "6000/60", role: str = "admin",
                     store_path: str | Path | None = None, **kw: Any) -> Connection:
    """Start an embedded sandbox (fast rate limit by default for demos) and connect to it."""
    from pcnb.sandbox import running

    stack = ExitStack()
    handle = stack.enter_context(running(projects=projects, seed=seed, rate_limit=rate_limit, **kw))
    creds = Credentials.from_dict(handle.credentials(role), "sandbox")
    settings = Settings(environment="sandbox", base_url=handle.base_url, token_url=handle.token_url,
                        program=handle.program_id, rate_limit=handle.rate_limit[0],
                        rate_period=handle.rate_limit[1],
                        store_url=str(store_path) if pg.is_url(str(store_path)) else None)
    if store_path is None:  # an embedded sandbox's data dies with it: keep its cache in a temp dir
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="pcnb-sandbox-"))
        store_path = Path(tmp) / "store.sqlite"
    return Connection(PowerClerkClient(settings, creds), handle.program_id, store_path, stack, handle,
                      handle.state.program)


def from_connection_file(path: str | Path, role: str = "admin", store_path: str | Path | None = None) -> Connection:
    """A sandbox started elsewhere (``pcnb sandbox`` / ``pcnb demo``), via its connection file."""
    try:
        info = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the sandbox connection file {path}: {exc}",
                          "start one with `pcnb sandbox`, or use environment='sandbox' without a file") from exc
    creds = Credentials.from_dict(info["users"][role], "sandbox connection file")
    settings = Settings(environment="sandbox", base_url=info["base_url"], token_url=info["token_url"],
                        program=info["program_id"], rate_limit=int(info["rate_limit"][0]),
                        rate_period=float(info["rate_limit"][1]),
                        store_url=str(store_path) if pg.is_url(str(store_path)) else None)
    port = info["base_url"].rsplit(":", 1)[-1].split("/")[0]
    conn = Connection(PowerClerkClient(settings, creds), info["program_id"],
                      store_path or default_path(f"sandbox-{port}", info["program_id"]))
    if info.get("program_source"):
        from pcnb.sandbox.definition import ProgramDefinitionError, load

        try:
            conn.sandbox_program = load(info["program_source"])
        except ProgramDefinitionError:
            pass  # the file moved: the profile is inferred without the definition's deadlines
    return conn


def from_environment(environment: str | None = None, program: str | None = None, connection: str | None = None,
                     store_path: str | Path | None = None, embedded: bool = True,
                     **sandbox_options: Any) -> Connection:
    """What notebooks and the console script use (through ``Workspace.open``).

    ``environment`` (default: PCNB_ENVIRONMENT, else "sandbox"): for the sandbox, a running one
    via its connection file (``connection``, else PCNB_SANDBOX_CONNECTION), else an embedded one
    -- or, ``embedded=False`` (the console script, one process per command), the connection file
    ``pcnb sandbox`` writes to the cache dir, else an error saying how to start one. For trial and
    production, real credentials from the environment or keyring. PCNB_STORE_URL (a team's
    PostgreSQL store) or PCNB_STORE_PATH overrides the cache file; PCNB_SANDBOX_PROJECTS sizes an
    embedded sandbox. ``program``: the program id
    on a real PowerClerk; for an embedded sandbox, which program to serve (a built-in name such as
    "rebate", or a definition file)."""
    environment = environment or os.environ.get("PCNB_ENVIRONMENT") or "sandbox"
    store_path = store_path or os.environ.get("PCNB_STORE_URL") or os.environ.get("PCNB_STORE_PATH") or None
    if environment != "sandbox":
        if pg.is_url(str(store_path)):  # a team's store: its server also keeps the key's budget
            return real(environment, program, store_url=str(store_path))
        return real(environment, program, store_path=str(store_path) if store_path else None)
    connection = connection or os.environ.get("PCNB_SANDBOX_CONNECTION")
    if not connection and not embedded:
        connection = str(cache_dir() / "sandbox.json")
    if connection and not embedded and not Path(connection).is_file():
        raise ConfigError("no running sandbox found (and PCNB_ENVIRONMENT is not trial/production)",
                          "start one with `pcnb sandbox` in another terminal, or set PCNB_ENVIRONMENT=trial")
    if connection:
        return from_connection_file(connection, role=sandbox_options.get("role", "admin"), store_path=store_path)
    if program:  # for the embedded sandbox: a built-in program name or a definition file
        sandbox_options.setdefault("program", program)
    if os.environ.get("PCNB_SANDBOX_PROJECTS"):
        count = os.environ["PCNB_SANDBOX_PROJECTS"]
        if not count.isascii() or not count.isdigit() or not 1 <= int(count) <= 200_000:
            raise ConfigError(f"PCNB_SANDBOX_PROJECTS={count!r} is not a number of projects",
                              "set a whole number from 1 to 200000, or unset it (2000)")
        sandbox_options.setdefault("projects", int(count))
    return embedded_sandbox(store_path=store_path, **sandbox_options)
