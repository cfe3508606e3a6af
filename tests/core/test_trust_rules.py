"""The rules behind issue 11's trust boundaries, one table each: where a secret may go (http only on the
loopback), what a token response may hold (origins, visible-ASCII tokens and scopes, a sane expires_in),
(what reaches a terminal or $GITHUB_ENV: tests/cli/test_terminal_text.py). The end-to-end proofs against a hostile server are in tests/e2e/test_hostile_server.py."""

from __future__ import annotations

import math
from typing import Any

import pytest

from pdauth.core.settings import api_domain_allowed, check_url, is_loopback_url
from pdauth.core.tokens import MAX_EXPIRES_IN, MalformedTokenResponse, TokenSet
from pdauth.errors import ConfigError

RESPONSE: dict[str, Any] = {
    "access_token": "v1u:AAA+/=_-.~",
    "token_type": "bearer",
    "refresh_token": "1:2:abc",
    "scope": "base,deals:read",
    "expires_in": 3599,
    "api_domain": "https://acme.pipedrive.com/",
}


def parse(**changes: Any) -> TokenSet:
    return TokenSet.from_response({**RESPONSE, **changes}, now=1000.0)


# -- expires_in ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["nan", math.nan, math.inf, -math.inf, "inf", 1e300, 10**400, -5, 0, True, "soon", None, [3599]]
)
def test_expires_in_must_be_finite_and_in_range(value: object) -> None:
    with pytest.raises(MalformedTokenResponse, match="expires_in"):
        parse(expires_in=value)


@pytest.mark.parametrize("value", [3599, 3599.5, "3599", 1, MAX_EXPIRES_IN])
def test_ordinary_lifetimes_are_kept(value: object) -> None:
    assert parse(expires_in=value).expires_at == 1000.0 + float(value)  # type: ignore[arg-type]


# -- tokens, scopes, api_domain -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["access_token", "refresh_token"])
@pytest.mark.parametrize("value", ["a\nb", "a\rb", "a\x1bb", "a b", "a\tb", "a\x7fb", "tök", "a\u202eb", 42])
def test_tokens_are_visible_ascii(name: str, value: object) -> None:
    with pytest.raises(MalformedTokenResponse, match=name) as caught:
        parse(**{name: value})
    assert str(value) not in str(caught.value)  # a token is a secret: never in a message


@pytest.mark.parametrize(
    "scope",
    ["base\ndeals:read", "base\r", "base\tdeals:read", "base\x1b[2J", ["base", "deals\n"], ["a,b"], 7],
)
def test_scopes_with_control_characters_are_refused(scope: object) -> None:
    with pytest.raises(MalformedTokenResponse, match="scope"):
        parse(scope=scope)


@pytest.mark.parametrize(
    ("scope", "expected"),
    [("base deals:read", ("base", "deals:read")), ("base, deals:read", ("base", "deals:read")), (None, ())],
)
def test_ordinary_scopes_still_parse(scope: object, expected: tuple[str, ...]) -> None:
    assert parse(scope=scope).scopes == expected


@pytest.mark.parametrize(
    "api_domain",
    [
        "https://acme.pipedrive.com\nBASH_ENV=x",
        "https://acme.pipedrive.com\r",
        "https://acme\x1b.pipedrive.com",
        "https://acme.pipedrive.com/api",
        "https://acme.pipedrive.com?x",
        "https://acme.pipedrive.com#x",
        "https://u:p@acme.pipedrive.com",
        "https://acme.pipedrive.com:99999",
        "https://",
        "javascript://x",
        "acme.pipedrive.com",
        None,
    ],
)
def test_api_domain_must_be_an_origin(api_domain: object) -> None:
    with pytest.raises(MalformedTokenResponse, match="api_domain"):
        parse(api_domain=api_domain)


@pytest.mark.parametrize(
    ("api_domain", "oauth_url", "allowed"),
    [
        ("https://acme.pipedrive.com", "https://oauth.pipedrive.com", True),
        ("https://acme.pipedrive.com", "http://127.0.0.1:8080", True),
        ("http://127.0.0.1:9000", "http://127.0.0.1:8080", True),  # the emulator
        ("http://[::1]:9000", "http://localhost:8080", True),
        ("http://127.0.0.1:9000", "https://oauth.pipedrive.com", False),  # a real issuer never says so
        ("http://acme.pipedrive.com", "http://127.0.0.1:8080", False),
        ("http://127.evil.example", "http://127.0.0.1:8080", False),
    ],
)
def test_where_the_issuer_may_send_the_access_token(api_domain: str, oauth_url: str, allowed: bool) -> None:
    assert api_domain_allowed(api_domain, oauth_url) is allowed


# -- the OAuth URL (and PIPEDRIVE_API_DOMAIN): http only on the loopback ------------------------------


@pytest.mark.parametrize(
    "url", ["http://oauth.example.com", "http://10.0.0.1:8080", "http://127.evil.example", "http://[::2]:80"]
)
def test_plain_http_off_the_loopback_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="plain http"):
        check_url(url, "PDAUTH_OAUTH_URL", "https://oauth.pipedrive.com")


@pytest.mark.parametrize(
    "url",
    [
        "https://oauth.example.com",
        "http://127.0.0.1:8080",
        "http://127.1.2.3",
        "http://[::1]:1",
        "http://localhost:9",
    ],
)
def test_https_anywhere_and_http_on_the_loopback_are_accepted(url: str) -> None:
    check_url(url, "PDAUTH_OAUTH_URL", "https://oauth.pipedrive.com")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1.nip.io", "http://127.evil.example", "http://localhost.evil"]
)
def test_loopback_is_an_address_not_a_name_prefix(url: str) -> None:
    assert not is_loopback_url(url)
