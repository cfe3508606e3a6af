"""Waiting and retrying: 429s waited out within `max_wait` (Retry-After, x-ratelimit-reset), 5xx retried
for idempotent methods only, a refused connection one pdauth error, and the message `pdauth call` prints."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import pdauth
from tests.conftest import CLI, free_port
from tests.library.support import Sleeps

pytestmark = pytest.mark.timeout(120)
OVER_LIMIT = (
    '{"success": false, "error": "Request over limit", "error_info": "Please check developers.pipedrive.com"}'
)


def faulted(emulator: Any) -> int:
    """Requests the emulator answered with an injected fault."""
    return int(emulator.stats()["faults_triggered"])


def limited(emulator: Any, count: int, path: str = "/api/v1/users/me", status: int = 429) -> None:
    body = OVER_LIMIT if status == 429 else '{"success": false, "error": "Internal server error"}'
    emulator.inject_fault(
        endpoint=path, status=status, count=count, body=body, content_type="application/json"
    )


def test_a_429_storm_waits_no_longer_than_max_wait_then_raises_the_cli_error(
    logged_in: CLI, emulator: Any
) -> None:
    sleeps = Sleeps()
    limited(emulator, count=100)
    with pdauth.Session(max_wait=5, sleep=sleeps) as s, pytest.raises(pdauth.PipedriveHTTPError) as caught:
        s.get("/v1/users/me")
    # No rate-limit header in an injected 429: one burst window (2 s) each time, until 5 s would be passed.
    assert sleeps.calls == [2.0, 2.0]
    assert faulted(emulator) == 3
    error = caught.value
    assert error.status_code == 429 and error.error == "Request over limit"
    assert error.one_line() == (
        "GET /api/v1/users/me: HTTP 429 Request over limit. Pipedrive's rate limit did not clear within "
        "max_wait (waited 4 s in total); try again later or raise max_wait"
    )
    emulator.clear_faults()
    limited(emulator, count=100)
    r = logged_in("call", "/v1/users/me", "--max-wait", "5")
    assert r.stderr.splitlines()[-1] == "error: " + error.one_line().replace("max_wait", "--max-wait")


@pytest.mark.parametrize("method", ["GET", "POST", "PATCH", "DELETE"])
def test_a_short_429_storm_is_waited_out_for_every_method(logged_in: CLI, emulator: Any, method: str) -> None:
    """A 429 means nothing was done: repeating is safe whatever the method."""
    sleeps = Sleeps()
    with pdauth.Session(sleep=sleeps) as s:
        deal = s.post("/v2/deals", json={"title": "Waiting deal"}).json()["data"]
        limited(emulator, count=2, path="/api/v2/deals")
        url = "/v2/deals" if method == "POST" else f"/v2/deals/{deal['id']}"
        body = {"title": "Waited"} if method in ("POST", "PATCH") else None
        assert s.request(method, url, json=body).status_code in (200, 201)
    assert sleeps.calls == [2.0, 2.0]
    assert faulted(emulator) == 2


@pytest.mark.emulator(burst_limit=4, retry_after_header=True)
def test_threads_over_the_burst_limit_wait_as_retry_after_says(logged_in: CLI, emulator: Any) -> None:
    """The emulator's real burst window (4 requests per 2 s), really waited out: every request succeeds,
    and none waits longer than the window (Retry-After counts down to its end)."""
    with pdauth.Session(max_wait=10) as s:
        statuses: list[int] = []
        started = time.monotonic()
        threads = [
            threading.Thread(target=lambda: statuses.append(s.get("/v1/users/me").status_code))
            for _ in range(12)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        elapsed = time.monotonic() - started
    assert statuses == [200] * 12
    assert emulator.stats()["rate_limited"] > 0
    assert elapsed < 10


@pytest.mark.emulator(burst_limit=3)
def test_without_retry_after_the_wait_is_x_ratelimit_reset(logged_in: CLI, emulator: Any) -> None:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    with pdauth.Session(sleep=sleep) as s:
        for _ in range(5):
            assert s.get("/v1/users/me").status_code == 200
    assert sleeps, "the burst limit was never reached"
    assert all(0.25 <= w <= 2.0 for w in sleeps)  # seconds to the window's end, not the 2 s default


def test_a_5xx_is_retried_for_get(logged_in: CLI, emulator: Any) -> None:
    sleeps = Sleeps()
    limited(emulator, count=2, status=503)
    with pdauth.Session(sleep=sleeps) as s:
        assert s.get("/v1/users/me").status_code == 200
    assert len(sleeps.calls) == 2 and sleeps.total < 2.0  # backoff: 0.25-0.5 s, then 0.5-1 s
    assert faulted(emulator) == 2


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_5xx_is_not_repeated_for_a_method_that_may_have_taken_effect(
    logged_in: CLI, emulator: Any, method: str
) -> None:
    sleeps = Sleeps()
    with pdauth.Session(sleep=sleeps) as s:
        deal = s.post("/v2/deals", json={"title": "Once"}).json()["data"]
        limited(emulator, count=1, path="/api/v2/deals", status=500)
        url = "/v2/deals" if method == "POST" else f"/v2/deals/{deal['id']}"
        with pytest.raises(pdauth.PipedriveHTTPError) as caught:
            s.request(method, url, json={"title": "Twice?"})
    assert sleeps.calls == []
    assert faulted(emulator) == 1
    assert (
        caught.value.hint
        == f"The {method} was not repeated, as it may have taken effect: check before resending"
    )


def test_a_refused_connection_is_one_pdauth_error_as_call_says_it(
    logged_in: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    domain = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("PIPEDRIVE_ACCESS_TOKEN", "v1u:env-token-0123456789")
    monkeypatch.setenv("PIPEDRIVE_API_DOMAIN", domain)
    sleeps = Sleeps()
    with pdauth.Session(sleep=sleeps) as s, pytest.raises(pdauth.ApiRequestFailed) as caught:
        s.get("/v1/users/me")
    assert len(sleeps.calls) == 3  # an idempotent request: retried, then given up
    r = logged_in(
        "call", "/v1/users/me", PIPEDRIVE_ACCESS_TOKEN="v1u:env-token-0123456789", PIPEDRIVE_API_DOMAIN=domain
    )
    assert r.stderr.splitlines()[-1] == f"error: {caught.value.one_line()}"  # after its "retrying" lines
