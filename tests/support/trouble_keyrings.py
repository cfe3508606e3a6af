"""Keyrings in trouble, for tests: one that hangs, one that stays locked, one that forgets.

Importable by a subprocess through PYTHON_KEYRING_BACKEND, so this module imports nothing from the tests.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from keyring.backends import fail
from keyring.errors import KeyringLocked

from tests.support.keyrings import MemoryKeyring


class HangingKeyring(MemoryKeyring):
    """Every call blocks, as a keyring waiting on an invisible unlock prompt does, until released.

    In a subprocess (PYTHON_KEYRING_BACKEND) it sleeps PDAUTH_TEST_KEYRING_SLEEP seconds instead.
    """

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()
        self.calls = 0

    def _hang(self) -> None:
        self.calls += 1
        self.released.wait(float(os.environ.get("PDAUTH_TEST_KEYRING_SLEEP", "5")))

    def get_password(self, service: str, username: str) -> str | None:
        self._hang()
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self._hang()
        super().set_password(service, username, password)


class LockedKeyring(MemoryKeyring):
    """A collection that stays locked: every call raises KeyringLocked."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("Failed to unlock the collection!")


class ForgetfulKeyring(MemoryKeyring):
    """Accepts writes and keeps nothing: the probe must notice."""

    def set_password(self, service: str, username: str, password: str) -> None:
        pass


def no_keyring() -> Any:
    """keyring's own "no backend available" stand-in, as discovery returns it on a bare machine."""
    return fail.Keyring()  # type: ignore[no-untyped-call]
