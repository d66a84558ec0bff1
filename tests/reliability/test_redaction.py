"""Issue #25, item 1: one redaction path. Every artefact that leaves the process (the report and the
executed notebook beside it, a support ticket, doctor's output and recording, error messages, log
records) is scanned for the real values in every form a program prints them in: raw, URL-encoded,
base64 at any alignment, hex, a byte list, JSON-escaped and split over lines; and URLs keep no
user-info password or secret query parameter."""

from __future__ import annotations

import logging
import shlex
import socket
import stat
from pathlib import Path
from urllib.parse import quote

import nbformat
import pytest

from pcnb.api.auth import Credentials
from pcnb.api.client import PowerClerkClient
from pcnb.commands import Session, parse, run
from pcnb.config import Settings
from pcnb.errors import NotFound, TransportError
from pcnb.report import run_report
from tests.conftest import parameters_notebook
from tests.secretforms import API_KEY, DB_PASSWORD, PASSWORD, SECRET, SUB_KEY, found_in

#: one cell per form the issue names; each prints the value in it (with_code keeps printed lines)
PRINTS = (
    "import base64, json, os, textwrap, urllib.parse\nsecret, api_key = os.environ['PCNB_CLIENT_SECRET'], "
    "os.environ['PCNB_API_KEY']",
    "print('hex', secret.encode().hex(), api_key.encode().hex().upper())",
    "print('b64', base64.b64encode(b'x' + secret.encode()).decode(), base64.b64encode(b'xy' + api_key.encode()))",
    "print('url', urllib.parse.quote(secret, safe=''))",
    # the team store's URL (its password URL-encoded in it) and the password decoded (issue #28)
    "store = os.environ['PCNB_STORE_URL']\nprint(store, urllib.parse.unquote(urllib.parse.urlsplit(store).password))",
    "print('json', json.dumps({'secret': secret}))",
    "print(textwrap.fill(secret, 14))",
    "list(api_key.encode())",  # displayed by IPython's pprint: one number per line
    "print(list(secret.encode()))",
    "import plotly.graph_objects as go, plotly.io as pio\npio.renderers.default = 'plotly_mimetype+notebook'\n"
    "go.Figure(go.Bar(x=['a'], y=[1], hovertext=[secret[:9] + '<br>' + secret[9:]]))",
)


@pytest.mark.slow  # a whole report run
def test_every_printed_form_of_a_secret_is_masked_in_the_report_and_its_notebook(tmp_path, monkeypatch):
    monkeypatch.setenv("PCNB_CLIENT_SECRET", SECRET)
    monkeypatch.setenv("PCNB_API_KEY", API_KEY)
    monkeypatch.setenv("PCNB_STORE_URL", f"postgresql://pcnb_reader:{quote(DB_PASSWORD, safe='')}@db:5432/pcnb")
    nb = parameters_notebook(tmp_path / "forms.ipynb", *PRINTS)
    out = run_report(nb, tmp_path / "out" / "forms.html", with_code=True)
    executed = out.with_suffix(".ipynb")
    parsed = nbformat.read(executed, as_version=4)
    texts = {"html": out.read_text(), "notebook file": executed.read_text(),
             **{f"cell {i}": nbformat.writes(nbformat.v4.new_notebook(cells=[c])) for i, c in enumerate(parsed.cells)},
             **{f"cell {i} output": str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                for i, c in enumerate(parsed.cells) for o in c.get("outputs", [])}}
    for where, text in texts.items():
        assert not found_in(text, [SECRET, API_KEY, DB_PASSWORD]), where
    assert out.read_text().count("***") >= 8  # the lines are there, masked (not dropped)
    for path in (out, executed):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


@pytest.fixture
def gateway_env(fresh_sandbox, monkeypatch):
    """A custom environment reached through a gateway: a password in the base URL's user-info and
    a subscription key on the token URL, with the sandbox's real credentials."""
    host = fresh_sandbox.base_url.split("//", 1)[1]
    monkeypatch.setenv("PCNB_ENVIRONMENT", "custom")
    monkeypatch.setenv("PCNB_BASE_URL", f"http://gw:{PASSWORD}@{host}")
    monkeypatch.setenv("PCNB_TOKEN_URL", f"{fresh_sandbox.token_url}?subscription-key={SUB_KEY}")
    monkeypatch.setenv("PCNB_PROGRAM", fresh_sandbox.program_id)
    creds = fresh_sandbox.credentials("admin")
    for name in ("api_key", "client_id", "client_secret"):
        monkeypatch.setenv(f"PCNB_{name.upper()}", creds[name])
    return [creds["api_key"], creds["client_secret"], creds["client_id"], PASSWORD, SUB_KEY]


def _every_form(value: str) -> str:
    """A sentence holding the value in each form the issue lists."""
    import base64
    import json
    import textwrap
    from urllib.parse import quote

    return (f"raw {value}; b64 {base64.b64encode(b'x' + value.encode()).decode()}; url {quote(value, safe='')}; "
            f"hex {value.encode().hex()}; bytes {list(value.encode())}; json {json.dumps(value)}; "
            f"split {textwrap.fill(value, 9)}")


