"""Helpers of the library tests: two clocks moved together, a recording sleep, a recording HTTP server."""

from __future__ import annotations

import time
from typing import Any

# What of the CLI fixture's environment a test's own process takes over.
PASSED_ON = ("PDAUTH_", "PIPEDRIVE_", "PYTHON_KEYRING_BACKEND")


class Clock:
    """pdauth's clock (`Session(clock=...)`) and the emulator's, moved forward together: time passing."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        self.emulator.advance_clock(seconds)


class Sleeps:
    """`Session(sleep=...)` that records each wait instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    @property
    def total(self) -> float:
        return sum(self.calls)


def grants(emulator: Any) -> int:
    return int(emulator.stats()["grants"]["refresh_token"])


def responses(emulator: Any, status: int) -> int:
    return int(emulator.stats()["api_responses"].get(str(status), 0))


class Recorder:
    """A tiny HTTP server on 127.0.0.1 that records each request and answers with `answer(path)`:
    (status, headers, body). It stands in for a hostile api_domain, or for where a redirect points."""

    def __init__(self, answer: Any = None) -> None:
        import http.server
        import threading

        self.requests: list[dict[str, Any]] = []
        self.answer = answer or (
            lambda path: (200, {"Content-Type": "application/json"}, b'{"success":true}')
        )
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                recorder.requests.append(
                    {"method": self.command, "path": self.path, "headers": dict(self.headers),
                     "body": self.rfile.read(length)}
                )  # fmt: skip
                status, headers, body = recorder.answer(self.path)
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
