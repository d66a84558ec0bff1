"""Credentials chain, OAuth token lifecycle, MFA, and that secrets never leak into text."""

from __future__ import annotations

import logging
import pickle
import time

import pytest

from pcnb.api.auth import Credentials, resolve_credentials
from pcnb.errors import AuthError, ConfigError, Forbidden, MfaRequired
from pcnb.sandbox import running
from tests.conftest import END, FAST, creds_for


def test_chain_explicit_beats_env(monkeypatch):
    monkeypatch.setenv("PCNB_API_KEY", "env-key-123")
    monkeypatch.setenv("PCNB_CLIENT_ID", "env-client")
    creds = resolve_credentials("trial", use_keyring=False, client_id="arg-client")
    assert creds.api_key == "env-key-123" and creds.client_id == "arg-client"
    assert creds.sources == {"api_key": "PCNB_API_KEY", "client_id": "argument"}
    text = repr(creds) + str(creds)
    assert "env-key-123" not in text and "arg-client" not in text and "PCNB_API_KEY" in text
    with pytest.raises(TypeError):
        pickle.dumps(creds)
    with pytest.raises(ConfigError, match="PCNB_CLIENT_SECRET"):
        creds.require()


def test_bad_totp_secret_is_a_clear_config_error():
    creds = Credentials(api_key="k", client_id="c", client_secret="s", mfa_totp_secret="123456!")
    with pytest.raises(ConfigError, match="base32"):
        creds.require()


def test_wrong_secret_is_clear_and_leaks_nothing(sandbox, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(sandbox)
    client.credentials.client_secret = "wrong-" + client.credentials.client_secret
    client.http.transport.session.client_secret = client.credentials.client_secret
    with pytest.raises(AuthError) as err:
        client.programs()
    text = str(err.value) + repr(err.value) + repr(client) + repr(client.http) + caplog.text
    assert "invalid_client" in text and "PCNB_CLIENT_SECRET" in text
    for secret in client.credentials.secret_values():
        assert secret not in text


def test_wrong_api_key_is_401_with_request_id(sandbox, make_client):
    client = make_client(sandbox)
    client.credentials.api_key = "0" * 32
    with pytest.raises(AuthError) as err:
        client.programs()
    assert "X-ApiKey" in str(err.value) and err.value.request_id in str(err.value)


def test_mfa_required_vs_supplied(sandbox, make_client):
    P = sandbox.program_id
    some = next(iter(sandbox.state.projects))
    with pytest.raises(MfaRequired) as err:
        make_client(sandbox, role="mfa", mfa=None).programs()
    assert "PCNB_MFA_TOTP_SECRET" in str(err.value)
    for mode in ("totp", "session"):
        client = make_client(sandbox, role="mfa", mfa=mode)
        assert client.programs()["Programs"]
        revealed = client.project_data(P, some, "APPLICATION", reveal_sensitive_data=True)
        acct = next(f for f in revealed["Project"]["DataFields"] if f["CustomId"] == "ACCOUNT_NUMBER")
        assert acct["Value"] and "*" not in acct["Value"]
    masked = make_client(sandbox).project_data(P, some, "APPLICATION")
    acct = next(f for f in masked["Project"]["DataFields"] if f["CustomId"] == "ACCOUNT_NUMBER")
    assert acct["Value"].startswith("****")
    with pytest.raises(Forbidden, match="sensitive-data privilege"):
        make_client(sandbox).project_data(P, some, "APPLICATION", reveal_sensitive_data=True)
    bad = make_client(sandbox, role="mfa", mfa=None)
    bad.credentials.mfa_one_time_code = "000000"
    with pytest.raises(MfaRequired, match="invalid"):
        bad.programs()


def test_token_expiry_and_revocation_mid_session(make_client):
    with running(projects=20, rate_limit=FAST, token_lifetime=2, end=END) as sb:
        client = make_client(sb, token_leeway=0)
        client.programs()
        first = client.http.transport.session.token["access_token"]
        time.sleep(2.3)
        client.programs()  # authlib sees the expiry and fetches a new token
        second = client.http.transport.session.token["access_token"]
        assert second != first
        sb.sandbox.identity.revoke_all()
        client.programs()  # 401 -> one re-fetch -> success
        assert client.http.transport.session.token["access_token"] != second


def test_secrets_absent_from_every_text(sandbox, make_client, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client(sandbox, role="mfa")
    client.programs()
    creds = creds_for(sandbox, "mfa")
    texts = [repr(client), repr(client.http), repr(client.credentials), str(client.credentials), caplog.text]
    try:
        client.status_history(sandbox.program_id, "NOSUCHPROJ01")
    except Exception as exc:  # noqa: BLE001 - we scan its text
        texts += [str(exc), repr(exc)]
    for secret in creds.secret_values():
        assert all(secret not in t for t in texts)


def _reference_totp(key: bytes, at: int, digits: int = 6, step: int = 30) -> str:
    """RFC 6238 / RFC 4226 computed from the standard's text (HMAC-SHA1, dynamic truncation)."""
    import hashlib
    import hmac
    import struct

    mac = hmac.new(key, struct.pack(">Q", at // step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 10 ** digits
    return str(code).zfill(digits)


@pytest.mark.parametrize("chars", [16, 26, 32])
def test_totp_secrets_as_users_have_them(chars):
    import base64
    import secrets as stdlib_secrets

    from pcnb.api.auth import normalize_totp_secret, totp

    key = stdlib_secrets.token_bytes(chars * 5 // 8)
    canonical = base64.b32encode(key).decode().rstrip("=")
    assert len(canonical) == chars
    spaced = " ".join(canonical[i:i + 4] for i in range(0, chars, 4)).lower()  # as authenticator apps show it
    for shown in (canonical, spaced, canonical.lower(), "-".join(canonical[i:i + 4] for i in range(0, chars, 4))):
        assert normalize_totp_secret(shown) == canonical
        for at in (59, 1_111_111_109, 2_000_000_000):
            assert totp(shown).at(at) == _reference_totp(key, at)
    creds = Credentials(api_key="k", client_id="i", client_secret="s", mfa_totp_secret=spaced)
    creds.require()
    assert creds.mfa_headers()["Mfa-One-Time-Password"] == totp(canonical).now()


def test_rfc_6238_vector_and_true_reasons_for_refusal():
    from pcnb.api.auth import normalize_totp_secret, totp

    rfc = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of the RFC 6238 SHA-1 seed "12345678901234567890"
    assert totp(rfc).at(59) == "287082" and totp(rfc).at(1111111109) == "081804"  # RFC 6238 appendix B
    cases = {"123456": "looks like a one-time code", "JBSWY3DPEHPK3PX1": "characters base32 never uses: 1",
             "JBSWY3DPEHPK3PXPA": "a length no base32 text has", "JBSWY3DPEHPK": "is 60 bits"}
    for value, reason in cases.items():
        with pytest.raises(ConfigError, match=reason):
            normalize_totp_secret(value)
