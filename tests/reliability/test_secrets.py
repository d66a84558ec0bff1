"""Issue #16 items 6-9: reports keep no secret in any form, tracebacks hold none in their frames,
and every file naming a key is user-only."""

from __future__ import annotations

import base64
import os
import socket
import stat
import urllib.parse

import pytest

from pcnb.api.auth import Credentials
from pcnb.api.budget import RateBudget
from pcnb.api.client import PowerClerkClient
from pcnb.config import Settings
from pcnb.errors import TransportError
from pcnb.report import ReportError, run_report
from tests.conftest import parameters_notebook

CLIENT_ID = "client-" + "4f1e2d3c"
SECRET = "s3cr3t/Zq9+XwV8" + "tY7uR6=="  # '/', '+' and '=' make the URL-encoded form differ
API_KEY = "apikey-" + "77aa88bb99cc"
TOTP = "JBSWY3DPEHPK3PXP" + "QRSTUVWXYZ234567"
BEARER = "eyJhbGciOi" + "JIUzI1NiJ9.live-access-token.Sig_nature-123"


@pytest.fixture
def secret_env(monkeypatch):
    monkeypatch.setenv("PCNB_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("PCNB_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("PCNB_API_KEY", API_KEY)
    monkeypatch.setenv("PCNB_MFA_TOTP_SECRET", TOTP)


def _forms() -> dict[str, str]:
    basic = base64.b64encode(f"{CLIENT_ID}:{SECRET}".encode()).decode()
    return {"basic header": basic, "url-encoded secret": urllib.parse.quote(SECRET, safe=""),
            "base64 api key": base64.b64encode(API_KEY.encode()).decode().rstrip("="), "bearer token": BEARER,
            "raw secret": SECRET, "raw api key": API_KEY, "raw totp": TOTP}


@pytest.mark.slow
def test_encoded_secrets_and_live_tokens_never_reach_a_report(tmp_path, secret_env):
    """What HTTP debug logging prints: the Basic header of the token request, a bearer token, a
    URL-encoded form body; plus a base64 dump. The report masks every one of them."""
    nb = parameters_notebook(tmp_path / "debug.ipynb",
             "import base64, os, urllib.parse\n"
             "basic = base64.b64encode(f\"{os.environ['PCNB_CLIENT_ID']}:{os.environ['PCNB_CLIENT_SECRET']}\""
             ".encode()).decode()\n"
             "print(f\"send: b'POST /connect/token HTTP/1.1\\\\r\\\\nAuthorization: Basic {basic}\\\\r\\\\n'\")\n"
             "print(\"send: b'GET /services/v2/Programs HTTP/1.1\\\\r\\\\nAuthorization: Bearer "
             + BEARER + "\\\\r\\\\n'\")\n"
             "print('body: client_secret=' + urllib.parse.quote(os.environ['PCNB_CLIENT_SECRET'], safe=''))\n"
             "print('dump', base64.b64encode(os.environ['PCNB_API_KEY'].encode()).decode())")
    out = run_report(nb, tmp_path / "out" / "debug.html", with_code=True)  # with code: printed lines are shown
    report = run_report(nb, tmp_path / "report" / "debug.html")  # report mode: the same scrub, logs left out
    texts = {"html": out.read_text(), "ipynb": out.with_suffix(".ipynb").read_text(),
             "report ipynb": report.with_suffix(".ipynb").read_text()}
    for where, text in texts.items():
        assert "Authorization: Basic" in text and "***" in text, where  # the report still ran and shows the line
        for name, form in _forms().items():
            assert form not in text, (where, name)
    for name, form in _forms().items():
        assert form not in report.read_text(), ("report html", name)


def test_a_failed_cell_whose_error_names_a_secret_still_gets_a_scrubbed_notebook(tmp_path, secret_env):
    nb = parameters_notebook(tmp_path / "err.ipynb", "import os\nprint(dict(os.environ))",
             "raise RuntimeError('login failed for ' + os.environ['PCNB_API_KEY'])")
    with pytest.raises(ReportError, match="failed in cell 3: RuntimeError") as err:
        run_report(nb, tmp_path / "out" / "err.html")
    assert API_KEY not in str(err.value)
    executed = (tmp_path / "out" / "err.ipynb").read_text()
    assert "login failed for ***" in executed and "RuntimeError" in executed
    for name, form in _forms().items():
        assert form not in executed, name
    assert not (tmp_path / "out" / "err.html").exists()


def _frame_reprs(exc: BaseException) -> list[str]:
    """What an error tracker records: repr of every local of every pcnb frame of the exception and
    of its shown chain (cause, or context unless suppressed)."""
    out: list[str] = []
    seen: BaseException | None = exc
    while seen is not None:
        tb = seen.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            if frame.f_globals.get("__name__", "").startswith("pcnb"):
                out += [f"{frame.f_code.co_name}:{k}={v!r}" for k, v in frame.f_locals.items()]
            tb = tb.tb_next
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    return out


def test_traceback_frames_hold_no_raw_api_key(tmp_path):
    with socket.socket() as s:  # a port nothing listens on: the request fails inside the transport
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(environment="custom", base_url=f"http://127.0.0.1:{port}/services/v2",
                        token_url=f"http://127.0.0.1:{port}/connect/token")
    creds = Credentials.from_dict({"api_key": API_KEY, "client_id": CLIENT_ID, "client_secret": SECRET,
                                   "mfa_totp_secret": TOTP}, "argument")
    client = PowerClerkClient(settings, creds, budget=RateBudget(API_KEY, 1000, 60, path=tmp_path / "b.sqlite"),
                              max_attempts=1)
    client.http.transport.session.token = {"access_token": BEARER, "token_type": "Bearer", "expires_at": 2**40}
    with pytest.raises(TransportError) as err:
        client.programs()
    reprs = _frame_reprs(err.value)
    assert any(r.startswith("request:") for r in reprs)  # the channel's frame was inspected
    for r in reprs:
        assert API_KEY not in r and TOTP not in r and SECRET not in r, r


def test_rate_limit_bucket_files_are_user_only_even_if_they_existed(tmp_path, monkeypatch):
    monkeypatch.setenv("PCNB_CACHE_DIR", str(tmp_path / "cache"))
    budget = RateBudget(API_KEY, 60, 60)  # default place: named by the key's fingerprint
    budget.acquire()
    old = tmp_path / "old" / "bucket.sqlite"
    old.parent.mkdir()
    old.touch()
    os.chmod(old, 0o644)
    again = RateBudget(API_KEY, 60, 60, path=old)
    again.acquire()
    files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] + [old]
    assert any(p.name.startswith(budget.path.name) for p in files)
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert stat.S_IMODE(budget.path.parent.stat().st_mode) == 0o700
