"""pdauth.Session: a requests.Session on the account's api_domain, with the login `pdauth login` made.

Each request goes through the same core as `pdauth token` and `pdauth call`: the token from the same
sources, refreshed before it expires and once more, under the same cross-process protocol, if the API
rejects it (pdauth.core.sources.with_fresh_token); 429s waited out and 5xx retried for idempotent methods
by the same loop (pdauth.call.retry); the same path and origin rules (pdauth.call.spec); pages walked by
the same code (pdauth.call.pagination). It is a real requests.Session: adapters, mounts, hooks, cookies
and `with` work as they do there, and its network settings (proxies, CA bundle) are those of the
session pdauth.core.http.new_session makes for the rest of pdauth.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests

from pdauth.call.pagination import MAX_LIMIT, walk
from pdauth.call.retry import Retrier, RetryPolicy
from pdauth.call.spec import is_idempotent
from pdauth.core.http import TIMEOUT
from pdauth.core.sources import AccessToken, with_fresh_token
from pdauth.errors import AccessTokenRejected, ApiRequestFailed
from pdauth.library import emulated
from pdauth.library.context import library_context
from pdauth.library.credentials import BearerAuth, Credentials, attach
from pdauth.library.errors import http_error
from pdauth.library.sending import Outgoing, Reply, RequestsSender
from pdauth.library.tokens import TokenInfo, info_of
from pdauth.library.urls import query_pairs, resolve


class Session(requests.Session):
    """A requests.Session that sends the profile's token to its api_domain, and only there.

    `profile`: a profile name (default: PDAUTH_PROFILE, else the config file's default profile).
    `emulator`: a local `pdauth emulator` (its URL, or a running pdauth.emulator.Emulator) to log in to,
    in memory, instead of any profile: for tests. `max_wait`: the most seconds one request spends waiting
    for rate limits and retries in all. `env`, `clock`, `sleep`: the environment, time.time and
    time.sleep to use instead of the real ones (tests).
    """

    def __init__(
        self,
        profile: str | None = None,
        *,
        emulator: str | emulated.EmulatorLike | None = None,
        max_wait: float = 60.0,
        env: Mapping[str, str] | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__()
        self.max_wait = max_wait
        self.retries = RetryPolicy.retries  # extra attempts after a 5xx or a dropped connection
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self._source: str | None = None  # what token_info() names as the source, when not the core's
        seed: AccessToken | None = None
        if emulator is not None:
            import os

            base = os.environ if env is None else env
            target = emulated.Target.of(emulator, base)
            self._scratch = tempfile.TemporaryDirectory(prefix="pdauth-emulator-")
            env = target.env(base, self._scratch.name)
            self._source = f"emulator {target.base_url} (in memory)"
        self._ctx = library_context(profile, env=env, clock=clock, sleep=sleep)
        try:
            self._ctx.settings  # noqa: B018 - a bad profile name or config file fails here, not later
            self._adopt(self._ctx.session)
            if emulator is not None:
                seed = emulated.login(self._ctx, target)
        except BaseException:
            self.close()
            raise
        self._credentials = Credentials(self._ctx, seed)
        self.auth = BearerAuth(self._credentials)

    # -- what requests users call ------------------------------------------------------------------

    def request(  # the parameters of requests.Session.request, typed loosely
        self,
        method: str | bytes,
        url: str | bytes,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = False,
        proxies: Any = None,
        hooks: Any = None,
        stream: bool | None = None,
        verify: Any = None,
        cert: Any = None,
        json: Any = None,
    ) -> requests.Response:
        """Send one request to the api_domain; the response, or PipedriveHTTPError for an HTTP error.

        `url` is a path (/v1/..., /v2/..., /api/v1/..., /api/v2/...) or a full URL on the api_domain;
        any other origin raises ForeignHostRefused. Redirects are returned, never followed (the token
        must not travel on). A 401 refreshes the token once and repeats the request once; a 429 waits
        (Retry-After, x-ratelimit-reset) and a 5xx is retried (idempotent methods only), all within
        `max_wait`.
        """
        verb = (method.decode() if isinstance(method, bytes) else method).upper()
        access = self._credentials.current()
        target, path, query = resolve(
            url.decode() if isinstance(url, bytes) else url, access.require_api_domain()
        )
        prepared = self.prepare_request(
            requests.Request(
                method=verb,
                url=target,
                headers=headers,
                files=files,
                data=data or {},
                json=json,
                params=query + query_pairs(params),
                auth=auth,
                cookies=cookies,
                hooks=hooks,
            )
        )
        settings = self.merge_environment_settings(prepared.url, proxies or {}, stream, verify, cert)
        policy = RetryPolicy(
            max_wait=self.max_wait,
            retries=self.retries,
            timeout=_timeouts(timeout),
            sleep=self._ctx.deps.reporter.wait,
        )
        retrier = Retrier(RequestsSender(self, settings, self._ctx.env), policy)
        idempotent = is_idempotent(verb)

        def attempt(access: AccessToken) -> Reply:
            if auth is None:
                attach(prepared, access)
            reply = retrier.send(Outgoing(prepared), idempotent=idempotent)
            if reply.status == 401:
                where = access.require_api_domain()
                raise AccessTokenRejected(f"{where} rejected the access token (401)", where=where)
            return reply

        reply, access = with_fresh_token(self._ctx, attempt, access, renew=self._credentials.renewed)
        response = reply.response
        if response.status_code >= 400:
            granted = access.tokens.scopes if access.tokens else ()
            raise http_error(response, path, granted=granted, idempotent=idempotent, waited=retrier.waited)
        return response

    def paginate(self, url: str, params: Any = None, **kwargs: Any) -> Iterator[Any]:
        """Every item of a list, one at a time, page after page (v1 `start` or v2 `cursor`, read off each
        response): a page is fetched only when the previous one has been consumed. Pages are as large as
        Pipedrive allows (500) unless `params` gives a `limit`; `kwargs` go to each GET."""
        base, _, query = resolve(url, self._credentials.current().require_api_domain())

        def fetch(pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
            response = self.get(base, params=list(pairs), **kwargs)
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise ApiRequestFailed(f"GET {url} answered {response.status_code} without a JSON object")
            return body

        for items in walk(query + query_pairs(params), MAX_LIMIT, fetch):
            yield from items

    def token_info(self) -> TokenInfo:
        """The token this Session sends now (refreshed first if it is due)."""
        info = info_of(self._credentials.current())
        return info if self._source is None else dataclasses.replace(info, source=self._source)

    # -- requests' machinery -----------------------------------------------------------------------

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        kwargs["allow_redirects"] = False  # whoever calls send: a redirect is never followed with the token
        return super().send(request, **kwargs)

    def merge_environment_settings(
        self, url: str | bytes | None, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:  # requests' private _Settings TypedDict
        """This Session's settings first (a caller's proxies or verify win), then pdauth's network
        session's: the proxy and CA bundle rules every other pdauth request follows."""
        if self.proxies or self.stream or self.verify is not True or self.cert is not None:
            mine = super().merge_environment_settings(url, proxies, stream, verify, cert)
            proxies, stream, verify, cert = mine["proxies"], mine["stream"], mine["verify"], mine["cert"]
        # (else this Session holds requests' defaults: merging them first would change nothing)
        return self._network.merge_environment_settings(url, proxies, stream, verify, cert)

    def close(self) -> None:
        super().close()
        if self._scratch is not None:
            self._scratch.cleanup()

    def _adopt(self, network: requests.Session) -> None:
        """Start from the state of pdauth's network session (headers, hooks, adapters, settings) as
        requests' own pickling does, each container copied so that what a caller changes here stays here."""
        self._network = network
        self.headers = requests.structures.CaseInsensitiveDict(network.headers)
        self.hooks = {event: list(hooks) for event, hooks in network.hooks.items()}
        self.proxies = dict(network.proxies)
        self.adapters.clear()
        for prefix, adapter in network.adapters.items():
            self.mount(prefix, adapter)
        for name in ("params", "stream", "verify", "cert", "trust_env", "max_redirects"):
            setattr(self, name, getattr(network, name))


def _timeouts(timeout: Any) -> tuple[float, float]:
    if timeout is None:
        return TIMEOUT
    if isinstance(timeout, tuple):
        connect, read = timeout
        return (TIMEOUT[0] if connect is None else connect, TIMEOUT[1] if read is None else read)
    return (float(timeout), float(timeout))
