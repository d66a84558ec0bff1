"""Workspace: one program's client + store + frames, the object the magic, widgets and notebooks use.

``Workspace.sandbox()`` starts the embedded sandbox and connects to it (demo, binder, tests);
``Workspace.connect(environment=...)`` uses real credentials from the environment or keyring.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import polars as pl

from pcnb.api.auth import Credentials, resolve_credentials
from pcnb.api.client import PowerClerkClient
from pcnb.cache import frames
from pcnb.cache.store import Store, default_path
from pcnb.cache.sync import SyncReport, sync
from pcnb.config import Settings, cache_dir, load_settings
from pcnb.errors import ConfigError


class Workspace:
    def __init__(self, client: PowerClerkClient, program: str | None = None, store_path: str | Path | None = None):
        self.client = client
        program = program or client.settings.program
        if not program:
            programs = client.programs().get("Programs") or []
            if len(programs) != 1:
                names = ", ".join(f"{p.get('ProgramId')} ({p.get('Name')})" for p in programs)
                raise ConfigError("more than one program is visible; choose one", f"use one of: {names}")
            program = str(programs[0]["ProgramId"])
        self.program: str = program
        path = store_path or client.settings.store_path or default_path(client.settings.environment, self.program)
        self.store = Store(path)
        self.client.ledger = self.store.record_call
        self._stack = ExitStack()
        self.sandbox_handle: Any = None

    def __repr__(self) -> str:
        return f"Workspace(program={self.program!r}, {self.client!r}, store={str(self.store.path)!r})"

    @classmethod
    def connect(cls, environment: str, program: str | None = None, **settings: Any) -> Workspace:
        """Real credentials (PCNB_* variables or the keyring) for ``environment``: "trial" or
        "production" -- named explicitly, never a default, since production is a live system."""
        s = load_settings(environment=environment, program=program, **settings)
        return cls(PowerClerkClient(s, resolve_credentials(s.environment)), s.program, s.store_path)

    @classmethod
    def sandbox(cls, projects: int = 2000, seed: int = 7, rate_limit: str = "6000/60", role: str = "admin",
                store_path: str | Path | None = None, **kw: Any) -> Workspace:
        """Start an embedded sandbox (fast rate limit by default for demos) and connect to it."""
        from pcnb.sandbox import running

        stack = ExitStack()
        handle = stack.enter_context(running(projects=projects, seed=seed, rate_limit=rate_limit, **kw))
        creds = Credentials.from_dict(handle.credentials(role), "sandbox")
        settings = Settings(environment="sandbox", base_url=handle.base_url, token_url=handle.token_url,
                            program=handle.program_id, rate_limit=handle.rate_limit[0],
                            rate_period=handle.rate_limit[1])
        if store_path is None:  # an embedded sandbox's data dies with it: keep its cache in a temp dir
            import tempfile

            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="pcnb-sandbox-"))
            store_path = Path(tmp) / "store.sqlite"
        ws = cls(PowerClerkClient(settings, creds), handle.program_id, store_path)
        ws._stack, ws.sandbox_handle = stack, handle
        return ws

    @classmethod
    def from_connection(cls, path: str | Path, role: str = "admin", store_path: str | Path | None = None) -> Workspace:
        """Connect to a sandbox started elsewhere (``pcnb sandbox`` / ``pcnb demo``) via its connection file."""
        import json

        try:
            info = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the sandbox connection file {path}: {exc}",
                              "start one with `pcnb sandbox`, or use environment='sandbox' without a file") from exc
        creds = Credentials.from_dict(info["users"][role], "sandbox connection file")
        settings = Settings(environment="sandbox", base_url=info["base_url"], token_url=info["token_url"],
                            program=info["program_id"], rate_limit=int(info["rate_limit"][0]),
                            rate_period=float(info["rate_limit"][1]))
        port = info["base_url"].rsplit(":", 1)[-1].split("/")[0]
        return cls(PowerClerkClient(settings, creds), info["program_id"],
                   store_path or default_path(f"sandbox-{port}", info["program_id"]))

    @classmethod
    def open(cls, environment: str | None = None, program: str | None = None, connection: str | None = None,
             store_path: str | Path | None = None, embedded: bool = True, **sandbox_options: Any) -> Workspace:
        """What notebooks and the console script call; the one place that reads the environment.

        ``environment`` (default: PCNB_ENVIRONMENT, else "sandbox"): for the sandbox, a running one
        via its connection file (``connection``, else PCNB_SANDBOX_CONNECTION), else an embedded one
        -- or, ``embedded=False`` (the console script, one process per command), the connection file
        ``pcnb sandbox`` writes to the cache dir, else an error saying how to start one. For trial and
        production, real credentials from the environment or keyring. PCNB_STORE_PATH overrides
        the cache file."""
        import os

        environment = environment or os.environ.get("PCNB_ENVIRONMENT") or "sandbox"
        store_path = store_path or os.environ.get("PCNB_STORE_PATH") or None
        if environment == "sandbox":
            connection = connection or os.environ.get("PCNB_SANDBOX_CONNECTION")
            if not connection and not embedded:
                connection = str(cache_dir() / "sandbox.json")
            if connection and not embedded and not Path(connection).is_file():
                raise ConfigError("no running sandbox found (and PCNB_ENVIRONMENT is not trial/production)",
                                  "start one with `pcnb sandbox` in another terminal, or set PCNB_ENVIRONMENT=trial")
            if connection:
                return cls.from_connection(connection, store_path=store_path)
            return cls.sandbox(store_path=store_path, **sandbox_options)
        return cls.connect(environment, program, store_path=str(store_path) if store_path else None)

    def close(self) -> None:
        self.store.close()
        self._stack.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sync(self, **kw: Any) -> SyncReport:
        """Sync, then refresh the frame snapshots: the sync pays for reading SQLite rows, not the
        notebook cells that load frames afterwards."""
        kw.setdefault("lookback", timedelta(minutes=10))
        report = sync(self.client, self.store, self.program, **kw)
        frames.refresh(self.store)
        return report

    def projects(self) -> pl.DataFrame:
        return frames.projects(self.store)

    def status_events(self) -> pl.DataFrame:
        return frames.status_events(self.store)

    def inquiry_threads(self) -> pl.DataFrame:
        return frames.inquiry_threads(self.store)

    def inquiry_notes(self) -> pl.DataFrame:
        return frames.inquiry_notes(self.store)

    # ---- write-back (pcnb.writeback) ----------------------------------------------------------
    def plan(self, changes: Any, action: str | None = None, **options: Any) -> Any:
        """Validate changes and show their diff; nothing is sent until ``.execute(confirm=True)``."""
        from pcnb import writeback

        return writeback.plan(self, changes, action, **options)

    def undo(self, batch: str) -> Any:
        """A plan restoring the before-values of a batch's data changes."""
        from pcnb import writeback

        return writeback.undo(self, batch)

    def journal(self, batch: str | None = None) -> pl.DataFrame:
        from pcnb import writeback

        return writeback.journal.rows(self.store, batch)

    def health(self) -> frames.SyncHealth:
        return frames.health(self.store)

