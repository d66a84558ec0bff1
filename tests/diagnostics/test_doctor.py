"""pcnb doctor against the sandbox misbehaving in each way the vendor's checklist names."""

from __future__ import annotations

import re

import pytest
import requests
import time_machine

from pcnb import clock
from pcnb.api.auth import Credentials
from pcnb.config import Settings
from pcnb.diagnostics import doctor as d
from pcnb.diagnostics.doctor import run_doctor
from tests.conftest import creds_for


def settings(sb, **kw) -> Settings:
    return Settings(environment="sandbox", base_url=kw.pop("base_url", sb.base_url),
                    token_url=kw.pop("token_url", sb.token_url), rate_limit=100000, **kw)


def quirks(sb, **changes) -> None:
    requests.post(f"{sb.control_url}/quirks", json=changes, headers={"X-Sandbox-Control": sb.control_token},
                  timeout=10).raise_for_status()


def creds(sb, role="admin", mfa="totp", **override) -> Credentials:
    c = creds_for(sb, role, mfa)
    for k, v in override.items():
        setattr(c, k, v)
        if v is None:
            c.sources.pop(k, None)
    return c


def doc(sb, c, **kw):
    return run_doctor(settings(sb, **{k: v for k, v in kw.items() if k in ("base_url", "token_url")}), c,
                      kw.get("program", sb.program_id))


def items(check) -> dict[str, str]:
    return dict(check.checklist)


def test_healthy_mfa_admin_passes_every_check_in_a_handful_of_calls(sandbox):
    r = doc(sandbox, creds(sandbox, "mfa"))
    assert r.ok, str(r)
    assert [c.name for c in r.checks] == ["config", "dns", "tls", "token", "api_key", "mfa", "programs", "admin",
                                          "projects", "history", "sensitive", "rate", "clock"]
    assert all(c.result == d.PASS for c in r.checks), str(r)
    assert r.check("token").seen == "token_type Bearer, expires_in 3600s"
    assert "MFA totp accepted" in r.check("mfa").seen
    assert r.check("admin").seen.startswith("admin of the program (GetStatusList 200")
    assert "plain HTTP (loopback sandbox" in r.check("tls").seen
    assert r.check("clock").seen.startswith("local clock ") and "server timestamps carry offset(s) -0" in \
        r.check("clock").seen
    assert r.calls <= 7 and r.drift.startswith("no drift")
    assert r.check("projects").request_id and "x-amzn-RequestId" in str(r)


def test_no_api_key(sandbox):
    r = doc(sandbox, creds(sandbox, api_key=None))
    assert r.check("config").result == d.FAIL and "missing credential(s): api_key" in r.check("config").seen
    c = r.check("api_key")
    assert c.result == d.FAIL
    assert c.seen == "401 Unauthorized: the X-ApiKey header is missing: the API key was refused"
    assert "PCNB_API_KEY" in c.hint
    assert items(c)[d.KEY_SENT].startswith("no API key is configured, so no X-ApiKey value was sent")
    assert d.KEY_SET_UP in items(c) and c.request_id


def test_wrong_api_key(sandbox):
    r = doc(sandbox, creds(sandbox, api_key="0" * 32))
    c = r.check("api_key")
    assert c.result == d.FAIL and "the X-ApiKey value is not a valid API key: the API key was refused" in c.seen
    assert "X-ApiKey was sent on every call (32 characters, from argument)" in items(c)[d.KEY_SENT]
    assert "Manage API Credentials" in c.hint
    assert r.check("config").result == d.PASS and "programs" not in [x.name for x in r.checks]


def test_basic_token_instead_of_bearer(fresh_sandbox):
    quirks(fresh_sandbox, token_type="Basic")
    r = doc(fresh_sandbox, creds(fresh_sandbox))
    c = r.check("token")
    assert c.result == d.FAIL and c.seen == "token_type Basic, expires_in 3600s: V2 calls need a Bearer token"
    assert "Basic is V1's scheme, Bearer V2's" in c.hint and "PCNB_TOKEN_URL" in c.hint
    assert "token_type 'Basic'" in items(c)[d.AUTH_SCHEME]
    assert r.calls == 0


