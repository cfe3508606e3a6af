"""`pdauth call`'s use case: send one request, or walk every page of a list, with the profile's token.

Never prints. A 401 refreshes the token once through `sources.refresh(ctx, stale_token=...)` — the same
path as `pdauth refresh`, under the per-profile lock — and repeats that request once; waiting and retrying
(429, 5xx, dropped connections) is `retry.Retrier`'s job; HTTP errors become ApiHttpError with a hint.
Every request of one ApiCaller goes over its one `transport.Transport`, so a paginated run reuses one
keep-alive connection.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final

from pdauth import envvars
from pdauth.call.pagination import first_query, walk
from pdauth.call.retry import Retrier, RetryPolicy
from pdauth.call.spec import RequestSpec, target_url
from pdauth.call.transport import HttpRequest, HttpResponse, Transport, prepare
from pdauth.core.context import Context
from pdauth.core.http import bearer
from pdauth.core.sources import AccessToken, current_token, token_without_refresh, with_fresh_token
from pdauth.errors import AccessTokenRejected, ApiRequestFailed, RequestSpecError

log = logging.getLogger(__name__)

REDACTED_TOKEN: Final = "***"


@dataclass(frozen=True)
class ApiResponse:
    status: int
    reason: str
    http_version: str
    headers: tuple[tuple[str, str], ...]
    content: bytes

    @classmethod
    def of(cls, response: HttpResponse) -> ApiResponse:
        return cls(
            response.status, response.reason, response.http_version, response.headers, response.content
        )

    @cached_property
    def json(self) -> Any:
        """The parsed body, or None when it is not JSON."""
        try:
            return json.loads(self.content)
        except ValueError:
            return None

    @property
    def is_json(self) -> bool:
        return self.json is not None or self.content.strip() == b"null"


@dataclass(frozen=True)
class RequestPreview:
    """The request as it would go out, with the token replaced by ***: for --dry-run and -i."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None


class ApiCaller:
    """One command's worth of API calls: one token (refreshed at most once per request), one connection."""

    def __init__(
        self, ctx: Context, policy: RetryPolicy | None = None, transport: Transport | None = None
    ) -> None:
        self.ctx = ctx
        ctx.register_proxy_secrets()
        self.transport = transport or Transport(ctx.env)
        self.retrier = Retrier(self.transport, policy or RetryPolicy())
        self._access: AccessToken | None = None

    def close(self) -> None:
        self.transport.close()

    @property
    def access(self) -> AccessToken:
        if self._access is None:
            self._access = current_token(self.ctx)
            self.ctx.deps.redactor.register(
                self._access.token
            )  # env tokens never pass the store's registration
        return self._access

    def send(self, spec: RequestSpec) -> ApiResponse:
        """The 2xx/3xx response to `spec`; ApiHttpError (carrying the response) for an HTTP error.

        A 401 refreshes the token once and repeats the request once (pdauth.core.sources.with_fresh_token).
        """

        def attempt(access: AccessToken) -> HttpResponse:
            response = self._send(spec, access)
            if response.status == 401:
                where = access.require_api_domain()
                raise AccessTokenRejected(f"{where} rejected the access token (401)", where=where)
            return response

        response, self._access = with_fresh_token(self.ctx, attempt, self.access)
        self.ctx.deps.redactor.register(self._access.token)
        access = self._access
        result = ApiResponse.of(response)
        if result.status >= 400:
            from pdauth.call.hints import http_error

            raise http_error(
                spec.method,
                spec.path,
                result.status,
                result.reason,
                result.json,
                granted=access.tokens.scopes if access.tokens else (),
                idempotent=spec.idempotent,
                waited=self.retrier.waited,
                response=result,
            )
        return result

    def pages(self, spec: RequestSpec, limit: int) -> Iterator[list[Any]]:
        """The `data` items of every page, one page at a time (nothing is kept once it is yielded)."""
        if spec.method != "GET":
            raise RequestSpecError(f"--paginate works with GET only, not {spec.method}")

        def fetch(query: tuple[tuple[str, str], ...]) -> dict[str, Any]:
            response = self.send(spec.with_query(query))
            body = response.json
            if not isinstance(body, dict):
                raise ApiRequestFailed(f"GET {spec.path} answered {response.status} without a JSON object")
            return body

        yield from walk(spec.query, limit, fetch)

    def preview(self, spec: RequestSpec, *, paginate_limit: int | None = None) -> RequestPreview:
        """What would be sent, without sending anything or refreshing any token."""
        if paginate_limit is not None:
            spec = spec.with_query(first_query(spec.query, paginate_limit))
        domain = self._access.api_domain if self._access else offline_api_domain(self.ctx)
        prepared = self._prepare(spec, domain or "https://<api_domain>", REDACTED_TOKEN)
        return RequestPreview(prepared.method, prepared.url, prepared.headers, prepared.body)

    # -- internals ---------------------------------------------------------------------------------

    def _send(self, spec: RequestSpec, access: AccessToken) -> HttpResponse:
        prepared = self._prepare(spec, access.require_api_domain(), access.token)
        return self.retrier.send(prepared, idempotent=spec.idempotent)

    def _prepare(self, spec: RequestSpec, api_domain: str, token: str) -> HttpRequest:
        headers = [("Accept", "application/json")]
        if spec.body is not None:
            headers.append(("Content-Type", "application/json"))
        headers += spec.headers
        headers += bearer(token).items()  # last: nothing on the command line replaces it
        url = target_url(spec, api_domain)
        return prepare(spec.method, url, spec.query, tuple(headers), spec.body)


def offline_api_domain(ctx: Context) -> str | None:
    """The api_domain known without a network call (for --dry-run); None when only a refresh would tell."""
    ready = token_without_refresh(ctx)
    if ready is not None:
        return ready.require_api_domain()
    if ctx.env.get(envvars.ENV_REFRESH_TOKEN):
        return (ctx.env.get(envvars.ENV_API_DOMAIN) or "").rstrip("/") or ctx.saved_profile.api_domain
    tokens = ctx.stored_tokens()
    return tokens.api_domain if tokens else ctx.saved_profile.api_domain
