"""PipedriveHTTPError: Pipedrive answered with an HTTP error, after the Session's waits and retries.

It is both of what a caller may catch: pdauth's ApiHttpError (the same one line and hint as `pdauth call`
prints, from pdauth.call.hints) and requests' HTTPError (what `raise_for_status()` raises, so code written
for requests keeps working). It carries the response and Pipedrive's error envelope: `success`, `error`,
`error_info`, `errorCode` (401/403), `data`, `additional_data`.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import requests

from pdauth.call.hints import http_error_text
from pdauth.errors import ApiHttpError, terminal_safe


class PipedriveHTTPError(ApiHttpError, requests.HTTPError):
    response: requests.Response

    def __init__(self, message: str, hint: str | None = None, *, response: requests.Response) -> None:
        ApiHttpError.__init__(self, message, hint, status=response.status_code, response=response)
        self.request = response.request

    @property
    def status_code(self) -> int:
        return self.status

    @cached_property
    def envelope(self) -> dict[str, Any]:
        """The JSON object Pipedrive answered with ({} when the body was not one)."""
        try:
            body = self.response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    @property
    def error(self) -> str | None:
        """Pipedrive's `error` text, e.g. "Deal not found" or "Scope and URL mismatch"."""
        value = self.envelope.get("error")
        return value if isinstance(value, str) else None

    @property
    def error_info(self) -> str | None:
        value = self.envelope.get("error_info")
        return value if isinstance(value, str) else None

    @property
    def error_code(self) -> int | None:
        """`errorCode`, which Pipedrive sends with authentication and authorization errors."""
        value = self.envelope.get("errorCode")
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def success(self) -> bool | None:
        value = self.envelope.get("success")
        return value if isinstance(value, bool) else None


def http_error(
    response: requests.Response,
    path: str,
    *,
    granted: tuple[str, ...] = (),
    idempotent: bool,
    waited: float,
) -> PipedriveHTTPError:
    """The error for a final HTTP error response to a request for `path` (/api/vN/...)."""
    method = response.request.method or "GET"
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    message, hint = http_error_text(
        method,
        path,
        response.status_code,
        response.reason or "",
        body,
        granted=granted,
        idempotent=idempotent,
        waited=waited,
        wait_option="max_wait",
    )
    # Server text: a traceback prints it as it is, so no control character may reach a terminal that way.
    return PipedriveHTTPError(terminal_safe(message), terminal_safe(hint), response=response)