def test_user_not_on_the_program(fresh_sandbox):
    quirks(fresh_sandbox, no_program_access="admin")
    r = doc(fresh_sandbox, creds(fresh_sandbox))
    c = r.check("programs")
    assert c.result == d.FAIL
    assert c.seen == f"program {fresh_sandbox.program_id} is not visible to this user (visible: none)"
    assert items(c)[d.PROGRAM_ACCESS] == f"verified: GetPrograms does not list {fresh_sandbox.program_id}"
    assert "grant your API user access" in c.hint


def test_user_not_on_the_program_answering_401_on_program_calls(fresh_sandbox):
    """A server that still lists the program but refuses its calls: the 401 names the program."""
    quirks(fresh_sandbox, no_program_access="admin")
    c = creds(fresh_sandbox)
    doctor = d.Doctor(settings(fresh_sandbox), c, fresh_sandbox.program_id)
    doctor._programs = [{"ProgramId": fresh_sandbox.program_id}]
    doctor.check_token()
    doctor.client = doctor.factory(doctor.settings, d._probe_creds(c))
    doctor.check_admin()
    check = doctor.report.check("admin")
    assert check.result == d.FAIL and check.seen.endswith(": the user is not allowed on this program")
    assert d.PROGRAM_ACCESS in items(check)


def test_mfa_missing(sandbox):
    r = doc(sandbox, creds(sandbox, "mfa", mfa=None))
    c = r.check("mfa")
    assert c.result == d.FAIL
    assert c.seen.endswith(": MFA is enabled for this API user and no MFA header was sent")
    assert "PCNB_MFA_TOTP_SECRET" in c.hint and "PCNB_MFA_SESSION_TOKEN" in c.hint
    assert items(c)[d.MFA_VALID].startswith("no MFA is configured")
    assert r.check("api_key").result == d.PASS  # the key itself was fine


def test_mfa_invalid_session_token(sandbox):
    r = doc(sandbox, creds(sandbox, "mfa", mfa="session", mfa_session_token="not-a-real-session-token"))
    c = r.check("mfa")
    assert c.result == d.FAIL
    assert c.seen == ("403 Forbidden: the MFA session token is invalid or expired: the MFA session was refused")
    assert items(c)[d.MFA_VALID].startswith("Mfa-Session-Token was sent")
    assert "make a new MFA session token" in c.hint


def test_mfa_invalid_totp_secret(sandbox):
    r = doc(sandbox, creds(sandbox, "mfa", mfa_totp_secret="JBSWY3DPEHPK3PXPJBSWY3DP"))
    c = r.check("mfa")
    assert c.result == d.FAIL and "one-time password is invalid or expired: the MFA totp was refused" in c.seen
    assert "computed from this machine's clock" in items(c)[d.MFA_VALID]


def test_non_admin(sandbox):
    r = doc(sandbox, creds(sandbox, "applicant"))
    assert r.ok, str(r)
    a = r.check("admin")
    assert a.result == d.WARN and a.seen == "not an admin of the program (GetStatusList 403)"
    assert "need an admin API user" in a.hint and r.admin is False
    assert r.check("history").result == d.SKIP and r.check("history").seen == "admin-only (not an admin)"


def test_sensitive_data_without_privilege(sandbox):
    r = doc(sandbox, creds(sandbox, "admin"))
    c = r.check("sensitive")
    assert c.result == d.WARN
    assert c.seen.endswith("your role lacks the sensitive-data privilege: the sensitive-data privilege is missing")
    assert d.SENSITIVE in items(c) and d.MFA_VALID in items(c)
    assert r.ok  # only needed for reveal_sensitive_data=true


