"""The offline parts of `pdauth call`: building the request, pagination rules, waits, scopes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pdauth.call.hints import required_scopes
from pdauth.call.pagination import first_query, next_query, page_items
from pdauth.call.retry import RetryPolicy, rate_limit_delay
from pdauth.call.spec import build_spec, parse_path, target_url, typed_value
from pdauth.errors import ApiRequestFailed, ForeignHostRefused, RequestSpecError

DOMAIN = "https://acme.pipedrive.com"


@pytest.mark.parametrize(
    ("raw", "path", "query"),
    [
        ("/v1/deals", "/api/v1/deals", []),
        ("v2/deals", "/api/v2/deals", []),
        ("/api/v1/users/me", "/api/v1/users/me", []),
        ("/api/v2/deals?limit=5&status=open", "/api/v2/deals", [("limit", "5"), ("status", "open")]),
        (f"{DOMAIN}/api/v1/deals?start=10", "/api/v1/deals", [("start", "10")]),
        (f"{DOMAIN}/v1/deals", "/api/v1/deals", []),
        # Encoded characters that climb nowhere are sent as given.
        ("/v1/persons/search%20me", "/api/v1/persons/search%20me", []),
        ("/v1/files/a%2fb", "/api/v1/files/a%2fb", []),
        ("/v1/deals/...", "/api/v1/deals/...", []),
        ("/v1/deals/%2e%2e%2e", "/api/v1/deals/%2e%2e%2e", []),
    ],
)
def test_paths(raw: str, path: str, query: list[tuple[str, str]]) -> None:
    assert parse_path(raw)[1:] == (path, query)


@pytest.mark.parametrize(
    "raw",
    [
        "/deals",
        "/oauth/token",
        "/api/deals",
        "ftp://acme.pipedrive.com/api/v1/deals",
        "https://user:pw@acme.pipedrive.com/api/v1/deals",
        "/api/v1/../../oauth/token",
        # Dot segments however encoded: a server (or a proxy, then the server) decodes before resolving.
        "/v1/%2e%2e/%2e%2e/oauth/token",
        "/v1/%2E%2e/x",
        "/v1/deals/%2e",
        "/v1/%252e%252e/oauth/token",
        "/v1/%25252e%25252e/oauth/token",
        "/v1/..%2f..%2foauth/token",
        "/v1/..%5c..%5coauth/token",
        "/v1/deals\\..\\..\\oauth/token",
        "https://acme.pipedrive.com/api/v1/%2e%2e/%2e%2e/oauth/token",
    ],
)
def test_bad_paths(raw: str) -> None:
    with pytest.raises(RequestSpecError):
        parse_path(raw)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        (f"{DOMAIN}/api/v1/deals", True),
        ("HTTPS://ACME.pipedrive.com:443/api/v1/deals", True),
        ("https://evil.example/api/v1/deals", False),
        ("http://acme.pipedrive.com/api/v1/deals", False),  # not even over plain http
        ("https://acme.pipedrive.com:8443/api/v1/deals", False),
        ("https://acme.pipedrive.com.evil.example/api/v1/deals", False),
        ("https://other.pipedrive.com/api/v1/deals", False),
    ],
)
def test_the_token_only_goes_to_the_api_domain(url: str, allowed: bool) -> None:
    spec = build_spec("GET", url)
    if allowed:
        assert target_url(spec, DOMAIN) == f"{DOMAIN}/api/v1/deals"
    else:
        with pytest.raises(ForeignHostRefused):
            target_url(spec, DOMAIN)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("true", True),
        ("false", False),
        ("null", None),
        ("42", 42),
        ("-7", -7),
        ("2.5", 2.5),
        ("1e3", 1000.0),
        ("007", "007"),
        ("True", "True"),
        ("", ""),
        ("12abc", "12abc"),
    ],
)
def test_typed_values(raw: str, value: Any) -> None:
    assert typed_value(raw) == value and type(typed_value(raw)) is type(value)


def test_typed_field_reads_a_file(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("line 1\nline 2\n")
    spec = build_spec(None, "/v1/notes", typed_fields=[f"content=@{note}"])
    assert json.loads(spec.body or b"") == {"content": "line 1\nline 2\n"}
    with pytest.raises(RequestSpecError, match="Cannot read"):
        build_spec(None, "/v1/notes", typed_fields=[f"content=@{tmp_path / 'missing'}"])


def test_method_defaults_and_where_fields_go() -> None:
    assert build_spec(None, "/v1/deals").method == "GET"
    typed = ["value=10", "label_ids[]=1", "label_ids[]=2", "custom[k]=true"]
    post = build_spec(None, "/v1/deals", fields=["title=A=B"], typed_fields=typed)
    assert post.method == "POST" and post.idempotent is False
    assert json.loads(post.body or b"") == {
        "title": "A=B",
        "value": 10,
        "label_ids": [1, 2],
        "custom": {"k": True},
    }
    typed = ["ids[]=1", "ids[]=2", "archived=false"]
    get = build_spec("get", "/v1/deals?status=open", query=["limit=5"], typed_fields=typed)
    assert (get.method, get.body) == ("GET", None)
    assert get.query == (
        ("status", "open"),
        ("limit", "5"),
        ("ids", "1"),
        ("ids", "2"),
        ("archived", "false"),
    )
    delete = build_spec("DELETE", "/v1/deals/1", fields=["x=1"])
    assert delete.query == (("x", "1"),) and delete.idempotent


def test_input_is_sent_as_given_and_fields_beside_it_are_a_usage_error() -> None:
    raw = b'{ "title" : "\xc3\xa9t\xc3\xa9" }'
    spec = build_spec(None, "/v1/deals", input_name="-", query=["dry=1"], read=lambda name: raw)
    assert (spec.method, spec.body, spec.query) == ("POST", raw, (("dry", "1"),))
    with pytest.raises(RequestSpecError, match="--input and -f/-F both give the request body") as err:
        build_spec(None, "/v1/deals", input_name="-", fields=["dry=1"], read=lambda name: raw)
    assert err.value.exit_code == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "FETCH"}, "Unknown method"),
        ({"fields": ["novalue"]}, "is not key=value"),
        ({"fields": ["=x"]}, "is not key=value"),
        ({"fields": ["a[]x=1"]}, "malformed"),
        ({"fields": ["a[][b]=1"]}, "may only come last"),
        ({"fields": ["a=1", "a[b]=2"]}, "conflicts"),
        ({"method": "GET", "fields": ["a[b]=1"]}, "nested"),
        ({"input_name": "-", "read": lambda n: b'{"a": '}, "not valid JSON"),
        ({"input_name": "-", "read": lambda n: b"\xff"}, "not valid JSON"),
        ({"method": "GET", "input_name": "-", "read": lambda n: b"{}"}, "--input needs POST"),
        ({"headers": ["Authorization: Bearer x"]}, "Authorization header cannot be set"),
        ({"headers": ["authorization:x"]}, "Authorization header cannot be set"),
        ({"headers": ["NoColon"]}, "is not 'Name: value'"),
        ({"headers": ["Bad Name: x"]}, "is not 'Name: value'"),
    ],
)
def test_refusals(kwargs: dict[str, Any], message: str) -> None:
    method = kwargs.pop("method", None)
    with pytest.raises(RequestSpecError, match=message.replace("[", r"\[")) as err:
        build_spec(method, "/v1/deals", **kwargs)
    assert err.value.exit_code == 2


def test_headers_are_kept() -> None:
    assert build_spec(None, "/v1/deals", headers=["X-A: 1", "Accept-Language:et"]).headers == (
        ("X-A", "1"),
        ("Accept-Language", "et"),
    )


# -- pagination ------------------------------------------------------------------------------------


def v1(items: Any, more: bool, next_start: int | None = None) -> dict[str, Any]:
    pagination: dict[str, Any] = {"start": 0, "limit": 2, "more_items_in_collection": more}
    if next_start is not None:
        pagination["next_start"] = next_start
    return {"success": True, "data": items, "additional_data": {"pagination": pagination}}


def v2(items: Any, cursor: str | None) -> dict[str, Any]:
    return {"success": True, "data": items, "additional_data": {"next_cursor": cursor}}


Q = (("limit", "2"),)


@pytest.mark.parametrize(
    ("body", "query", "expected"),
    [
        (v1([1, 2], True, 2), Q, (("limit", "2"), ("start", "2"))),
        (v1([3, 4], True, 4), (("limit", "2"), ("start", "2")), (("limit", "2"), ("start", "4"))),
        (v1([5], False), Q, None),
        (v1(None, False), Q, None),
        (v2([1, 2], "abc"), Q, (("limit", "2"), ("cursor", "abc"))),
        (v2([3], None), (("limit", "2"), ("cursor", "abc")), None),
        ({"success": True, "data": {"id": 1}}, Q, None),  # not a list at all
        ([1, 2], Q, None),
    ],
)
def test_next_query(body: Any, query: Any, expected: Any) -> None:
    assert next_query(body, query) == expected


@pytest.mark.parametrize(
    ("body", "query"),
    [(v1([1], True, 2), (("start", "2"),)), (v1([1], True, 0), ()), (v2([1], "c"), (("cursor", "c"),))],
)
def test_pagination_that_does_not_advance_stops(body: Any, query: Any) -> None:
    with pytest.raises(ApiRequestFailed, match="did not advance"):
        next_query(body, query)


def test_page_items_and_first_query() -> None:
    assert page_items(v1(None, False)) == [] and page_items(v2([1, 2], None)) == [1, 2]
    assert page_items({"data": {"id": 1}}) == [{"id": 1}]
    assert first_query((("status", "open"),), 500) == (("status", "open"), ("limit", "500"))
    assert first_query((("limit", "7"),), 500) == (("limit", "7"),)


# -- waiting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "3", "x-ratelimit-reset": "1"}, 3.0),
        ({"x-ratelimit-reset": "2"}, 2.0),
        ({"Retry-After": "Thu, 01 Jan 1970 00:00:10 GMT"}, 10.0),  # an HTTP date, with now = 0
        ({"Retry-After": "soon", "x-ratelimit-reset": "1"}, 1.0),
        ({"x-ratelimit-reset": "0"}, 0.25),  # never a busy loop
        ({}, 2.0),  # one burst window
    ],
)
def test_rate_limit_delay(headers: dict[str, str], seconds: float) -> None:
    assert rate_limit_delay(headers, now=0.0) == seconds


def test_backoff_grows_is_capped_and_jittered() -> None:
    policy = RetryPolicy(backoff=1.0, backoff_cap=5.0, jitter=lambda: 1.0)
    assert [policy.backoff_delay(n) for n in range(4)] == [1.0, 2.0, 4.0, 5.0]
    assert RetryPolicy(backoff=1.0, jitter=lambda: 0.0).backoff_delay(1) == 1.0  # half of 2: never zero


# -- 403 hints -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "scopes"),
    [
        ("GET", "/api/v1/deals", ("deals:read", "deals:full")),
        ("POST", "/api/v1/deals", ("deals:full",)),
        ("DELETE", "/api/v2/deals/5", ("deals:full",)),
        ("GET", "/api/v2/persons/1", ("contacts:read", "contacts:full")),
        ("PATCH", "/api/v2/organizations/1", ("contacts:full",)),
        ("POST", "/api/v1/dealFields", ("deal-fields:full", "admin")),
        ("GET", "/api/v1/users", ("users:read",)),
        ("GET", "/api/v1/users/me", ("base",)),
        ("GET", "/api/v2/deals/search", ("deals:read", "deals:full", "search:read")),
        ("GET", "/api/v2/itemSearch", ("search:read",)),
        ("GET", "/api/v1/notes", ("deals:read", "deals:full", "contacts:read", "contacts:full")),
        ("POST", "/api/v1/pipelines", ("admin",)),
        ("GET", "/api/v1/somethingNew", ()),
    ],
)
def test_required_scopes(method: str, path: str, scopes: tuple[str, ...]) -> None:
    assert required_scopes(method, path) == scopes
