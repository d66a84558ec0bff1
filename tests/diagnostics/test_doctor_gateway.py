"""Issue #25, item 2: whatever a gateway in front of PowerClerk sends (header values, token answers,
timings), doctor ends with a diagnosis -- named checks, each pass/FAIL/warn/skip with why -- never a
traceback or a hang. The sandbox plays the gateway (pcnb.sandbox.quirks); hypothesis writes what it sends."""

from __future__ import annotations

import json
import time
from datetime import datetime
from email.utils import format_datetime

import pytest
import requests
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pcnb import clock
from pcnb.config import Settings
from pcnb.diagnostics import doctor as d
from pcnb.diagnostics.doctor import run_doctor
from tests.conftest import FAST, creds_for

RESULTS = {d.PASS, d.FAIL, d.WARN, d.SKIP}
#: a doctor run against the loopback sandbox takes well under a second; a hang is far beyond this
LIMIT_S = 20.0


@pytest.fixture(scope="module")
def gateway():
    from pcnb.sandbox import running

    with running(projects=20, seed=3, rate_limit=FAST) as sb:
        yield sb


def quirks(sb, **changes: str) -> None:
    reset = {"headers": "", "token_answer": "", "token_raw": "", "token_status": "200", "revoke_tokens": "",
             "token_type": "Bearer", "api_raw": ""}
    requests.post(f"{sb.control_url}/quirks", json={**reset, **changes},
                  headers={"X-Sandbox-Control": sb.control_token}, timeout=10).raise_for_status()


def diagnose(sb, **changes: str) -> d.DoctorReport:
    """Doctor against the gateway: it must return a report of named checks, quickly."""
    quirks(sb, **changes)
    started = time.monotonic()
    settings_ = Settings(environment="sandbox", base_url=sb.base_url, token_url=sb.token_url, rate_limit=100000,
                         timeout=5)
    report = run_doctor(settings_, creds_for(sb, "admin"), sb.program_id)
    assert time.monotonic() - started < LIMIT_S
    assert report.checks and all(c.name and c.result in RESULTS and c.seen for c in report.checks), str(report)
    assert str(report).splitlines()[-1]  # the verdict line renders
    return report


#: header values HTTP can carry (latin-1, no control characters)
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF,
                                    blacklist_categories=("Cc",)), max_size=40).map(str.strip)
