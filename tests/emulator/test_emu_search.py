"""Search (itemSearch and per-resource /search) and the fields endpoints, custom fields included."""

from __future__ import annotations

import pytest
import requests

from pdauth.emulator.custom_fields import CustomField

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def api(make_emulator, driver_for):
    emu = make_emulator(
        deals=40, custom_fields=("deal:Budget:monetary", "person:Nickname:varchar"), search_burst_limit=1000
    )
    drv = driver_for(emu)
    return drv, drv.login()["access_token"]


def search(drv, token, path, **params):
    answer = drv.api("GET", path, token, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_deal_search_ranks_exact_then_prefix_then_substring(api):
    drv, token = api
    for title in ("Renewal", "Renewal Acme", "Big renewal"):
        drv.api("POST", "/api/v2/deals", token, json={"title": title})
    body = search(drv, token, "/api/v2/deals/search", term="renewal")
    items = body["data"]["items"]
    assert [(i["item"]["title"], i["result_score"]) for i in items] == [
        ("Renewal", 1.0),
        ("Renewal Acme", 0.75),
        ("Big renewal", 0.5),
    ]
    deal = items[0]["item"]
    assert deal["type"] == "deal" and deal["owner"] == {"id": 777} and set(deal["stage"]) == {"id", "name"}
    assert body["additional_data"] == {"next_cursor": None}
    exact = search(drv, token, "/api/v2/deals/search", term="renewal", exact_match="true")["data"]["items"]
    assert [i["item"]["title"] for i in exact] == ["Renewal"]


def test_search_pages_with_a_cursor(api):
    drv, token = api
    first = search(drv, token, "/api/v2/deals/search", term="Deal", limit=15)
    second = search(
        drv,
        token,
        "/api/v2/deals/search",
        term="Deal",
        limit=15,
        cursor=first["additional_data"]["next_cursor"],
    )
    third = search(
        drv,
        token,
        "/api/v2/deals/search",
        term="Deal",
        limit=15,
        cursor=second["additional_data"]["next_cursor"],
    )
    ids = [i["item"]["id"] for page in (first, second, third) for i in page["data"]["items"]]
    assert sorted(ids) == list(range(1, 41)) and third["additional_data"]["next_cursor"] is None


def test_person_search_by_email_and_organization(api):
    drv, token = api
    org = drv.api("POST", "/api/v2/organizations", token, json={"name": "Zebra Corp"}).json()["data"]
    body = {"name": "Zed Zulu", "org_id": org["id"], "emails": [{"value": "zed@zebra.example"}]}
    drv.api("POST", "/api/v2/persons", token, json=body)
    found = search(drv, token, "/api/v2/persons/search", term="zebra.example", fields="email")["data"][
        "items"
    ]
    assert [i["item"]["name"] for i in found] == ["Zed Zulu"]
    assert found[0]["item"]["organization"] == {"id": org["id"], "name": "Zebra Corp"}
    assert found[0]["item"]["emails"] == ["zed@zebra.example"]
    by_org = search(drv, token, "/api/v2/persons/search", term="Zed", organization_id=org["id"])["data"][
        "items"
    ]
    assert len(by_org) == 1
    orgs = search(drv, token, "/api/v2/organizations/search", term="Zebra")["data"]["items"]
    assert orgs[0]["item"]["name"] == "Zebra Corp"


def test_item_search_spans_types_and_filters_them(api):
    drv, token = api
    drv.api("POST", "/api/v2/products", token, json={"name": "Quokka kit", "code": "4242"})
    drv.api("POST", "/api/v2/deals", token, json={"title": "Quokka deal"})
    body = search(drv, token, "/api/v2/itemSearch", term="quokka")
    assert {i["item"]["type"] for i in body["data"]["items"]} == {"product", "deal"}
    assert body["data"]["related_items"] == []
    products = search(drv, token, "/api/v2/itemSearch", term="quokka", item_types="product")["data"]["items"]
    assert [p["item"]["code"] for p in products] == [4242]  # the search model types a code as a number
    refused = drv.api("GET", "/api/v2/itemSearch", token, params={"term": "quokka", "item_types": "file"})
    assert refused.status_code == 400


def test_notes_and_custom_fields_are_searchable(api):
    drv, token = api
    nick = CustomField("person", "Nickname", "varchar").key
    drv.api("POST", "/api/v2/persons", token, json={"name": "Robert Roe", "custom_fields": {nick: "Bobby"}})
    hit = search(drv, token, "/api/v2/persons/search", term="Bobby", fields="custom_fields")["data"]["items"]
    assert hit[0]["item"]["name"] == "Robert Roe" and hit[0]["item"]["custom_fields"] == ["Bobby"]
    drv.api(
        "POST", "/api/v1/notes", token, json={"content": "Talked about the xylophone order", "deal_id": 5}
    )
    notes = search(drv, token, "/api/v2/deals/search", term="xylophone", fields="notes")["data"]["items"]
    assert [i["item"]["id"] for i in notes] == [5] and notes[0]["item"]["notes"] == [
        "Talked about the xylophone order"
    ]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"term": "a"},
        {"term": "Deal", "fields": "email"},
        {"term": "Deal", "status": "gone"},
        {"term": "Deal", "cursor": "x"},
    ],
)
def test_bad_searches_are_400(api, params):
    drv, token = api
    assert drv.api("GET", "/api/v2/deals/search", token, params=params).status_code == 400


