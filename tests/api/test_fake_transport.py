"""Pure-logic tests of the API layer on the in-memory FakeTransport: no server, milliseconds each."""

from __future__ import annotations

import pytest

from pcnb.api.auth import Credentials
from pcnb.api.client import PowerClerkClient
from pcnb.api.retry import RetryPolicy
from pcnb.api.transport import FakeTransport
from pcnb.errors import Forbidden, RateLimited, TransportError

P = "PROGRAM00001"


def fake_client(routes: dict, **kw) -> tuple[PowerClerkClient, FakeTransport, list[float]]:
    fake = FakeTransport(routes)
    creds = Credentials(api_key="k", client_id="c", client_secret="s")
    client = PowerClerkClient(base_url="http://fake/v2", token_url="http://fake/token", credentials=creds,
                              budget=None, transport=fake, **kw)
    slept: list[float] = []
    client.http.sleep = slept.append
    return client, fake, slept


def test_response_carries_data_request_id_status_and_timing():
    client, fake, _ = fake_client({"GET /Programs": (200, {"Programs": [{"ProgramId": P}]},
                                                     {"x-amzn-RequestId": "r1"})})
    resp = client.programs()
    assert resp == {"Programs": [{"ProgramId": P}]} and resp["Programs"][0]["ProgramId"] == P
    assert (resp.request_id, resp.status, resp.endpoint) == ("r1", 200, "programs") and resp.elapsed_ms >= 0
    assert fake.sent[0].headers["X-ApiKey"] == "k" and client.calls == 1


def test_429_waits_retry_after_then_backs_off_and_gives_up_past_the_cap():
    client, fake, slept = fake_client({"GET /Programs": [(429, {}, {"Retry-After": "3"}), (429, {}),
                                                         (200, {"Programs": []})]})
    assert client.programs() == {"Programs": []} and slept == [3.0, 1.0] and client.http.count_429 == 2
    client, _, _ = fake_client({"GET /Programs": (429, {"message": "slow down"}, {"Retry-After": "500"})})
    with pytest.raises(RateLimited) as err:
        client.programs()
    assert err.value.retry_after == 500 and client.calls == 1


def test_5xx_retried_for_reads_only():
    client, fake, slept = fake_client({"GET /Programs": [(503, {}), (502, {}), (200, {"Programs": []})]})
    assert client.programs() == {"Programs": []} and len(slept) == 2 and client.calls == 3
    client, fake, slept = fake_client({"POST /Programs/{p}/NewProject": (503, {"message": "down"})})
    with pytest.raises(Exception, match="503|down"):
        client.create_project(P)
    assert client.calls == 1 and slept == []


def test_401_fetches_a_new_token_once():
    client, fake, _ = fake_client({"GET /Programs": [(401, {}), (200, {"Programs": []})]})
    assert client.programs() == {"Programs": []} and fake.token_fetches == 1


def test_admin_only_refused_without_a_call_once_the_role_is_known():
    client, fake, _ = fake_client({"GET /Programs/{p}/StatusList": (403, {"message": "admins only"})})
    assert client.detect_role(P) is False
    with pytest.raises(Forbidden):
        client.status_history(P, "DGI-00011")
    assert len(fake.sent) == 1


def test_retry_policy_is_pure():
    policy = RetryPolicy(max_attempts=3, backoff_cap=4.0, max_retry_after=10.0)
    assert policy.wait_for_429(0.0, 1.0) == (1.0, 2.0) and policy.wait_for_429(2.5, 1.0) == (2.5, 1.0)
    assert policy.next_delay(3.0) == 4.0 and policy.jittered(2.0, 0.0) == 1.0
    assert policy.retry_failure(1, True) and not policy.retry_failure(3, True) and not policy.retry_failure(1, False)
    assert policy.give_up_on_429(1, 11.0) and policy.give_up_on_429(3, 1.0) and not policy.give_up_on_429(2, 1.0)


def test_lost_connection_of_a_write_is_reported_as_maybe_applied():
    from pcnb.api.transport import ConnectionFailed

    def drop(_request):
        raise ConnectionFailed("ConnectionError")

    client, _, _ = fake_client({"POST /Programs/{p}/NewProject": drop})
    with pytest.raises(TransportError, match="may or may not"):
        client.create_project(P)
