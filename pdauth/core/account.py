"""What `whoami`, `status`, `logout` and `switch` do with a profile. Never prints."""

from __future__ import annotations

from dataclasses import dataclass, replace

from pdauth import envvars
from pdauth.core import settings as cfg
from pdauth.core.context import Context
from pdauth.core.identity import Identity, fetch_identity
from pdauth.core.sources import SOURCE_ENV_ACCESS, AccessToken, env_source, with_fresh_token
from pdauth.core.tokens import REFRESH_TOKEN_IDLE_SECONDS, TokenSet
from pdauth.errors import ConfigError, PdauthError, TokensBoundElsewhere, UnreadableEntry


def whoami(ctx: Context) -> tuple[Identity, AccessToken]:
    """Who the profile's token acts as (one refresh-and-retry if the API rejects it)."""
    return with_fresh_token(
        ctx, lambda access: fetch_identity(ctx.session, access.require_api_domain(), access.token)
    )


@dataclass(frozen=True)
class ProfileStatus:
    profile: str
    is_default: bool
    selected: bool
    identity: Identity | None
    api_domain: str | None
    scopes: tuple[str, ...]
    expires_at: float | None
    refresh_deadline: float | None
    source: str
    usable: bool
    problem: str | None = None


def status(ctx: Context, *, only_selected: bool) -> list[ProfileStatus]:
    selected = ctx.profile_name
    names = [selected] if only_selected else sorted(set(ctx.config.profiles) | {selected})
    return [_profile_status(ctx, name, name == selected) for name in names]


def _profile_status(ctx: Context, name: str, selected: bool) -> ProfileStatus:
    saved = ctx.config.profile(name)
    status = ProfileStatus(
        profile=name,
        is_default=(ctx.config.default_profile or cfg.DEFAULT_PROFILE) == name,
        selected=selected,
        identity=saved.identity,
        api_domain=saved.api_domain,
        scopes=tuple(saved.scopes),
        expires_at=saved.expires_at,
        refresh_deadline=saved.refresh_used_at + REFRESH_TOKEN_IDLE_SECONDS
        if saved.refresh_used_at
        else None,
        source=f"{saved.store or 'keyring'} (not checked)",
        # Other profiles are judged from the config file alone: checking them could prompt or hang.
        usable=not selected and saved.identity is not None and saved.refresh_rejected_at is None,
    )
    if not selected:
        rejected = (
            "Pipedrive rejected its refresh token (invalid_grant)" if saved.refresh_rejected_at else None
        )
        return replace(status, problem=rejected)
    if source := env_source(ctx):
        api_domain = ctx.env.get(envvars.ENV_API_DOMAIN) or None
        variable = envvars.ENV_ACCESS_TOKEN if source == SOURCE_ENV_ACCESS else envvars.ENV_REFRESH_TOKEN
        return replace(
            status,
            identity=None,
            api_domain=api_domain,
            scopes=(),
            expires_at=None,
            refresh_deadline=None,
            source=source,
            usable=True,
            # Not "not logged in": no login is needed. Who it is stays unchecked (no network in status).
            problem=f"not checked: the token comes from {variable} (`pdauth whoami` asks Pipedrive)",
        )
    if name not in ctx.config.profiles:
        return replace(status, problem="not logged in")
    try:
        tokens = ctx.stored_tokens(name)
    except Exception as exc:  # status reports a broken store; it does not crash on it
        return replace(status, problem=getattr(exc, "message", str(exc)))
    if tokens is None:
        return replace(status, source=ctx.store.describe(), problem="not logged in")
    stored = replace(
        status,
        api_domain=tokens.api_domain,
        scopes=tokens.scopes,
        expires_at=tokens.expires_at,
        refresh_deadline=tokens.refresh_deadline,
        source=ctx.store.describe(),
        usable=_usable(tokens, ctx.now()),
    )
    if saved.refresh_rejected_at is None:
        return stored
    from pdauth.hotpath.times import iso_utc

    return replace(
        stored,
        usable=False,
        problem=f"Pipedrive rejected the refresh token at {iso_utc(saved.refresh_rejected_at)} "
        f"(invalid_grant): run `pdauth login{ctx.profile_flag}`",
    )


