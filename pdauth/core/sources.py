"""Where a command's access token comes from, and refreshing it.

In order: (1) PIPEDRIVE_ACCESS_TOKEN, used as is; (2) PIPEDRIVE_REFRESH_TOKEN with the client id/secret
from the env, refreshed in memory and never stored (CI); (3) the profile's store, refreshed under a
per-profile lock when less than five minutes remain.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, TypeVar

from pdauth import envvars
from pdauth.core import settings as cfg
from pdauth.core.context import Context
from pdauth.core.tokens import TokenSet
from pdauth.core.vault import load_tokens, save_tokens
from pdauth.errors import AccessTokenRejected, AuthRequired, ConfigError, NotLoggedIn, RefreshTokenInvalid
from pdauth.hotpath import handoff
from pdauth.hotpath.paths import REFRESH_MARGIN_SECONDS

if TYPE_CHECKING:
    from pdauth.hotpath.lock import FileLock

log = logging.getLogger(__name__)
T = TypeVar("T")

SOURCE_ENV_ACCESS: Final = f"env {envvars.ENV_ACCESS_TOKEN}"
SOURCE_ENV_REFRESH: Final = f"env {envvars.ENV_REFRESH_TOKEN}"

INVALID_GRANT_MESSAGE: Final = (
    "Pipedrive rejected the refresh token (invalid_grant): it expired after 60 idle days "
    "or the app was uninstalled"
)


@dataclass(frozen=True)
class AccessToken:
    token: str
    api_domain: str | None
    expires_at: float | None
    profile: str
    source: str
    tokens: TokenSet | None = None  # the full set, when this came from a refresh or the store

    @property
    def refreshable(self) -> bool:
        return self.source != SOURCE_ENV_ACCESS

    def require_api_domain(self) -> str:
        """Where API calls with this token go; only an env token can come without one."""
        if not self.api_domain:
            raise ConfigError(
                f"{envvars.ENV_ACCESS_TOKEN} is set without {envvars.ENV_API_DOMAIN}",
                hint=f"Set {envvars.ENV_API_DOMAIN} (e.g. https://yourcompany.pipedrive.com)",
            )
        return self.api_domain


def env_source(ctx: Context) -> str | None:
    if ctx.env.get(envvars.ENV_ACCESS_TOKEN):
        return SOURCE_ENV_ACCESS
    if ctx.env.get(envvars.ENV_REFRESH_TOKEN):
        return SOURCE_ENV_REFRESH
    return None


def cached_token(ctx: Context) -> AccessToken | None:
    """A token usable without any network call, or None when getting one needs a refresh."""
    source = env_source(ctx)
    if source == SOURCE_ENV_ACCESS:
        expires = ctx.env.get(envvars.ENV_TOKEN_EXPIRES_AT)
        return AccessToken(
            token=ctx.env[envvars.ENV_ACCESS_TOKEN],
            api_domain=(ctx.env.get(envvars.ENV_API_DOMAIN) or "").rstrip("/") or None,
            expires_at=_parse_epoch(expires) if expires else None,
            profile=ctx.profile_name,
            source=SOURCE_ENV_ACCESS,
        )
    if source == SOURCE_ENV_REFRESH:
        return None  # CI: refreshed in memory on every call, by design never cached
    # The config file notes each stored set's expiry. When that says a refresh is due, reading the store
    # now would only be repeated under the refresh lock, and a crowd of processes waiting for one
    # refresh would each pay for that read. A stale note costs nothing: the refresh re-reads first.
    noted = ctx.saved_profile.expires_at
    if noted is not None and noted - ctx.now() < REFRESH_MARGIN_SECONDS:
        return None
    tokens = load_tokens(ctx.store, ctx.profile_name)
    if tokens is None:
        raise not_logged_in(ctx)
    if tokens.expires_within(ctx.now()):
        return None
    return _from_tokens(ctx, tokens, ctx.store.describe())


def current_token(ctx: Context) -> AccessToken:
    """A valid access token from the first source that has one, refreshing when needed."""
    cached = cached_token(ctx)
    if cached is not None:
        return cached
    if env_source(ctx) == SOURCE_ENV_REFRESH:
        return _from_tokens(ctx, refresh_env(ctx), SOURCE_ENV_REFRESH)
    return _from_tokens(ctx, refresh_stored(ctx, force=False), ctx.store.describe())


def refresh(ctx: Context, *, stale_token: str | None = None) -> AccessToken:
    """Always refresh (the `refresh` command, or a 401): from the env refresh token or the store.

    With `stale_token`, a stored set whose access token differs was refreshed by someone else meanwhile,
    and is used as it is.
    """
    source = env_source(ctx)
    if source == SOURCE_ENV_ACCESS:
        raise AuthRequired(
            f"{envvars.ENV_ACCESS_TOKEN} is used as it is and cannot be refreshed",
            hint=f"Unset it to use {envvars.ENV_REFRESH_TOKEN} or a stored login, or provide a new token",
        )
    if source == SOURCE_ENV_REFRESH:
        return _from_tokens(ctx, refresh_env(ctx), SOURCE_ENV_REFRESH)
    return _from_tokens(ctx, refresh_stored(ctx, force=True, stale_token=stale_token), ctx.store.describe())


def refresh_env(ctx: Context) -> TokenSet:
    from pdauth.core import oauth

    refresh_token = ctx.env[envvars.ENV_REFRESH_TOKEN]
    client = ctx.client_credentials()
    try:
        return oauth.refresh(ctx.session, ctx.settings.oauth_url, client, refresh_token, ctx.now())
    except oauth.OAuthError as exc:
        raise _refresh_failure(
            exc, hint=f"Create a new refresh token and update {envvars.ENV_REFRESH_TOKEN}"
        ) from None


def refresh_stored(ctx: Context, *, force: bool, stale_token: str | None = None) -> TokenSet:
    """Refresh the stored set under the profile lock, unless another process has just done it.

    The first process to find the lock free refreshes and hands the result to the processes waiting
    for it (pdauth.hotpath.handoff); any waiter that gets nothing that way waits for the lock, together with the
    others (a shared lock), and reads the store. A crowd costs one refresh.
    """

    def done_meanwhile(tokens: TokenSet) -> bool:
        if stale_token is not None:
            return tokens.access_token != stale_token  # someone refreshed since that token was rejected
        return not force and not tokens.expires_within(ctx.now())

    with ctx.profile_lock() as lock:
        if not lock.acquire(wait=False):  # someone is refreshing: take its result, or wait it out
            # A forced refresh (`pdauth refresh`) makes its own token rather than take the holder's.
            done = _result_of_holder(
                ctx, lock, done_meanwhile, take_handoff=not force or stale_token is not None
            )
            if done is not None:
                return done
            lock.acquire()  # it failed, or this is a forced refresh: take our turn
        with handoff.Offer(handoff.socket_path(lock.path)) as offer:  # opened first: waiters arrive now
            tokens, refreshed = _refresh_under_lock(ctx, done_meanwhile)
            delivered = offer.deliver(tokens.with_changes(refresh_token=None).to_json())
        log.debug("handed the token of profile %s to %d waiting processes", ctx.profile_name, delivered)
    if refreshed:
        try:
            ctx.update_profile(lambda p: remember_tokens(p, tokens))
        except (OSError, ConfigError) as exc:  # metadata only; the tokens themselves are safely stored
            log.debug("could not update the config file after a refresh: %s", exc)
    return tokens


def _result_of_holder(
    ctx: Context, lock: FileLock, done_meanwhile: Callable[[TokenSet], bool], *, take_handoff: bool
) -> TokenSet | None:
    """What the lock's holder leaves: handed over, or read from the store once it lets go."""
    if take_handoff:
        handed = handoff.await_handoff(handoff.socket_path(lock.path), lock)
        tokens = _parse_handed(handed) if handed else None
        if tokens is not None and done_meanwhile(tokens):
            return tokens
    lock.acquire(shared=True)
    tokens = load_tokens(ctx.store, ctx.profile_name)
    if tokens is not None and done_meanwhile(tokens):
        log.debug("another process refreshed profile %s meanwhile", ctx.profile_name)
        return tokens
    return None


