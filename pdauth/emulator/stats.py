"""Counters of what the emulator saw, for tests and `GET /__emulator/stats`."""

from __future__ import annotations

import threading
from typing import Any, Final

COUNTERS: Final = (
    "connections",  # TCP connections accepted
    "requests",  # HTTP requests of any kind
    "authorize_requests",  # GET /oauth/authorize
    "token_requests",  # POST /oauth/token, answered or not
    "revoke_requests",  # POST /oauth/revoke, answered or not
    "revocations",  # revoke requests answered 200
    "api_requests",  # requests under /api/
    "rate_limited",  # API requests answered 429 by a burst limiter (general or search)
    "faults_triggered",  # requests answered (or dropped) by an injected fault
    "tokens_spent",  # daily-budget tokens charged (get 2, list 20, update 10, search 40)
    "budget_exhausted",  # API requests answered 429 because the company's daily budget ran out
    "webhook_attempts",  # webhook deliveries tried (first tries and retries)
    "webhooks_delivered",  # ... answered 2xx
    "webhook_failures",  # ... that failed (non-2xx, redirect, timeout, refused)
    "webhooks_given_up",  # deliveries dropped after the last retry failed
)
# Counters by key. `grants` always shows both grant types, so tests can compare with 0.
KEYED: Final = ("grants", "grant_errors", "consents", "api_responses")
_GRANT_TYPES: Final = ("authorization_code", "refresh_token")


class Stats:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._keyed: dict[str, dict[str, int]] = {}
        self.reset()

    def incr(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def incr_key(self, group: str, key: str) -> None:
        with self._lock:
            bucket = self._keyed[group]
            bucket[key] = bucket.get(key, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            result: dict[str, Any] = dict(self._counts)
            result.update({group: dict(bucket) for group, bucket in self._keyed.items()})
            return result

    def reset(self) -> None:
        with self._lock:
            self._counts = dict.fromkeys(COUNTERS, 0)
            self._keyed = {group: {} for group in KEYED}
            self._keyed["grants"] = dict.fromkeys(_GRANT_TYPES, 0)
