"""The REST API on api_domain: users/me, bearer errors, scopes, unknown paths, deals CRUD."""

from __future__ import annotations

import pytest
import requests

from .helpers import UNAUTHORIZED, T

pytestmark = pytest.mark.timeout(20)


def envelope(error: str) -> dict:
    return {**UNAUTHORIZED, "error": error}


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
    assert data["locale"] == "en_US" and data["timezone_name"] and data["is_admin"] == 1


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
        (("deals:read",), "POST", "/api/v1/deals", 403),
        (("deals:read",), "PUT", "/api/v1/deals/1", 403),
        (("deals:read",), "DELETE", "/api/v1/deals/1", 403),
        (("deals:full",), "POST", "/api/v1/deals", 201),
        (("deals:full",), "DELETE", "/api/v1/deals/1", 200),
    ],
)
def test_scopes_decide_which_endpoints_answer(make_emulator, driver_for, scopes, method, path, status):
    drv = driver_for(make_emulator(scopes=scopes, deals=2))
    token = drv.login()["access_token"]
    answer = drv.api(method, path, token, json={"title": "New"} if method in ("POST", "PUT") else None)
    assert answer.status_code == status, answer.text
    if status == 403:
        assert answer.json() == envelope("Scope and URL mismatch")


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/api/v3/deals", "/api/v1/deals/1/extra", "/api/"])
def test_unknown_api_path_is_a_404_envelope(drv, token, path):
    answer = drv.api("GET", path, token)
    assert answer.status_code == 404
    body = answer.json()
    assert body["success"] is False and body["error_info"] and body["data"] is None


def test_wrong_method_on_a_known_path_is_405(drv, token):
    answer = drv.api("PATCH", "/api/v1/deals", token, json={})
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "POST"}


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


# --- deals ----------------------------------------------------------------------------------------


@pytest.fixture
def deals_drv(make_emulator, driver_for):
    return driver_for(make_emulator(deals=3))


@pytest.fixture
def deals_token(deals_drv) -> str:
    return deals_drv.login()["access_token"]


def test_seeded_deals_look_like_pipedrives(deals_drv, deals_token):
    answer = deals_drv.api("GET", "/api/v1/deals/2", deals_token)
    assert answer.status_code == 200
    deal = answer.json()["data"]
    assert deal["id"] == 2 and deal["title"] == "Deal 2"
    assert deal["currency"] == "EUR" and deal["status"] == "open" and isinstance(deal["value"], int)


def test_deal_crud_round_trip(deals_drv, deals_token):
    created = deals_drv.api("POST", "/api/v1/deals", deals_token, json={"title": "Big one", "value": 5000})
    assert created.status_code == 201
    deal = created.json()["data"]
    assert deal["id"] == 4 and deal["title"] == "Big one" and deal["value"] == 5000
    assert deal["currency"] == "EUR" and deal["status"] == "open" and deal["user_id"] == 777

    fetched = deals_drv.api("GET", "/api/v1/deals/4", deals_token).json()["data"]
    assert fetched == deal

    updated = deals_drv.api("PUT", "/api/v1/deals/4", deals_token, json={"status": "won", "currency": "usd"})
    assert updated.status_code == 200
    assert updated.json()["data"]["status"] == "won" and updated.json()["data"]["currency"] == "USD"
    assert updated.json()["data"]["title"] == "Big one"

    deleted = deals_drv.api("DELETE", "/api/v1/deals/4", deals_token)
    assert deleted.status_code == 200 and deleted.json() == {"success": True, "data": {"id": 4}}
    assert deals_drv.api("GET", "/api/v1/deals/4", deals_token).status_code == 404

    # ids are never reused and the list stays ordered
    again = deals_drv.api("POST", "/api/v1/deals", deals_token, json={"title": "Next"}).json()["data"]
    assert again["id"] == 5
    ids = [d["id"] for d in deals_drv.api("GET", "/api/v1/deals", deals_token).json()["data"]]
    assert ids == [1, 2, 3, 5]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/deals/99"),
        ("PUT", "/api/v1/deals/99"),
        ("DELETE", "/api/v1/deals/99"),
        ("GET", "/api/v1/deals/x"),
    ],
)
def test_unknown_deal_is_404(deals_drv, deals_token, method, path):
    answer = deals_drv.api(method, path, deals_token, json={"title": "t"} if method == "PUT" else None)
    assert answer.status_code == 404
    assert answer.json() == envelope("Deal not found")


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"title": ""},
        {"title": "   "},
        {"title": 5},
        {"value": 10},
        {"title": "t", "value": -1},
        {"title": "t", "status": "x"},
    ],
)
def test_invalid_new_deals_are_400(deals_drv, deals_token, payload):
    answer = deals_drv.api("POST", "/api/v1/deals", deals_token, json=payload)
    assert answer.status_code == 400
    body = answer.json()
    assert body["success"] is False and body["error"] and body["data"] is None


def test_deal_bodies_must_be_json(deals_drv, deals_token):
    not_json = deals_drv.api(
        "POST", "/api/v1/deals", deals_token, data="{nope", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 400
    form = deals_drv.api("POST", "/api/v1/deals", deals_token, data={"title": "x"})
    assert form.status_code == 400
    array = deals_drv.api("PUT", "/api/v1/deals/1", deals_token, json=["title"])
    assert array.status_code == 400


def test_update_rejects_an_empty_title(deals_drv, deals_token):
    answer = deals_drv.api("PUT", "/api/v1/deals/1", deals_token, json={"title": ""})
    assert answer.status_code == 400
    assert deals_drv.api("GET", "/api/v1/deals/1", deals_token).json()["data"]["title"] == "Deal 1"