def _refresh_under_lock(ctx: Context, done_meanwhile: Callable[[TokenSet], bool]) -> tuple[TokenSet, bool]:
    """The stored set, refreshed unless that was done meanwhile; and whether this call refreshed it."""
    tokens = load_tokens(ctx.store, ctx.profile_name)  # the lock's last holder may have just refreshed
    if tokens is None:
        raise not_logged_in(ctx)
    if done_meanwhile(tokens):
        log.debug("another process refreshed profile %s meanwhile", ctx.profile_name)
        return tokens, False
    if not tokens.refresh_token:
        raise RefreshTokenInvalid(f"Profile {ctx.profile_name!r} has no refresh token")
    from pdauth.core import oauth  # only the process that refreshes pays for requests

    client = ctx.client_credentials()
    try:
        fresh = oauth.refresh(ctx.session, ctx.settings.oauth_url, client, tokens.refresh_token, ctx.now())
    except oauth.OAuthError as exc:
        raise _refresh_failure(exc, hint=f"Run `pdauth login -p {ctx.profile_name}`") from None
    # The token set is one entry: this single write is the commit point of the refresh.
    save_tokens(ctx.store, ctx.profile_name, fresh)
    return fresh, True


def _parse_handed(text: str) -> TokenSet | None:
    try:
        return TokenSet.from_json(text)
    except (ValueError, KeyError, TypeError):
        return None


