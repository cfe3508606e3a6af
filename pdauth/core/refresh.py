"""The refresh protocol: at most one process refreshes a profile at a time, and every process that needed
a refresh meanwhile takes that one's result. docs/architecture.md ("The refresh protocol") describes it
step by step; this module follows that description in the same order.

Every refresh of a stored set comes here with what it needs (`Need`):
- due:    the access token is (nearly) expired; any set that is valid for a while will do;
- forced: `pdauth refresh`: a new token, whatever is stored;
- stale:  the API rejected this access token (401); any set with another access token will do.

The profile's lock (an flock file, pdauth.hotpath.lock) decides each process's role:
- lead: took the lock exclusively at once. It re-reads the store (the last holder may have just refreshed),
  refreshes only if that set does not meet its need, writes the new set (one store write: the commit point),
  and hands the result to the processes waiting (pdauth.hotpath.handoff) before it lets go of the lock;
- join: found the lock held. It takes what the leader hands over if that meets its need; otherwise it waits
  for the lock in shared mode (all joiners wake together when the leader lets go) and re-reads the store; if
  that still does not meet its need (the leader failed, or this is a forced refresh), it lets go and leads in
  turn. Letting go first is deliberate: flock converts shared to exclusive by dropping the lock anyway, so
  the step is written out, and the lead re-reads the store under the exclusive lock whatever happened between.

`pdauth token` may have taken the lock before the core was loaded (pdauth.hotpath.crowd): it then arrives
here already leading (`Deps.lead_lock`), and joiners that were satisfied by the handoff never got here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from pdauth.errors import ConfigError, RefreshTokenInvalid
from pdauth.hotpath import handoff
from pdauth.hotpath import paths as locate
from pdauth.hotpath.files import ensure_private_dir

if TYPE_CHECKING:
    from pdauth.core import settings as cfg
    from pdauth.core.context import Context
    from pdauth.core.tokens import TokenSet
    from pdauth.hotpath.lock import FileLock

log = logging.getLogger(__name__)

INVALID_GRANT_MESSAGE: Final = (
    "Pipedrive rejected the refresh token (invalid_grant): it expired after 60 idle days "
    "or the app was uninstalled"
)


@dataclass(frozen=True)
class Need:
    """What a set made by another process must be for this one to take it instead of refreshing."""

    kind: str  # "due", "forced" or "stale"
    rejected_token: str | None = None  # stale: the access token the API rejected

    def met_by(self, tokens: TokenSet, now: float) -> bool:
        if self.kind == "forced":
            return False
        if self.kind == "stale":
            return tokens.access_token != self.rejected_token
        return not tokens.expires_within(now)

    @property
    def takes_handoff(self) -> bool:
        return self.kind != "forced"  # a forced refresh makes its own token


DUE: Final = Need("due")
FORCED: Final = Need("forced")


def stale(rejected_token: str) -> Need:
    return Need("stale", rejected_token)


def refresh_stored(ctx: Context, need: Need) -> TokenSet:
    """The profile's stored set, refreshed unless another process's refresh meets `need`."""
    with profile_lock(ctx) as lock:
        if lock.acquire(wait=False):
            tokens, refreshed = _lead(ctx, lock, need)
        else:
            joined = _join(ctx, lock, need)
            if joined is not None:
                return joined
            lock.release()  # shared -> nothing -> exclusive: see the module docstring
            lock.acquire()
            tokens, refreshed = _lead(ctx, lock, need)
    if refreshed:
        try:
            ctx.update_profile(lambda profile: remember_tokens(profile, tokens))
        except (OSError, ConfigError) as exc:  # metadata only; the tokens themselves are safely stored
            log.debug("could not update the config file after a refresh: %s", exc)
    return tokens


def _lead(ctx: Context, lock: FileLock, need: Need) -> tuple[TokenSet, bool]:
    """Holding the lock exclusively: the stored set if it meets `need`, else a refreshed one (and whether)."""
    with handoff.Offer(handoff.socket_path(lock.path)) as offer:  # open first: joiners arrive meanwhile
        tokens = ctx.stored_tokens()
        if tokens is None:
            raise ctx.not_logged_in()
        refreshed = not need.met_by(tokens, ctx.now())
        if refreshed:
            tokens = _refresh(ctx, tokens)
            ctx.save_tokens(tokens)  # one entry: the commit point
        else:
            log.debug("another process refreshed profile %s meanwhile", ctx.profile_name)
        delivered = offer.deliver(tokens.with_changes(refresh_token=None).to_json())
        log.debug("handed the token of profile %s to %d waiting processes", ctx.profile_name, delivered)
    return tokens, refreshed


def _join(ctx: Context, lock: FileLock, need: Need) -> TokenSet | None:
    """Another process holds the lock: its result if that meets `need`; None to lead in turn."""
    if need.takes_handoff:
        text = handoff.await_handoff(handoff.socket_path(lock.path), lock)  # may end holding it shared
        handed = _parse_handed(text) if text else None
        if handed is not None and need.met_by(handed, ctx.now()):
            return handed
    lock.acquire(shared=True)
    tokens = ctx.stored_tokens()
    if tokens is not None and need.met_by(tokens, ctx.now()):
        log.debug("another process refreshed profile %s meanwhile", ctx.profile_name)
        return tokens
    return None


def _refresh(ctx: Context, tokens: TokenSet) -> TokenSet:
    if not tokens.refresh_token:
        raise RefreshTokenInvalid(f"Profile {ctx.profile_name!r} has no refresh token")
    from pdauth.core import oauth  # only the process that refreshes pays for requests
    from pdauth.core.binding import issuer_for

    issuer = issuer_for(ctx, tokens)  # before the secret is even read: it goes nowhere else
    client = ctx.client_credentials()
    try:
        return oauth.refresh(
            ctx.session,
            issuer,
            client,
            tokens.refresh_token,
            ctx.now(),
            redactor=ctx.deps.redactor,
        )
    except oauth.OAuthError as exc:
        if exc.error == "invalid_grant":
            _note_rejected(ctx)
        if exc.error == "invalid_client":
            raise oauth.client_rejected(
                client.client_id, secret_origin(ctx), ctx.settings.oauth_url, ctx.profile_flag
            ) from None
        raise refresh_failure(exc, hint=f"Run `pdauth login{ctx.profile_flag}`") from None


def secret_origin(ctx: Context) -> str:
    """Where Context.client_credentials took the secret from (for an invalid_client's message)."""
    from pdauth.core import oauth
    from pdauth.envvars import ENV_CLIENT_SECRET

    return oauth.SECRET_FROM_ENV if ctx.env.get(ENV_CLIENT_SECRET) else oauth.SECRET_STORED


def _note_rejected(ctx: Context) -> None:
    """Remember (in the config file, no secret) that Pipedrive rejected this refresh token, for status and
    doctor; the next login or successful refresh forgets it."""
    now = ctx.now()
    try:
        ctx.update_profile(lambda profile: setattr(profile, "refresh_rejected_at", now))
    except (OSError, ConfigError) as exc:
        log.debug("could not note the rejected refresh token: %s", exc)


def refresh_failure(exc: Exception, hint: str) -> Exception:
    """An invalid_grant says what it means (a new login is the only cure); other failures stay as they are."""
    from pdauth.core.oauth import OAuthError

    if isinstance(exc, OAuthError) and exc.error == "invalid_grant":
        return RefreshTokenInvalid(INVALID_GRANT_MESSAGE, hint=hint)
    return exc


def profile_lock(ctx: Context) -> FileLock:
    """The lock that serialises refreshes of one profile across processes; the one this process already
    leads with when `pdauth token` took it before loading the core."""
    from pdauth.hotpath.lock import FileLock, unusable

    path = locate.lock_path(ctx.config_dir, ctx.profile_name)
    held = ctx.deps.lead_lock
    if held is not None and held.is_on(path):
        return held
    try:
        ensure_private_dir(ctx.settings.lock_dir)
    except OSError as exc:
        raise unusable(f"the lock directory {ctx.settings.lock_dir}", exc) from None
    return FileLock(path, ctx.deps.lock_timeout, f"the lock of profile {ctx.profile_name!r}")


def remember_tokens(profile: cfg.Profile, tokens: TokenSet) -> None:
    """The config file's note of a set (no secret): what `status` shows and `pdauth token` decides on."""
    profile.refresh_rejected_at = None  # a new set: whatever was rejected before is gone
    profile.api_domain = tokens.api_domain
    profile.scopes = list(tokens.scopes)
    profile.expires_at = tokens.expires_at
    profile.refresh_used_at = tokens.refresh_used_at


def _parse_handed(text: str) -> TokenSet | None:
    from pdauth.core.tokens import TokenSet

    try:
        return TokenSet.from_json(text)
    except (ValueError, KeyError, TypeError):
        return None
