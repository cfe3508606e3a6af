"""The deprecated v1 deal endpoints in their real v1 shape: objects for user/person/organization,
related_objects, v1 times; the same deals as v2; 410 once retired (--v1-deals gone)."""

from __future__ import annotations

import re

import pytest

from .helpers import envelope

pytestmark = pytest.mark.timeout(20)

V1_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
USER_KEYS = {"id", "name", "email", "has_pic", "pic_hash", "active_flag", "value"}


@pytest.fixture
def deals_drv(make_emulator, driver_for):
    return driver_for(make_emulator(deals=3, persons=2, organizations=1))


@pytest.fixture
def deals_token(deals_drv) -> str:
    return deals_drv.login()["access_token"]


def test_a_v1_deal_carries_objects_and_related_objects(deals_drv, deals_token):
    created = deals_drv.api(
        "POST", "/api/v1/deals", deals_token, json={"title": "Linked", "person_id": 1, "org_id": 1}
    ).json()
    deal = created["data"]
    assert set(deal["user_id"]) == USER_KEYS and deal["user_id"]["id"] == deal["user_id"]["value"] == 777
    assert deal["user_id"]["name"] == "Demo User" and deal["user_id"]["email"] == "demo.user@example.com"
    assert deal["creator_user_id"]["id"] == 777
    person = deal["person_id"]
    assert person["value"] == 1 and person["name"] and person["email"][0]["primary"] is True
    assert (
        deal["org_id"]["value"] == 1 and deal["org_id"]["name"] and deal["org_name"] == deal["org_id"]["name"]
    )
    assert deal["active"] is True and deal["deleted"] is False and deal["visible_to"] == "3"
    assert V1_TIME.match(deal["add_time"]) and V1_TIME.match(deal["update_time"])
    related = created["related_objects"]
    assert set(related["user"]) == {"777"} and related["user"]["777"]["has_pic"] == 0
    assert related["person"]["1"]["id"] == 1 and related["organization"]["1"]["id"] == 1
    # v2 sees the same deal, in its own shape
    v2 = deals_drv.api("GET", f"/api/v2/deals/{deal['id']}", deals_token).json()["data"]
    assert (v2["owner_id"], v2["person_id"], v2["org_id"]) == (777, 1, 1) and "user_id" not in v2


def test_deal_crud_round_trip(deals_drv, deals_token):
    created = deals_drv.api("POST", "/api/v1/deals", deals_token, json={"title": "Big one", "value": 5000})
    assert created.status_code == 201
    deal = created.json()["data"]
    assert deal["id"] == 4 and deal["title"] == "Big one" and deal["value"] == 5000
    assert deal["currency"] == "EUR" and deal["status"] == "open" and deal["user_id"]["id"] == 777
    assert deal["person_id"] is None and deal["org_id"] is None
    assert deal["formatted_value"] == "€5,000"

    fetched = deals_drv.api("GET", "/api/v1/deals/4", deals_token).json()["data"]
    assert fetched == deal

    updated = deals_drv.api("PUT", "/api/v1/deals/4", deals_token, json={"status": "won", "currency": "usd"})
    assert updated.status_code == 200
    assert updated.json()["data"]["status"] == "won" and updated.json()["data"]["currency"] == "USD"
    assert updated.json()["data"]["title"] == "Big one" and V1_TIME.match(updated.json()["data"]["won_time"])

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
        {"title": "t", "person_id": 99},
    ],
)
def test_invalid_new_deals_are_400(deals_drv, deals_token, payload):
    answer = deals_drv.api("POST", "/api/v1/deals", deals_token, json=payload)
    assert answer.status_code == 400
    body = answer.json()
    assert body["success"] is False and body["error"] and body["data"] is None


def test_v1_is_lenient_where_v2_is_strict(deals_drv, deals_token):
    # v1 takes a numeric string for a value (the SDK's AddDealRequest types it as a string); v2 does not.
    v1 = deals_drv.api("POST", "/api/v1/deals", deals_token, json={"title": "t", "value": "250"})
    assert v1.status_code == 201 and v1.json()["data"]["value"] == 250
    v2 = deals_drv.api("POST", "/api/v2/deals", deals_token, json={"title": "t", "value": "250"})
    assert v2.status_code == 400


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


def test_v1_lists_filter_by_status_and_user(deals_drv, deals_token):
    deals_drv.api("PUT", "/api/v1/deals/2", deals_token, json={"status": "lost"})
    lost = deals_drv.api("GET", "/api/v1/deals", deals_token, params={"status": "lost"}).json()["data"]
    assert 2 in [d["id"] for d in lost] and all(d["status"] == "lost" for d in lost)
    mine = deals_drv.api("GET", "/api/v1/deals", deals_token, params={"user_id": 777}).json()["data"] or []
    assert all(d["user_id"]["id"] == 777 for d in mine)
    assert deals_drv.api("GET", "/api/v1/deals", deals_token, params={"status": "nope"}).status_code == 400


def test_v1_custom_fields_sit_at_the_top_level(make_emulator, driver_for):
    drv = driver_for(make_emulator(custom_fields=("deal:Budget:monetary",)))
    token = drv.login()["access_token"]
    from pdauth.emulator.custom_fields import CustomField

    key = CustomField("deal", "Budget", "monetary").key
    created = drv.api(
        "POST",
        "/api/v2/deals",
        token,
        json={"title": "t", "custom_fields": {key: {"value": 5, "currency": "USD"}}},
    )
    v1 = drv.api("GET", f"/api/v1/deals/{created.json()['data']['id']}", token).json()["data"]
    assert (v1[key], v1[f"{key}_currency"]) == (5, "USD")


def test_retired_v1_deals_answer_410(make_emulator, driver_for):
    drv = driver_for(make_emulator(deals=2, v1_deals="gone"))
    token = drv.login()["access_token"]
    for method, path in (("GET", "/api/v1/deals"), ("GET", "/api/v1/deals/1"), ("POST", "/api/v1/deals")):
        answer = drv.api(method, path, token, json={"title": "x"} if method == "POST" else None)
        assert answer.status_code == 410
        assert answer.json() == envelope("Gone: the v1 deal endpoints are retired, use /api/v2/deals")
    assert drv.api("GET", "/api/v2/deals/1", token).status_code == 200
