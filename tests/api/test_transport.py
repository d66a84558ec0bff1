"""transport.py's session merges the environment as requests does (proxies, no_proxy, CA bundles),
with the proxy lookup kept per host: compared with requests' own merge under several environments,
and a variable set later for another host still seen."""

from __future__ import annotations

import pytest
import requests

from pcnb.api.transport import _Session

URLS = ("https://utility.example/services/v2/projects", "http://127.0.0.1:8000/services/v2/programs",
        "http://intranet.corp.example/x")
ENVS = [
    {},
    {"HTTPS_PROXY": "http://proxy.corp.example:3128", "HTTP_PROXY": "http://proxy.corp.example:3128"},
    {"HTTPS_PROXY": "http://proxy.corp.example:3128", "NO_PROXY": "127.0.0.1,.corp.example"},
    {"REQUESTS_CA_BUNDLE": "/etc/ssl/corp-ca.pem", "HTTP_PROXY": "http://p:1"},
    {"CURL_CA_BUNDLE": "/etc/ssl/curl-ca.pem"},
]


@pytest.mark.parametrize("env", ENVS, ids=lambda e: ",".join(e) or "empty")
def test_the_environment_is_merged_as_requests_merges_it(env, monkeypatch):
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
                 "https_proxy", "http_proxy", "no_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    ours, stock = _Session("id", "secret"), requests.Session()
    for url in URLS:
        for _ in range(2):  # the second call answers from the kept lookup
            assert ours.merge_environment_settings(url, {}, None, None, None) == \
                stock.merge_environment_settings(url, {}, None, None, None), (url, env)
    if "HTTPS_PROXY" in env:
        assert ours.merge_environment_settings(URLS[0], {}, None, None, None)["proxies"]["https"] == env["HTTPS_PROXY"]


def test_the_ca_bundle_is_read_on_every_call(monkeypatch):
    """Only the proxies are kept; a CA bundle set after the first call (as `doctor` advises) counts."""
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    s = _Session("id", "secret")
    assert s.merge_environment_settings(URLS[0], {}, None, None, None)["verify"] is True
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corp-ca.pem")
    assert s.merge_environment_settings(URLS[0], {}, None, None, None)["verify"] == "/etc/ssl/corp-ca.pem"
