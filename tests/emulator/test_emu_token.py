"""POST /oauth/token: content type, client auth, authorization_code and refresh_token grants."""

from __future__ import annotations

import base64

import pytest
import requests

from pdauth.emulator.config import DEFAULT_SCOPES

from .helpers import ACCESS_TOKEN_RE, BASIC, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, REFRESH_TOKEN_RE, T

pytestmark = pytest.mark.timeout(20)

DAY = 86400


def assert_oauth_error(answer, status: int, error: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"success", "message", "error"}
    assert body["success"] is False and body["error"] == error and body["message"]
    assert answer.headers["Cache-Control"] == "no-store"


def test_code_exchange_returns_exactly_pipedrives_fields(drv, emu):
    answer = drv.exchange(drv.code())
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["Content-Type"].startswith("application/json")
    body = answer.json()
    assert set(body) == {"access_token", "token_type", "refresh_token", "scope", "expires_in", "api_domain"}
    assert ACCESS_TOKEN_RE.match(body["access_token"])
    assert body["token_type"] == "Bearer"
    assert REFRESH_TOKEN_RE.match(body["refresh_token"])
    assert body["refresh_token"].startswith("123:777:")
    assert body["scope"] == ",".join(DEFAULT_SCOPES)
    assert body["expires_in"] == 3599
    assert body["api_domain"] == emu.base_url
    assert drv.me(body["access_token"]).status_code == 200


def test_client_credentials_in_the_body_work_too(drv):
    data = {
        "grant_type": "authorization_code",
        "code": drv.code(),
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert drv.token(data, auth=None).status_code == 200


def test_form_content_type_with_charset_is_accepted(drv):
    body = f"grant_type=authorization_code&code={drv.code()}&redirect_uri={REDIRECT_URI}"
    answer = requests.post(
        f"{drv.url}/oauth/token",
        data=body,
        auth=BASIC,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
        timeout=T,
    )
    assert answer.status_code == 200


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_anything_but_a_form_is_invalid_request(drv, content_type):
    code = drv.code()
    headers = {"Content-Type": content_type} if content_type else {}
    body = f'{{"grant_type": "authorization_code", "code": "{code}", "redirect_uri": "{REDIRECT_URI}"}}'
    answer = requests.post(f"{drv.url}/oauth/token", data=body, headers=headers, auth=BASIC, timeout=T)
    if content_type is None:  # requests sends no Content-Type for a str body
        assert "Content-Type" not in answer.request.headers
    assert_oauth_error(answer, 400, "invalid_request")
    # the code was not consumed by the refused request
    assert drv.exchange(code).status_code == 200


def test_json_helper_of_requests_is_refused(drv):
    data = {"grant_type": "authorization_code", "code": drv.code(), "redirect_uri": REDIRECT_URI}
    answer = requests.post(f"{drv.url}/oauth/token", json=data, auth=BASIC, timeout=T)
    assert_oauth_error(answer, 400, "invalid_request")


@pytest.mark.parametrize(
    ("auth", "status"),
    [
        ((CLIENT_ID, "wrong"), 401),
        (("other-client", CLIENT_SECRET), 401),
        ((CLIENT_ID, ""), 401),
    ],
)
def test_bad_basic_credentials_are_invalid_client_401(drv, auth, status):
    answer = drv.exchange(drv.code(), auth=auth)
    assert_oauth_error(answer, status, "invalid_client")
    assert answer.headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize(
    "header",
    ["Basic !!!notbase64", "Basic " + base64.b64encode(b"no-colon").decode(), "Bearer abc", "Basic"],
)
def test_malformed_authorization_is_invalid_client_401(drv, header):
    data = {"grant_type": "authorization_code", "code": drv.code(), "redirect_uri": REDIRECT_URI}
    answer = drv.token(data, auth=None, headers={"Authorization": header})
    assert_oauth_error(answer, 401, "invalid_client")


@pytest.mark.parametrize(
    "creds",
    [{}, {"client_id": CLIENT_ID}, {"client_id": CLIENT_ID, "client_secret": "wrong"}],
    ids=["none", "id-only", "wrong-secret"],
)
def test_bad_body_credentials_are_invalid_client_400(drv, creds):
    data = {"grant_type": "authorization_code", "code": drv.code(), "redirect_uri": REDIRECT_URI, **creds}
    assert_oauth_error(drv.token(data, auth=None), 400, "invalid_client")


def test_two_client_auth_methods_at_once_is_invalid_request(drv):
    data = {
        "grant_type": "authorization_code",
        "code": drv.code(),
        "redirect_uri": REDIRECT_URI,
        "client_secret": CLIENT_SECRET,
    }
    assert_oauth_error(drv.token(data), 400, "invalid_request")


def test_a_code_is_single_use_and_a_replay_revokes_its_tokens(drv, emu):
    code = drv.code()
    first = drv.exchange(code).json()
    assert drv.me(first["access_token"]).status_code == 200
    assert_oauth_error(drv.exchange(code), 400, "invalid_grant")
    assert drv.me(first["access_token"]).status_code == 401
    assert_oauth_error(drv.refresh(first["refresh_token"]), 400, "invalid_grant")
    assert_oauth_error(drv.exchange(code), 400, "invalid_grant")  # and stays dead


def test_a_replay_also_revokes_tokens_refreshed_from_that_code(drv):
    code = drv.code()
    first = drv.exchange(code).json()
    refreshed = drv.refresh(first["refresh_token"]).json()
    drv.exchange(code)
    assert drv.me(refreshed["access_token"]).status_code == 401


def test_codes_expire_after_five_minutes(drv, emu):
    fresh, stale = drv.code(), drv.code()
    emu.advance_clock(299)
    assert drv.exchange(fresh).status_code == 200
    emu.advance_clock(2)
    assert_oauth_error(drv.exchange(stale), 400, "invalid_grant")


def test_redirect_uri_must_match_and_a_mismatch_does_not_burn_the_code(drv):
    code = drv.code()
    base = {"grant_type": "authorization_code", "code": code}
    assert_oauth_error(
        drv.token({**base, "redirect_uri": "http://127.0.0.1:8976/other"}), 400, "invalid_request"
    )
    assert_oauth_error(drv.token(base), 400, "invalid_request")
    assert drv.token({**base, "redirect_uri": REDIRECT_URI}).status_code == 200


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"grant_type": "authorization_code", "redirect_uri": REDIRECT_URI}, "invalid_request"),
        ({"grant_type": "authorization_code", "code": "", "redirect_uri": REDIRECT_URI}, "invalid_request"),
        (
            {"grant_type": "authorization_code", "code": "1.2.abc", "redirect_uri": REDIRECT_URI},
            "invalid_grant",
        ),
        ({"code": "1.2.abc", "redirect_uri": REDIRECT_URI}, "invalid_request"),
        ({"grant_type": "password", "username": "u", "password": "p"}, "unsupported_grant_type"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"grant_type": "refresh_token"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "123:777:deadbeef"}, "invalid_grant"),
    ],
    ids=[
        "no-code",
        "empty-code",
        "unknown-code",
        "no-grant",
        "password",
        "client-credentials",
        "no-rt",
        "bad-rt",
    ],
)
def test_grant_errors(drv, data, error):
    assert_oauth_error(drv.token(data), 400, error)


