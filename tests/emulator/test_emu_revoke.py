"""POST /oauth/revoke (RFC 7009): Basic auth, always 200, refresh token = uninstall, access token = one."""

from __future__ import annotations

import pytest
import requests

from .helpers import BASIC, CLIENT_ID, CLIENT_SECRET, T

pytestmark = pytest.mark.timeout(20)


@pytest.mark.parametrize("hint", [None, "refresh_token", "access_token"])
def test_revoking_the_refresh_token_kills_every_token_of_the_install(drv, hint):
    first = drv.login()
    second = drv.refresh(first["refresh_token"]).json()
    answer = drv.revoke(first["refresh_token"], hint)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    for token in (first["access_token"], second["access_token"]):
        assert drv.me(token).status_code == 401
    refused = drv.refresh(first["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("hint", [None, "access_token", "refresh_token"])
def test_revoking_an_access_token_kills_only_it(drv, hint):
    first = drv.login()
    second = drv.refresh(first["refresh_token"]).json()
    assert drv.revoke(first["access_token"], hint).status_code == 200
    assert drv.me(first["access_token"]).status_code == 401
    assert drv.me(second["access_token"]).status_code == 200
    assert drv.refresh(first["refresh_token"]).status_code == 200


@pytest.mark.parametrize("token", ["v1u:never-issued", "1:2:abcdef", "anything"])
def test_unknown_tokens_revoke_with_200(drv, token):
    assert drv.revoke(token).status_code == 200


def test_revoking_twice_is_fine(drv):
    tokens = drv.login()
    assert drv.revoke(tokens["refresh_token"]).status_code == 200
    assert drv.revoke(tokens["refresh_token"]).status_code == 200


def test_other_logins_survive_a_revocation(drv):
    a, b = drv.login(), drv.login()
    drv.revoke(a["refresh_token"])
    assert drv.me(b["access_token"]).status_code == 200


@pytest.mark.parametrize("auth", [None, (CLIENT_ID, "wrong"), ("nobody", CLIENT_SECRET)])
def test_revoke_needs_valid_basic_auth(drv, auth):
    tokens = drv.login()
    answer = drv.revoke(tokens["refresh_token"], auth=auth)
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    assert drv.refresh(tokens["refresh_token"]).status_code == 200  # nothing was revoked


def test_revoke_does_not_take_credentials_in_the_body(drv):
    tokens = drv.login()
    data = {"token": tokens["refresh_token"], "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    answer = requests.post(f"{drv.url}/oauth/revoke", data=data, timeout=T)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


@pytest.mark.parametrize("data", [{}, {"token": ""}, {"token_type_hint": "refresh_token"}])
def test_revoke_without_a_token_is_invalid_request(drv, data):
    answer = requests.post(f"{drv.url}/oauth/revoke", data=data, auth=BASIC, timeout=T)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"


def test_revoke_wants_a_form(drv):
    tokens = drv.login()
    answer = requests.post(
        f"{drv.url}/oauth/revoke", json={"token": tokens["refresh_token"]}, auth=BASIC, timeout=T
    )
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    assert drv.refresh(tokens["refresh_token"]).status_code == 200


def test_revocations_are_counted(drv, emu):
    tokens = drv.login()
    drv.revoke(tokens["access_token"])
    drv.revoke("unknown")
    drv.revoke(tokens["refresh_token"], auth=None)  # refused: not a revocation
    stats = emu.stats()
    assert stats["revocations"] == 2
    assert stats["revoke_requests"] == 3
