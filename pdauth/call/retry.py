"""Sending one request patiently: 429s waited out, 5xx and dropped connections retried (idempotent only).

Every wait of one command draws on a single budget (`max_wait`), so a run never stalls unboundedly; the
sleep is injected (tests pass a fast one, the CLI one that shows a spinner while it waits). The same loop
serves `pdauth call`'s http.client transport and the library's requests Session: it needs of a request
its method and URL, and of a response its status and headers (`Sender`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Generic, Protocol, TypeVar
from urllib.parse import urlsplit

from pdauth.call.transport import TransportError
from pdauth.core.http import TIMEOUT
from pdauth.errors import ApiRequestFailed

log = logging.getLogger(__name__)


class Outgoing(Protocol):
    @property
    def method(self) -> str: ...
    @property
    def url(self) -> str: ...


class Incoming(Protocol):
    @property
    def status(self) -> int: ...
    @property
    def headers(self) -> Mapping[str, str] | Iterable[tuple[str, str]]: ...


Req = TypeVar("Req", bound=Outgoing, contravariant=True)
Resp = TypeVar("Resp", bound=Incoming, covariant=True)


class Sender(Protocol[Req, Resp]):
    """One HTTP client: a response of any status, or TransportError when there is none."""

    def send(self, request: Req, timeout: tuple[float, float]) -> Resp: ...


# sleep(seconds, reason); `f"{reason} {seconds:.1f} s"` reads as a sentence for a spinner.
Sleep = Callable[[float, str], None]
# Without any rate-limit header, wait one Pipedrive burst window.
DEFAULT_RATE_LIMIT_WAIT: Final = 2.0
# Never hammer: even a "reset in 0 s" header gets a short pause.
MIN_RATE_LIMIT_WAIT: Final = 0.25


def plain_sleep(seconds: float, reason: str) -> None:
    time.sleep(seconds)


@dataclass
class RetryPolicy:
    max_wait: float = 60.0  # seconds of waiting, in total, for the whole command
    retries: int = 3  # extra attempts after a 5xx or a connection error (idempotent methods only)
    backoff: float = 0.5  # first backoff; doubles per attempt, up to backoff_cap, with jitter
    backoff_cap: float = 8.0
    timeout: tuple[float, float] = TIMEOUT  # (connect, read)
    sleep: Sleep = plain_sleep
    jitter: Callable[[], float] = random.random

    def backoff_delay(self, attempt: int) -> float:
        # "Equal jitter": half fixed, half random, so retries of many clients spread out but never vanish.
        delay = min(self.backoff_cap, self.backoff * 2.0**attempt)
        return delay / 2 + self.jitter() * delay / 2


def rate_limit_delay(headers: Mapping[str, str], now: float | None = None) -> float:
    """Seconds to wait after a 429: Retry-After (seconds or HTTP date) if present, else x-ratelimit-reset."""
    by_name = {key.lower(): value for key, value in headers.items()}  # header names ignore case
    for name in ("retry-after", "x-ratelimit-reset"):
        value = by_name.get(name)
        if value is None:
            continue
        seconds = _seconds(value.strip(), time.time() if now is None else now)
        if seconds is not None:
            return max(MIN_RATE_LIMIT_WAIT, seconds)
    return DEFAULT_RATE_LIMIT_WAIT


def _seconds(value: str, now: float) -> float | None:
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, float(parsedate_to_datetime(value).timestamp()) - now)
    except (TypeError, ValueError):
        return None


Out = TypeVar("Out", bound=Outgoing)
In = TypeVar("In", bound=Incoming)


class Retrier(Generic[Out, In]):
    """Sends prepared requests over one transport; remembers how much of the wait budget is spent."""

    def __init__(self, transport: Sender[Out, In], policy: RetryPolicy) -> None:
        self.transport = transport
        self.policy = policy
        self.waited = 0.0

    def send(self, prepared: Out, *, idempotent: bool) -> In:
        """The final response (a 429 or 5xx ends up here once the budget or the retries run out).

        Raises ApiRequestFailed when the connection fails for good. Redirects are never followed (the
        transport does not): the token must never travel on to wherever one points.
        """
        attempt = 0
        while True:
            try:
                response = self.transport.send(prepared, self.policy.timeout)
            except TransportError as exc:
                # Not sent at all: repeating it is safe whatever the method. A refused proxy or a bad
                # certificate is never retried: it will not fix itself, and the user gets one line sooner.
                repeatable = idempotent or not exc.sent
                if not exc.permanent and self._retry(
                    repeatable, attempt, f"Connection failed ({exc.kind}): retrying in"
                ):
                    attempt += 1
                    continue
                raise self._connection_error(prepared, exc, idempotent) from None
            status = response.status
            if status == 429:  # nothing was done: safe to repeat for every method, once the window resets
                if self._wait(rate_limit_delay(dict(response.headers)), "Rate limited by Pipedrive: waiting"):
                    continue
                return response
            if status >= 500 and self._retry(idempotent, attempt, f"HTTP {status}: retrying in"):
                attempt += 1
                continue
            return response

    def _retry(self, idempotent: bool, attempt: int, reason: str) -> bool:
        """Wait before another attempt, if the method may be repeated and attempts and budget remain."""
        if not idempotent or attempt >= self.policy.retries:
            return False
        return self._wait(self.policy.backoff_delay(attempt), reason)

    def _wait(self, seconds: float, reason: str) -> bool:
        if self.waited + seconds > self.policy.max_wait:
            log.debug("not waiting %.2f s (%s): the budget is spent", seconds, reason)
            return False
        log.debug("%s %.2f s", reason, seconds)
        self.waited += seconds
        self.policy.sleep(seconds, reason)
        return True

    def _connection_error(self, prepared: Out, exc: TransportError, idempotent: bool) -> ApiRequestFailed:
        from pdauth.core.network import connection_failure

        host = urlsplit(prepared.url).netloc
        what = f"{prepared.method} {urlsplit(prepared.url).path}"
        special = connection_failure(exc.kind, host, exc.proxy, exc.cause, what=what)
        if special is not None:
            return special
        via = f" through the proxy {exc.proxy.where}" if exc.proxy else ""
        if idempotent or not exc.sent:
            sent = "" if idempotent else "; it was not sent"
            return ApiRequestFailed(
                f"Could not reach {host}{via} for {what} ({exc.kind}{sent})",
                hint="Check the network (and PIPEDRIVE_API_DOMAIN, if set), then try again",
            )
        return ApiRequestFailed(
            f"The connection to {host}{via} failed during {what} ({exc.kind})",
            hint="It was not repeated, as it may have taken effect: check before sending it again",
        )
