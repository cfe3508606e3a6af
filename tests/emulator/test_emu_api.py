"""The REST API on api_domain: bearer errors and their bodies, scopes, unknown paths, methods, headers."""

from __future__ import annotations

import pytest
import requests

from .helpers import SCOPE_MISMATCH, UNAUTHORIZED, T, envelope

pytestmark = pytest.mark.timeout(20)


@pytest.fixture
def token(drv) -> str:
    return drv.login()["access_token"]


def test_users_me_describes_the_logged_in_user(drv, token, emu):
    answer = drv.me(token)
    assert answer.status_code == 200
    body = answer.json()
    assert body["success"] is True
    data = body["data"]
    assert data["id"] == emu.config.user_id == 777
    assert data["name"] == emu.config.user_name
    assert data["email"] == emu.config.user_email
    assert data["company_id"] == 123 and data["company_name"] == emu.config.company_name
    assert data["company_domain"] == "acme"
    assert data["locale"] == "en_US" and data["timezone_name"]


def test_users_me_has_access_not_is_admin(drv, token):
    # Pipedrive removed is_admin (changelog 2023-08) for `access`: one entry per app.
    data = drv.me(token).json()["data"]
    assert "is_admin" not in data
    assert data["access"] and {"sales", "global"} <= {a["app"] for a in data["access"]}
    for entry in data["access"]:
        assert set(entry) == {"app", "admin", "permission_set_id"}
        assert entry["admin"] is True and isinstance(entry["permission_set_id"], str)


def test_set_identity_changes_the_next_login_only(drv, emu, token):
    emu.set_identity(
        user_id=42, user_name="Second", user_email="s@example.com", company_id=9, company_domain="beta"
    )
    other = drv.login()
    assert other["refresh_token"].startswith("9:42:")
    data = drv.me(other["access_token"]).json()["data"]
    assert (data["id"], data["name"], data["company_id"], data["company_domain"]) == (42, "Second", 9, "beta")
    assert data["company_name"] == emu.config.company_name  # fields not given stay
    assert drv.me(token).json()["data"]["id"] == 777


def test_missing_token_is_401(drv):
    answer = drv.api("GET", "/api/v1/users/me")
    assert answer.status_code == 401 and answer.json() == UNAUTHORIZED


def test_unknown_token_is_401(drv):
    answer = drv.me("v1u:" + "A" * 420)
    assert answer.status_code == 401 and answer.json() == UNAUTHORIZED


def test_expired_token_is_401(drv, emu, token):
    emu.advance_clock(3600)
    answer = drv.me(token)
    assert answer.status_code == 401 and answer.json() == UNAUTHORIZED


def test_revoked_token_is_401(drv, token):
    drv.revoke(token)
    answer = drv.me(token)
    assert answer.status_code == 401 and answer.json() == UNAUTHORIZED


@pytest.mark.parametrize("header", ["Token abc", "Bearer", "Bearer a b", "Basic dXNlcjpwYXNz", "v1u:abc"])
def test_malformed_authorization_header_is_400(drv, header):
    answer = drv.api("GET", "/api/v1/users/me", headers={"Authorization": header})
    assert answer.status_code == 400
    assert answer.json() == envelope("malformed authorization header")


