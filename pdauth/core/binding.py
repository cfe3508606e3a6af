"""Whose tokens these are: a config dir's keyring namespace, the issuer and client a stored set is bound
to, and carrying a login from before namespaces over once. docs/security.md ("Whose tokens these are")
states the rules; Context calls these.

- Every config dir has a random namespace (config.json's top-level "namespace"), part of its entries'
  names, made at the first write that needs one: a login in another dir (a test, `make demo`, a copy)
  never reads or overwrites this dir's entries, and a deleted dir's entries are never served.
- Every stored set records the issuer (`oauth_url`) and client id it came from. A set whose issuer or
  client differs from what the profile names is neither used nor refreshed (exit 4); its refresh token
  and the client secret go only to that issuer, whatever PDAUTH_OAUTH_URL says (exit 2).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Protocol

from pdauth import envvars
from pdauth.core import settings as cfg
from pdauth.core.vault import Entries, legacy_entries
from pdauth.errors import IssuerOverridden, TokensBoundElsewhere

if TYPE_CHECKING:
    from pathlib import Path

    from pdauth.core.tokens import TokenSet
    from pdauth.store import SecretStore

log = logging.getLogger(__name__)


class Context(Protocol):
    """What this module needs of pdauth.core.context.Context (which calls it: no import back)."""

    draft_namespace: str | None

    @property
    def config(self) -> cfg.ConfigFile: ...
    @property
    def config_dir(self) -> Path: ...
    @property
    def settings(self) -> cfg.Settings: ...
    @property
    def profile_name(self) -> str: ...
    @property
    def store(self) -> SecretStore: ...


def entries(ctx: Context, profile: str, *, create: bool) -> Entries:
    """The names of `profile`'s entries in this config dir, its namespace made and saved when `create`
    (a write) or when the config file is from before namespaces (its profiles are carried over)."""
    namespace = ctx.config.namespace
    if namespace is None:
        if not create and profile not in ctx.config.profiles:
            # A read in a fresh config dir: nothing of it can be stored, but the store is still asked
            # (under a namespace nobody has used), so a broken or locked keyring says so, as it always
            # did, instead of a misleading "not logged in". The first write saves this namespace.
            if ctx.draft_namespace is None:
                ctx.draft_namespace = _new_namespace()
            return Entries(profile, ctx.draft_namespace)
        namespace = _create_namespace(ctx)
    names = Entries(profile, namespace)
    if profile == ctx.profile_name and profile in ctx.config.carry_over:
        _carry_over(ctx, ctx.store, names)
    return names


def _create_namespace(ctx: Context) -> str:
    with cfg.editing(ctx.config_dir) as config:  # under the config lock: two processes make one namespace
        if config.namespace is None:
            config.namespace = ctx.draft_namespace or _new_namespace()
            # Every profile already here was written by a version before namespaces: its entries are
            # still under the bare profile name, and may be carried over (once each, below).
            config.carry_over = sorted(config.profiles)
    ctx.config.namespace, ctx.config.carry_over = config.namespace, list(config.carry_over)
    assert config.namespace is not None
    return config.namespace


def _new_namespace() -> str:
    import secrets  # here only: it imports `random`, which the commands that only read never need

    return secrets.token_hex(16)


def _carry_over(ctx: Context, store: SecretStore, names: Entries) -> None:
    """Move a login from before namespaces into this dir's namespace, once, if it is this dir's.

    The un-namespaced entry is shared by every config dir that used the profile's name; it is taken as
    this dir's only when it holds the very set this dir's config file noted last (expiry and api_domain),
    so an entry another dir (a test, a demo) wrote since stays where it is. The adopted set records the
    issuer and client id the profile remembers; the old entries are deleted after the new ones exist.
    """
    from pdauth.core.tokens import TokenSet

    token_name, secret_name = legacy_entries(names.profile)
    with cfg.editing(ctx.config_dir) as config:
        if names.profile in config.carry_over:
            saved = config.profile(names.profile)
            raw = store.get(token_name)
            try:
                legacy = TokenSet.from_json(raw) if raw is not None else None
            except (ValueError, KeyError, TypeError):
                legacy = None
            if (
                legacy is not None
                and legacy.issuer is None
                and saved.client_id
                and legacy.expires_at == saved.expires_at
                and legacy.api_domain == saved.api_domain
            ):
                issuer = saved.oauth_url or cfg.DEFAULT_OAUTH_URL
                store.set(names.tokens, legacy.bound_to(issuer, saved.client_id).to_json())
                secret = store.get(secret_name)
                if secret is not None:
                    store.set(names.client_secret, secret)
                store.delete(secret_name)
                store.delete(token_name)
                log.debug("carried profile %s's entries over into this config dir's namespace", names.profile)
            config.carry_over.remove(names.profile)
    ctx.config.carry_over = list(config.carry_over)


def check(ctx: Context, profile: str, tokens: TokenSet) -> None:
    """Refuse a stored set that came from another issuer or client than the profile names (exit 4)."""
    saved = ctx.config.profile(profile)
    issuer = (saved.oauth_url or cfg.DEFAULT_OAUTH_URL).rstrip("/")
    if tokens.issuer == issuer and tokens.client_id == saved.client_id:
        return
    flag = "" if profile == cfg.DEFAULT_PROFILE else f" -p {profile}"
    came = f"{tokens.issuer or 'an unrecorded issuer'} (client {tokens.client_id or 'unrecorded'})"
    raise TokensBoundElsewhere(
        f"The stored tokens of profile {profile!r} came from {came}, but the profile names {issuer} "
        f"(client {saved.client_id or 'none'}): pdauth will not use or refresh them",
        hint=f"Run `pdauth login{flag}` to log in there, or `pdauth logout{flag}` to forget them",
    )


def issuer_for(ctx: Context, tokens: TokenSet) -> str:
    """Where a stored set's refresh token may go (refresh, revoke): only the issuer it came from. When an
    option or the environment names another server or app, refuse rather than send it there (exit 2)."""
    settings = ctx.settings
    issuer = tokens.issuer
    assert issuer is not None  # check() let only bound sets through
    if settings.oauth_url != issuer:
        origin = settings.origins.get("oauth_url") or envvars.ENV_OAUTH_URL
        raise IssuerOverridden(
            f"{origin} names {settings.oauth_url}, but the tokens of profile {ctx.profile_name!r} came "
            f"from {issuer}: their refresh token and client secret go only there",
            hint=f"Unset {origin} (it chooses the server for a new login only)",
        )
    if settings.client_id != tokens.client_id:
        origin = settings.origins.get("client_id") or envvars.ENV_CLIENT_ID
        raise IssuerOverridden(
            f"{origin} names client {settings.client_id}, but the tokens of profile {ctx.profile_name!r} "
            f"were issued to client {tokens.client_id}",
            hint=f"Unset {origin} (it chooses the app for a new login only)",
        )
    return issuer
