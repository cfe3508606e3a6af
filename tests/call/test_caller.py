"""`pdauth.call.caller` in process against the real emulator over real sockets: pagination, refresh, retries."""

from __future__ import annotations

from typing import Any

import pytest

from pdauth.call.caller import ApiCaller
from pdauth.call.spec import build_spec
from pdauth.call.transport import HttpRequest, HttpResponse, Transport
from pdauth.errors import AccessTokenRejected, ApiHttpError, ApiRequestFailed, ForeignHostRefused
from tests.call.support import MakeCtx, Sleeps, call_ctx, call_keyring, fast_policy, fetch_all, logged_in

_FIXTURES = (call_ctx, call_keyring, logged_in)  # pytest finds fixtures by name in the test module


class RecordingTransport(Transport):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[HttpRequest] = []

    def send(self, request: HttpRequest, timeout: tuple[float, float]) -> HttpResponse:
        self.sent.append(request)
        return super().send(request, timeout)


PAGINATION_CASES = [
    # (deals in the account, page size): empty, one, exact multiples, remainders, one page for all
    (0, 500),
    (1, 1),
    (6, 2),
    (6, 3),
    (7, 2),
    (7, 500),
    (501, 500),
]


@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize(
    ("deals", "limit"), [pytest.param(d, n, marks=pytest.mark.emulator(deals=d)) for d, n in PAGINATION_CASES]
)
def test_pagination_returns_every_item_once_in_order(
    logged_in: MakeCtx, emulator: Any, version: str, deals: int, limit: int
) -> None:
    items = fetch_all(logged_in(), f"/{version}/deals", limit)
    assert [d["id"] for d in items] == list(range(1, deals + 1))
    pages = max(1, -(-deals // limit))  # v1 and v2 both stop on the last page, never asking for an empty one
    assert emulator.stats()["api_requests"] == pages
    assert emulator.stats()["connections"] == 1  # one keep-alive connection for the whole run


@pytest.mark.emulator(deals=5)
def test_pages_stream_one_request_at_a_time(logged_in: MakeCtx, emulator: Any) -> None:
    pages = ApiCaller(logged_in(), fast_policy()).pages(build_spec("GET", "/v2/deals"), 2)
    assert [d["id"] for d in next(pages)] == [1, 2]
    assert emulator.stats()["api_requests"] == 1  # nothing fetched ahead, nothing accumulated


@pytest.mark.emulator(deals=4)
def test_user_start_and_limit_are_kept(logged_in: MakeCtx) -> None:
    items = fetch_all(logged_in(), "/v1/deals", 500, query=["start=1", "limit=2"])
    assert [d["id"] for d in items] == [2, 3, 4]


@pytest.mark.emulator(deals=9)
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_token_expiring_mid_pagination_is_refreshed_once(
    logged_in: MakeCtx, emulator: Any, call_keyring: Any, version: str
) -> None:
    ctx = logged_in()
    before = ctx.stored_tokens()
    caller = ApiCaller(ctx, fast_policy())
    items: list[Any] = []
    for n, page in enumerate(caller.pages(build_spec("GET", f"/{version}/deals"), 2)):
        items += page
        if n == 1:
            emulator.advance_clock(4000)  # the access token dies between pages 2 and 3
    assert [d["id"] for d in items] == list(range(1, 10))
    stats = emulator.stats()
    assert stats["grants"]["refresh_token"] == 1
    assert stats["api_responses"]["401"] == 1
    # One keep-alive connection for every API request, and one for the refresh: it goes to the OAuth
    # server (another host than the api_domain in production), through requests like every refresh.
    assert stats["connections"] == 2
    after = ctx.stored_tokens()
    assert before is not None and after is not None and after.access_token != before.access_token


def test_a_second_401_is_an_auth_error(logged_in: MakeCtx, emulator: Any) -> None:
    emulator.inject_fault(endpoint="/api/v1/users/me", status=401, count=2)
    with pytest.raises(AccessTokenRejected) as err:
        ApiCaller(logged_in(), fast_policy()).send(build_spec(None, "/v1/users/me"))
    assert err.value.exit_code == 4 and "pdauth login" in err.value.one_line()
    assert emulator.stats()["grants"]["refresh_token"] == 1  # refreshed once, not in a loop


@pytest.mark.emulator(burst_limit=3, deals=8)
def test_rate_limit_is_waited_out_and_nothing_is_lost(logged_in: MakeCtx, emulator: Any) -> None:
    # Without Retry-After, x-ratelimit-reset says how long (test_call_cli covers Retry-After).
    sleeps = Sleeps(real=True)  # the emulator's burst window is real time
    items = fetch_all(logged_in(), "/v1/deals", 2, fast_policy(sleeps))
    assert [d["id"] for d in items] == list(range(1, 9))
    assert emulator.stats()["rate_limited"] >= 1
    assert sleeps.calls and all("Rate limited" in reason for _, reason in sleeps.calls)
    assert all(1 <= s <= 2 for s, _ in sleeps.calls)  # x-ratelimit-reset's whole seconds, not a guess


@pytest.mark.emulator(burst_limit=1, deals=3)
def test_rate_limit_wait_is_bounded_by_max_wait(logged_in: MakeCtx, emulator: Any) -> None:
    sleeps = Sleeps()
    with pytest.raises(ApiHttpError) as err:
        fetch_all(logged_in(), "/v1/deals", 1, fast_policy(sleeps, max_wait=0.5))
    assert err.value.status == 429 and "--max-wait" in err.value.hint
    assert sleeps.total <= 0.5


@pytest.mark.emulator(deals=3)
@pytest.mark.parametrize("fault", [{"status": 503, "count": 2}, {"status": 500}, {"drop": True}])
def test_get_is_retried_after_5xx_and_drops(logged_in: MakeCtx, emulator: Any, fault: Any) -> None:
    emulator.inject_fault(endpoint="api", **fault)
    sleeps = Sleeps()
    items = fetch_all(logged_in(), "/v2/deals", 500, fast_policy(sleeps))
    assert [d["id"] for d in items] == [1, 2, 3]
    assert len(sleeps.calls) == fault.get("count", 1)


def test_get_gives_up_after_the_retries(logged_in: MakeCtx, emulator: Any) -> None:
    emulator.inject_fault(endpoint="api", status=502, count=10)
    with pytest.raises(ApiHttpError) as err:
        ApiCaller(logged_in(), fast_policy(retries=2)).send(build_spec("GET", "/v1/deals"))
    assert err.value.status == 502
    assert emulator.stats()["api_requests"] == 3


@pytest.mark.parametrize("fault", [{"status": 500}, {"status": 503}, {"drop": True}])
def test_post_is_never_repeated(logged_in: MakeCtx, emulator: Any, fault: Any) -> None:
    emulator.inject_fault(endpoint="api", **fault)
    spec = build_spec(None, "/v1/deals", fields=["title=Once"])
    with pytest.raises(ApiRequestFailed) as err:
        ApiCaller(logged_in(), fast_policy()).send(spec)
    assert "not repeated" in err.value.hint
    assert emulator.stats()["api_requests"] == 1
    assert emulator.stats()["live"]["deals"] == 0


def test_post_is_repeated_after_a_429(logged_in: MakeCtx, emulator: Any) -> None:
    # A 429 means Pipedrive did nothing, so even a POST is safe to send again.
    emulator.inject_fault(
        endpoint="api",
        status=429,
        body='{"success":false,"error":"Request over limit"}',
        content_type="application/json",
    )
    sleeps = Sleeps()
    spec = build_spec(None, "/v1/deals", fields=["title=X"])
    response = ApiCaller(logged_in(), fast_policy(sleeps)).send(spec)
    assert response.status == 201 and emulator.stats()["live"]["deals"] == 1
    assert len(sleeps.calls) == 1


def test_fields_typed_fields_and_headers_reach_the_server(logged_in: MakeCtx, emulator: Any) -> None:
    transport = RecordingTransport()
    spec = build_spec(
        None,
        "/api/v1/deals",
        fields=["title=Big deal", "currency=usd"],
        typed_fields=["value=5000", "person_id=null"],
        headers=["X-Trace: abc"],
    )
    deal = ApiCaller(logged_in(), fast_policy(), transport).send(spec).json["data"]
    assert [deal[k] for k in ("title", "value", "currency", "person_id")] == ["Big deal", 5000, "USD", None]
    headers = dict(transport.sent[0].headers)
    assert headers["X-Trace"] == "abc"
    assert headers["Content-Type"] == "application/json"
    assert headers["Authorization"].startswith("Bearer v1u:")


def test_env_access_token_is_used_and_not_refreshed(logged_in: MakeCtx, emulator: Any) -> None:
    token = logged_in().stored_tokens()
    assert token is not None
    env = {"PIPEDRIVE_ACCESS_TOKEN": token.access_token, "PIPEDRIVE_API_DOMAIN": emulator.base_url}
    assert ApiCaller(logged_in(env=env), fast_policy()).send(build_spec(None, "/v1/users/me")).status == 200
    emulator.advance_clock(4000)
    with pytest.raises(AccessTokenRejected) as err:
        ApiCaller(logged_in(env=env), fast_policy()).send(build_spec(None, "/v1/users/me"))
    assert "PIPEDRIVE_ACCESS_TOKEN" in err.value.one_line()
    assert emulator.stats()["grants"]["refresh_token"] == 0


def test_env_refresh_token_source(logged_in: MakeCtx, emulator: Any, call_keyring: Any) -> None:
    token = logged_in().stored_tokens()
    assert token is not None and token.refresh_token
    call_keyring.entries.clear()  # CI: no stored login at all
    ctx = logged_in(env={"PIPEDRIVE_REFRESH_TOKEN": token.refresh_token})
    assert ApiCaller(ctx, fast_policy()).send(build_spec(None, "/v1/users/me")).json["data"]["id"] == 777
    assert call_keyring.entries == {}


def test_other_host_is_refused_before_anything_is_sent(logged_in: MakeCtx, emulator: Any) -> None:
    caller = ApiCaller(logged_in(), fast_policy())
    for url in (
        "https://evil.example/api/v1/users/me",
        emulator.base_url.replace("127.0.0.1", "localhost") + "/api/v1/users/me",
        emulator.base_url.replace("http:", "https:") + "/api/v1/users/me",
    ):
        with pytest.raises(ForeignHostRefused):
            caller.send(build_spec(None, url))
    assert emulator.stats()["requests"] == 0
    assert caller.send(build_spec(None, emulator.base_url + "/api/v1/users/me")).status == 200


@pytest.mark.emulator(scopes=("base", "deals:read"))
def test_scope_mismatch_names_the_missing_scope(logged_in: MakeCtx) -> None:
    with pytest.raises(ApiHttpError) as err:
        ApiCaller(logged_in(), fast_policy()).send(build_spec(None, "/v1/deals", fields=["title=X"]))
    assert err.value.status == 403 and err.value.exit_code == 1
    hint = err.value.hint
    assert "deals:full" in hint and "Developer Hub" in hint and "pdauth login" in hint
    assert "base, deals:read" in hint  # what the login has
    assert err.value.response.json["error"] == "Scope and URL mismatch"  # type: ignore[attr-defined]
