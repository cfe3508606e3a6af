"""API v2 by its rules: the seven resources' CRUD, RFC 3339 times, real booleans, strict types, owner_id,
custom_fields, no related_objects, PATCH not PUT, and Pipedrive's error bodies."""

from __future__ import annotations

import re

import pytest

from .helpers import envelope

pytestmark = pytest.mark.timeout(30)

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
# (plural, label, a minimal add body, an update body, the field the update changes)
RESOURCES = [
    ("deals", "Deal", {"title": "Big one"}, {"title": "Bigger one"}, "title"),
    ("persons", "Person", {"name": "Ann Lee"}, {"name": "Ann Smith"}, "name"),
    ("organizations", "Organization", {"name": "Lee Ltd"}, {"website": "https://lee.example"}, "website"),
    ("activities", "Activity", {"subject": "Call Ann", "type": "call"}, {"done": True}, "done"),
    ("products", "Product", {"name": "Widget"}, {"code": "W-1"}, "code"),
    ("pipelines", "Pipeline", {"name": "Renewals"}, {"is_deal_probability_enabled": True}, "is_deal_probability_enabled"),
    ("stages", "Stage", {"name": "Won back", "pipeline_id": 1}, {"deal_probability": 50}, "deal_probability"),
]  # fmt: skip


@pytest.fixture
def api(make_emulator, driver_for):
    """(driver, token) of an emulator seeded with a small company and a declared custom field or two."""
    drv = driver_for(
        make_emulator(
            deals=12,
            custom_fields=("deal:Budget:monetary", "deal:Source:enum:Web|Event", "person:Shoe size:double"),
        )
    )
    return drv, drv.login()["access_token"]


@pytest.mark.parametrize(("plural", "label", "add", "update", "changed"), RESOURCES)
def test_crud_round_trip(api, plural, label, add, update, changed):
    drv, token = api
    created = drv.api("POST", f"/api/v2/{plural}", token, json=add)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["success"] is True and set(body) == {"success", "data"}  # no related_objects in v2
    item = body["data"]
    item_id = item["id"]
    for key, value in add.items():
        assert item[key] == value
    assert RFC3339.match(item["add_time"]) and RFC3339.match(item["update_time"])
    assert item["is_deleted"] is False
    assert "user_id" not in item and "active_flag" not in item

    fetched = drv.api("GET", f"/api/v2/{plural}/{item_id}", token)
    assert fetched.status_code == 200 and fetched.json() == {"success": True, "data": item}

    listed = drv.api("GET", f"/api/v2/{plural}", token, params={"limit": 500}).json()["data"]
    assert [x for x in listed if x["id"] == item_id] == [item]

    patched = drv.api("PATCH", f"/api/v2/{plural}/{item_id}", token, json=update)
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"][changed] == update[changed]
    assert drv.api("GET", f"/api/v2/{plural}/{item_id}", token).json()["data"][changed] == update[changed]

    deleted = drv.api("DELETE", f"/api/v2/{plural}/{item_id}", token)
    assert deleted.status_code == 200 and deleted.json() == {"success": True, "data": {"id": item_id}}
    gone = drv.api("GET", f"/api/v2/{plural}/{item_id}", token)
    assert gone.status_code == 404 and gone.json() == envelope(f"{label} not found")
    again = drv.api("PATCH", f"/api/v2/{plural}/{item_id}", token, json=update)
    assert again.status_code == 404
    assert item_id not in [
        x["id"] for x in drv.api("GET", f"/api/v2/{plural}", token, params={"limit": 500}).json()["data"]
    ]


def test_a_v2_deal_has_pipedrives_v2_shape(api):
    drv, token = api
    deal = drv.api("GET", "/api/v2/deals/3", token).json()["data"]
    assert isinstance(deal["owner_id"], int) and "user_id" not in deal
    assert deal["person_id"] is None or isinstance(deal["person_id"], int)
    assert isinstance(deal["visible_to"], int) and isinstance(deal["label_ids"], list)
    assert deal["is_deleted"] is False and deal["is_archived"] is False
    for key in ("add_time", "update_time"):
        assert RFC3339.match(deal[key]), deal[key]
    for key in ("stage_change_time", "close_time", "won_time", "lost_time"):
        assert deal[key] is None or RFC3339.match(deal[key])
    assert deal["expected_close_date"] is None or re.fullmatch(
        r"\d{4}-\d\d-\d\d", deal["expected_close_date"]
    )
    assert set(deal["custom_fields"]) == {_key("deal", "Budget"), _key("deal", "Source")}
    assert deal["title"] == "Deal 3" and deal["value"] == 3000


@pytest.mark.parametrize(
    ("plural", "body", "field"),
    [
        ("deals", {"title": "x", "value": "100"}, "value"),  # a numeric string is not a number in v2
        ("deals", {"title": "x", "person_id": "1"}, "person_id"),
        ("deals", {"title": "x", "is_archived": 1}, "is_archived"),  # 1 is not true
        ("deals", {"title": "x", "visible_to": "3"}, "visible_to"),
        ("deals", {"title": "x", "expected_close_date": "2026-13-01"}, "expected_close_date"),
        ("deals", {"title": "x", "status": "closed"}, "status"),
        ("deals", {"title": "x", "label_ids": [1, "2"]}, "label_ids"),
        ("deals", {"title": 5}, "title"),
        ("deals", {"value": 5}, "title"),  # title is required
        ("deals", {"title": "x", "user_id": 777}, "user_id"),  # v1's name is not a v2 field
        ("deals", {"title": "x", "person_id": 99999}, "person_id"),  # no such person
        ("persons", {"name": "A", "emails": "a@b.example"}, "emails"),
        ("persons", {"name": "A", "emails": [{"value": "a@b.example", "primary": "yes"}]}, "emails"),
        ("organizations", {"name": "O", "employee_count": 10.5}, "employee_count"),
        ("activities", {"subject": "S", "type": "séance"}, "type"),  # not an activity type
        ("activities", {"subject": "S", "done": "true"}, "done"),
        ("products", {"name": "P", "prices": [{"price": 10}]}, "prices"),  # a price needs a currency
        ("stages", {"name": "S"}, "pipeline_id"),
        ("deals", {"title": "x", "custom_fields": {"0" * 40: 1}}, "custom_fields"),
    ],
)
def test_v2_types_are_strict(api, plural, body, field):
    drv, token = api
    answer = drv.api("POST", f"/api/v2/{plural}", token, json=body)
    assert answer.status_code == 400, answer.text
    error = answer.json()
    assert error["success"] is False and error["data"] is None and error["additional_data"] is None
    assert error["error"].startswith("Validation failed: ") and field in error["error"]


