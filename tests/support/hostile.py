"""A tiny hostile OAuth/API server on 127.0.0.1: it answers each route with whatever the test chose.

The emulator plays a well-behaved Pipedrive; this plays a compromised or malicious one (or a server a
typo or a DNS hijack leads to): token responses with NaN, huge numbers, control characters and
foreign `api_domain`s, redirects from the revoke endpoint, escape sequences in names and errors. It
shares no code with pdauth; everything it was sent is recorded, so a test can say what reached it.

`/oauth/authorize` behaves like a server that approves at once: it redirects the browser to the
`redirect_uri` with a code and the `state` it was given, so a real `pdauth login` (with the fake
browser) completes against it and then meets whatever `/oauth/token` answers.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

CODE = "hostile-code"
# What a terminal would act on: ESC (CSI, OSC…), BEL, CR, the C1 controls, DEL, and bidi overrides.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\x9b1m\u202e"


@dataclass
class Reply:
    """One answer: a status, a body (a dict or list is sent as JSON, NaN and all) and extra headers."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> tuple[bytes, str]:
        if isinstance(self.body, dict | list):
            # allow_nan: Python's json writes NaN/Infinity literals, which requests' .json() reads back.
            return json.dumps(self.body, allow_nan=True).encode(), "application/json"
        if isinstance(self.body, str):
            return self.body.encode(), "application/json"
        return bytes(self.body), "application/octet-stream"


@dataclass
class Seen:
    method: str
    path: str  # as sent on the request line: not decoded, not normalised
    headers: dict[str, str]
    body: bytes


def token_body(
    access: str = "hostile-access-token",
    refresh: str = "hostile-refresh-token",
    api_domain: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body = {"access_token": access, "refresh_token": refresh, "token_type": "Bearer", "expires_in": 3599}
    body["scope"] = "base,deals:full"
    if api_domain is not None:
        body["api_domain"] = api_domain
    body.update(extra)
    return body


def identity_body(
    name: str = "Hostile User",
    email: str = "hostile@example.com",
    company_name: str = "Hostile Ltd",
    **extra: Any,
) -> dict[str, Any]:
    data = {"id": 4242, "name": name, "email": email, "company_id": 99, "company_name": company_name}
    data["company_domain"] = "hostile"
    data.update(extra)
    return {"success": True, "data": data}


class HostileServer:
    """Routes are (METHOD, path) -> a queue of Replies: each request takes the next, the last repeats."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Reply]] = {}
        self.seen: list[Seen] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, method: str, path: str, *replies: Reply) -> None:
        self.routes[(method, path)] = list(replies)

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if urlsplit(s.path).path == path]

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def _reply_for(self, method: str, path: str) -> Reply | None:
        queue = self.routes.get((method, path))
        if not queue:
            return None
        return queue.pop(0) if len(queue) > 1 else queue[0]


def _handler(server: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: the test reads `seen`
            pass

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            server.seen.append(Seen(method, self.path, dict(self.headers.items()), body))
            parts = urlsplit(self.path)
            reply = server._reply_for(method, parts.path)
            if reply is None and method == "GET" and parts.path == "/oauth/authorize":
                reply = _approve(parse_qs(parts.query))
            if reply is None:
                reply = Reply(404, {"success": False, "error": "not found"})
            data, content_type = reply.payload()
            self.send_response(reply.status)
            headers = {"Content-Type": content_type, **reply.headers, "Content-Length": str(len(data))}
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def _approve(query: dict[str, list[str]]) -> Reply:
    """An authorize request approved at once (a probe with another response_type is sent back an error)."""
    redirect_uri = query.get("redirect_uri", [""])[0]
    state = query.get("state", [""])[0]
    if query.get("response_type", [""])[0] != "code":
        target = f"{redirect_uri}?{urlencode({'error': 'unsupported_response_type', 'state': state})}"
    else:
        target = f"{redirect_uri}?{urlencode({'code': CODE, 'state': state})}"
    return Reply(302, b"", {"Location": target})


def serve() -> Iterator[HostileServer]:
    """For a pytest fixture: `yield from serve()`."""
    with HostileServer() as server:
        yield server


def parse_github_env(text: str) -> dict[str, str]:
    """$GITHUB_ENV as the runner reads it: `NAME=value` lines and `NAME<<DELIM` … `DELIM` blocks."""
    values: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body: list[str] = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            else:
                raise AssertionError(f"unterminated {name}")
            values[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values
