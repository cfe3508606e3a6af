"""The OS keyring through `keyring`: the default store of a profile's secrets.

keyring enters pdauth only through this module. Each operation runs under PDAUTH_KEYRING_TIMEOUT
(pdauth.store.guard); a Secret Service entry is read the fast way where it can be (pdauth.store.secret_service).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pdauth.envvars import ENV_KEYRING_BACKEND
from pdauth.errors import ConfigError, KeyringUnavailable
from pdauth.hotpath import paths
from pdauth.hotpath.secret_tool import SECRET_SERVICE_BACKEND, SERVICE

if TYPE_CHECKING:
    from pdauth.store.guard import Guard


def keyring_config_path(env: Mapping[str, str]) -> Path:
    return Path(paths.keyring_config_path(env))


def configured_backend_name(env: Mapping[str, str]) -> str | None:
    """The backend the user chose explicitly (env var, then keyring's config file), if any."""
    name = env.get(ENV_KEYRING_BACKEND)
    if name:
        return name
    path = keyring_config_path(env)
    if not path.exists():
        return None
    import configparser

    parser = configparser.RawConfigParser()
    parser.read(path, encoding="utf-8")
    if parser.has_option("backend", "default-keyring"):
        return parser.get("backend", "default-keyring").strip() or None
    return None


def _keyring_errors() -> tuple[type[BaseException], ...]:
    from keyring.errors import KeyringError

    return (KeyringError, RuntimeError, OSError)


class KeyringStore:
    """The OS keyring through `keyring`, with its backend resolved once and remembered.

    Backend discovery imports and probes every installed backend (a D-Bus round trip among them). So the backend that
    discovery found at login is remembered in the profile and loaded by name afterwards; an explicit
    choice (PYTHON_KEYRING_BACKEND, keyring's config file) always wins over what was remembered.
    """

    kind = "keyring"

    def __init__(self, env: Mapping[str, str], remembered_backend: str | None = None, backend: Any = None):
        self._env = env
        self._remembered = remembered_backend
        self._backend = backend
        self._injected = backend  # an injected backend (tests): named as such in timeout messages
        self._guard: Guard | None = None

    @property
    def backend(self) -> Any:
        if self._backend is None:
            self._backend = self._resolve_backend()
        return self._backend

    @property
    def backend_name(self) -> str:
        cls = type(self.backend)
        return f"{cls.__module__}.{cls.__qualname__}"

    def _resolve_backend(self) -> Any:
        import keyring
        import keyring.core

        explicit = configured_backend_name(self._env)
        for name in (explicit, self._remembered):
            if not name:
                continue
            try:
                return keyring.core.load_keyring(name)
            except (ImportError, AttributeError, ValueError) as exc:
                if name == explicit:
                    raise ConfigError(
                        f"Cannot load keyring backend {name!r}: {exc}",
                        hint="Fix PYTHON_KEYRING_BACKEND or keyringrc.cfg (`python -m keyring --list-backends`)",
                    ) from None
            except RuntimeError:
                if name == explicit:
                    raise KeyringUnavailable(f"Keyring backend {name} is not available") from None
            # a remembered backend that no longer loads: fall back to discovery
        return keyring.get_keyring()

    def describe(self) -> str:
        # Name the backend without loading it when it is already known: describing must stay cheap.
        name = self.backend_name if self._backend is not None else self._chosen_backend() or self.backend_name
        return f"keyring ({name})"

    def _chosen_backend(self) -> str | None:
        return configured_backend_name(self._env) or self._remembered

    def _check_usable(self) -> None:
        from keyring.backends import fail

        backend = self.backend
        if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 1) <= 0:
            raise KeyringUnavailable(
                "Keyring unavailable: no usable OS keyring was found (no Secret Service on this session)"
            )

    def _call(self, fn: Callable[[], Any]) -> Any:
        from keyring.errors import KeyringLocked

        def call() -> Any:
            self._check_usable()
            try:
                return fn()
            except KeyringLocked as exc:
                detail = str(exc) or "the collection is locked"
                raise KeyringUnavailable(f"Keyring locked: {detail}") from None
            except _keyring_errors() as exc:
                failure = f"{type(exc).__name__}: {exc}"
                raise KeyringUnavailable(f"Keyring unavailable: the OS keyring failed ({failure})") from None

        return self._guarded(call)

    @property
    def guard(self) -> Guard:
        """Every keyring operation, backend resolution included, runs under PDAUTH_KEYRING_TIMEOUT."""
        if self._guard is None:
            from pdauth.store.guard import Guard

            if self._injected is not None:
                cls = type(self._injected)
                label = f"{cls.__module__}.{cls.__qualname__}"
            else:
                label = self._chosen_backend() or "auto-detected backend"
            self._guard = Guard(self._env, label)
        return self._guard

    def _guarded(self, fn: Callable[[], Any]) -> Any:
        return self.guard.run(fn)

    def get(self, key: str) -> str | None:
        if self._fast_get_possible():
            value = self._fast_get(key)
            if value is not None:
                return value
            # not found or not readable the fast way: let keyring give the authoritative answer
        result: str | None = self._call(lambda: self.backend.get_password(SERVICE, key))
        return result

    def _fast_get(self, key: str) -> str | None:
        from pdauth.hotpath import secret_tool
        from pdauth.store.guard import keyring_timeout, no_answer

        tool = secret_tool.find(self._env)
        if tool is None:
            from pdauth.store import secret_service

            value: str | None = self._guarded(lambda: secret_service.read_secret(SERVICE, key))
            return value
        limit = keyring_timeout(self._env)
        try:
            return secret_tool.lookup(tool, key, self._env, limit)
        except secret_tool.SecretToolTimeout:
            raise no_answer(SECRET_SERVICE_BACKEND, limit) from None

    def _fast_get_possible(self) -> bool:
        # The fast reader speaks to the Secret Service directly with keyring's own attributes; only when
        # that is exactly the backend keyring itself would use (so a user's explicit choice is honoured).
        if self._backend is not None:
            return False
        return self._chosen_backend() == SECRET_SERVICE_BACKEND

    def set(self, key: str, value: str) -> None:
        self._call(lambda: self.backend.set_password(SERVICE, key, value))

    def delete(self, key: str) -> None:
        from keyring.errors import PasswordDeleteError

        def _delete() -> None:
            with contextlib.suppress(PasswordDeleteError):  # already gone: logout is idempotent
                self.backend.delete_password(SERVICE, key)

        self._call(_delete)
