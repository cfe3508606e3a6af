"""The burst limit: headers on every response, 429 over the limit, Retry-After only when asked for."""

from __future__ import annotations

import time

import pytest

from pdauth.emulator.ratelimit import BurstLimiter

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
