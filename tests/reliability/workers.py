"""Subprocess workers for the kill -9 tests: `python -m tests.reliability.workers KIND CONFIG_JSON`.

KIND is ``sync`` (sync a store) or ``writeback`` (resume a journaled batch). Each prints "started"
once connected, then does its work; the parent kills it with SIGKILL at a random moment.
"""

from __future__ import annotations

import json
import sys

from pcnb import writeback
from pcnb.api.auth import Credentials
from pcnb.api.budget import RateBudget
from pcnb.api.client import PowerClerkClient
from pcnb.cache.scope import Scope
from pcnb.cache.store import Store
from pcnb.cache.sync import sync
from pcnb.config import Settings
from pcnb.workspace import Workspace


def client_for(cfg: dict) -> PowerClerkClient:
    c = cfg["creds"]
    settings = Settings(environment="custom", base_url=cfg["base_url"], token_url=cfg["token_url"],
                        timeout=cfg.get("timeout", 30.0))
    budget = RateBudget(c["api_key"], cfg.get("limit", 100000), 1.0, path=cfg["bucket"], buffer_s=0)
    return PowerClerkClient(settings, Credentials.from_dict(c, "test"), budget=budget)


def main(kind: str, cfg: dict) -> None:
    client = client_for(cfg)
    client.http.transport.fetch_token()
    if kind == "sync":
        store = Store(cfg["store"])
        print("started", flush=True)
        scope = Scope(statuses=tuple(cfg["statuses"])) if cfg.get("statuses") else None
        print(sync(client, store, cfg["program"], progress=False, scope=scope), flush=True)
    elif kind == "writeback":
        client.is_admin = True
        ws = Workspace(client, cfg["program"], cfg["store"])
        print("started", flush=True)
        if cfg.get("wait_for_go"):  # several workers: all start the batch at the same moment
            sys.stdin.readline()
        print(writeback.resume(ws, cfg["batch"], progress=False).summary(), flush=True)
    else:
        raise SystemExit(f"unknown worker kind {kind!r}")


if __name__ == "__main__":
    main(sys.argv[1], json.loads(sys.argv[2]))
