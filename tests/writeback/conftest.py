"""A synced workspace on a private sandbox: write-back tests change its state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pcnb.workspace import Workspace


@pytest.fixture
def ws(fresh_sandbox, make_client, tmp_path) -> Iterator[Workspace]:
    w = Workspace(make_client(fresh_sandbox), fresh_sandbox.program_id, tmp_path / "store.sqlite")
    w.sync(progress=False)
    yield w
    w.close()


def writes(ws: Workspace) -> list[str]:
    """Endpoints of the write operations this workspace's client sent (from the store's ledger)."""
    return [r[0] for r in ws.store.conn.execute("SELECT endpoint FROM ledger WHERE method = 'POST' ORDER BY id")]
