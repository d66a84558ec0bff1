"""Response: what every client method returns -- the contract's dict, carrying its request.

A ``dict`` subclass rather than a wrapper: callers index it exactly as the contract shapes the
payload (``resp["Projects"]``), while the request id, status and timing travel with the result
(the write-back journal reads ``resp.request_id`` instead of asking the transport afterwards).
"""

from __future__ import annotations

from typing import Any


class Response(dict[str, Any]):
    """A parsed V2 answer plus the operation that produced it."""

    endpoint: str
    status: int
    request_id: str | None
    elapsed_ms: float

    def __init__(self, data: dict[str, Any] | None = None, *, endpoint: str = "", status: int = 200,
                 request_id: str | None = None, elapsed_ms: float = 0.0):
        super().__init__(data or {})
        self.endpoint, self.status, self.request_id, self.elapsed_ms = endpoint, status, request_id, elapsed_ms

    @property
    def data(self) -> dict[str, Any]:
        """The payload as a plain dict."""
        return dict(self)

