"""Keyring calls under a time limit.

A keyring can hang instead of failing: a locked collection waiting on an unlock prompt nobody can see
(SSH, a container), or a Secret Service daemon stuck on D-Bus. keyring itself has no timeout, so each
call runs in a daemon thread and the caller waits at most PDAUTH_KEYRING_TIMEOUT seconds (default 5).
A hung call cannot be cancelled; its Guard (one per store, so one per backend) remembers it, and while it
is still stuck further calls fail at once instead of each waiting again (reading the token set and then
the client secret would otherwise wait twice). Standard library only: this runs on the `token` hot path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TypeVar

from pdauth.envvars import ENV_KEYRING_TIMEOUT
from pdauth.errors import ConfigError, KeyringUnavailable
from pdauth.hotpath.limits import DEFAULT_KEYRING_TIMEOUT, keyring_timeout_setting

T = TypeVar("T")


def keyring_timeout(env: Mapping[str, str]) -> float:
    value = keyring_timeout_setting(env)
    if value is None:
        raise ConfigError(
            f"{ENV_KEYRING_TIMEOUT}={env.get(ENV_KEYRING_TIMEOUT)!r} is not a positive number of seconds",
            hint=f"Set {ENV_KEYRING_TIMEOUT} to e.g. 10, or unset it for the default of "
            f"{DEFAULT_KEYRING_TIMEOUT:g}",
        )
    return value


class Guard:
    """Runs one backend's keyring operations under the time limit, remembering a call that hung."""

    def __init__(self, env: Mapping[str, str], label: str) -> None:
        self._env = env
        self.label = label  # names the backend for people
        self._stuck: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, fn: Callable[[], T]) -> T:
        """`fn` (one keyring operation) in a daemon thread; KeyringUnavailable if it takes too long.

        Exceptions raised by `fn` (KeyringUnavailable, ConfigError, ...) reach the caller unchanged.
        """
        limit = keyring_timeout(self._env)
        with self._lock:
            if self._stuck is not None and not self._stuck.is_alive():
                self._stuck = None
            if self._stuck is not None:
                raise KeyringUnavailable(
                    f"Keyring unavailable: an earlier call to the keyring ({self.label}) is still waiting "
                    "for an answer"
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
            with self._lock:
                self._stuck = thread
            raise no_answer(self.label, limit)
        if failure:
            raise failure[0]
        return outcome[0]


def no_answer(label: str, limit: float) -> KeyringUnavailable:
    return KeyringUnavailable(
        f"Keyring unavailable: the keyring ({label}) did not answer within {limit:g} s; it may be "
        f"locked and waiting for an unlock prompt that cannot be shown here "
        f"({ENV_KEYRING_TIMEOUT} sets the limit)"
    )
