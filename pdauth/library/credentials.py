"""The access token one Session uses, shared by all its threads, and the requests auth that sends it.

Tokens come from the core exactly as `pdauth token` gets them (pdauth.core.sources: env access token,
env refresh token, the profile's store, with the cross-process refresh protocol). What this adds is the
in-process part: one lock, so threads sharing a Session make one refresh between them. A token is kept
until it is due (less than the refresh margin left, on the injected clock), then fetched through the core
again; a token the API rejected is renewed only if no other thread renewed it meanwhile.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import requests

from pdauth import envvars
from pdauth.call.spec import check_origin, normalise_origin
from pdauth.core.http import bearer
from pdauth.core.sources import SOURCE_ENV_REFRESH, AccessToken, current_token, refresh
from pdauth.hotpath.limits import REFRESH_MARGIN_SECONDS

if TYPE_CHECKING:
    from pdauth.core.context import Context


class Credentials:
    def __init__(self, ctx: Context, seed: AccessToken | None = None) -> None:
        self.ctx = ctx
        self._lock = threading.Lock()
        self._access = seed
        if seed is not None:
            ctx.deps.redactor.register(seed.token)

    def current(self) -> AccessToken:
        """A token to send now: the one held, unless it is due (then the core's, refreshed if need be)."""
        with self._lock:
            access = self._access
            if access is None or self._due(access):
                access = self._keep(current_token(self.ctx))
            return access

    def renewed(self, rejected: AccessToken) -> AccessToken:
        """A token instead of `rejected` (the API answered 401 to it): another thread's renewal if it
        made one meanwhile, else a refresh through the core (which takes another process's, too)."""
        with self._lock:
            held = self._access
            if held is not None and held.token != rejected.token:
                return held
            return self._keep(refresh(self.ctx, stale_token=rejected.token))

    def _due(self, access: AccessToken) -> bool:
        if not access.refreshable or access.expires_at is None:
            return False  # PIPEDRIVE_ACCESS_TOKEN is used as it is, until the API rejects it
        return access.expires_at - self.ctx.now() < REFRESH_MARGIN_SECONDS

    def _keep(self, access: AccessToken) -> AccessToken:
        self.ctx.deps.redactor.register(access.token)
        renewed = access.tokens.refresh_token if access.tokens else None
        env = self.ctx.env
        if access.source == SOURCE_ENV_REFRESH and renewed and isinstance(env, dict):
            # A server that rotates refresh tokens retires the one in the env: this Session's own copy of
            # the env (never os.environ) carries the new one, so a long-running process keeps refreshing.
            env[envvars.ENV_REFRESH_TOKEN] = renewed
        self._access = access
        return access


class BearerAuth(requests.auth.AuthBase):
    """Sets `Authorization: Bearer <token>` on a request, and only on one for the token's api_domain:
    whatever prepared the request (Session.request, or a caller's own prepare_request), a token is
    never attached to a request for another origin (pdauth.call.spec.check_origin, as `pdauth call`)."""

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return attach(request, self.credentials.current())


def attach(request: requests.PreparedRequest, access: AccessToken) -> requests.PreparedRequest:
    check_origin(normalise_origin(request.url or ""), access.require_api_domain())
    request.headers.update(bearer(access.token))
    return request
