"""Error mapping, redaction and Retry-After handling (with the sandbox's forced faults)."""

from __future__ import annotations

import time

import pytest

from pcnb.errors import (
    AuthError,
    MfaRequired,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    ValidationError,
    error_for,
    redact_url,
)


def test_error_for_maps_statuses():
    assert isinstance(error_for(401, "x"), AuthError)
    assert isinstance(error_for(403, "MFA is enabled"), MfaRequired)
    assert isinstance(error_for(404, "x"), NotFound)
    assert isinstance(error_for(400, "x", errors=["a"]), ValidationError)
    assert isinstance(error_for(503, "x"), ServerError)
    err = error_for(404, "gone", method="GET", url="http://h/p?token=abc&x=1", request_id="rid-1")
    assert "rid-1" in str(err) and "abc" not in str(err) and "fix:" in str(err)


def test_redact_url():
    assert redact_url("https://u:pw@h/p?client_secret=s&limit=5") == "https://h/p?client_secret=%2A%2A%2A&limit=5"


def test_429_with_retry_after_is_honoured(fresh_sandbox, make_client):
    client = make_client(fresh_sandbox)
    fresh_sandbox.sandbox.faults.update(force_429=2, retry_after=1)
    start = time.monotonic()
    assert client.programs()["Programs"]
    assert time.monotonic() - start >= 1.9 and client.http.count_429 == 2


def test_429_without_retry_after_backs_off_then_gives_up(fresh_sandbox, make_client):
    client = make_client(fresh_sandbox, max_attempts=3, backoff_cap=0.2)
    fresh_sandbox.sandbox.faults.update(force_429=5, retry_after=None)
    with pytest.raises(RateLimited) as err:
        client.programs()
    assert err.value.retry_after is not None and err.value.request_id
    fresh_sandbox.sandbox.faults.update(force_429=0, retry_after=1)


def test_retry_after_over_cap_raises_for_checkpointing(fresh_sandbox, make_client):
    client = make_client(fresh_sandbox, max_retry_after=5)
    fresh_sandbox.sandbox.faults.update(force_429=1, retry_after=30)
    with pytest.raises(RateLimited) as err:
        client.programs()
    assert err.value.retry_after == 30


def test_5xx_retried_for_reads_not_for_writes(fresh_sandbox, make_client):
    client = make_client(fresh_sandbox, backoff_cap=0.05)
    fresh_sandbox.sandbox.faults.update(burst_5xx=2)
    assert client.programs()["Programs"]  # GET retried through the burst
    fresh_sandbox.sandbox.faults.update(burst_5xx=1)
    with pytest.raises(ServerError) as err:
        client.create_project(fresh_sandbox.program_id)  # POST not retried
    assert err.value.status == 503 and err.value.request_id


def test_dropped_connection(fresh_sandbox, make_client):
    client = make_client(fresh_sandbox, backoff_cap=0.05)
    fresh_sandbox.sandbox.faults.update(drop_next=1)
    assert client.programs()["Programs"]  # read retried
    fresh_sandbox.sandbox.faults.update(drop_next=1)
    with pytest.raises(TransportError, match="may or may not have been applied"):
        client.create_project(fresh_sandbox.program_id)


def test_a_url_that_does_not_parse_is_an_error_with_a_fix_not_a_valueerror():
    """Red team: PCNB_BASE_URL / --base-url "http://[::1/services/v2" made redact_url (building the error
    message) raise a bare ValueError("Invalid IPv6 URL"): a traceback instead of a pcnb error with its fix."""
    from pcnb.api.auth import Credentials
    from pcnb.api.client import PowerClerkClient
    from pcnb.config import load_settings
    from pcnb.errors import PowerClerkError, redact_url

    assert redact_url("http://u:pw@[::1/x?key=1") == "http://[::1/x"
    s = load_settings(environment="custom", base_url="http://[::1/services/v2", token_url="http://[::1/connect/token")
    client = PowerClerkClient(s, Credentials(api_key="k", client_id="c", client_secret="s"))
    with pytest.raises(PowerClerkError):
        client.programs()
