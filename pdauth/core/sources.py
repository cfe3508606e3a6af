"""Where a command's access token comes from.

In order: (1) PIPEDRIVE_ACCESS_TOKEN, used as is; (2) PIPEDRIVE_REFRESH_TOKEN with the client id/secret
from the env, refreshed in memory and never stored (CI); (3) the profile's store, refreshed through the
refresh protocol (pdauth.core.refresh) when less than five minutes remain.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from pdauth import envvars
from pdauth.core import refresh as protocol
from pdauth.core.context import Context
from pdauth.core.tokens import TokenSet
from pdauth.errors import AccessTokenRejected, AuthRequired, ConfigError, ProxyFailed, TokenRequestFailed
from pdauth.hotpath.limits import REFRESH_MARGIN_SECONDS

log = logging.getLogger(__name__)
T = TypeVar("T")

SOURCE_ENV_ACCESS: Final = f"env {envvars.ENV_ACCESS_TOKEN}"
SOURCE_ENV_REFRESH: Final = f"env {envvars.ENV_REFRESH_TOKEN}"


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


def token_without_refresh(ctx: Context) -> AccessToken | None:
    """A token usable without any network call, or None when getting one needs a refresh."""
    source = env_source(ctx)
    if source == SOURCE_ENV_ACCESS:
        expires_at = env_expiry(ctx)
        if expires_at is not None and expires_at <= ctx.now():
            ctx.deps.reporter.warn(
                f"{envvars.ENV_ACCESS_TOKEN} expired at {_iso(expires_at)} (says "
                f"{envvars.ENV_TOKEN_EXPIRES_AT}): Pipedrive will reject it. Set a fresh one "
                "(e.g. from `pdauth refresh --export`)."
            )
        return AccessToken(
            token=ctx.env[envvars.ENV_ACCESS_TOKEN],
            api_domain=env_api_domain(ctx),
            expires_at=expires_at,
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
    tokens = ctx.stored_tokens()
    if tokens is None:
        raise ctx.not_logged_in()
    if tokens.expires_within(ctx.now()):
        return None
    return _from_tokens(ctx, tokens, ctx.store.describe())


def current_token(ctx: Context) -> AccessToken:
    """A valid access token from the first source that has one, refreshing when needed."""
    ready = token_without_refresh(ctx)
    if ready is not None:
        log.debug("profile %s: the access token from %s is valid; no refresh", ctx.profile_name, ready.source)
        return ready
    if env_source(ctx) == SOURCE_ENV_REFRESH:
        log.debug("profile %s: refreshing from %s", ctx.profile_name, envvars.ENV_REFRESH_TOKEN)
        return _from_tokens(ctx, refresh_env(ctx), SOURCE_ENV_REFRESH)
    log.debug("profile %s: the access token expires within the margin; refreshing", ctx.profile_name)
    try:
        tokens = protocol.refresh_stored(ctx, protocol.DUE)
    except (TokenRequestFailed, ProxyFailed) as exc:
        tokens = _still_valid_despite(ctx, exc)
    return _from_tokens(ctx, tokens, ctx.store.describe())


def _still_valid_despite(ctx: Context, exc: TokenRequestFailed | ProxyFailed) -> TokenSet:
    """A refresh that was only due (the token has minutes left) failed because the OAuth host could not
    be reached or failed: the stored token still works until it expires, so it is served, with one
    warning. A verdict of the server (invalid_grant, invalid_client) is not an outage: it is raised."""
    from pdauth.core.oauth import OAuthError

    if isinstance(exc, OAuthError):
        raise exc
    tokens = ctx.stored_tokens()
    now = ctx.now()
    if tokens is None or tokens.expires_at <= now:
        raise exc
    minutes = max(1, int((tokens.expires_at - now) // 60))
    ctx.deps.reporter.warn(
        f"Could not refresh the access token of profile {ctx.profile_name} ({exc.message.rstrip('.')}); "
        f"using the current one, valid for {minutes} more minute{'s' if minutes != 1 else ''}."
    )
    return tokens


def refresh(ctx: Context, *, stale_token: str | None = None) -> AccessToken:
    """Refresh now (the `refresh` command, or a 401): from the env refresh token or the store.

    With `stale_token` (the token the API rejected), a stored set with another access token was refreshed
    by someone else meanwhile, and is used as it is.
    """
    source = env_source(ctx)
    if source == SOURCE_ENV_ACCESS:
        raise AuthRequired(
            f"{envvars.ENV_ACCESS_TOKEN} is used as it is and cannot be refreshed",
            hint=f"Unset it to use {envvars.ENV_REFRESH_TOKEN} or a stored login, or provide a new token",
        )
    if source == SOURCE_ENV_REFRESH:
        return _from_tokens(ctx, refresh_env(ctx), SOURCE_ENV_REFRESH)
    need = protocol.FORCED if stale_token is None else protocol.stale(stale_token)
    return _from_tokens(ctx, protocol.refresh_stored(ctx, need), ctx.store.describe())


def refresh_env(ctx: Context) -> TokenSet:
    from pdauth.core import oauth

    refresh_token = ctx.env[envvars.ENV_REFRESH_TOKEN]
    client = ctx.client_credentials()
    try:
        tokens = oauth.refresh(
            ctx.session, ctx.settings.oauth_url, client, refresh_token, ctx.now(), redactor=ctx.deps.redactor
        )
    except oauth.OAuthError as exc:
        if exc.error == "invalid_client":
            raise oauth.client_rejected(
                client.client_id, protocol.secret_origin(ctx), ctx.settings.oauth_url, ctx.profile_flag
            ) from None
        raise protocol.refresh_failure(
            exc, hint=f"Create a new refresh token and update {envvars.ENV_REFRESH_TOKEN}"
        ) from None
    if tokens.refresh_token and tokens.refresh_token != refresh_token:
        # Nothing stores this set: unless the CI's secret is updated, the next run uses the old token.
        ctx.deps.reporter.warn(
            f"Pipedrive issued a new refresh token: update the {envvars.ENV_REFRESH_TOKEN} secret of this CI "
            "(`pdauth refresh --export` prints it)."
        )
    return tokens


def with_fresh_token(
    ctx: Context,
    attempt: Callable[[AccessToken], T],
    access: AccessToken | None = None,
    *,
    renew: Callable[[AccessToken], AccessToken] | None = None,
) -> tuple[T, AccessToken]:
    """`attempt(access)` with a valid token, and the token it succeeded with.

    When the API rejects the token (`attempt` raises AccessTokenRejected, i.e. a 401), the token is
    refreshed once, the way `pdauth refresh` does it but taking a refresh someone else made meanwhile,
    and `attempt` runs once more. A token from PIPEDRIVE_ACCESS_TOKEN cannot be refreshed: its rejection
    says which variable to replace.

    `renew(rejected)` replaces that refresh for a caller that shares one token between threads (the
    library's Session): it may hand back a token another thread refreshed meanwhile instead of refreshing.
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
    fresh = renew(access) if renew is not None else refresh(ctx, stale_token=access.token)
    try:
        return attempt(fresh), fresh
    except AccessTokenRejected as exc:
        raise AccessTokenRejected(
            f"{exc.where} rejected the access token even right after a refresh (401)",
            hint=f"Run `pdauth login{ctx.profile_flag}`",
            where=exc.where,
        ) from None


def env_api_domain(ctx: Context) -> str | None:
    """PIPEDRIVE_API_DOMAIN, checked: a malformed one is a usage error naming the variable."""
    from pdauth.core.settings import check_url

    value = (ctx.env.get(envvars.ENV_API_DOMAIN) or "").strip().rstrip("/")
    if not value:
        return None
    check_url(value, envvars.ENV_API_DOMAIN, "https://yourcompany.pipedrive.com")
    return value


def env_expiry(ctx: Context) -> float | None:
    """PIPEDRIVE_TOKEN_EXPIRES_AT (epoch seconds or ISO 8601), checked: garbage is a usage error."""
    text = (ctx.env.get(envvars.ENV_TOKEN_EXPIRES_AT) or "").strip()
    if not text:
        return None
    parsed = _parse_epoch(text)
    if parsed is None or parsed != parsed or parsed in (float("inf"), float("-inf")):
        raise ConfigError(
            f"{envvars.ENV_TOKEN_EXPIRES_AT}={text!r} is not a time",
            hint="Use epoch seconds or ISO 8601 (as `pdauth refresh --export` prints it), or unset it",
        )
    return parsed


def _iso(epoch: float) -> str:
    from pdauth.hotpath.times import iso_utc

    return iso_utc(epoch)


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
