"""Fixtures and helpers for the `pdauth call` tests: a logged-in Context against the emulator.

Test modules import the fixtures they use from here (`from tests.call.support import ...`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from pdauth.call.caller import ApiCaller
from pdauth.call.retry import RetryPolicy
from pdauth.call.spec import build_spec
from pdauth.core.context import Context, Deps
from pdauth.login import flow as flows
from tests.support.fakes import QuietLoginUI
from tests.support.keyrings import MemoryKeyring

MakeCtx = Callable[..., Context]


def browser(url: str) -> bool:
    """Follows the authorize URL as a browser would (the emulator auto-approves)."""
    requests.get(url, timeout=30)
    return True


class Sleeps:
    """A sleep that records each wait; `real=True` really sleeps (the emulator's burst window is real)."""

    def __init__(self, real: bool = False) -> None:
        self.real = real
        self.calls: list[tuple[float, str]] = []

    def __call__(self, seconds: float, reason: str) -> None:
        import time

        self.calls.append((seconds, reason))
        if self.real:
            time.sleep(seconds)

    @property
    def total(self) -> float:
        return sum(s for s, _ in self.calls)


def fast_policy(sleeps: Sleeps | None = None, **overrides: Any) -> RetryPolicy:
    """Backoff small enough that retry tests do not really wait."""
    options: dict[str, Any] = {"backoff": 0.001, "backoff_cap": 0.01, "sleep": sleeps or Sleeps()}
    return RetryPolicy(**{**options, **overrides})


@pytest.fixture
def call_keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def call_ctx(client_env: dict[str, str], call_keyring: MemoryKeyring) -> MakeCtx:
    """Makes Contexts on the emulator, sharing one in-memory keyring; `env=` adds variables."""

    def make(**overrides: Any) -> Context:
        env = {**client_env, **overrides.pop("env", {})}
        overrides.setdefault("open_browser", browser)
        overrides.setdefault("keyring_backend", call_keyring)
        return Context(Deps(env=env, **overrides))

    return make


@pytest.fixture
def logged_in(call_ctx: MakeCtx, emulator: Any) -> MakeCtx:
    """`call_ctx` after a login; the emulator's stats are reset so a test counts only its own calls."""
    flows.login(call_ctx(), QuietLoginUI(), timeout=20)
    emulator.reset_stats()
    return call_ctx


def fetch_all(
    ctx: Context, path: str, limit: int, policy: RetryPolicy | None = None, **spec: Any
) -> list[Any]:
    """Every item of a paginated GET, through ApiCaller.pages."""
    caller = ApiCaller(ctx, policy or fast_policy())
    return [item for page in caller.pages(build_spec("GET", path, **spec), limit) for item in page]