def test_token_endpoint_at_another_path(fresh_sandbox):
    quirks(fresh_sandbox, token_path="/oauth2/token")
    r = doc(fresh_sandbox, creds(fresh_sandbox))
    c = r.check("token")
    assert c.result == d.FAIL
    assert c.seen == f"POST {fresh_sandbox.token_url} answered 404: no token endpoint at this path"
    assert "PCNB_TOKEN_URL" in c.hint and c.request_id
    moved = fresh_sandbox.token_url.replace("/connect/token", "/oauth2/token")
    assert doc(fresh_sandbox, creds(fresh_sandbox), token_url=moved).check("token").result == d.PASS


def test_renamed_field(fresh_sandbox):
    quirks(fresh_sandbox, rename="ProjectId=ProjectID")
    r = doc(fresh_sandbox, creds(fresh_sandbox))
    c = r.check("projects")
    assert c.result == d.FAIL
    assert c.seen == "GetProjects: contract mismatch: projects: field Projects[].ProjectId expected string, saw absent"
    assert c.request_id and "pcnb doctor --record" in c.hint
    assert f"Projects[].ProjectId expected string, saw absent (x-amzn-RequestId: {c.request_id})" in r.drift
    assert "unknown field Projects[].ProjectID" in r.drift


def test_wrong_type(fresh_sandbox):
    quirks(fresh_sandbox, retype="LastChangeTimestamp=badtime")
    r = doc(fresh_sandbox, creds(fresh_sandbox))
    c = r.check("projects")
    assert c.result == d.FAIL and "field Projects[].LastChangeTimestamp expected timestamp" in c.seen
    assert "saw string 'last Tuesday'" in c.seen


def test_extra_fields(fresh_sandbox):
    quirks(fresh_sandbox, extra="Region=west")
    r = doc(fresh_sandbox, creds(fresh_sandbox, "mfa"))
    assert r.ok, str(r)
    assert "projects: unknown field Projects[].Region in 1 answer(s) (kept in the raw JSON)" in r.drift
    assert "contract drift: " in str(r)


def test_unresolvable_host_fails_dns_before_any_call(sandbox):
    r = doc(sandbox, creds(sandbox), base_url="http://api.pcnb-doctor.invalid/services/v2")
    c = r.check("dns")
    assert c.result == d.FAIL and "API host 'api.pcnb-doctor.invalid' does not resolve" in c.seen
    assert "PCNB_BASE_URL" in c.hint and r.calls == 0


@pytest.mark.parametrize("host", ["http://10.255.255.1:9/services/v2"])
def test_plain_http_to_a_non_loopback_host_is_refused_without_connecting(sandbox, host):
    r = doc(sandbox, creds(sandbox), base_url=host)
    assert r.check("tls").result == d.FAIL and "plain HTTP: credentials would travel unencrypted" in \
        r.check("tls").seen
    assert "api_key" not in [c.name for c in r.checks]


def _self_signed(folder):
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pcnb sandbox")])
    # OpenSSL checks validity against the machine's real clock, which a moved test clock cannot move
    hatch = time_machine.escape_hatch
    now = hatch.datetime.datetime.now(dt.UTC) if hatch.is_travelling() else dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file), cert.not_valid_after_utc