def test_support_ticket_doctor_and_recording_hold_no_secret_in_any_form(gateway_env, tmp_path):
    """The issue's reproduction: credentials in URLs reached the ticket's Environment line, the doctor
    header it embeds and doctor's first line. Now every artefact is free of every form."""
    api_key, client_secret = gateway_env[0], gateway_env[1]
    ticket = tmp_path / "t.txt"
    attempted = f"{_every_form(api_key)} / {_every_form(client_secret)}"
    text = run(parse(f"support --env custom --file {ticket} --attempted {shlex.quote(attempted)}"), Session())
    assert "Environment: custom (API base http://127.0.0.1:" in text and "pcnb doctor: custom http://127.0.0.1:" in text
    assert "subscription-key=%2A%2A%2A" in text and "[pass] api_key" in text  # the gateway's URLs worked
    doctor = run(parse(f"doctor --env custom --record {tmp_path / 'rec'}"), Session())
    recorded = {p.name: p.read_text() for p in (tmp_path / "rec").iterdir()}
    assert len(recorded) > 3
    for where, artefact in {"ticket": text, "ticket file": ticket.read_text(), "doctor": str(doctor),
                            "doctor markdown": doctor._repr_markdown_(), **recorded}.items():
        assert not found_in(artefact, gateway_env), where


def test_errors_reprs_and_log_records_mask_url_credentials_and_known_secrets(gateway_env, caplog):
    caplog.set_level(logging.DEBUG)
    from pcnb.config import load_settings

    settings = load_settings(environment="custom")
    client = PowerClerkClient(settings, Credentials.from_dict(
        {k: v for k, v in zip(("api_key", "client_secret", "client_id"), gateway_env, strict=False)}, "argument"))
    with pytest.raises(NotFound) as missing:
        client.project_data(settings.program or "", "NOPE12345678", "APPLICATION")
    with socket.socket() as s:  # a port nothing listens on, behind the same password
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = Settings(environment="custom", base_url=f"http://gw:{PASSWORD}@127.0.0.1:{port}/services/v2",
                    token_url=settings.token_url)
    with pytest.raises(TransportError) as unreachable:
        PowerClerkClient(dead, client.credentials, max_attempts=1).programs()
    assert "POST /connect/token?subscription-key=" in caplog.text  # urllib3 logged the request line
    token = client.http.transport.session.token["access_token"]
    for where, text in {"not found": str(missing.value), "transport": str(unreachable.value),
                        "log": caplog.text, "reprs": repr(client) + repr(settings) + repr(dead)}.items():
        assert not found_in(text, [*gateway_env, token]), where


def test_a_url_that_only_looks_secret_by_its_value_is_masked_too():
    from pcnb.redact import redact_url

    jwt = "eyJhbGciOiJIUzI1NiJ9." + "eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert redact_url(f"https://h/p?x={jwt}&limit=5") == "https://h/p?x=%2A%2A%2A&limit=5"
    assert redact_url("https://h/p?changed_since=2026-01-01T00%3A00%3A00Z&ProjectId=ABCDEF123456") == \
        "https://h/p?changed_since=2026-01-01T00%3A00%3A00Z&ProjectId=ABCDEF123456"


def test_report_scan_refuses_what_it_cannot_mask_whatever_the_form(tmp_path, monkeypatch):
    """A secret as a JSON key in hex: not rewritten (keys name data), so the run writes nothing."""
    monkeypatch.setenv("PCNB_CLIENT_SECRET", SECRET)
    nb = parameters_notebook(tmp_path / "k.ipynb", "import os\nfrom IPython.display import JSON\n"
                             "JSON({os.environ['PCNB_CLIENT_SECRET'].encode().hex(): 1})")
    from pcnb.report import ReportError

    with pytest.raises(ReportError, match=r"secret 1 as hex.*nothing was written"):
        run_report(nb, tmp_path / "out" / "k.html")
    assert not Path(tmp_path / "out").exists()


def test_a_report_masks_the_credentials_of_the_sandbox_connection_its_kernel_reads(sandbox, tmp_path, monkeypatch):
    """`pcnb report` beside `pcnb sandbox`: the kernel connects with the connection file's demo
    credentials, which no PCNB_* variable names; the report process reads that file too."""
    monkeypatch.setenv("PCNB_SANDBOX_CONNECTION", str(sandbox.write_connection(tmp_path / "sandbox.json")))
    nb = parameters_notebook(tmp_path / "conn.ipynb", "import json, os\n"
                             "users = json.load(open(os.environ['PCNB_SANDBOX_CONNECTION']))['users']\n"
                             "admin, mfa = users['admin']['client_secret'], users['mfa']['api_key']\n"
                             "print(admin.encode().hex(), list(mfa.encode()))")
    out = run_report(nb, tmp_path / "out" / "conn.html", with_code=True)
    secrets = [sandbox.credentials("admin")["client_secret"], sandbox.credentials("mfa")["api_key"]]
    for text in (out.read_text(), out.with_suffix(".ipynb").read_text()):
        assert not found_in(text, secrets) and "*** [***]" in text


def test_the_team_store_password_is_masked_in_errors_logs_and_reprs_in_every_form(monkeypatch, caplog):
    """PCNB_STORE_URL's password (URL-encoded in the URL, decoded by any program that parses it) is a
    known secret: masked wherever pcnb writes (issue #28)."""
    from pcnb.errors import PowerClerkError
    from pcnb.redact import install_log_filter

    url = f"postgresql://pcnb_writer:{quote(DB_PASSWORD, safe='')}@db.example:5432/pcnb"
    monkeypatch.setenv("PCNB_STORE_URL", url)
    err = PowerClerkError(f"cannot use {url}: " + _every_form(DB_PASSWORD), _every_form(quote(DB_PASSWORD, safe="")))
    assert not found_in(str(err), [DB_PASSWORD]) and "db.example:5432" in str(err)
    install_log_filter()
    with caplog.at_level(logging.INFO, logger="pcnb"):
        logging.getLogger("pcnb").info("store %s", url)
    assert not found_in(caplog.text, [DB_PASSWORD])
    assert not found_in(repr(Settings(store_url=url)), [DB_PASSWORD])