def test_custom_fields_are_written_and_read_inside_custom_fields(api):
    drv, token = api
    budget, source = _key("deal", "Budget"), _key("deal", "Source")
    fields = drv.api("GET", "/api/v2/dealFields", token).json()["data"]
    source_options = next(f for f in fields if f["field_code"] == source)["options"]
    web = next(o["id"] for o in source_options if o["label"] == "Web")
    body = {"title": "Custom", "custom_fields": {budget: {"value": 2300, "currency": "EUR"}, source: web}}
    created = drv.api("POST", "/api/v2/deals", token, json=body).json()["data"]
    assert created["custom_fields"] == {budget: {"value": 2300, "currency": "EUR"}, source: web}
    assert budget not in created  # not at the top level, as v1 had them
    patched = drv.api(
        "PATCH", f"/api/v2/deals/{created['id']}", token, json={"custom_fields": {source: None}}
    )
    assert patched.json()["data"]["custom_fields"] == {
        budget: {"value": 2300, "currency": "EUR"},
        source: None,
    }
    for bad in ({budget: 2300}, {source: 999}, {source: "Web"}):
        answer = drv.api("PATCH", f"/api/v2/deals/{created['id']}", token, json={"custom_fields": bad})
        assert answer.status_code == 400, bad
    only = drv.api("GET", "/api/v2/deals", token, params={"ids": str(created["id"]), "custom_fields": budget})
    assert only.json()["data"][0]["custom_fields"] == {budget: {"value": 2300, "currency": "EUR"}}


def test_deal_status_and_stage_bring_their_companions(api):
    drv, token = api
    deal = drv.api("POST", "/api/v2/deals", token, json={"title": "Flow", "stage_id": 7}).json()["data"]
    assert (deal["pipeline_id"], deal["stage_id"]) == (2, 7)  # the stage decides the pipeline
    assert deal["status"] == "open" and deal["won_time"] is None and deal["close_time"] is None
    won = drv.api("PATCH", f"/api/v2/deals/{deal['id']}", token, json={"status": "won"}).json()["data"]
    assert RFC3339.match(won["won_time"]) and won["close_time"] == won["won_time"]
    moved = drv.api("PATCH", f"/api/v2/deals/{deal['id']}", token, json={"pipeline_id": 1}).json()["data"]
    assert moved["stage_id"] == 1 and RFC3339.match(moved["stage_change_time"])
    clash = drv.api("PATCH", f"/api/v2/deals/{deal['id']}", token, json={"pipeline_id": 1, "stage_id": 7})
    assert clash.status_code == 400
    reopened = drv.api("PATCH", f"/api/v2/deals/{deal['id']}", token, json={"status": "open"}).json()["data"]
    assert reopened["won_time"] is None and reopened["close_time"] is None


def test_a_new_person_splits_its_name_and_keeps_one_primary_email(api):
    drv, token = api
    body = {
        "name": "Ann Mary Lee",
        "emails": [{"value": "ann@lee.example"}, {"value": "a@x.example", "label": "home"}],
    }
    person = drv.api("POST", "/api/v2/persons", token, json=body).json()["data"]
    assert (person["first_name"], person["last_name"]) == ("Ann", "Mary Lee")
    assert [e["primary"] for e in person["emails"]] == [True, False]
    assert person["emails"][1] == {"value": "a@x.example", "primary": False, "label": "home"}
    assert person["owner_id"] == 777 and person["custom_fields"] == {_key("person", "Shoe size"): None}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v2/deals/x"), ("PATCH", "/api/v2/persons/1.5"), ("DELETE", "/api/v2/stages/-1")],
)
def test_a_path_id_must_be_an_integer(api, method, path):
    drv, token = api
    answer = drv.api(method, path, token, json={})
    assert answer.status_code == 400 and answer.json() == envelope(
        "Validation failed: id: must be an integer"
    )


def test_v2_bodies_must_be_json_objects(api):
    drv, token = api
    assert drv.api("POST", "/api/v2/deals", token, data={"title": "x"}).status_code == 400  # a form
    assert drv.api("POST", "/api/v2/deals", token, json=["title"]).status_code == 400
    broken = drv.api("POST", "/api/v2/deals", token, data="{", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400


def test_only_the_api_v2_prefix_exists(api):
    drv, token = api
    # Pipedrive has no /v2/... without /api: the emulator's non-API paths are plain 404s.
    assert drv.api("GET", "/v2/deals", token).status_code == 404
    assert drv.api("GET", "/api/v2/deals", token).status_code == 200


def _key(entity: str, name: str) -> str:
    from pdauth.emulator.custom_fields import CustomField

    return CustomField(entity, name, "varchar").key
