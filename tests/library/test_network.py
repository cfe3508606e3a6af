"""A Session's network settings are the CLI's: the proxy the environment names (real tinyproxy: plain
http and CONNECT with Basic auth), the CA bundle it names (the emulator behind TLS with a test CA), and
the same one-line errors, never retried, when a proxy is down or a certificate does not verify."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import pdauth
from tests.conftest import CLI
from tests.library.conftest import log_in
from tests.library.support import Clock, Sleeps, grants
from tests.support.proxies import RunningProxy, TlsFront, free_port, make_ca_and_cert, tinyproxy

pytestmark = pytest.mark.timeout(120)
USER, PASSWORD = "proxyuser", "pr0xy-pa55word-xyz"


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[RunningProxy]:
    with tinyproxy(tmp_path / "tinyproxy", user=USER, password=PASSWORD) as running:
        yield running


@pytest.fixture
def tls_emulator(emulator: Any, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The emulator behind TLS (a certificate of a test CA): (its https base URL, the CA's file)."""
    ca, cert, key = make_ca_and_cert(tmp_path / "pki")
    with TlsFront(emulator.port, cert, key) as front:
        emulator.advertise(front.url)  # the api_domain it hands out, https as Pipedrive's
        yield front.url, ca


def test_plain_http_and_its_refresh_go_through_the_proxy(
    logged_in: CLI, emulator: Any, proxy: RunningProxy, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    clock = Clock(emulator)
    caplog.set_level(logging.DEBUG)
    with pdauth.Session(clock=clock) as s:
        assert s.get("/v1/users/me").status_code == 200
        clock.advance(3600)
        assert s.get("/v2/deals").status_code == 200
    assert grants(emulator) == 1
    seen = proxy.seen()
    for line in ("GET {}/api/v1/users/me", "POST {}/oauth/token", "GET {}/api/v2/deals"):
        assert line.format(emulator.base_url) in seen
    assert PASSWORD not in caplog.text


def test_https_through_connect_with_the_ca_bundle_of_the_env(
    cli_env: CLI,
    emulator: Any,
    tls_emulator: tuple[str, Path],
    proxy: RunningProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, ca = tls_emulator
    monkeypatch.setenv("PDAUTH_OAUTH_URL", url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))  # read by pdauth, and by the test's browser
    log_in()
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    with pdauth.Session() as s:
        assert s.token_info().api_domain == url
        assert s.get("/v1/users/me").json()["data"]["name"] == "Demo User"
    assert f"CONNECT {url.removeprefix('https://')}" in proxy.seen()


def test_a_certificate_that_does_not_verify_is_the_cli_line_and_not_retried(
    cli_env: CLI, emulator: Any, tls_emulator: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca = tls_emulator
    monkeypatch.setenv("PDAUTH_OAUTH_URL", url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    log_in()
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")  # certifi's CAs do not know the test CA
    sleeps = Sleeps()
    with pdauth.Session(sleep=sleeps) as s, pytest.raises(pdauth.ApiRequestFailed) as caught:
        s.get("/v1/users/me")
    assert type(caught.value).__name__ == "TlsVerifyFailed"
    assert sleeps.calls == []
    assert "could not be verified" in caught.value.message and "SSL_CERT_FILE" in caught.value.hint
    r = cli_env("call", "/v1/users/me", PDAUTH_OAUTH_URL=url)
    assert r.stderr.strip() == f"error: {caught.value.one_line()}"


def test_a_proxy_that_is_down_is_the_cli_line_and_not_retried(
    logged_in: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("HTTP_PROXY", down)
    sleeps = Sleeps()
    with pdauth.Session(sleep=sleeps) as s, pytest.raises(pdauth.ApiRequestFailed) as caught:
        s.get("/v1/users/me")
    assert type(caught.value).__name__ == "ProxyFailed"
    assert sleeps.calls == []
    r = logged_in("call", "/v1/users/me", HTTP_PROXY=down)
    assert r.stderr.strip() == f"error: {caught.value.one_line()}"


def test_settings_a_caller_puts_on_the_session_win_as_in_requests(
    cli_env: CLI,
    emulator: Any,
    tls_emulator: tuple[str, Path],
    proxy: RunningProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, ca = tls_emulator
    monkeypatch.setenv("PDAUTH_OAUTH_URL", url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))
    log_in()
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with pdauth.Session() as s:
        s.verify = str(ca)  # requests' own setting, instead of the environment's CA bundle
        s.proxies = {"https": proxy.url}
        assert s.get("/v1/users/me").status_code == 200
        assert s.get("/v1/users/me", proxies={"https": ""}).status_code == 200  # a request's own: no proxy
    assert proxy.seen().count(f"CONNECT {url.removeprefix('https://')}") == 1