def test_search_has_its_own_burst_limit_of_10(make_emulator, driver_for):
    drv = driver_for(make_emulator(deals=3))
    token = drv.login()["access_token"]
    with requests.Session() as session:  # one kept-alive connection: 11 calls take milliseconds
        answers = [
            drv.api("GET", "/api/v2/itemSearch", token, session=session, params={"term": "Deal"})
            for _ in range(11)
        ]
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    assert (
        answers[9].headers["x-ratelimit-limit"] == "10" and answers[9].headers["x-ratelimit-remaining"] == "0"
    )
    assert answers[10].json()["error"] == "Request over limit"
    assert drv.api("GET", "/api/v2/deals", token).status_code == 200  # other calls are not held back


def test_fields_list_system_and_custom_fields(api):
    drv, token = api
    body = drv.api("GET", "/api/v2/dealFields", token).json()
    codes = {f["field_code"]: f for f in body["data"]}
    assert {"title", "value", "owner_id", "person_id", "org_id", "stage_id", "status"} <= set(codes)
    budget = codes[CustomField("deal", "Budget", "monetary").key]
    assert (
        budget["field_name"] == "Budget"
        and budget["field_type"] == "monetary"
        and budget["is_custom_field"] is True
    )
    assert codes["title"]["is_custom_field"] is False and "ui_visibility" not in codes["title"]
    with_extras = drv.api(
        "GET", "/api/v2/dealFields", token, params={"include_fields": "ui_visibility"}
    ).json()
    assert all("ui_visibility" in f for f in with_extras["data"])
    person_fields = drv.api("GET", "/api/v2/personFields", token).json()["data"]
    assert CustomField("person", "Nickname", "varchar").key in {f["field_code"] for f in person_fields}
    for path in ("/api/v2/organizationFields", "/api/v2/productFields"):
        assert drv.api("GET", path, token).json()["data"]


def test_a_custom_field_added_at_run_time_shows_on_every_deal(api):
    drv, token = api
    field = {
        "field_name": "Region",
        "field_type": "enum",
        "options": [{"label": "North"}, {"label": "South"}],
    }
    added = drv.api("POST", "/api/v2/dealFields", token, json=field).json()["data"]
    key, south = added["field_code"], added["options"][1]["id"]
    assert (
        drv.api("GET", "/api/v2/deals/1", token).json()["data"]["custom_fields"][key] is None
    )  # cache dropped
    patched = drv.api("PATCH", "/api/v2/deals/1", token, json={"custom_fields": {key: south}}).json()["data"]
    assert patched["custom_fields"][key] == south
    assert drv.api("GET", f"/api/v2/dealFields/{key}", token).json()["data"]["options"][1]["label"] == "South"
    assert drv.api("DELETE", f"/api/v2/dealFields/{key}", token).status_code == 200
    assert key not in drv.api("GET", "/api/v2/deals/1", token).json()["data"]["custom_fields"]
    assert drv.api("GET", f"/api/v2/dealFields/{key}", token).status_code == 404
    dup = drv.api("POST", "/api/v2/dealFields", token, json={"field_name": "Budget", "field_type": "double"})
    assert dup.status_code == 400
