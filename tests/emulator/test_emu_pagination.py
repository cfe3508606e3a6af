"""Deals pagination: v1 offset (start/limit/next_start) and v2 cursor (next_cursor), every item once."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def seeded(make_emulator, driver_for):
    """(driver, token) for an emulator seeded with `n` deals."""

    def make(n: int):
        drv = driver_for(make_emulator(deals=n, burst_limit=10_000))
        return drv, drv.login()["access_token"]

    return make


def walk_v1(drv, token, limit):
    ids, start, pages = [], 0, 0
    while True:
        answer = drv.api("GET", "/api/v1/deals", token, params={"start": start, "limit": limit})
        assert answer.status_code == 200
        body = answer.json()
        pagination = body["additional_data"]["pagination"]
        page = body["data"] or []
        assert len(page) <= limit and pagination["start"] == start and pagination["limit"] == limit
        ids += [d["id"] for d in page]
        pages += 1
        if not pagination["more_items_in_collection"]:
            assert "next_start" not in pagination
            return ids, pages
        assert pagination["next_start"] == start + len(page)
        start = pagination["next_start"]


def walk_v2(drv, token, limit):
    ids, cursor, pages = [], None, 0
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        answer = drv.api("GET", "/api/v2/deals", token, params=params)
        assert answer.status_code == 200
        body = answer.json()
        assert len(body["data"]) <= limit
        ids += [d["id"] for d in body["data"]]
        pages += 1
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            return ids, pages


@pytest.mark.parametrize("n", [0, 1, 5, 6, 12])
@pytest.mark.parametrize("limit", [1, 3, 6])
def test_v1_offset_pages_cover_every_deal_once_in_order(seeded, n, limit):
    drv, token = seeded(n)
    ids, pages = walk_v1(drv, token, limit)
    assert ids == list(range(1, n + 1))
    assert pages == max(1, -(-n // limit))  # an exact multiple ends without an extra empty page


@pytest.mark.parametrize("n", [0, 1, 5, 6, 12])
@pytest.mark.parametrize("limit", [1, 3, 6])
def test_v2_cursor_pages_cover_every_deal_once_in_order(seeded, n, limit):
    drv, token = seeded(n)
    ids, pages = walk_v2(drv, token, limit)
    assert ids == list(range(1, n + 1))
    assert pages == max(1, -(-n // limit))


def test_empty_lists_v1_data_is_null_and_v2_data_is_empty(seeded):
    drv, token = seeded(0)
    v1 = drv.api("GET", "/api/v1/deals", token).json()
    assert v1 == {
        "success": True,
        "data": None,
        "additional_data": {"pagination": {"start": 0, "limit": 100, "more_items_in_collection": False}},
        "related_objects": {"user": {}, "person": {}, "organization": {}},
    }
    v2 = drv.api("GET", "/api/v2/deals", token).json()
    assert v2 == {"success": True, "data": [], "additional_data": {"next_cursor": None}}


def test_defaults_are_start_0_limit_100(seeded):
    drv, token = seeded(150)
    v1 = drv.api("GET", "/api/v1/deals", token).json()
    assert len(v1["data"]) == 100
    assert v1["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 100,
        "more_items_in_collection": True,
        "next_start": 100,
    }
    v2 = drv.api("GET", "/api/v2/deals", token).json()
    assert [d["id"] for d in v2["data"]] == list(range(1, 101)) and v2["additional_data"]["next_cursor"]


def test_limits_above_500_are_clamped(seeded):
    drv, token = seeded(501)
    v1 = drv.api("GET", "/api/v1/deals", token, params={"limit": 1000}).json()
    assert len(v1["data"]) == 500 and v1["additional_data"]["pagination"]["limit"] == 500
    assert v1["additional_data"]["pagination"]["next_start"] == 500
    v2 = drv.api("GET", "/api/v2/deals", token, params={"limit": 1000}).json()
    assert len(v2["data"]) == 500
    last = drv.api(
        "GET", "/api/v2/deals", token, params={"cursor": v2["additional_data"]["next_cursor"]}
    ).json()
    assert [d["id"] for d in last["data"]] == [501] and last["additional_data"]["next_cursor"] is None


def test_start_past_the_end_is_an_empty_last_page(seeded):
    drv, token = seeded(3)
    body = drv.api("GET", "/api/v1/deals", token, params={"start": 10}).json()
    assert body["data"] is None
    assert body["additional_data"]["pagination"]["more_items_in_collection"] is False


def test_cursor_survives_changes_between_pages(seeded):
    drv, token = seeded(6)
    first = drv.api("GET", "/api/v2/deals", token, params={"limit": 3}).json()
    assert [d["id"] for d in first["data"]] == [1, 2, 3]
    drv.api("DELETE", "/api/v1/deals/2", token)
    drv.api("DELETE", "/api/v1/deals/4", token)
    drv.api("POST", "/api/v1/deals", token, json={"title": "late"})
    rest = drv.api(
        "GET", "/api/v2/deals", token, params={"limit": 3, "cursor": first["additional_data"]["next_cursor"]}
    )
    assert [d["id"] for d in rest.json()["data"]] == [5, 6, 7]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/deals", {"start": "-1"}),
        ("/api/v1/deals", {"start": "abc"}),
        ("/api/v1/deals", {"limit": "0"}),
        ("/api/v1/deals", {"limit": "ten"}),
        ("/api/v2/deals", {"limit": "-5"}),
        ("/api/v2/deals", {"cursor": "not-a-cursor"}),
        ("/api/v2/deals", {"cursor": "ZGVhbDp4"}),  # base64 of "deal:x"
    ],
)
def test_bad_paging_parameters_are_400(seeded, path, params):
    drv, token = seeded(3)
    answer = drv.api("GET", path, token, params=params)
    assert answer.status_code == 400
    body = answer.json()
    assert body["success"] is False and body["error"]