#: dates a gateway may write: any zone offset, -0000 (RFC 5322: "unknown zone"), odd years
dates = st.builds(lambda t, off: format_datetime(t).rsplit(" ", 1)[0] + " " + off,
                  st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
                  st.sampled_from(["-0000", "+0000", "GMT", "UTC", "+1400", "-1200", "+0530", "Z", "EST", "+9999"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(name="date", value="Sun, 06 Dec 2026 02:32:53 -0000")  # the issue's reproduction
@given(name=st.sampled_from(["date", "retry-after", "x-ratelimit-remaining", "ratelimit-remaining",
                             "x-amzn-requestid", "content-type"]),
       value=st.one_of(header_text, dates))
def test_any_header_value_gets_a_diagnosis(gateway, name, value):
    report = diagnose(gateway, headers=json.dumps({name: value}))
    if name == "date":
        assert report.check("clock").result in RESULTS and "Date" in report.check("clock").seen


json_values = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                        st.text(max_size=20), st.lists(st.integers(), max_size=2), st.dictionaries(
                            st.text(max_size=3), st.integers(), max_size=2))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(answer={"expires_in": "soon"})
@example(answer={"access_token": 12345})
@example(answer={"token_type": None})
@given(answer=st.dictionaries(st.sampled_from(["access_token", "token_type", "expires_in", "scope"]),
                              json_values, min_size=1))
def test_any_token_answer_gets_a_diagnosis(gateway, answer):
    report = diagnose(gateway, token_answer=json.dumps(answer))
    usable = (isinstance(answer.get("access_token", "x"), str) and answer.get("access_token", "x") != ""
              and str(answer.get("token_type", "Bearer")).lower() == "bearer")
    if not usable:  # a token V2 cannot use is the token check's failure, whatever else happens
        assert report.check("token").result == d.FAIL, str(report)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(body="<html>gateway error</html>", status=502)
@example(body='{"access_token": "x"', status=200)
@given(body=st.text(max_size=60), status=st.sampled_from([200, 201, 204, 302, 400, 401, 403, 404, 429, 500, 503]))
def test_any_token_endpoint_body_gets_a_diagnosis(gateway, body, status):
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("access_token"), str) and status < 300:
        return  # a real token answer (hypothesis will hardly write one): not this test's case
    report = diagnose(gateway, token_raw=body or " ", token_status=str(status))
    c = report.check("token")
    assert c.result == d.FAIL, str(report)
    if status >= 500:  # not "no token endpoint at this path": the endpoint is there, and failing
        assert c.seen.endswith(": the identity server (or a gateway in front of it) is failing"), c.seen
    assert "api_key" not in [c.name for c in report.checks]  # nothing is called without a token


def test_a_token_revoked_right_after_issue_is_named(gateway):
    report = diagnose(gateway, revoke_tokens="1")
    c = report.check("bearer")
    assert c.result == d.FAIL and "revoked" in c.seen and "right after" in c.seen, str(report)
    assert report.check("token").result == d.PASS  # the token endpoint itself answered well


def test_the_issues_date_header_is_read_as_utc(gateway):
    now = format_datetime(clock.now()).replace("+0000", "-0000")  # the sandbox's clock is the real one
    report = diagnose(gateway, headers=json.dumps({"Date": now}))
    c = report.check("clock")
    assert c.result == d.PASS and c.seen.startswith("local clock ") and "-0000" in c.seen, str(report)


@pytest.fixture
def faults(gateway):
    """Set the gateway's faults for one test; cleared after it."""
    def set_faults(**changes: object) -> None:
        requests.post(f"{gateway.control_url}/faults", json=changes,
                      headers={"X-Sandbox-Control": gateway.control_token}, timeout=10).raise_for_status()
    yield set_faults
    set_faults(force_429=0, retry_after=1, latency_s=0.0)


def test_a_retry_after_of_minutes_is_reported_not_waited_out(gateway, faults):
    faults(force_429=100, retry_after=100)  # the client would wait 100 s per attempt
    report = diagnose(gateway)
    c = report.check("api_key")
    assert c.result == d.FAIL and c.seen.startswith("GetPrograms: 429 Too Many Requests"), str(report)
    assert report.check("rate").result == d.FAIL and "1 answer(s) 429" in report.check("rate").seen


def test_a_gateway_slower_than_the_timeout_is_a_failed_check_in_seconds(gateway, faults):
    faults(latency_s=3.0)
    started = time.monotonic()
    quirks(gateway)
    report = run_doctor(Settings(environment="sandbox", base_url=gateway.base_url, token_url=gateway.token_url,
                                 rate_limit=100000, timeout=1), creds_for(gateway, "admin"), gateway.program_id)
    assert time.monotonic() - started < 10
    c = report.check("api_key")
    assert c.result == d.FAIL and c.seen.endswith("/Programs failed: ReadTimeout (gave up after retries)"), str(report)


def test_an_answer_no_check_foresaw_is_that_checks_failure_and_the_run_goes_on(gateway):
    """The net under every check: an exception no reader foresaw (a fake: the sandbox answers
    nothing that still breaks a reader) becomes the check's FAIL, and the later checks run."""
    from pcnb.api.client import PowerClerkClient

    def factory(s, c):
        client = PowerClerkClient(s, c)
        real = client.programs

        def programs():
            real()  # a real call (the rate and clock checks read it), then an answer no reader foresaw
            raise KeyError("Programs")
        client.programs = programs  # type: ignore[method-assign]
        return client
    quirks(gateway)
    report = d.Doctor(Settings(environment="sandbox", base_url=gateway.base_url, token_url=gateway.token_url,
                               rate_limit=100000), creds_for(gateway, "admin"), gateway.program_id,
                      client_factory=factory).run()
    c = report.check("api_key")
    assert c.result == d.FAIL and c.seen == ("could not be checked: the answer is not one pcnb reads "
                                             "(KeyError: 'Programs')"), str(report)
    assert [x.name for x in report.checks][-2:] == ["rate", "clock"] and report.check("clock").result == d.PASS


json_answers = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                            lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                       max_size=3), max_leaves=8)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(body="<html><body>Service temporarily unavailable</body></html>")
@example(body='{"Programs": "none"}')
@given(body=st.one_of(st.text(min_size=1, max_size=60), json_answers.map(json.dumps)))
def test_any_api_body_gets_a_diagnosis(gateway, body):
    """What the gateway puts in place of GetPrograms' answer: the first API check fails, named, and
    no later check reads what the first could not."""
    try:
        parsed = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("Programs"), list):
        return  # shaped like GetPrograms' answer: not this test's case
    report = diagnose(gateway, api_raw=body)
    assert [c.name for c in report.failed][:1] == ["api_key"], str(report)
    assert "programs" not in [c.name for c in report.checks]
