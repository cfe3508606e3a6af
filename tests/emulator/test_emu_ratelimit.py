"""The burst limit: headers on every response, 429 over the limit, Retry-After only when asked for."""

from __future__ import annotations

import time

import pytest

from pdauth.emulator.ratelimit import BurstLimiter

from .helpers import envelope

pytestmark = pytest.mark.timeout(20)


def test_429_over_the_burst_limit_and_recovery_after_the_window(make_emulator, driver_for):
    emu = make_emulator(burst_limit=3)
    drv = driver_for(emu)
    token = drv.login()["access_token"]
    started = time.monotonic()
    remaining = []
    for _ in range(3):
        answer = drv.me(token)
        assert answer.status_code == 200
        assert answer.headers["x-ratelimit-limit"] == "3"
        remaining.append(int(answer.headers["x-ratelimit-remaining"]))
        assert 0 <= int(answer.headers["x-ratelimit-reset"]) <= 2
    assert remaining == [2, 1, 0]

    over = drv.me(token)
    assert over.status_code == 429
    assert over.json() == {
        "success": False,
        "error": "Request over limit",
        "error_info": "Please check developers.pipedrive.com",
        "data": None,
        "additional_data": None,
    }
    assert over.headers["x-ratelimit-remaining"] == "0"
    assert 0 <= int(over.headers["x-ratelimit-reset"]) <= 2
    assert "Retry-After" not in over.headers  # off by default: Pipedrive's is unconfirmed

    # The window is per access token: another token of the same user is not limited.
    other = drv.refresh(drv.login()["refresh_token"]).json()["access_token"]
    assert drv.me(other).status_code == 200
    assert emu.stats()["rate_limited"] == 1

    time.sleep(max(0.0, 2.2 - (time.monotonic() - started)))
    again = drv.me(token)
    assert again.status_code == 200
    assert again.headers["x-ratelimit-remaining"] == "2"


def test_retry_after_when_enabled(make_emulator, driver_for):
    drv = driver_for(make_emulator(burst_limit=1, retry_after_header=True))
    token = drv.login()["access_token"]
    assert "Retry-After" not in drv.me(token).headers  # only on 429
    over = drv.me(token)
    assert over.status_code == 429
    assert 1 <= int(over.headers["Retry-After"]) <= 2


def test_advancing_the_clock_does_not_reset_the_burst_window(make_emulator, driver_for):
    emu = make_emulator(burst_limit=1, access_token_ttl=10**6)
    drv = driver_for(emu)
    token = drv.login()["access_token"]
    assert drv.me(token).status_code == 200
    emu.advance_clock(10)
    assert drv.me(token).status_code == 429


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_limiter_windows_with_a_fake_clock():
    clock = FakeTime()
    limiter = BurstLimiter(2, window=2.0, clock=clock)
    first = limiter.hit("a")
    assert (first.allowed, first.remaining, first.reset) == (True, 1, 2)
    clock.now += 0.5
    second = limiter.hit("a")
    assert (second.allowed, second.remaining, second.reset) == (True, 0, 2)  # 1.5 s rounds up
    clock.now += 0.6
    third = limiter.hit("a")
    assert (third.allowed, third.remaining, third.reset) == (False, 0, 1)
    assert limiter.hit("b").allowed  # separate key, separate window
    clock.now += 0.9  # 2.0 s after the window opened
    fresh = limiter.hit("a")
    assert (fresh.allowed, fresh.remaining, fresh.reset) == (True, 1, 2)
    assert [h[0] for h in fresh.headers()] == [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ]


def test_limiter_forgets_old_windows():
    clock = FakeTime()
    limiter = BurstLimiter(5, clock=clock)
    for i in range(1001):
        limiter.hit(f"k{i}")
    clock.now += 3
    limiter.hit("late")  # over 1000 keys: stale windows are dropped
    assert len(limiter._windows) < 10


# --- plans and the daily token budget ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "burst"),
    [("essential", 80), ("advanced", 160), ("professional", 320), ("power", 400), ("enterprise", 480)],
)
def test_a_plan_sets_the_burst_limit(make_emulator, driver_for, plan, burst):
    drv = driver_for(make_emulator(plan=plan))
    answer = drv.me(drv.login()["access_token"])
    assert answer.headers["x-ratelimit-limit"] == str(burst)


def test_burst_limit_overrides_the_plan(make_emulator, driver_for):
    drv = driver_for(make_emulator(plan="enterprise", burst_limit=5))
    assert drv.me(drv.login()["access_token"]).headers["x-ratelimit-limit"] == "5"


def test_calls_are_charged_by_kind(make_emulator, driver_for):
    emu = make_emulator(deals=3)
    drv = driver_for(emu)
    token = drv.login()["access_token"]
    drv.api("GET", "/api/v2/deals/1", token)  # a single object: 2
    drv.api("GET", "/api/v2/deals", token)  # a list: 20
    drv.api("PATCH", "/api/v2/deals/1", token, json={"title": "x"})  # an update: 10
    drv.api("GET", "/api/v2/deals/search", token, params={"term": "Deal"})  # a search: 40
    drv.api("GET", "/api/v2/deals", headers={"Authorization": "Bearer v1u:nope"})  # refused at the door: 0
    drv.api("GET", "/api/v2/nothing", token)  # no such endpoint: 0
    assert emu.stats()["tokens_spent"] == 72
    assert emu.stats()["budget"] == {"limit": None, "used": {"123": 72}}


def test_an_exhausted_daily_budget_is_429_until_the_next_utc_day(make_emulator, driver_for):
    emu = make_emulator(deals=3, daily_budget=30, access_token_ttl=10**6)
    drv = driver_for(emu)
    token = drv.login()["access_token"]
    assert drv.api("GET", "/api/v2/deals", token).status_code == 200  # 20 of 30
    assert drv.api("GET", "/api/v2/deals/1", token).status_code == 200  # 22
    refused = drv.api("PATCH", "/api/v2/deals/1", token, json={"title": "x"})  # 10 more would be 32
    assert refused.status_code == 429
    assert refused.json() == envelope("Daily API token budget exhausted")
    assert 1 <= int(refused.headers["Retry-After"]) <= 86400
    assert refused.headers["x-ratelimit-limit"] == "80"  # the burst window's headers, as on every answer
    assert drv.api("GET", "/api/v2/deals/1", token).status_code == 200  # a cheaper call still fits: 24
    assert drv.api("GET", "/api/v2/deals/2", token).status_code == 200  # 26
    assert emu.stats()["budget_exhausted"] == 1
    # Another company has a budget of its own.
    emu.set_identity(company_id=9, user_id=5)
    other = drv.login()["access_token"]
    assert drv.api("GET", "/api/v2/deals", other).status_code == 200
    # The budget is per UTC day of the emulator's clock.
    emu.advance_clock(int(refused.headers["Retry-After"]))
    assert drv.api("PATCH", "/api/v2/deals/1", token, json={"title": "x"}).status_code == 200
    assert emu.stats()["budget"]["used"] == {"123": 10}


def test_the_budget_counts_utc_days_of_the_emulators_clock():
    from pdauth.emulator.budget import DailyBudget
    from pdauth.emulator.clock import Clock

    now = [86400 * 20_000 + 86399.0]  # one second before a UTC midnight
    budget = DailyBudget(20, Clock(lambda: now[0]))
    assert budget.charge(1, "list") and not budget.charge(1, "get")
    assert budget.seconds_to_reset() == 1
    now[0] += 1
    assert budget.charge(1, "get") and budget.snapshot() == {"limit": 20, "used": {"1": 2}}
