"""API v2 lists: the SDK's filters per resource, sort_by/sort_direction with cursors, strict query types."""

from __future__ import annotations

import pytest

from .helpers import envelope

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(scope="module")
def api():
    import io

    from pdauth.emulator import Emulator, EmulatorConfig

    from .helpers import Driver

    with Emulator(EmulatorConfig(deals=120, seed=3, burst_limit=100_000, log_stream=io.StringIO())) as emu:
        drv = Driver(emu)
        yield drv, drv.login()["access_token"]


def everything(drv, token, plural, **params):
    """Every row of a listing, page by page (limit 7, to cross many pages)."""
    rows, cursor = [], None
    while True:
        page_params = {**params, "limit": 7} | ({"cursor": cursor} if cursor else {})
        answer = drv.api("GET", f"/api/v2/{plural}", token, params=page_params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert len(body["data"]) <= 7
        rows += body["data"]
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            return rows


@pytest.fixture(scope="module")
def deals(api):
    drv, token = api
    return everything(drv, token, "deals", status="open,won,lost")


@pytest.mark.parametrize("field", ["owner_id", "person_id", "org_id", "pipeline_id", "stage_id"])
def test_deal_id_filters(api, deals, field):
    drv, token = api
    value = next(d[field] for d in deals if d[field] is not None)
    found = everything(drv, token, "deals", **{field: value})
    assert found and [d["id"] for d in found] == [d["id"] for d in deals if d[field] == value]


def test_deal_status_filter_and_deleted_deals(api, deals):
    drv, token = api
    won = everything(drv, token, "deals", status="won")
    assert won and [d["id"] for d in won] == [d["id"] for d in deals if d["status"] == "won"]
    assert [d["id"] for d in everything(drv, token, "deals")] == [
        d["id"] for d in deals
    ]  # default: not deleted
    victim = drv.api("POST", "/api/v2/deals", token, json={"title": "to delete"}).json()["data"]["id"]
    drv.api("DELETE", f"/api/v2/deals/{victim}", token)
    deleted = everything(drv, token, "deals", status="deleted")
    assert [d["id"] for d in deleted] == [victim] and deleted[0]["is_deleted"] is True
    assert victim not in [d["id"] for d in everything(drv, token, "deals")]
    assert drv.api("GET", "/api/v2/deals", token, params={"status": "closed"}).status_code == 400


def test_ids_and_updated_since_until(api, deals):
    drv, token = api
    assert [d["id"] for d in everything(drv, token, "deals", ids="5,3,90")] == [3, 5, 90]
    times = sorted(d["update_time"] for d in deals)
    middle = times[len(times) // 2]
    since = everything(drv, token, "deals", updated_since=middle)
    until = everything(drv, token, "deals", updated_until=middle)
    assert {d["id"] for d in since} == {d["id"] for d in deals if d["update_time"] >= middle}
    assert {d["id"] for d in until} == {d["id"] for d in deals if d["update_time"] < middle}
    assert len(since) + len(until) == len(deals)


@pytest.mark.parametrize(
    ("sort", "direction"), [("id", "desc"), ("update_time", "asc"), ("add_time", "desc")]
)
def test_sorted_pages_cover_every_deal_once_in_order(api, deals, sort, direction):
    drv, token = api
    found = everything(drv, token, "deals", status="open,won,lost", sort_by=sort, sort_direction=direction)
    expected = sorted(deals, key=lambda d: (d[sort], d["id"]), reverse=direction == "desc")
    assert [d["id"] for d in found] == [d["id"] for d in expected]


def test_a_cursor_belongs_to_its_listing(api):
    drv, token = api
    first = drv.api("GET", "/api/v2/deals", token, params={"limit": 2, "sort_by": "update_time"}).json()
    cursor = first["additional_data"]["next_cursor"]
    for params in ({"cursor": cursor}, {"cursor": cursor, "sort_by": "add_time"}):
        assert drv.api("GET", "/api/v2/deals", token, params=params).json() == envelope("Invalid cursor")
    assert (
        drv.api(
            "GET", "/api/v2/persons", token, params={"cursor": cursor, "sort_by": "update_time"}
        ).status_code
        == 400
    )


def test_person_organization_activity_product_and_stage_filters(api):
    drv, token = api
    persons = everything(drv, token, "persons")
    org_id = next(p["org_id"] for p in persons if p.get("org_id"))
    assert [p["id"] for p in everything(drv, token, "persons", org_id=org_id)] == [
        p["id"] for p in persons if p.get("org_id") == org_id
    ]
    deal = drv.api("GET", "/api/v2/deals", token, params={"limit": 500}).json()["data"]
    linked = next(d for d in deal if d["person_id"])
    assert [p["id"] for p in everything(drv, token, "persons", deal_id=linked["id"])] == [linked["person_id"]]
    activities = everything(drv, token, "activities")
    done = everything(drv, token, "activities", done="true")
    assert done and [a["id"] for a in done] == [a["id"] for a in activities if a["done"]]
    some_deal = activities[0]["deal_id"]
    assert {a["deal_id"] for a in everything(drv, token, "activities", deal_id=some_deal)} == {some_deal}
    by_due = everything(drv, token, "activities", sort_by="due_date")
    assert [a["due_date"] for a in by_due] == sorted(a["due_date"] for a in activities)
    products = everything(drv, token, "products", sort_by="name")
    assert [p["name"] for p in products] == sorted(p["name"] for p in products)
    stages = everything(drv, token, "stages", pipeline_id=2)
    assert [s["name"] for s in stages] == ["Lead in", "In talks", "Signed"]
    by_order = everything(drv, token, "stages", sort_by="order_nr", sort_direction="desc")
    assert [s["order_nr"] for s in by_order] == sorted((s["order_nr"] for s in by_order), reverse=True)


@pytest.mark.parametrize(
    ("plural", "params", "status"),
    [
        ("deals", {"owner_id": "me"}, 400),  # strict: an id is digits
        ("deals", {"owner_id": "1.0"}, 400),
        ("deals", {"ids": "1,x"}, 400),
        ("deals", {"updated_since": "2025-01-01"}, 400),  # RFC 3339 date-time, not a date
        ("deals", {"sort_by": "title"}, 400),  # not one of the SDK's sort fields for deals
        ("deals", {"sort_direction": "up"}, 400),
        ("deals", {"limit": "0"}, 400),
        ("activities", {"done": "1"}, 400),  # a boolean is true or false
        ("deals", {"filter_id": "4"}, 404),  # the emulated company has no saved filters
        ("products", {"sort_by": "name"}, 200),
        ("pipelines", {"owner_id": "1"}, 200),  # a parameter the SDK does not list is ignored
    ],
)
def test_query_types_are_strict(api, plural, params, status):
    drv, token = api
    answer = drv.api("GET", f"/api/v2/{plural}", token, params=params)
    assert answer.status_code == status, answer.text
    if status == 400:
        assert answer.json()["error"].startswith(("Validation failed: ", "Invalid"))
