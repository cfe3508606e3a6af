"""requests as the HTTP client of pdauth.call.retry's Retrier: the one loop that waits out 429s and
retries 5xx and dropped connections (idempotent methods only) serves the library as it serves `call`.

No redirect is followed (the token must not travel on to wherever one points); a response the Retrier
drops to try again is closed first, so a streamed one does not keep its connection.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
import urllib3

from pdauth.call.transport import TransportError
from pdauth.core.network import proxy_for
from pdauth.errors import ConfigError

# What requests raises when there is no (complete) response: the Retrier's TransportError, named as
# requests names it (ConnectionError, ConnectTimeout, ReadTimeout, SSLError, ProxyError, ...).
NO_RESPONSE = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
# Failures before any byte of the request left: repeating those is safe for every method.
NOT_SENT = (requests.ConnectTimeout, requests.exceptions.ProxyError, requests.exceptions.SSLError)


class Outgoing:
    __slots__ = ("prepared",)

    def __init__(self, prepared: requests.PreparedRequest) -> None:
        self.prepared = prepared

    @property
    def method(self) -> str:
        return self.prepared.method or "GET"

    @property
    def url(self) -> str:
        return self.prepared.url or ""


class Reply:
    __slots__ = ("response",)

    def __init__(self, response: requests.Response) -> None:
        self.response = response

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self.response.headers


class RequestsSender:
    """Sends prepared requests through `session` (its adapters, mounts and hooks) with `settings`."""

    def __init__(
        self, session: requests.Session, settings: Mapping[str, Any], env: Mapping[str, str]
    ) -> None:
        self._session = session
        self._env = env  # where the proxy in effect is read, for the message of a failure
        self._settings = {**settings, "allow_redirects": False}
        self._last: requests.Response | None = None

    def send(self, request: Outgoing, timeout: tuple[float, float]) -> Reply:
        if self._last is not None:
            self._last.close()  # the Retrier is trying again: that answer is not the one returned
        try:
            response = self._session.send(request.prepared, timeout=timeout, **self._settings)
        except NO_RESPONSE as exc:
            raise self._failure(exc, request.url) from exc
        self._last = response
        return Reply(response)

    def _failure(self, exc: requests.RequestException, url: str) -> TransportError:
        """As pdauth.call.transport describes its own failures: the proxy it went through, and whether
        the request left (a refused connection: urllib3's NewConnectionError, before anything is sent)."""
        try:
            proxy = proxy_for(url, self._env)
        except ConfigError:
            proxy = None
        reason = getattr(exc.args[0] if exc.args else None, "reason", None)  # urllib3's MaxRetryError
        refused = isinstance(reason, urllib3.exceptions.NewConnectionError)
        return TransportError(
            type(exc).__name__, exc, proxy=proxy, sent=not (isinstance(exc, NOT_SENT) or refused)
        )
