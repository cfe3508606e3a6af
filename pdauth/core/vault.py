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

        path = settings.config_dir / "tokens.enc"
        return FileStore(
            path, passphrase=lambda: passphrase(settings.env, ask_passphrase, new=not path.exists())
        )
    from pdauth.store.keyring import KeyringStore

    return KeyringStore(settings.env, remembered_backend, backend=keyring_backend)


def passphrase(env: Mapping[str, str], ask: Callable[[str], str] | None, *, new: bool = False) -> str:
    """PDAUTH_PASSPHRASE, or asked: once to open an existing file, twice (to compare) to create one, since
    a mistyped new passphrase would lock its owner out of the file for good."""
    value = env.get(ENV_PASSPHRASE)
    if value:
        return value
    if ask is None:
        raise PassphraseRequired("The encrypted file store needs a passphrase")
    if not new:
        value = ask("Passphrase to open pdauth's encrypted token file")
        if not value:
            raise PassphraseRequired("An empty passphrase is not allowed")
        return value
    value = ask("New passphrase for pdauth's encrypted token file (it is created now)")
    if not value:
        raise PassphraseRequired("An empty passphrase is not allowed")
    if ask("The same passphrase again") != value:
        raise PassphraseRequired(
            "The two passphrases differ; nothing was created", hint="Run the command again and type it twice"
        )
    return value
