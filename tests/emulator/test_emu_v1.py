"""The v1 endpoints Pipedrive keeps: users, currencies, activity types, notes and leads."""

from __future__ import annotations

import re
import uuid

import pytest

from .helpers import envelope

pytestmark = pytest.mark.timeout(20)

V1_TIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")


@pytest.fixture
def api(make_emulator, driver_for):
    drv = driver_for(make_emulator(deals=20))
    return drv, drv.login()["access_token"]


def get(drv, token, path, **params):
    answer = drv.api("GET", path, token, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_users_list_the_company_and_users_me_is_one_of_them(api):
    drv, token = api
    users = get(drv, token, "/api/v1/users")["data"]
    assert [u["id"] for u in users][:1] == [777] and len(users) == 4
    me = next(u for u in users if u["id"] == 777)
    assert me["is_you"] is True and all(u["is_you"] is False for u in users if u["id"] != 777)
    assert "company_id" not in me and "is_admin" not in me and me["access"][0]["admin"] is True
    colleague = get(drv, token, f"/api/v1/users/{users[1]['id']}")["data"]
    assert colleague["access"][0]["admin"] is False and colleague["email"].endswith("@example.com")
    assert drv.api("GET", "/api/v1/users/99999", token).json() == envelope("User not found")


def test_a_new_identity_becomes_a_user_of_the_company(api, emu):
    drv, token = api
    drv.emu.set_identity(user_id=4242, user_name="New Hire", user_email="new@example.com")
    other = drv.login()["access_token"]
    created = drv.api("POST", "/api/v2/deals", other, json={"title": "Mine"}).json()["data"]
    assert created["owner_id"] == 4242
    v1 = get(drv, other, f"/api/v1/deals/{created['id']}")["data"]
    assert v1["user_id"]["name"] == "New Hire"
    assert 4242 in [u["id"] for u in get(drv, token, "/api/v1/users")["data"]]


def test_currencies_filter_by_term(api):
    drv, token = api
    all_of_them = get(drv, token, "/api/v1/currencies")["data"]
    assert {"EUR", "USD", "GBP"} <= {c["code"] for c in all_of_them}
    assert [c["code"] for c in get(drv, token, "/api/v1/currencies", term="pound")["data"]] == ["GBP"]


def test_activity_types_add_update_delete(api):
    drv, token = api
    keys = [t["key_string"] for t in get(drv, token, "/api/v1/activityTypes")["data"]]
    assert {"call", "meeting", "task", "deadline", "email", "lunch"} <= set(keys)
    added = drv.api("POST", "/api/v1/activityTypes", token, json={"name": "Site visit", "icon_key": "car"})
    assert added.status_code == 200
    kind = added.json()["data"]
    assert (
        kind["key_string"] == "site_visit"
        and kind["is_custom_flag"] is True
        and V1_TIME.match(kind["add_time"])
    )
    # the new type is usable at once in v2 activities
    activity = drv.api("POST", "/api/v2/activities", token, json={"subject": "Visit", "type": "site_visit"})
    assert activity.status_code == 201
    updated = drv.api("PUT", f"/api/v1/activityTypes/{kind['id']}", token, json={"color": "00AA00"})
    assert updated.json()["data"]["color"] == "00AA00"
    deleted = drv.api("DELETE", f"/api/v1/activityTypes/{kind['id']}", token).json()["data"]
    assert deleted["active_flag"] is False
    refused = drv.api("POST", "/api/v2/activities", token, json={"subject": "Visit", "type": "site_visit"})
    assert refused.status_code == 400
    for body in (
        {"name": "X", "icon_key": "rocket"},
        {"icon_key": "car"},
        {"name": "X", "icon_key": "car", "color": "red"},
    ):
        assert drv.api("POST", "/api/v1/activityTypes", token, json=body).status_code == 400


def test_notes_crud_with_offset_pages(api):
    drv, token = api
    created = drv.api("POST", "/api/v1/notes", token, json={"content": "Call back Monday", "deal_id": 3})
    assert created.status_code == 201
    note = created.json()["data"]
    assert note["deal_id"] == 3 and note["deal"] == {"title": "Deal 3"} and note["user_id"] == 777
    assert note["user"]["is_you"] is True and V1_TIME.match(note["add_time"]) and note["active_flag"] is True
    assert get(drv, token, f"/api/v1/notes/{note['id']}")["data"] == note
    updated = drv.api(
        "PUT", f"/api/v1/notes/{note['id']}", token, json={"content": "Call back Tuesday"}
    ).json()["data"]
    assert updated["content"] == "Call back Tuesday" and updated["last_update_user_id"] == 777
    for_deal = get(drv, token, "/api/v1/notes", deal_id=3)["data"]
    assert note["id"] in [n["id"] for n in for_deal] and all(n["deal_id"] == 3 for n in for_deal)
    page = get(drv, token, "/api/v1/notes", limit=1)
    assert len(page["data"]) == 1 and page["additional_data"]["pagination"]["next_start"] == 1
    assert drv.api("DELETE", f"/api/v1/notes/{note['id']}", token).json() == {"success": True, "data": True}
    assert drv.api("GET", f"/api/v1/notes/{note['id']}", token).json() == envelope("Note not found")
    for body in (
        {"content": "orphan"},
        {"deal_id": 3},
        {"content": "x", "deal_id": 999},
        {"content": "x", "deal_id": 3, "pinned_to_deal_flag": True},
    ):
        assert drv.api("POST", "/api/v1/notes", token, json=body).status_code == 400, body


def test_leads_crud_with_uuid_ids(api):
    drv, token = api
    body = {"title": "Inbound", "person_id": 1, "value": {"amount": 900, "currency": "EUR"}}
    created = drv.api("POST", "/api/v1/leads", token, json=body)
    assert created.status_code == 201
    lead = created.json()["data"]
    assert (
        uuid.UUID(lead["id"])
        and lead["owner_id"] == 777
        and lead["value"] == {"amount": 900, "currency": "EUR"}
    )
    assert lead["visible_to"] == "3" and lead["is_archived"] is False and lead["add_time"].endswith("Z")
    assert get(drv, token, f"/api/v1/leads/{lead['id']}")["data"] == lead
    patched = drv.api(
        "PATCH", f"/api/v1/leads/{lead['id']}", token, json={"is_archived": True, "value": None}
    )
    assert patched.json()["data"]["is_archived"] is True and patched.json()["data"]["value"] is None
    listed = get(drv, token, "/api/v1/leads", person_id=1)
    assert lead["id"] in [x["id"] for x in listed["data"]]
    assert set(listed["additional_data"]) == {"start", "limit", "more_items_in_collection"}
    assert drv.api("DELETE", f"/api/v1/leads/{lead['id']}", token).json() == {
        "success": True,
        "data": {"id": lead["id"]},
    }
    assert drv.api("GET", f"/api/v1/leads/{lead['id']}", token).json() == envelope("Lead not found")
    assert drv.api("POST", "/api/v1/leads", token, json={"title": "No one"}).status_code == 400
    assert drv.api("PUT", f"/api/v1/leads/{lead['id']}", token, json={}).status_code == 405  # leads use PATCH
