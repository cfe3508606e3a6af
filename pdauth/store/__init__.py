"""Where secrets live: tiny string maps, the OS keyring (default) or the encrypted file (opt-in).

A store knows nothing of tokens or profiles: pdauth.core.vault names the entries and what they hold.
"""

from __future__ import annotations

from typing import Protocol


class SecretStore(Protocol):
    kind: str  # "keyring" or "file"

    def describe(self) -> str: ...
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str) -> None: ...
    def delete(self, key: str) -> None: ...
