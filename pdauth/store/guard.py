"""Keyring calls under a time limit.

A keyring can hang instead of failing: a locked collection waiting on an unlock prompt nobody can see
(SSH, a container), or a Secret Service daemon stuck on D-Bus. keyring itself has no timeout, so each
call runs in a daemon thread and the caller waits at most PDAUTH_KEYRING_TIMEOUT seconds (default 5).
A hung call cannot be cancelled; it is remembered, and while it is still stuck further calls to the same
backend fail at once instead of each waiting again (the `token` fast path and the full CLI would
otherwise wait twice). Standard library only: this runs on the `token` hot path.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Mapping
from typing import Final, TypeVar

from pdauth.envvars import ENV_KEYRING_TIMEOUT
from pdauth.errors import ConfigError, KeyringUnavailable

T = TypeVar("T")

DEFAULT_KEYRING_TIMEOUT: Final = 5.0

_stuck: dict[str, threading.Thread] = {}
_stuck_lock = threading.Lock()


def keyring_timeout(env: Mapping[str, str]) -> float:
    raw = env.get(ENV_KEYRING_TIMEOUT)
    if not raw:
        return DEFAULT_KEYRING_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(
            f"{ENV_KEYRING_TIMEOUT}={raw!r} is not a positive number of seconds",
            hint=f"Set {ENV_KEYRING_TIMEOUT} to e.g. 10, or unset it for the default of "
            f"{DEFAULT_KEYRING_TIMEOUT:g}",
        )
    return value


def run_guarded(fn: Callable[[], T], *, env: Mapping[str, str], key: str, label: str) -> T:
    """Run `fn` (one keyring operation) in a daemon thread; raise KeyringUnavailable if it takes too long.

    `key` names the backend for the stuck-call memory; `label` names it for people. Exceptions raised by
    `fn` (KeyringUnavailable, ConfigError, ...) reach the caller unchanged.
    """
    limit = keyring_timeout(env)
    with _stuck_lock:
        earlier = _stuck.get(key)
        if earlier is not None and not earlier.is_alive():
            del _stuck[key]
            earlier = None
    if earlier is not None:
        raise KeyringUnavailable(
            f"Keyring unavailable: an earlier call to the keyring ({label}) is still waiting for an answer"
        )
    outcome: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            outcome.append(fn())
        except BaseException as exc:  # handed to the caller's thread below
            failure.append(exc)

    thread = threading.Thread(target=run, name="pdauth-keyring", daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        with _stuck_lock:
            _stuck[key] = thread
        raise no_answer(label, limit)
    if failure:
        raise failure[0]
    return outcome[0]


def no_answer(label: str, limit: float) -> KeyringUnavailable:
    return KeyringUnavailable(
        f"Keyring unavailable: the keyring ({label}) did not answer within {limit:g} s; it may be "
        f"locked and waiting for an unlock prompt that cannot be shown here "
        f"({ENV_KEYRING_TIMEOUT} sets the limit)"
    )
