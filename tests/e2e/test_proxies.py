"""pdauth behind real proxies: tinyproxy (plain http, CONNECT, Basic auth) and a TLS-inspecting gateway
(mitmproxy) in front of the emulator behind TLS. The real CLI, real sockets, real proxies.

What is checked is what a developer behind a company proxy meets: every request pdauth makes (OAuth,
identity, `call`, doctor) goes through the proxy the environment names unless NO_PROXY names the host;
the login's own loopback listener is never reached through it; a proxy password never shows; a proxy
that is down or refuses, and a certificate that does not verify, are one line (exit 1), not retried,
with the stored tokens untouched.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import CLI, Result
from tests.support.harness import expire_stored, keyring_file
from tests.support.proxies import (
    Gateway,
    RunningProxy,
    TlsFront,
    free_port,
    make_ca_and_cert,
    mitm_gateway,
    tinyproxy,
)

pytestmark = pytest.mark.timeout(120)

USER, PASSWORD = "proxyuser", "pr0xy-pa55word-xyz"


def one_error_line(r: Result) -> str:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr
    return lines[0]


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[RunningProxy]:
    with tinyproxy(tmp_path / "tinyproxy") as running:
        yield running


@pytest.fixture
def auth_proxy(tmp_path: Path) -> Iterator[RunningProxy]:
    with tinyproxy(tmp_path / "tinyproxy-auth", user=USER, password=PASSWORD) as running:
        yield running


def test_plain_http_goes_through_the_proxy_except_the_login_listener(
    cli: CLI, proxy: RunningProxy, emulator: object, redirect_uri: str
) -> None:
    env = {"HTTP_PROXY": proxy.url}
    assert cli("login", **env).returncode == 0
    assert cli("whoami", **env).returncode == 0
    r = cli("call", "/v1/deals", **env)
    assert r.returncode == 0, r.stderr
    expire_stored(cli.env)
    assert cli("token", **env).returncode == 0
    base = emulator.base_url  # type: ignore[attr-defined]
    seen = proxy.seen()
    assert f"POST {base}/oauth/token" in seen
    assert f"GET {base}/api/v1/users/me" in seen
    assert f"GET {base}/api/v1/deals" in seen
    # The browser pdauth opened (a script honouring HTTP_PROXY) reached the login's listener directly:
    # pdauth adds the loopback names to its NO_PROXY.
    listener = redirect_uri.rsplit("/", 1)[0]  # http://127.0.0.1:PORT
    assert f"GET {listener}/" not in seen and "response_type=code" not in seen
    assert "response_type=pdauth_probe" in seen  # pdauth's own check of the redirect URI: proxied too


def test_lower_case_wins_and_no_proxy_exempts_a_host(cli: CLI, proxy: RunningProxy) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    # Lower case first, as curl and requests read them: the dead upper-case one is never used.
    assert cli("login", http_proxy=proxy.url, HTTP_PROXY=dead).returncode == 0
    # NO_PROXY names the host: direct, although the proxy is dead.
    r = cli("whoami", HTTP_PROXY=dead, NO_PROXY="localhost,127.0.0.1")
    assert r.returncode == 0, r.stderr
    # ALL_PROXY serves any scheme without its own variable.
    before = proxy.seen().count("users/me")
    assert cli("whoami", ALL_PROXY=proxy.url).returncode == 0
    assert proxy.seen().count("users/me") == before + 1


def test_proxy_credentials_work_and_never_show(cli: CLI, auth_proxy: RunningProxy) -> None:
    env = {"HTTP_PROXY": auth_proxy.url}
    assert cli("login", **env).returncode == 0
    outputs = [cli("-v", "whoami", **env), cli("-v", "call", "/v1/deals", **env), cli("doctor", **env)]
    expire_stored(cli.env)
    outputs.append(cli("-v", "refresh", **env))
    for r in outputs:
        assert r.returncode == 0, r.stderr
        assert PASSWORD not in r.stdout + r.stderr
    assert f"127.0.0.1:{auth_proxy.port} as {USER} (from HTTP_PROXY)" in outputs[2].stdout


def test_a_proxy_that_wants_credentials_is_one_line(cli: CLI, auth_proxy: RunningProxy) -> None:
    assert cli("login").returncode == 0
    expire_stored(cli.env)
    before = keyring_file(cli.env).read_bytes()
    for args in (("refresh",), ("whoami",), ("call", "/v1/deals")):
        r = cli(*args, HTTP_PROXY=f"http://127.0.0.1:{auth_proxy.port}")
        assert r.returncode == 1, (args, r.stderr)
        line = one_error_line(r)
        assert f"127.0.0.1:{auth_proxy.port}" in line and "user name and password" in line, line
        assert "Set HTTP_PROXY to http://USER:PASSWORD@" in line
    # A wrong password: tinyproxy answers plain http with a 401 of its own, so only "one line" holds.
    wrong = cli("refresh", HTTP_PROXY=f"http://{USER}:not-the-password@127.0.0.1:{auth_proxy.port}")
    assert wrong.returncode == 1 and one_error_line(wrong)
    assert "not-the-password" not in wrong.stderr
    assert keyring_file(cli.env).read_bytes() == before


@pytest.mark.parametrize("args", [("refresh",), ("whoami",), ("call", "/v1/deals"), ("token",)])
def test_a_proxy_that_is_down_fails_fast_naming_it(cli: CLI, args: tuple[str, ...]) -> None:
    assert cli("login").returncode == 0
    expire_stored(cli.env, noted=True)
    before = keyring_file(cli.env).read_bytes()
    port = free_port()  # nothing listens: connection refused
    started = time.monotonic()
    r = cli(*args, HTTP_PROXY=f"http://{USER}:{PASSWORD}@127.0.0.1:{port}")
    elapsed = time.monotonic() - started
    assert r.returncode == 1, r.stderr
    line = one_error_line(r)
    assert f"proxy 127.0.0.1:{port}" in line and "HTTP_PROXY" in line, line
    assert PASSWORD not in r.stderr and USER not in line.split("HTTP_PROXY")[0]
    assert "retrying" not in r.stderr.lower()
    assert elapsed < 30  # bounded (a loaded CI machine starts Python slowly)
    if args[0] == "call":  # refused is refused: not retried (the retrier logs each retry with -v)
        verbose = cli("-v", *args, HTTP_PROXY=f"http://127.0.0.1:{port}")
        assert verbose.returncode == 1 and "retrying in" not in verbose.stderr, verbose.stderr
    assert keyring_file(cli.env).read_bytes() == before


# -- HTTPS: CONNECT through tinyproxy, and a TLS-inspecting gateway ------------------------------------


@pytest.fixture
def tls_emulator(emulator: object, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The emulator behind TLS (a certificate from a test CA): (https base URL, that CA's file)."""
    ca, cert, key = make_ca_and_cert(tmp_path / "pki")
    with TlsFront(emulator.port, cert, key) as front:  # type: ignore[attr-defined]
        # The emulator hands out its own base URL as api_domain: make that the https one, as Pipedrive's is.
        emulator.advertise(front.url)  # type: ignore[attr-defined]
        yield front.url, ca