def test_tls_untrusted_certificate_then_trusted(tmp_path, monkeypatch):
    from pcnb.sandbox import running

    *tls, expires = _self_signed(tmp_path)
    with running(projects=30, rate_limit="100000/60", tls=(tls[0], tls[1])) as sb:
        assert sb.base_url.startswith("https://127.0.0.1:")
        r = doc(sb, creds(sb))
        c = r.check("tls")
        assert c.result == d.FAIL and "TLS failed: SSLCertVerificationError" in c.seen
        assert "REQUESTS_CA_BUNDLE" in c.hint and r.calls == 0
        monkeypatch.setenv("SSL_CERT_FILE", tls[0])  # the corporate-proxy fix: trust the CA
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls[0])
        ok = doc(sb, creds(sb, "mfa"))
        assert ok.check("tls").result == d.PASS, str(ok)
        days = int((expires - clock.now()).total_seconds() // 86400)  # 89 unless the test clock was moved
        assert f"TLSv1.3, certificate valid {days} more day(s)" in ok.check("tls").seen and ok.ok


def test_clock_skew_against_the_servers_date(fresh_sandbox):
    quirks(fresh_sandbox, clock_offset_s="120")
    r = doc(fresh_sandbox, creds(fresh_sandbox, "mfa", mfa="session"))  # a session token: TOTP would fail too
    c = r.check("clock")
    assert c.result == d.FAIL and re.match(r"local clock -1(19|20|21)\.\d s vs the server's Date header", c.seen)
    assert "NTP" in c.hint and "TOTP" in c.hint


@pytest.fixture
def quiet_sandbox():
    """A program whose last change is 90 days old: nothing in doctor's 30-day window."""
    from datetime import timedelta

    from pcnb.sandbox import running
    from tests.conftest import END, FAST

    with running(projects=40, seed=5, rate_limit=FAST, end=END - timedelta(days=90)) as sb:
        yield sb


def test_a_quiet_program_still_gets_its_listing_checked_and_is_told_what_was_read(quiet_sandbox):
    r = doc(quiet_sandbox, creds(quiet_sandbox, "mfa"))
    c = r.check("projects")
    assert c.result == d.PASS and r.ok, str(r)
    assert c.seen.startswith("no project changed in the last 30 days; checked the listing on its first page "
                             "instead (40 project(s), limit 100, newest change on it "), c.seen
    assert r.check("history").result == d.PASS  # the listing's first project is read further
    assert r.calls <= 8 and r.drift.startswith("no drift")


def test_a_drift_is_found_on_a_quiet_program_too(quiet_sandbox):
    quirks(quiet_sandbox, rename="ProjectId=ProjectID")
    c = doc(quiet_sandbox, creds(quiet_sandbox)).check("projects")
    assert c.result == d.FAIL
    assert c.seen == "GetProjects: contract mismatch: projects: field Projects[].ProjectId expected string, saw absent"


def test_a_listing_that_shows_nothing_at_all_is_a_warning_naming_access_groups(fresh_sandbox):
    fresh_sandbox.state.projects.clear()
    c = doc(fresh_sandbox, creds(fresh_sandbox)).check("projects")
    assert c.result == d.WARN and c.seen.startswith("no project changed in the last 30 days, and the full listing "
                                                    "shows none"), c.seen
    assert "access groups" in c.hint


def test_doctor_passes_a_year_after_the_data_ends(sandbox):
    """The check that broke on 2026-12-01: the same sandbox, the clock a year later."""
    from datetime import timedelta

    import time_machine

    from pcnb import clock

    with time_machine.travel(clock.now() + timedelta(days=366), tick=True):
        r = doc(sandbox, creds(sandbox, "mfa"))
    assert r.check("projects").result == d.PASS and "checked the listing on its first page" in \
        r.check("projects").seen, str(r)
    assert r.ok, str(r)


def test_the_token_check_goes_through_the_clients_transport_so_a_fake_can_play_the_endpoint():
    """A pure-logic test beside the sandbox ones: the token endpoint answers through FakeTransport
    (doctor used to post with requests itself, where no fake could reach)."""
    from pcnb.api.client import PowerClerkClient
    from pcnb.api.transport import FakeTransport

    fake = FakeTransport({"POST /connect/token": (200, {"access_token": "t", "token_type": "Basic",
                                                        "expires_in": 3600})})
    settings = Settings(environment="custom", base_url="http://127.0.0.1:9/services/v2",
                        token_url="http://127.0.0.1:9/connect/token", rate_limit=100000)
    c = Credentials(api_key="k" * 32, client_id="cid", client_secret="secret-value")
    r = run_doctor(settings, c, "P", client_factory=lambda s, cr: PowerClerkClient(s, cr, transport=fake))
    token = r.check("token")
    assert token.result == d.FAIL and "Basic is V1's scheme, Bearer V2's" in token.hint, str(r)
    sent = [q for q in fake.sent if q.name == "token"]
    assert len(sent) == 1 and sent[0].content == b"grant_type=client_credentials"
    assert sent[0].headers["Authorization"].startswith("Basic ") and "Bearer" not in str(sent[0].headers)
