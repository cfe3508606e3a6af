"""`pdauth call` on Pipedrive's API v2 through the real CLI and the emulator: cursor pages of lists and
searches, v2's strict validation and PATCH, the scope a 403 asks for; and `whoami`'s `access`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import CLI


@pytest.fixture
def pd(cli: CLI, emulator: Any) -> CLI:
    r = cli("login")
    assert r.returncode == 0, r.stderr
    return cli


def lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.emulator(persons=0)
def test_paginate_walks_every_page_of_a_v2_search(pd: CLI) -> None:
    for n in range(5):
        r = pd("call", "POST", "/v2/persons", "-f", f"name=Zelda Quux {n}")
        assert r.returncode == 0, r.stderr
    r = pd("call", "/v2/persons/search", "-q", "term=Quux", "-q", "limit=2", "--paginate", "--jsonl")
    assert r.returncode == 0, r.stderr
    found = lines(r.stdout)
    assert sorted(hit["item"]["name"] for hit in found) == [f"Zelda Quux {n}" for n in range(5)]  # 3 pages
    one_page = json.loads(pd("call", "/v2/persons/search", "-q", "term=Quux", "-q", "limit=2").stdout)
    assert len(one_page["data"]["items"]) == 2 and one_page["additional_data"]["next_cursor"]


@pytest.mark.emulator(deals=7)
def test_paginate_walks_a_v2_list_by_cursor(pd: CLI) -> None:
    r = pd("call", "/v2/deals", "-q", "limit=3", "--paginate")
    assert r.returncode == 0, r.stderr
    assert [deal["title"] for deal in json.loads(r.stdout)] == [f"Deal {n}" for n in range(1, 8)]


@pytest.mark.emulator(deals=1)
def test_a_v2_validation_error_says_how_to_send_a_number(pd: CLI) -> None:
    r = pd("call", "POST", "/v2/deals", "-f", "title=Big deal", "-f", "value=5000")
    assert r.returncode == 1
    assert "HTTP 400" in r.stderr and "-F" in r.stderr and "value=5000" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert pd("call", "POST", "/v2/deals", "-f", "title=Big deal", "-F", "value=5000").returncode == 0


@pytest.mark.emulator(deals=1)
def test_put_on_v2_is_told_to_patch(pd: CLI) -> None:
    r = pd("call", "PUT", "/v2/deals/1", "-F", "value=1")
    assert r.returncode == 1 and "HTTP 405" in r.stderr and "PATCH" in r.stderr, r.stderr
    assert pd("call", "PATCH", "/v2/deals/1", "-F", "value=1").returncode == 0


@pytest.mark.emulator(scopes=("base", "deals:read"))
def test_a_403_on_a_v2_resource_names_its_scope(pd: CLI) -> None:
    r = pd("call", "/v2/persons")
    assert r.returncode == 1 and "HTTP 403" in r.stderr
    assert (
        "contacts:read or contacts:full scope" in r.stderr and "this login has base, deals:read" in r.stderr
    )


def test_whoami_shows_access_not_is_admin(pd: CLI) -> None:
    text = pd("whoami")
    assert text.returncode == 0, text.stderr
    assert "access:" in text.stdout and "sales (admin)" in text.stdout
    data = json.loads(pd("whoami", "--json").stdout)
    assert {"app": "sales", "admin": True} in data["access"] and "is_admin" not in data
