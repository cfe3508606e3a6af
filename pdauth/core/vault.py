"""A profile's entries in its secret store: the token set (one JSON document, so an update is one write)
and the app's client secret; and opening the store a profile's settings name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pdauth.core.tokens import TokenSet
from pdauth.envvars import ENV_PASSPHRASE
from pdauth.errors import PassphraseRequired, UnreadableEntry
from pdauth.hotpath.paths import DEFAULT_PROFILE

if TYPE_CHECKING:
    from pdauth.core.settings import Settings
    from pdauth.store import SecretStore


def token_key(profile: str) -> str:
    return profile


def client_secret_key(profile: str) -> str:
    return f"{profile}:client_secret"


def load_tokens(store: SecretStore, profile: str) -> TokenSet | None:
    raw = store.get(token_key(profile))
    if raw is None:
        return None
    try:
        return TokenSet.from_json(raw)
    except (ValueError, KeyError, TypeError):
        flag = "" if profile == DEFAULT_PROFILE else f" -p {profile}"
        raise UnreadableEntry(
            f"The stored token set of profile {profile!r} is unreadable",
            hint=f"Run `pdauth logout{flag}` and `pdauth login{flag}`",
        ) from None


def save_tokens(store: SecretStore, profile: str, tokens: TokenSet) -> None:
    store.set(token_key(profile), tokens.to_json())


def open_store(
    settings: Settings,
    *,
    remembered_backend: str | None = None,
    ask_passphrase: Callable[[str], str] | None = None,
    keyring_backend: Any = None,
) -> SecretStore:
    if settings.store_kind == "file":
        from pdauth.store.file import FileStore

        return FileStore(
            settings.config_dir / "tokens.enc", passphrase=lambda: passphrase(settings.env, ask_passphrase)
        )
    from pdauth.store.keyring import KeyringStore

    return KeyringStore(settings.env, remembered_backend, backend=keyring_backend)


def passphrase(env: Mapping[str, str], ask: Callable[[str], str] | None) -> str:
    value = env.get(ENV_PASSPHRASE)
    if value:
        return value
    if ask is None:
        raise PassphraseRequired("The encrypted file store needs a passphrase")
    value = ask("Passphrase for pdauth's encrypted token file")
    if not value:
        raise PassphraseRequired("An empty passphrase is not allowed")
    return value
