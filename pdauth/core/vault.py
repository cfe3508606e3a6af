"""A profile's entries in its secret store: the token set (one JSON document, so an update is one write)
and the app's client secret; and opening the store a profile's settings name.

Entries are named `<profile>@<namespace>` and `<profile>:client_secret@<namespace>`, the namespace being
the config dir's own (pdauth.hotpath.paths.entry_name): one OS keyring serves every config dir of the
user, and a test's, a demo's or a copied dir's login must never read or overwrite another's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from pdauth.core.tokens import TokenSet
from pdauth.envvars import ENV_PASSPHRASE
from pdauth.errors import PassphraseRequired, UnreadableEntry
from pdauth.hotpath.paths import DEFAULT_PROFILE, entry_name

if TYPE_CHECKING:
    from pdauth.core.settings import Settings
    from pdauth.store import SecretStore


class Entries:
    """The names of one profile's entries in one config dir's namespace."""

    __slots__ = ("client_secret", "profile", "tokens")

    def __init__(self, profile: str, namespace: str) -> None:
        self.profile = profile
        self.tokens = entry_name(profile, namespace)
        self.client_secret = entry_name(profile, namespace, client_secret=True)


def legacy_entries(profile: str) -> tuple[str, str]:
    """The names a version before namespaces used (token set, client secret): carried over once."""
    return profile, f"{profile}:client_secret"


def load_tokens(store: SecretStore, entries: Entries) -> TokenSet | None:
    raw = store.get(entries.tokens)
    if raw is None:
        return None
    profile = entries.profile
    try:
        return TokenSet.from_json(raw)
    except (ValueError, KeyError, TypeError):
        flag = "" if profile == DEFAULT_PROFILE else f" -p {profile}"
        raise UnreadableEntry(
            f"The stored token set of profile {profile!r} is unreadable",
            hint=f"Run `pdauth logout{flag}` and `pdauth login{flag}`",
        ) from None


def save_tokens(store: SecretStore, entries: Entries, tokens: TokenSet) -> None:
    store.set(entries.tokens, tokens.to_json())


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
