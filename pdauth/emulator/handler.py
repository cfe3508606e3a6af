"""The HTTP request handler: keep-alive HTTP/1.1, bodies read in full, one redacted log line per request."""

from __future__ import annotations

import time
import traceback
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from pdauth.emulator.web import Request, Response, json_response, text_response

if TYPE_CHECKING:
    from pdauth.emulator.app import App
    from pdauth.emulator.redact import RequestLog

MAX_BODY: Final = 1 << 20


class _BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so clients keep connections alive; that obliges us to send Content-Length on every
    # response and to read every request body in full, or the next request on the socket is garbage.
    protocol_version = "HTTP/1.1"
    # The stdlib answers an unparsable request line "HTTP/0.9 style", with no status line at all;
    # clients and tests are better served by a plain 400.
    default_request_version = "HTTP/1.0"
    server_version = "pdauth-emulator"
    sys_version = ""

    def __init__(self, *args: Any, app: App, request_log: RequestLog) -> None:
        # The server hands these in with functools.partial (as http.server does `directory`), so the
        # handler needs nothing of the server class. Set before super().__init__, which serves.
        self.app = app
        self.request_log = request_log
        super().__init__(*args)

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        # A client that connects and says nothing holds only its own thread, and only this long.
        super().setup()
        self.connection.settimeout(self.app.config.connection_timeout)

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve(head=True)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def _serve(self, head: bool = False) -> None:
        started = time.perf_counter()
        app = self.app
        try:
            body = self._read_body()
        except _BodyError as exc:
            app.stats.incr("requests")
            self.close_connection = True  # the rest of the stream cannot be trusted
            self._send(text_response(exc.status, f"{exc}\n"), head, started)
            return
        path, query = _split_target(self.path)
        request = Request("GET" if head else self.command, path, query, self.headers, body)
        try:
            response = app.handle(request)
        except Exception:
            self.request_log.write("internal error:\n" + traceback.format_exc())
            response = json_response(500, {"success": False, "error": "emulator internal error"})
        if response is None:
            self.close_connection = True
            self._log("-", 0, started)
            return
        self._send(response, head, started)

    def _send(self, response: Response, head: bool, started: float) -> None:
        body = b"" if response.status in (204, 304) else response.body
        self.send_response(response.status)
        if response.content_type and body:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status != 204:
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if body and not head:
            self.wfile.write(body)
        self._log(str(response.status), len(body), started)

    def _read_body(self) -> bytes:
        encoding = self.headers.get("Transfer-Encoding")
        if encoding is not None:
            if encoding.strip().lower() != "chunked":
                raise _BodyError(501, f"Transfer-Encoding {encoding!r} not supported")
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not (length.strip().isascii() and length.strip().isdigit()):
            raise _BodyError(400, "invalid Content-Length")
        size = int(length)
        if size > MAX_BODY:
            raise _BodyError(413, "request body too large")
        data = self.rfile.read(size)
        if len(data) < size:
            raise _BodyError(400, "request body shorter than Content-Length")
        return data

    def _read_chunked(self) -> bytes:
        data = bytearray()
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BodyError(400, "malformed chunked body") from None
            if size == 0:
                break
            if size < 0 or len(data) + size > MAX_BODY:
                raise _BodyError(413, "request body too large")
            chunk = self.rfile.read(size)
            if len(chunk) < size or self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise _BodyError(400, "malformed chunked body")
            data += chunk
        while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):  # trailers: ignored
            pass
        return bytes(data)

    def _log(self, status: str, size: int, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        self.request_log.write(
            f'{self.client_address[0]} "{self.requestline}" {status} {size} {elapsed:.1f}ms'
        )

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass  # _log writes the line, with timing, once the response is out

    def log_message(self, format: str, *args: Any) -> None:
        message = format % args
        if message.startswith("Request timed out"):
            return  # an idle keep-alive connection reaching its timeout is routine
        self.request_log.write(f"{self.client_address[0]} {message}")


def _split_target(target: str) -> tuple[str, str]:
    if target.startswith("/"):
        path, _, query = target.partition("?")
        return path.split("#", 1)[0], query.split("#", 1)[0]
    parts = urlsplit(target)  # absolute-form, e.g. through a proxy
    return parts.path or "/", parts.query