def _usable(tokens: TokenSet, now: float) -> bool:
    deadline = tokens.refresh_deadline
    return not tokens.expires_within(now, 0) or (deadline is not None and deadline > now)


@dataclass(frozen=True)
class LogoutResult:
    profile: str
    was_logged_in: bool
    revoked: bool


def logout(ctx: Context, *, revoke: bool) -> LogoutResult:
    name = ctx.profile_name
    try:
        tokens = ctx.stored_tokens(name)
        unreadable = False
    except TokensBoundElsewhere:
        if revoke:  # its refresh token is sent nowhere; forgetting it locally is still possible
            raise
        tokens, unreadable = None, True
    except UnreadableEntry:  # logout is the way out of a corrupt entry: it must not fail on one
        tokens, unreadable = None, True
        if revoke:
            ctx.deps.reporter.warn(
                f"The stored token set of profile {name!r} is unreadable: there is no refresh token to "
                "revoke (uninstall the app in Pipedrive's settings if you meant to)."
            )
    revoked = False
    if revoke and tokens is not None and tokens.refresh_token:
        from pdauth.core import oauth
        from pdauth.core.binding import issuer_for

        # Revoke first: if Pipedrive cannot be reached, nothing local is forgotten yet. Only at the issuer
        # the set came from, whatever the environment names.
        issuer = issuer_for(ctx, tokens)
        oauth.revoke(ctx.session, issuer, ctx.client_credentials(), tokens.refresh_token, "refresh_token")
        revoked = True
    _forget_secrets(ctx)
    was_known = name in ctx.config.profiles
    if was_known:
        with cfg.editing(ctx.config_dir) as config:
            config.profiles.pop(name, None)
            if config.default_profile == name:
                config.default_profile = None
    return LogoutResult(name, tokens is not None or unreadable or was_known, revoked)


def _forget_secrets(ctx: Context) -> None:
    """Delete the profile's entries from its store and from the other kind too: a profile that moved
    between the keyring and the encrypted file (`login --store`) may have left a copy in the one it left."""
    names = ctx.entries()
    for entry in (names.tokens, names.client_secret):
        ctx.store.delete(entry)
    other = "file" if ctx.store.kind == "keyring" else "keyring"
    if other == "file" and not (ctx.config_dir / "tokens.enc").exists():
        return
    from pdauth.core.vault import open_store

    saved = ctx.saved_profile
    try:
        store = open_store(
            replace(ctx.settings, store_kind=other),
            remembered_backend=saved.keyring_backend,
            ask_passphrase=ctx.deps.ask_secret,
            keyring_backend=ctx.deps.keyring_backend,
        )
        for entry in (names.tokens, names.client_secret):
            store.delete(entry)
    except PdauthError as exc:
        if other == "keyring":
            # No usable keyring in this session (none on this machine, say): nothing can be checked, and a
            # warning here would follow every logout of every file-store user.
            return
        ctx.deps.reporter.warn(
            f"Could not open {ctx.config_dir / 'tokens.enc'} ({exc.message.rstrip('.')}): it may still hold a "
            f"copy of profile {ctx.profile_name}'s secrets. Run `PDAUTH_STORE=file pdauth logout"
            f"{ctx.profile_flag}` with its passphrase to remove it."
        )


def switch(ctx: Context, name: str) -> str:
    if name not in ctx.config.profiles:
        known = ", ".join(sorted(ctx.config.profiles)) or "none yet"
        raise ConfigError(
            f"No profile named {name!r} (known: {known})", hint=f"Run `pdauth login -p {name}` first"
        )
    with cfg.editing(ctx.config_dir) as config:
        config.default_profile = name
    return name
