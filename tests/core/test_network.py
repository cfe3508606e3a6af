"""Which proxy a URL goes through and which CA bundle is trusted: curl's and requests' rules, in one place."""

from __future__ import annotations

from pathlib import Path

import pytest

from pdauth.core.network import ca_bundle, describe, proxy_for, proxy_passwords
from pdauth.errors import ConfigError

P = "http://127.0.0.1:3128"
DEAD = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("env", "url", "expected"),
    [
        ({}, "https://oauth.pipedrive.com/oauth/token", None),
        ({"HTTPS_PROXY": P}, "https://oauth.pipedrive.com/oauth/token", "127.0.0.1:3128"),
        ({"https_proxy": P, "HTTPS_PROXY": DEAD}, "https://x.example/", "127.0.0.1:3128"),  # lower case first
        ({"HTTP_PROXY": P}, "https://x.example/", None),  # per scheme
        (
            {"HTTP_PROXY": P},
            "http://127.0.0.1:8080/api",
            "127.0.0.1:3128",
        ),  # loopback is not exempt by itself
        ({"ALL_PROXY": P}, "https://x.example/", "127.0.0.1:3128"),
        ({"HTTPS_PROXY": P, "ALL_PROXY": DEAD}, "https://x.example/", "127.0.0.1:3128"),
        ({"HTTPS_PROXY": "proxy.corp:8080"}, "https://x.example/", "proxy.corp:8080"),  # no scheme: http
        ({"HTTPS_PROXY": "http://proxy.corp"}, "https://x.example/", "proxy.corp:80"),
        ({"HTTPS_PROXY": P, "NO_PROXY": "*"}, "https://x.example/", None),
        ({"HTTPS_PROXY": P, "NO_PROXY": "example.com"}, "https://api.example.com/", None),
        ({"HTTPS_PROXY": P, "no_proxy": ".example.com"}, "https://api.example.com/", None),
        ({"HTTPS_PROXY": P, "NO_PROXY": "example.com"}, "https://notexample.com/", "127.0.0.1:3128"),
        ({"HTTP_PROXY": P, "NO_PROXY": "localhost, 127.0.0.1"}, "http://127.0.0.1:8080/", None),
        ({"HTTP_PROXY": P, "NO_PROXY": "127.0.0.0/8"}, "http://127.0.0.5:8080/", None),
        ({"HTTP_PROXY": P, "NO_PROXY": "127.0.0.1:8081"}, "http://127.0.0.1:8080/", "127.0.0.1:3128"),
        ({"HTTP_PROXY": P, "NO_PROXY": "127.0.0.1:8080"}, "http://127.0.0.1:8080/", None),
        ({"HTTP_PROXY": P, "NO_PROXY": "::1"}, "http://[::1]:8080/", None),
        ({"HTTPS_PROXY": ""}, "https://x.example/", None),
    ],
)
def test_proxy_for(env: dict[str, str], url: str, expected: str | None) -> None:
    proxy = proxy_for(url, env)
    assert (proxy.where if proxy else None) == expected


def test_credentials_are_decoded_and_never_in_the_description() -> None:
    proxy = proxy_for("https://x.example/", {"HTTPS_PROXY": "http://me%40corp:p%3Ass@proxy:8080"})
    assert proxy is not None
    assert (proxy.username, proxy.password) == ("me@corp", "p:ss")
    assert proxy.authorization() == "Basic bWVAY29ycDpwOnNz"
    assert "p:ss" not in proxy.describe() + repr(proxy) and "proxy:8080" in proxy.describe()
    assert proxy_passwords({"https_proxy": "http://u:secret1@h:1", "ALL_PROXY": "http://h:2"}) == ["secret1"]


@pytest.mark.parametrize("value", ["socks5://127.0.0.1:1080", "http://127.0.0.1:notaport", "http://"])
def test_an_unusable_proxy_is_a_usage_error(value: str) -> None:
    with pytest.raises(ConfigError, match="HTTPS_PROXY"):
        proxy_for("https://x.example/", {"HTTPS_PROXY": value})


def test_ca_bundle_order_and_a_missing_file(tmp_path: Path) -> None:
    a, b = tmp_path / "a.pem", tmp_path / "b.pem"
    a.write_text("a")
    b.write_text("b")
    assert ca_bundle({"SSL_CERT_FILE": str(a), "REQUESTS_CA_BUNDLE": str(b)}) == (
        str(b),
        "REQUESTS_CA_BUNDLE",
    )
    assert ca_bundle({"SSL_CERT_FILE": str(a)}) == (str(a), "SSL_CERT_FILE")
    assert ca_bundle({})[1] == "certifi"
    with pytest.raises(ConfigError, match=r"SSL_CERT_FILE names .* which does not exist"):
        ca_bundle({"SSL_CERT_FILE": str(tmp_path / "missing.pem")})


def test_describe_says_why_a_host_goes_direct() -> None:
    env = {"HTTPS_PROXY": "http://u:pw123456@127.0.0.1:3128", "NO_PROXY": "api.example.com"}
    assert describe(env, "https://oauth.example.com") == "through 127.0.0.1:3128 as u (from HTTPS_PROXY)"
    assert describe(env, "https://api.example.com") == "direct (NO_PROXY names this host)"
    assert describe({}, "https://api.example.com") == "direct (no proxy set)"