def test_repeated_form_parameter_is_invalid_request(drv):
    body = "grant_type=refresh_token&refresh_token=a&refresh_token=b"
    answer = requests.post(
        f"{drv.url}/oauth/token",
        data=body,
        auth=BASIC,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=T,
    )
    assert_oauth_error(answer, 400, "invalid_request")


def test_token_endpoint_is_post_only(drv):
    answer = requests.get(f"{drv.url}/oauth/token", timeout=T)
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "POST"


def test_refresh_returns_a_new_access_token_and_the_same_refresh_token(drv):
    first = drv.login()
    answer = drv.refresh(first["refresh_token"])
    assert answer.status_code == 200
    second = answer.json()
    assert set(second) == set(first)
    assert second["refresh_token"] == first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert ACCESS_TOKEN_RE.match(second["access_token"])
    assert second["scope"] == first["scope"] and second["api_domain"] == first["api_domain"]
    # the older access token lives on until its own expiry
    assert drv.me(first["access_token"]).status_code == 200
    assert drv.me(second["access_token"]).status_code == 200


def test_access_tokens_expire_and_a_refresh_cures_it(drv, emu):
    tokens = drv.login()
    emu.advance_clock(3598)
    assert drv.me(tokens["access_token"]).status_code == 200
    emu.advance_clock(1)
    assert drv.me(tokens["access_token"]).status_code == 401
    fresh = drv.refresh(tokens["refresh_token"]).json()
    assert drv.me(fresh["access_token"]).status_code == 200


def test_each_refresh_restarts_the_idle_expiry(drv, emu):
    refresh_token = drv.login()["refresh_token"]
    for _ in range(3):  # 177 days in all, never 60 idle
        emu.advance_clock(59 * DAY)
        assert drv.refresh(refresh_token).status_code == 200
    emu.advance_clock(60 * DAY + 1)
    assert_oauth_error(drv.refresh(refresh_token), 400, "invalid_grant")


def test_idle_refresh_token_expires_after_sixty_days(drv, emu):
    refresh_token = drv.login()["refresh_token"]
    emu.advance_clock(60 * DAY + 1)
    assert_oauth_error(drv.refresh(refresh_token), 400, "invalid_grant")


def test_configured_lifetimes_are_used(make_emulator, driver_for):
    emu = make_emulator(access_token_ttl=120, refresh_token_idle_ttl=600)
    drv = driver_for(emu)
    tokens = drv.login()
    assert tokens["expires_in"] == 120
    emu.advance_clock(120)
    assert drv.me(tokens["access_token"]).status_code == 401
    emu.advance_clock(480)
    assert_oauth_error(drv.refresh(tokens["refresh_token"]), 400, "invalid_grant")


def test_rotation_issues_a_new_refresh_token_and_retires_the_old(make_emulator, driver_for):
    drv = driver_for(make_emulator(rotate_refresh_tokens=True))
    first = drv.login()
    second = drv.refresh(first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert REFRESH_TOKEN_RE.match(second["refresh_token"])
    assert_oauth_error(drv.refresh(first["refresh_token"]), 400, "invalid_grant")
    third = drv.refresh(second["refresh_token"])
    assert third.status_code == 200
    assert drv.me(third.json()["access_token"]).status_code == 200


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        (("deals:read",), "base,deals:read"),
        (("base",), "base"),
        (("deals:full", "base", "deals:full"), "base,deals:full"),
    ],
)
def test_scope_is_comma_separated_and_always_has_base(make_emulator, driver_for, scopes, expected):
    drv = driver_for(make_emulator(scopes=scopes))
    assert drv.login()["scope"] == expected


def test_a_refresh_token_of_one_login_is_not_another_logins(drv):
    a, b = drv.login(), drv.login()
    assert a["refresh_token"] != b["refresh_token"]
    drv.revoke(a["refresh_token"])
    assert drv.refresh(b["refresh_token"]).status_code == 200
