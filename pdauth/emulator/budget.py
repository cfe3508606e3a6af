"""Pipedrive's token-based rate limit: a daily budget of tokens per company, each call charged by kind.

Costs: a single-object GET 2, a list 20, a create/update/delete 10, a search 40 (third-party summary of
Pipedrive's per-endpoint cost table: unconfirmed). The day is the UTC day of the emulator's clock, so
advancing the clock past midnight starts a fresh budget.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Final

from pdauth.emulator.clock import Clock

COSTS: Final = {"get": 2, "list": 20, "update": 10, "search": 40}
DAY: Final = 86400


class DailyBudget:
    def __init__(self, limit: int | None, clock: Clock) -> None:
        self.limit = limit  # None: count, never refuse
        self._clock = clock
        self._lock = threading.Lock()
        self._day = self._today()
        self._used: dict[int, int] = {}

    def charge(self, company_id: int, kind: str) -> bool:
        """Spend the tokens of one call; False (and nothing spent) when the budget cannot cover it."""
        cost = COSTS[kind]
        with self._lock:
            self._roll()
            used = self._used.get(company_id, 0)
            if self.limit is not None and used + cost > self.limit:
                return False
            self._used[company_id] = used + cost
            return True

    def seconds_to_reset(self) -> int:
        now = self._clock.now()
        return max(1, math.ceil(DAY - now % DAY))

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            self._roll()
            return {"limit": self.limit, "used": {str(k): v for k, v in self._used.items()}}

    def _roll(self) -> None:
        today = self._today()
        if today != self._day:
            self._day, self._used = today, {}

    def _today(self) -> int:
        return int(self._clock.now() // DAY)