@pytest.fixture
def tls_cli(cli: CLI, tls_emulator: tuple[str, Path]) -> CLI:
    url, _ = tls_emulator
    return CLI({**cli.env, "PDAUTH_OAUTH_URL": url})


def test_https_goes_through_connect_with_credentials(
    tls_cli: CLI, tls_emulator: tuple[str, Path], auth_proxy: RunningProxy
) -> None:
    url, ca = tls_emulator
    env = {"HTTPS_PROXY": auth_proxy.url, "SSL_CERT_FILE": str(ca)}
    r = tls_cli("login", **env)
    assert r.returncode == 0, r.stderr
    for args in (("whoami",), ("call", "/v1/deals"), ("-v", "refresh")):
        r = tls_cli(*args, **env)
        assert r.returncode == 0, (args, r.stderr)
        assert PASSWORD not in r.stdout + r.stderr
    # A wrong password: the proxy refuses the tunnel, and says so in one line.
    wrong = tls_cli("whoami", **{**env, "HTTPS_PROXY": f"http://{USER}:wrong-pa55word@{auth_proxy.where}"})
    assert wrong.returncode == 1 and "wrong-pa55word" not in wrong.stderr
    assert "rejected the user name and password in HTTPS_PROXY" in one_error_line(wrong)
    connects = [line for line in auth_proxy.seen().splitlines() if f"CONNECT {url[8:]}" in line]
    assert len(connects) >= 4, auth_proxy.seen()  # token, users/me, deals, refresh: all tunnelled
    assert f"CONNECT {tls_cli.env['PDAUTH_REDIRECT_URI'].split('/')[2]}" not in auth_proxy.seen()