def remember_tokens(profile: cfg.Profile, tokens: TokenSet) -> None:
    profile.api_domain = tokens.api_domain
    profile.scopes = list(tokens.scopes)
    profile.expires_at = tokens.expires_at
    profile.refresh_used_at = tokens.refresh_used_at


def _refresh_failure(exc: Exception, hint: str) -> Exception:
    from pdauth.core.oauth import OAuthError

    if isinstance(exc, OAuthError) and exc.error == "invalid_grant":
        return RefreshTokenInvalid(INVALID_GRANT_MESSAGE, hint=hint)
    return exc


def not_logged_in(ctx: Context) -> NotLoggedIn:
    return NotLoggedIn(
        f"Profile {ctx.profile_name!r} is not logged in", hint=f"Run `pdauth login{profile_flag(ctx)}`"
    )


def _from_tokens(ctx: Context, tokens: TokenSet, source: str) -> AccessToken:
    return AccessToken(
        token=tokens.access_token,
        api_domain=tokens.api_domain,
        expires_at=tokens.expires_at,
        profile=ctx.profile_name,
        source=source,
        tokens=tokens,
    )


def _parse_epoch(text: str) -> float | None:
    from datetime import datetime

    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def with_fresh_token(
    ctx: Context, attempt: Callable[[AccessToken], T], access: AccessToken | None = None
) -> tuple[T, AccessToken]:
    """`attempt(access)` with a valid token, and the token it succeeded with.

    When the API rejects the token (`attempt` raises AccessTokenRejected, i.e. a 401), the token is
    refreshed once, the way `pdauth refresh` does it but taking a refresh someone else made meanwhile,
    and `attempt` runs once more. A token from PIPEDRIVE_ACCESS_TOKEN cannot be refreshed: its rejection
    says which variable to replace.
    """
    access = access or current_token(ctx)
    try:
        return attempt(access), access
    except AccessTokenRejected as exc:
        if not access.refreshable:
            raise AccessTokenRejected(
                f"{exc.where} rejected {envvars.ENV_ACCESS_TOKEN} (401): it expired or was revoked",
                hint=f"Set a fresh token (e.g. from `pdauth refresh --export`), or unset "
                f"{envvars.ENV_ACCESS_TOKEN} to use a stored login",
                where=exc.where,
            ) from None
        log.debug("access token rejected (401); refreshing once")
    fresh = refresh(ctx, stale_token=access.token)
    try:
        return attempt(fresh), fresh
    except AccessTokenRejected as exc:
        raise AccessTokenRejected(
            f"{exc.where} rejected the access token even right after a refresh (401)",
            hint=f"Run `pdauth login{profile_flag(ctx)}`",
            where=exc.where,
        ) from None


def profile_flag(ctx: Context) -> str:
    """` -p NAME` for a hint, or nothing for the default profile."""
    return "" if ctx.profile_name == cfg.DEFAULT_PROFILE else f" -p {ctx.profile_name}"
