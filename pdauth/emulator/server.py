"""The threaded server (connection counting, clean shutdown) and `Emulator`, the in-process handle on it."""

from __future__ import annotations

import contextlib
import functools
import selectors
import socket
import socketserver
import sys
import threading
import traceback
from http.server import ThreadingHTTPServer
from types import TracebackType
from typing import Any

from pdauth.emulator.app import App
from pdauth.emulator.config import EmulatorConfig
from pdauth.emulator.faults import Fault
from pdauth.emulator.handler import Handler
from pdauth.emulator.redact import RequestLog


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def __init__(self, app: App, request_log: RequestLog, address: tuple[str, int]) -> None:
        self.app = app
        self.request_log = request_log
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        # stop() writes to this pair to wake the accept loop at once, rather than waiting for a poll.
        self._wake_recv, self._wake_send = socket.socketpair()
        self._stop_requested = False
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        try:
            super().__init__(address, functools.partial(Handler, app=app, request_log=request_log))
        except OSError:
            self._wake_recv.close()
            self._wake_send.close()
            raise
        # Non-blocking accept: a client that connects and resets before we accept cannot wedge the loop.
        self.socket.setblocking(False)

    def serve(self) -> None:
        """Accept connections until stop(); each connection is served in its own daemon thread."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_recv, selectors.EVENT_READ)
            while not self._stop_requested:
                events = selector.select()
                if any(key.fileobj is self._wake_recv for key, _ in events):
                    break
                self.handle_request()

    def stop(self, serving: threading.Thread | None) -> None:
        """Stop accepting, close the listening socket, then cut every open connection."""
        self._stop_requested = True
        with contextlib.suppress(OSError):
            self._wake_send.send(b"\0")
        if serving is not None:
            serving.join(timeout=5)
        self.server_close()
        self._wake_recv.close()
        self._wake_send.close()
        self.close_connections()

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host with getfqdn(), a DNS lookup that can stall for
        # seconds on a machine with a broken resolver; the literal address is all we need.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        self.app.stats.incr("connections")
        if isinstance(request, socket.socket):
            with self._open_lock:
                self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut every open client connection, so a stopped emulator answers nothing at all."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-response is not an emulator bug; anything else gets logged.
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        self.request_log.write("connection error:\n" + traceback.format_exc())


def _origin(host: str, port: int) -> str:
    # A wildcard bind is reachable on loopback; hand out that, since clients call api_domain as given.
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class Emulator:
    """A Pipedrive OAuth server + REST API on a local port, served from a daemon thread."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config if config is not None else EmulatorConfig()
        self._app = App(self.config)
        self._log = RequestLog(self.config.log_stream, secrets=(self.config.client_secret,))
        self._server: EmulatorHTTPServer | None = None
        self._port = 0
        self._thread: threading.Thread | None = None
        self._used = False

    def start(self) -> Emulator:
        """Bind the port (OSError if taken) and start serving; returns self."""
        if self._used:
            raise RuntimeError("an Emulator can be started once; create a new one")
        self._used = True
        server = EmulatorHTTPServer(self._app, self._log, (self.config.host, self.config.port))
        self._server = server
        self._port = int(server.server_port)
        self._app.base_url = self.config.public_url or _origin(self.config.host, server.server_port)
        self._thread = threading.Thread(
            target=server.serve,
            name=f"pdauth-emulator-{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        self._app.webhooks.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the listening socket and every open connection; idempotent."""
        server, self._server = self._server, None
        if server is None:
            return
        self._app.stopping.set()
        server.stop(self._thread)
        self._app.webhooks.stop()

    @property
    def base_url(self) -> str:
        """`http://HOST:PORT`: the OAuth base URL and the api_domain this emulator hands out."""
        if not self._app.base_url:
            raise RuntimeError("the emulator is not started")
        return self._app.base_url

    def advertise(self, public_url: str) -> None:
        """Hand out `public_url` as the OAuth base URL and api_domain from now on: for a TLS front or a
        proxy put in front of this emulator once its port is known (`EmulatorConfig.public_url` when the
        address is known beforehand)."""
        self._app.base_url = public_url.rstrip("/")

    @property
    def port(self) -> int:
        """The port it listens on (whatever `public_url` it hands out)."""
        if not self._port:
            raise RuntimeError("the emulator is not started")
        return self._port

    @property
    def running(self) -> bool:
        return self._server is not None

    def stats(self) -> dict[str, Any]:
        return self._app.stats_snapshot()

    def reset_stats(self) -> None:
        self._app.stats.reset()

    def inject_fault(
        self,
        endpoint: str = "api",
        status: int | None = 500,
        count: int = 1,
        delay: float = 0.0,
        body: str | None = None,
        content_type: str | None = None,
        drop: bool = False,
    ) -> None:
        """Make the next `count` requests to `endpoint` fail; see docs/emulator.md for the fields."""
        self._app.faults.add(Fault(endpoint, status, count, delay, body, content_type, drop))

    def clear_faults(self) -> int:
        return self._app.faults.clear()

    def wait_webhooks(self, timeout: float = 5.0) -> bool:
        """Wait until no webhook is being delivered or due now; False on timeout. Retries scheduled
        for later (on the emulator's clock) do not count: advance the clock to make them due."""
        return self._app.webhooks.wait_idle(timeout)

    def webhook_log(self) -> list[dict[str, Any]]:
        """The latest delivery attempts (up to 200): webhook id, event, entity id, attempt, result."""
        return list(self._app.webhooks.log)

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock forward: tokens, codes and idle refresh tokens age at once."""
        self._app.clock.advance(seconds)

    def set_identity(
        self,
        *,
        user_id: int | None = None,
        user_name: str | None = None,
        user_email: str | None = None,
        company_id: int | None = None,
        company_name: str | None = None,
        company_domain: str | None = None,
    ) -> None:
        """Who the next authorization logs in as (fields not given stay as they are)."""
        changes = {
            "user_id": user_id,
            "user_name": user_name,
            "user_email": user_email,
            "company_id": company_id,
            "company_name": company_name,
            "company_domain": company_domain,
        }
        self._app.auth.set_identity(**{k: v for k, v in changes.items() if v is not None})

    def __enter__(self) -> Emulator:
        return self if self.running else self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