def test_a_certificate_that_does_not_verify_is_one_line(tls_cli: CLI, tls_emulator: tuple[str, Path]) -> None:
    url, ca = tls_emulator
    assert tls_cli("login", SSL_CERT_FILE=str(ca)).returncode == 0
    expire_stored(tls_cli.env, noted=True)
    before = keyring_file(tls_cli.env).read_bytes()
    for args in (("refresh",), ("token",), ("whoami",), ("call", "/v1/deals")):
        started = time.monotonic()
        r = tls_cli(*args)  # certifi does not know the test CA
        assert r.returncode == 1, (args, r.stderr)
        line = one_error_line(r)
        assert url[8:] in line and "could not be verified" in line and "SSL_CERT_FILE" in line, line
        assert time.monotonic() - started < 30
    verbose = tls_cli("-v", "call", "/v1/deals")
    assert verbose.returncode == 1 and "retrying in" not in verbose.stderr, verbose.stderr
    assert keyring_file(tls_cli.env).read_bytes() == before
    # REQUESTS_CA_BUNDLE is honoured as well.
    assert tls_cli("refresh", REQUESTS_CA_BUNDLE=str(ca)).returncode == 0
    missing = tls_cli("whoami", SSL_CERT_FILE="/nonexistent/ca.pem")
    assert missing.returncode == 2 and "SSL_CERT_FILE" in one_error_line(missing)


@pytest.fixture
def gateway(tmp_path: Path, tls_emulator: tuple[str, Path]) -> Iterator[Gateway]:
    _, upstream_ca = tls_emulator
    with mitm_gateway(tmp_path / "gateway", upstream_ca) as running:
        yield running


def test_a_tls_inspecting_gateway_works_once_its_ca_is_trusted(
    tls_cli: CLI, tls_emulator: tuple[str, Path], gateway: Gateway, tmp_path: Path
) -> None:
    url, public_ca = tls_emulator
    # What a company hands out: a bundle of the public CAs (here the emulator's) plus its gateway's CA.
    bundle = tmp_path / "company-bundle.pem"
    bundle.write_text(public_ca.read_text() + gateway.ca_cert.read_text())
    trusted = {"HTTPS_PROXY": gateway.url, "SSL_CERT_FILE": str(bundle)}
    r = tls_cli("login", "--timeout", "20", **trusted)
    assert r.returncode == 0, r.stderr
    assert tls_cli("whoami", **trusted).returncode == 0
    assert tls_cli("call", "/v1/deals", **trusted).returncode == 0
    doctor = tls_cli("doctor", **trusted)
    assert f"{bundle} (from SSL_CERT_FILE)" in doctor.stdout
    assert f"through 127.0.0.1:{gateway.port} (from HTTPS_PROXY)" in doctor.stdout
    assert "/oauth/token" in gateway.seen() and "/api/v1/users/me" in gateway.seen()

    # With the public CAs only: the certificate the gateway shows for the emulator does not verify.
    expire_stored(tls_cli.env, noted=True)
    before = keyring_file(tls_cli.env).read_bytes()
    r = tls_cli("refresh", HTTPS_PROXY=gateway.url, SSL_CERT_FILE=str(public_ca))
    assert r.returncode == 1
    line = one_error_line(r)
    assert url[8:] in line and "SSL_CERT_FILE" in line, line
    assert keyring_file(tls_cli.env).read_bytes() == before


def test_netrc_never_replaces_the_bearer_token(cli: CLI, tmp_path: Path, proxy: RunningProxy) -> None:
    """requests' own env handling would read ~/.netrc; pdauth honours proxies without it."""
    home = tmp_path / "home"
    home.mkdir()
    (home / ".netrc").write_text("machine 127.0.0.1 login netrc-user password netrc-password\n")
    (home / ".netrc").chmod(0o600)
    env = {"HOME": str(home), "NETRC": str(home / ".netrc"), "HTTP_PROXY": proxy.url}
    assert cli("login", **env).returncode == 0
    r = cli("whoami", **env)
    assert r.returncode == 0, r.stderr  # a Basic netrc header would have got a 401


def test_a_whole_session_sends_nothing_but_to_the_issuer_and_the_api_domain(
    cli: CLI, proxy: RunningProxy, emulator: object
) -> None:
    """No telemetry, no update check: every request a login → whoami → call → refresh → status → revoke
    session makes goes to the OAuth server or the account's api_domain (the emulator serves both). The
    proxy sees every request, since nothing is exempted by NO_PROXY but the login's own listener."""
    env = {"HTTP_PROXY": proxy.url}
    assert cli("login", **env).returncode == 0
    for command in (("whoami",), ("call", "/v2/deals"), ("refresh",), ("token",), ("status",), ("doctor",)):
        assert cli(*command, **env).returncode in (0, 1), command  # doctor may find this machine wanting
    assert cli("logout", "--revoke", **env).returncode == 0
    base = emulator.base_url  # type: ignore[attr-defined]
    requested = re.findall(r"Request \(file descriptor \d+\): (\S+) (\S+)", proxy.seen())
    assert len(requested) >= 8, proxy.seen()
    elsewhere = [f"{method} {url}" for method, url in requested if not url.startswith(f"{base}/")]
    assert not elsewhere, elsewhere
