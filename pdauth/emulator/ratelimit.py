"""Pipedrive's burst limit: at most N requests per access token in a fixed 2-second window."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pdauth.emulator.config import BURST_WINDOW


@dataclass(frozen=True)
class RateInfo:
    limit: int
    remaining: int
    reset: int  # whole seconds until the window resets
    allowed: bool

    def headers(self) -> list[tuple[str, str]]:
        return [
            ("x-ratelimit-limit", str(self.limit)),
            ("x-ratelimit-remaining", str(self.remaining)),
            ("x-ratelimit-reset", str(self.reset)),
        ]


class BurstLimiter:
    """Fixed windows keyed by access token.

    Runs on real monotonic time, not the emulator's advanceable clock: advancing the clock to expire
    tokens must not also hand out a fresh burst budget, and a test of the window must really wait.
    """

    def __init__(
        self, limit: int, window: float = BURST_WINDOW, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window start, requests in it)

    def hit(self, key: str) -> RateInfo:
        """Count one request for `key` and say whether it is within the limit."""
        with self._lock:
            now = self._clock()
            start, used = self._windows.get(key, (now, 0))
            if now - start >= self._window:
                start, used = now, 0
            used += 1
            self._windows[key] = (start, used)
            if len(self._windows) > 1000:
                self._forget_old(now)
            return RateInfo(
                limit=self._limit,
                remaining=max(0, self._limit - used),
                reset=self._seconds_left(start, now),
                allowed=used <= self._limit,
            )

    def peek(self) -> RateInfo:
        """Headers for a request not tied to a token (it was rejected before we knew whose it was)."""
        return RateInfo(self._limit, self._limit, math.ceil(self._window), True)

    def _seconds_left(self, start: float, now: float) -> int:
        return max(0, math.ceil(start + self._window - now))

    def _forget_old(self, now: float) -> None:
        for key in [k for k, (start, _) in self._windows.items() if now - start >= self._window]:
            del self._windows[key]
