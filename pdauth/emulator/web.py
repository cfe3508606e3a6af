"""Transport-free request/response values and the small parsing helpers every route needs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any, Final
from urllib.parse import parse_qsl

FORM_TYPE: Final = "application/x-www-form-urlencoded"
JSON_TYPE: Final = "application/json"
_NO_STORE: Final = [("Cache-Control", "no-store"), ("Pragma", "no-cache")]


class BadInput(ValueError):
    """A query string, form or JSON body we cannot read."""


@dataclass
class Request:
    method: str  # HEAD arrives as GET; the handler drops the body
    path: str
    query: str
    headers: Message
    body: bytes = b""

    def header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return None if value is None else str(value)

    @property
    def media_type(self) -> str:
        """The Content-Type without parameters, lower-cased ('' when absent)."""
        return (self.header("Content-Type") or "").split(";", 1)[0].strip().lower()

    def query_params(self) -> dict[str, str]:
        return parse_params(self.query)

    def form(self) -> dict[str, str]:
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput("the body is not valid UTF-8") from None
        return parse_params(text)

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise BadInput("the body is not valid JSON") from None

    def cookie(self, name: str) -> str | None:
        # Split by hand rather than with http.cookies: cookies are shared across ports of 127.0.0.1,
        # and SimpleCookie stops at the first odd cookie some other local app may have set.
        for raw in self.headers.get_all("Cookie") or []:
            for pair in str(raw).split(";"):
                key, sep, value = pair.strip().partition("=")
                if sep and key == name:
                    return value.strip().strip('"')
        return None


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)


def parse_params(text: str) -> dict[str, str]:
    """Parse a query string or form body; a repeated parameter is an error (RFC 6749 §3.1)."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=100)
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise BadInput(f"parameter {name!r} is repeated")
        params[name] = value
    return params


def json_response(
    status: int, payload: object, headers: list[tuple[str, str]] | None = None, *, no_store: bool = False
) -> Response:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    extra = list(headers or [])
    if no_store:
        extra += _NO_STORE
    return Response(status, body, "application/json; charset=utf-8", extra)


def text_response(status: int, text: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(status, text.encode("utf-8"), "text/plain; charset=utf-8", list(headers or []))


def redirect(location: str, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response(302, b"", None, [("Location", location), *_NO_STORE, *(headers or [])])
