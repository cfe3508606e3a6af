"""What the routes and handlers use of the app, as Protocols that app.App satisfies.

They type their `app` parameter with these instead of importing app.py, which imports them: the app
depends on its routes, never the reverse. Only the parts below are imported, and only for types.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from pdauth.emulator.budget import DailyBudget
    from pdauth.emulator.clock import Clock
    from pdauth.emulator.config import EmulatorConfig
    from pdauth.emulator.faults import FaultTable
    from pdauth.emulator.ratelimit import BurstLimiter
    from pdauth.emulator.state import AuthState
    from pdauth.emulator.stats import Stats
    from pdauth.emulator.webhooks import WebhookHub
    from pdauth.emulator.world import World


class Company(Protocol):
    """What the REST handlers use: the company's data, the one lock that guards it, the clock, the config."""

    config: EmulatorConfig
    clock: Clock
    lock: threading.Lock
    world: World


class Hub(Company, Protocol):
    """What the front routes use besides: OAuth state, limits and budget, stats, faults, webhooks."""

    auth: AuthState
    stats: Stats
    faults: FaultTable
    limiter: BurstLimiter
    search_limiter: BurstLimiter
    budget: DailyBudget
    webhooks: WebhookHub
    base_url: str  # the OAuth base URL and api_domain, once the server has bound its port

    def stats_snapshot(self) -> dict[str, Any]: ...
