from __future__ import annotations

import pytest

from pdauth.core.tokens import REFRESH_TOKEN_IDLE_SECONDS, MalformedTokenResponse, TokenSet

RESPONSE = {
    "access_token": "v1u:AAA",
    "token_type": "bearer",
    "refresh_token": "1:2:abc",
    "scope": "base,deals:read",
    "expires_in": 3599,
    "api_domain": "https://acme.pipedrive.com/",
}


def test_from_response_stores_absolute_expiry_and_normalises() -> None:
    tokens = TokenSet.from_response(RESPONSE, now=1000.0)
    assert tokens.expires_at == 4599.0
    assert tokens.api_domain == "https://acme.pipedrive.com"
    assert tokens.token_type == "Bearer"
    assert tokens.scopes == ("base", "deals:read")
    assert tokens.refresh_deadline == 1000.0 + REFRESH_TOKEN_IDLE_SECONDS


@pytest.mark.parametrize("scope", ["base deals:read", "base, deals:read", ["base", "deals:read"]])
def test_scope_separators(scope: object) -> None:
    assert TokenSet.from_response({**RESPONSE, "scope": scope}, 0).scopes == ("base", "deals:read")


def test_keeps_previous_refresh_token_when_omitted_and_takes_a_new_one() -> None:
    without = {k: v for k, v in RESPONSE.items() if k != "refresh_token"}
    assert TokenSet.from_response(without, 0, previous_refresh_token="old").refresh_token == "old"
    assert TokenSet.from_response(RESPONSE, 0, previous_refresh_token="old").refresh_token == "1:2:abc"


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {**RESPONSE, "access_token": ""},
        {k: v for k, v in RESPONSE.items() if k != "access_token"},
        {k: v for k, v in RESPONSE.items() if k != "api_domain"},
        {**RESPONSE, "api_domain": "acme.pipedrive.com"},
        {**RESPONSE, "token_type": "mac"},
        {**RESPONSE, "expires_in": "soon"},
    ],
)
def test_malformed_responses_are_rejected(payload: object) -> None:
    with pytest.raises(MalformedTokenResponse):
        TokenSet.from_response(payload, 0)


def test_expiry_margin() -> None:
    tokens = TokenSet.from_response(RESPONSE, now=0)
    assert not tokens.expires_within(now=3599 - 301)
    assert tokens.expires_within(now=3599 - 299)


def test_json_round_trip() -> None:
    tokens = TokenSet.from_response(RESPONSE, now=12.5)
    assert TokenSet.from_json(tokens.to_json()) == tokens
