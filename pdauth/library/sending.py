"""requests as the HTTP client of pdauth.call.retry's Retrier: the one loop that waits out 429s and
retries 5xx and dropped connections (idempotent methods only) serves the library as it serves `call`.

No redirect is followed (the token must not travel on to wherever one points); a response the Retrier
drops to try again is closed first, so a streamed one does not keep its connection.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from pdauth.call.transport import TransportError

# What requests raises when there is no (complete) response: the Retrier's TransportError, named as
# requests names it (ConnectionError, ConnectTimeout, ReadTimeout, SSLError, ProxyError, ...).
NO_RESPONSE = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


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

    def __init__(self, session: requests.Session, settings: Mapping[str, Any]) -> None:
        self._session = session
        self._settings = {**settings, "allow_redirects": False}
        self._last: requests.Response | None = None

    def send(self, request: Outgoing, timeout: tuple[float, float]) -> Reply:
        if self._last is not None:
            self._last.close()  # the Retrier is trying again: that answer is not the one returned
        try:
            response = self._session.send(request.prepared, timeout=timeout, **self._settings)
        except NO_RESPONSE as exc:
            raise TransportError(type(exc).__name__, exc) from exc
        self._last = response
        return Reply(response)
