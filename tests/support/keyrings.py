"""Test keyring backends. Never used outside tests: they hold secrets in memory or a temp file.

`MemoryKeyring` is injected in-process (the supported `keyring` seam). `JsonFileKeyring` lets the real
CLI in a subprocess use a keyring through PYTHON_KEYRING_BACKEND — the same path a user's choice takes.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.writes = 0

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.writes += 1
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")


class FailingKeyring(MemoryKeyring):
    """Reads work; every write fails, as a keyring that locks mid-run would."""

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")


class JsonFileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    @property
    def path(self) -> Path:
        return Path(os.environ["PDAUTH_TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.path.read_text()))
        except FileNotFoundError:
            return {}

    def _save(self, data: dict[str, str]) -> None:
        tmp = self.path.with_suffix(f".{os.getpid()}.{time.monotonic_ns()}")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}/{username}"] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise PasswordDeleteError("not found")
        self._save(data)


class ConfigBreakingKeyring(JsonFileKeyring):
    """A JsonFileKeyring that, once a token set is stored, replaces PDAUTH_TEST_BREAK_ON_WRITE (a file) with
    a directory: a real failure of the config write that follows, at exactly that moment."""

    def set_password(self, service: str, username: str, password: str) -> None:
        super().set_password(service, username, password)
        target = os.environ.get("PDAUTH_TEST_BREAK_ON_WRITE")
        if target and ":" not in username and not Path(target).is_dir():
            Path(target).unlink(missing_ok=True)
            Path(target).mkdir()