def test_bearer_scheme_is_case_insensitive(drv, token):
    answer = drv.api("GET", "/api/v1/users/me", headers={"Authorization": f"bearer {token}"})
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("scopes", "method", "path", "status"),
    [
        (("base",), "GET", "/api/v1/users/me", 200),
        (("base",), "GET", "/api/v1/deals", 403),
        (("base",), "GET", "/api/v2/deals", 403),
        (("base",), "GET", "/api/v1/deals/1", 403),
        (("deals:read",), "GET", "/api/v1/deals", 200),
        (("deals:read",), "GET", "/api/v2/deals", 200),
        (("deals:read",), "GET", "/api/v1/deals/1", 200),
        (("deals:read",), "GET", "/api/v2/deals/1", 200),
        (("deals:read",), "POST", "/api/v1/deals", 403),
        (("deals:read",), "POST", "/api/v2/deals", 403),
        (("deals:read",), "PUT", "/api/v1/deals/1", 403),
        (("deals:read",), "PATCH", "/api/v2/deals/1", 403),
        (("deals:read",), "DELETE", "/api/v1/deals/1", 403),
        (("deals:full",), "POST", "/api/v1/deals", 201),
        (("deals:full",), "POST", "/api/v2/deals", 201),
        (("deals:full",), "DELETE", "/api/v1/deals/1", 200),
        (("deals:full",), "GET", "/api/v2/persons", 403),
        (("contacts:read",), "GET", "/api/v2/persons", 200),
        (("contacts:read",), "POST", "/api/v2/organizations", 403),
        (("deals:read",), "GET", "/api/v2/pipelines", 200),
        (("deals:full",), "POST", "/api/v2/pipelines", 403),  # pipelines and stages need admin to change
        (("admin",), "POST", "/api/v2/stages", 400),  # allowed; the empty body is the problem
        (("activities:read",), "GET", "/api/v2/activities", 200),
        (("products:read",), "GET", "/api/v2/products", 200),
        (("deals:read",), "GET", "/api/v2/deals/search", 400),  # allowed (any listed scope); no term
        (("contacts:read",), "GET", "/api/v2/deals/search", 403),
        (("deals:read", "search:read"), "GET", "/api/v2/itemSearch", 400),  # allowed; no term given
        (("base",), "GET", "/api/v1/currencies", 200),
        (("deals:full",), "GET", "/api/v1/webhooks", 403),
        (("webhooks:read",), "GET", "/api/v1/webhooks", 200),
        (("users:read",), "GET", "/api/v1/users", 200),
    ],
)
def test_scopes_decide_which_endpoints_answer(make_emulator, driver_for, scopes, method, path, status):
    drv = driver_for(make_emulator(scopes=scopes, deals=2))
    token = drv.login()["access_token"]
    body = {"title": "New"} if method in ("POST", "PUT", "PATCH") and "stages" not in path else None
    answer = drv.api(method, path, token, json=body)
    assert answer.status_code == status, answer.text
    if status == 403:
        assert answer.json() == SCOPE_MISMATCH


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing", "/api/v3/deals", "/api/v1/deals/1/extra", "/api/",
        "/api/v2/users/me",  # users/me is v1 only
        "/api/v2/notes",  # notes are v1 only
        "/api/v1/persons",  # persons moved to v2; the emulator serves v1 only where Pipedrive keeps it
    ],
)  # fmt: skip
def test_unknown_api_path_is_a_404_envelope(drv, token, path):
    answer = drv.api("GET", path, token)
    assert answer.status_code == 404
    assert answer.json() == envelope("Unknown method .")


def test_wrong_method_on_a_known_path_is_405(drv, token):
    answer = drv.api("PATCH", "/api/v1/deals", token, json={})
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "POST"}
    put = drv.api("PUT", "/api/v2/deals/1", token, json={})  # v2 updates with PATCH
    assert put.status_code == 405 and set(put.headers["Allow"].split(", ")) == {"GET", "PATCH", "DELETE"}


@pytest.mark.parametrize(
    ("path", "token_kind"),
    [
        ("/api/v1/users/me", "good"),
        ("/api/v1/users/me", "none"),
        ("/api/v1/users/me", "malformed"),
        ("/api/x", "good"),
    ],
)
def test_every_api_response_has_rate_limit_headers(drv, token, path, token_kind):
    headers = {"good": {"Authorization": f"Bearer {token}"}, "none": {}, "malformed": {"Authorization": "x"}}
    answer = requests.get(f"{drv.url}{path}", headers=headers[token_kind], timeout=T)
    for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"):
        assert int(answer.headers[name]) >= 0
