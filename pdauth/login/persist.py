"""Saving a login: all of it or nothing, and not over another account without asking.

A login writes two store entries (the token set, the client secret) and the profile in config.json. A
failure part-way (config.json unwritable, the keyring locking between two writes) must not leave new
tokens under a profile whose config still names the old account, nor lose the entries of the login it
was about to replace: the entries as they were are read first and put back, byte for byte, if any later
write fails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pdauth.core import settings as cfg
from pdauth.core.context import Context
from pdauth.core.identity import Identity
from pdauth.core.refresh import remember_tokens
from pdauth.core.tokens import TokenSet
from pdauth.core.vault import save_tokens
from pdauth.errors import ConfigError, LoginError, PdauthError, terminal_safe

if TYPE_CHECKING:
    from pdauth.core.oauth import ClientCredentials

log = logging.getLogger(__name__)


class ReplacementDeclined(LoginError):
    """The person at the terminal chose to keep the profile's current account."""


def replaced_account(ctx: Context, identity: Identity) -> Identity | None:
    """The account this login would replace in the profile: None for a first login or the same account."""
    previous = ctx.saved_profile.identity
    return previous if previous is not None and not previous.same_account(identity) else None


def confirm_replacement(ctx: Context, identity: Identity) -> Identity | None:
    """Ask before a profile switches accounts, where someone can answer; a script proceeds (the CLI says
    on stderr which account was replaced). Returns the replaced account."""
    replaced = replaced_account(ctx, identity)
    ask = ctx.deps.ask_yes_no  # Enter keeps the account the profile has: a login may not be the one you think
    if replaced is None or ask is None:
        return replaced
    name = ctx.profile_name
    question = f"Profile {name} is logged in to {replaced.describe()}. Replace it with {identity.describe()}?"
    if not ask(terminal_safe(question)):  # a prompt is printed as it is: no server-sent escapes in it
        raise ReplacementDeclined(
            f"Kept profile {name} logged in to {replaced.describe()}; the new login was not stored",
            hint="To use both accounts, log in the other one as its own profile: `pdauth login -p NAME`",
        )
    return replaced


@dataclass(frozen=True)
class _Entry:
    key: str
    before: str | None


def save_login(ctx: Context, client: ClientCredentials, tokens: TokenSet, identity: Identity) -> None:
    """Store the tokens and the client secret, then record the profile in config.json; if anything fails,
    the store entries are put back as they were and the error is raised."""
    store = ctx.store
    name = ctx.profile_name
    # The entries' names in this config dir's namespace (a first login saves the namespace: a config
    # write, done before any secret is). Then read before writing: a store we cannot read fails here,
    # before it holds anything new.
    names = ctx.entries(create=True)
    entries = [_Entry(key, store.get(key)) for key in (names.tokens, names.client_secret)]
    # The encrypted file, when this login creates it, holds nothing but this login (and the passphrase
    # just chosen for it): a failed save removes it, or the next login would ask to open it.
    created: Path | None = getattr(store, "path", None) if store.kind == "file" else None
    if created is not None and created.exists():
        created = None
    backend = getattr(store, "backend_name", None)

    def edit(profile: cfg.Profile) -> None:
        profile.client_id = client.client_id
        profile.redirect_uri = ctx.settings.redirect_uri
        profile.oauth_url = ctx.settings.oauth_url
        profile.store = store.kind
        profile.keyring_backend = backend if store.kind == "keyring" else None
        profile.identity = identity
        remember_tokens(profile, tokens)

    written: list[_Entry] = []
    try:
        save_tokens(store, names, tokens)  # bound to its issuer and client by pdauth.core.oauth
        written.append(entries[0])
        store.set(entries[1].key, client.client_secret)
        written.append(entries[1])
        try:
            ctx.update_profile(edit)
        except (OSError, ConfigError) as exc:
            if isinstance(exc, ConfigError):
                why = exc.message
            else:
                why = f"{exc.filename or ctx.config_dir / cfg.CONFIG_FILE}: {exc.strerror or exc}"
            raise ConfigError(
                f"Could not save profile {name} ({why}); nothing of this login was kept",
                hint=f"Make {ctx.config_dir} a directory you own and can write, then run "
                f"`pdauth login{ctx.profile_flag}` again",
            ) from None
    except BaseException:
        _restore(ctx, written)  # a write that raised wrote nothing: a locked keyring stays untouched
        if created is not None:
            created.unlink(missing_ok=True)
        raise


def _restore(ctx: Context, entries: list[_Entry]) -> None:
    store = ctx.store
    failed = []
    for entry in entries:
        try:
            if entry.before is None:
                if store.get(entry.key) is not None:
                    store.delete(entry.key)
            elif store.get(entry.key) != entry.before:
                store.set(entry.key, entry.before)
        except (PdauthError, OSError) as exc:
            log.debug("could not restore %s: %s", entry.key, type(exc).__name__)
            failed.append(entry.key)
    if failed:
        ctx.deps.reporter.warn(
            f"The store entries {', '.join(failed)} could not be put back as they were before this login; "
            f"run `pdauth status{ctx.profile_flag}` and log in again if it looks wrong."
        )
