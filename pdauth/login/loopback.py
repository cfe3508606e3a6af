"""The one-shot loopback listener that catches Pipedrive's redirect (RFC 8252 §7.3).

It answers only the callback path; everything else gets 404 and the wait goes on. `state` is checked in
constant time before `code` is even looked at; a mismatch gets a 400 page and the wait goes on, so a
stray or hostile request can neither end the login nor inject a code. Every echoed value is escaped.
After a good callback the browser is redirected to a clean page, so the code leaves the address bar,
and that page shows the outcome of the code exchange.

Two one-time addresses keep what other local users can see or fetch to nothing useful. The browser is
started with `/pdauth/start/<nonce>`, which redirects to the authorize URL: a browser's command line is
readable by every local user (/proc/PID/cmdline), and the authorize URL holds `state`; a second fetch of
the start address means someone else fetched it too, and aborts the login. The completion page is at
`/pdauth/complete/<nonce>`, named only in the redirect the browser gets from the callback, and served once:
it shows who the login reached, which no other local client may learn.
"""

from __future__ import annotations

import errno
import hmac
import html
import logging
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Final
from urllib.parse import parse_qs, urlsplit

from pdauth.errors import CallbackTimeout, ConfigError, LoginError, PortInUse

log = logging.getLogger(__name__)

COMPLETE_PATH: Final = "/pdauth/complete"  # + "/<nonce>"
START_PATH: Final = "/pdauth/start"  # + "/<nonce>"
# The addresses a callback to each loopback name can arrive at. A browser resolves `localhost` itself and
# may pick either (Chromium tries ::1 first): pdauth must hold both, or another user could hold the other.
LOOPBACK_HOSTS: Final = {"127.0.0.1": ("127.0.0.1",), "localhost": ("127.0.0.1", "::1"), "::1": ("::1",)}
# A connected client that sends nothing must not hold a handler forever.
PER_CONNECTION_TIMEOUT: Final = 10.0
# How long the completion page waits for the code exchange to finish before it shows a neutral note.
COMPLETE_PAGE_WAIT: Final = 30.0


@dataclass(frozen=True)
class CallbackResult:
    code: str | None = None
    error: str | None = None
    error_description: str | None = None
    aborted: bool = False  # the start address was fetched twice


class StartAddressReused(LoginError):
    """Someone besides the browser fetched the one-time start address (it learnt the login's `state`)."""

    hint = (
        "Nothing was stored. Run `pdauth login` again; if it happens again, another local user may be "
        "reading your processes' command lines: use --no-browser and open the printed URL yourself"
    )


def start_aborted() -> StartAddressReused:
    return StartAddressReused(
        "The login's one-time start address was opened twice, so another program may know this login's state"
    )


@dataclass(frozen=True)
class RedirectTarget:
    bind_hosts: tuple[str, ...]
    port: int
    path: str

    @property
    def bind_host(self) -> str:
        """The address a tunnel or the start address uses (127.0.0.1 for `localhost`)."""
        return self.bind_hosts[0]

    @classmethod
    def parse(cls, redirect_uri: str) -> RedirectTarget:
        parts = urlsplit(redirect_uri)
        host = parts.hostname or ""
        if parts.scheme != "http" or host not in LOOPBACK_HOSTS:
            raise ConfigError(
                f"Redirect URI {redirect_uri!r} is not a loopback http:// address",
                hint="Use http://127.0.0.1:PORT/callback (and register exactly that in Developer Hub)",
            )
        try:
            port = parts.port or 80
        except ValueError:
            raise ConfigError(f"Redirect URI {redirect_uri!r} has an invalid port") from None
        return cls(LOOPBACK_HOSTS[host], port, parts.path or "/")


class CallbackInbox:
    """Judges candidate callbacks (from the listener, or a URL pasted by the user) and keeps the first good one."""

    def __init__(self, expected_state: str, authorize_url: str = ""):
        self._expected = expected_state.encode()
        self.authorize_url = authorize_url
        self._start_nonce = secrets.token_urlsafe(32)
        self._complete_nonce = secrets.token_urlsafe(32)
        self._start_fetches = 0
        self._complete_served = False
        self._aborted = False
        self._claim_lock = threading.Lock()
        self._result: CallbackResult | None = None
        self._arrived = threading.Event()
        self._deliver_lock = threading.Lock()  # listener threads and the paste reader race to deliver
        self._outcome: tuple[bool, str] | None = None
        self._finished = threading.Event()
        # The browser that delivered the callback is owed one last page (the denial page, or the
        # completion page it was redirected to); the listener must not close before that page is out.
        self.page_owed = threading.Event()
        self.page_sent = threading.Event()

    def offer(self, query: str) -> tuple[int, str]:
        """Returns (HTTP status, page text) for whoever offered the query string."""
        try:
            params = parse_qs(query, keep_blank_values=True, max_num_fields=50)
        except ValueError:  # more fields than any real callback has
            return 400, "This sign-in link is malformed (too many parameters). Nothing was accepted."
        states = params.get("state", [])
        if len(states) > 1 or any(len(v) > 1 for v in params.values()):
            return 400, "This sign-in link is malformed (a parameter appears twice). Nothing was accepted."
        state = states[0] if states else None
        error = params.get("error", [None])[0]
        code = params.get("code", [None])[0]
        if state is not None and not hmac.compare_digest(state.encode(), self._expected):
            return 400, "This sign-in response does not belong to the login pdauth is waiting for."
        if self._aborted:
            return 400, "This login was stopped: its start address was opened twice. Nothing was accepted."
        if error is not None:
            # Whether Pipedrive echoes `state` on an error is unconfirmed, so an error may come without it.
            # It cannot inject anything: it can only end this login attempt.
            description = params.get("error_description", [None])[0]
            error = _error_text(error)
            description = _error_text(description) if description is not None else None
            self._deliver(CallbackResult(error=error, error_description=description))
            return 200, f"Pipedrive did not authorize pdauth ({error}). You can close this tab."
        if state is None:
            return 400, "This sign-in response has no state parameter. Nothing was accepted."
        if not code:
            return 400, "This sign-in response has no authorization code."
        self._deliver(CallbackResult(code=code))
        return 302, self.complete_path

    @property
    def start_path(self) -> str:
        return f"{START_PATH}/{self._start_nonce}"

    @property
    def complete_path(self) -> str:
        return f"{COMPLETE_PATH}/{self._complete_nonce}"

    def open_start(self, nonce: str) -> str | None:
        """The authorize URL for the first fetch of the start address; None for a wrong nonce or a second
        fetch, which also aborts the login: whoever fetched it first now knows `state`."""
        if not hmac.compare_digest(nonce.encode(), self._start_nonce.encode()):
            return None
        with self._claim_lock:
            self._start_fetches += 1
            first = self._start_fetches == 1
        if first:
            return self.authorize_url
        self.abort()
        return None

    def claim_complete(self, nonce: str) -> bool:
        """True once, for the completion page's own nonce, after a code arrived."""
        if not self.arrived or not hmac.compare_digest(nonce.encode(), self._complete_nonce.encode()):
            return False
        with self._claim_lock:
            first, self._complete_served = not self._complete_served, True
        return first

    def abort(self) -> None:
        self._aborted = True
        self._deliver(CallbackResult(aborted=True))

    @property
    def aborted(self) -> bool:
        """Whether the start address was fetched twice: checked again right before anything is saved,
        since a code may have arrived before the second fetch did."""
        return self._aborted

    def _deliver(self, result: CallbackResult) -> None:
        with self._deliver_lock:
            if not self._arrived.is_set():
                self._result = result
                self._arrived.set()

    def wait(self, timeout: float) -> CallbackResult:
        deadline = time.monotonic() + timeout
        # Short waits keep the main thread responsive to Ctrl-C.
        while not self._arrived.wait(min(0.25, max(0.0, deadline - time.monotonic()))):
            if time.monotonic() >= deadline:
                raise CallbackTimeout(f"No answer from the browser within {timeout:g} seconds")
        assert self._result is not None
        return self._result

    @property
    def arrived(self) -> bool:
        return self._arrived.is_set()

    def finish(self, ok: bool, message: str) -> None:
        self._outcome = (ok, message)
        self._finished.set()

    def outcome(self, wait: float) -> tuple[bool, str] | None:
        self._finished.wait(wait)
        return self._outcome


def is_loopback_host(header: str | None) -> bool:
    """Whether a Host header names a loopback address (any port)."""
    if not header:
        return False
    host = header.strip().lower()
    if host.startswith("["):  # [::1]:port
        host = host[1 : host.find("]")] if "]" in host else ""
    elif host.count(":") == 1:
        host = host.partition(":")[0]
    return host in LOOPBACK_HOSTS


def _error_text(value: str, limit: int = 200) -> str:
    """An `error` value safe to show on a terminal: RFC 6749 allows only printable ASCII there, and anyone
    can send one (no `state` needed), so escape sequences and other characters become '?', and it is cut."""
    clean = "".join(c if " " <= c <= "~" else "?" for c in value[:limit])
    return clean + "…" if len(value) > limit else clean


def page(title: str, message: str, ok: bool) -> bytes:
    colour = "#1a7f37" if ok else "#cf222e"
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>"
        "<body style='font-family:system-ui,sans-serif;max-width:40em;margin:4em auto'>"
        f"<h1 style='color:{colour}'>{html.escape(title)}</h1><p id='message'>{html.escape(message)}</p>"
        "</body></html>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = PER_CONNECTION_TIMEOUT
    server_version = "pdauth"
    sys_version = ""
    # The stdlib answers an unparsable request line HTTP/0.9-style, with no status line at all.
    default_request_version = "HTTP/1.0"

    def do_GET(self) -> None:
        if not is_loopback_host(self.headers.get("Host")):
            # DNS rebinding: a web page whose own name now resolves to 127.0.0.1 could otherwise talk
            # to this listener from the browser. Browsers always send Host; the port is not checked
            # (an SSH tunnel may forward another local port here).
            self._send(
                400, page("Not accepted", "This address answers only to 127.0.0.1 or localhost.", False)
            )
            return
        parts = urlsplit(self.path)
        inbox = self.server.inbox
        start, _, start_nonce = parts.path.rpartition("/")
        if start == START_PATH:
            authorize = inbox.open_start(start_nonce)
            if authorize:
                self._send(302, b"", location=authorize)
            elif inbox.aborted:
                text = "This login was stopped: its start address was opened twice. Run pdauth login again."
                self._send(410, page("Login stopped", text, ok=False))
            else:
                self._not_found()
        elif parts.path == self.server.callback_path:
            status, text = inbox.offer(parts.query)
            if status == 302:
                inbox.page_owed.set()  # the completion page is the last one
                self._send(302, b"", location=text)
            elif status == 200:
                inbox.page_owed.set()
                self._send(status, page("Login cancelled", text, ok=False))
                inbox.page_sent.set()
            else:
                self._send(status, page("Not accepted", text, ok=False))
        elif start == COMPLETE_PATH and inbox.claim_complete(start_nonce):
            outcome = inbox.outcome(COMPLETE_PAGE_WAIT)
            if outcome is None:
                self._send(200, page("pdauth", "Return to your terminal to see the result.", ok=True))
            else:
                ok, message = outcome
                self._send(200, page("Logged in" if ok else "Login failed", message, ok))
            inbox.page_sent.set()
        else:
            self._not_found()

    def _not_found(self) -> None:
        # The same page for every miss: a wrong nonce, a second fetch and a stray path look alike.
        self._send(404, page("Not found", "This address belongs to a pdauth login in progress.", False))

    def do_HEAD(self) -> None:
        self._send(405, b"")

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD

    def _send(self, status: int, body: bytes, location: str | None = None) -> None:
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")  # the callback URL carries the code
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        # The request line holds the code and state: log the method and path only. A request line too
        # malformed to parse leaves no `path` (send_error logs before it is set).
        path = urlsplit(getattr(self, "path", "") or "").path
        log.debug("loopback: %s %s -> %s", self.command, path, args[1:2])


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The stdlib's backlog of 5 drops the SYNs of a burst of connections, and the real callback's
    # connection then waits for a SYN retransmit (1 s, then 3 s...).
    request_queue_size = 64

    def __init__(self, host: str, port: int, path: str, inbox: CallbackInbox):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.callback_path = path
        self.inbox = inbox
        super().__init__((host, port), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        log.debug("loopback: a connection failed", exc_info=True)


def held_by_pdauth(host: str, port: int) -> bool:
    """Whether the listener on host:port is another pdauth login's (it answers with `Server: pdauth`).

    A direct connection, never through a proxy; a stray GET only gets that login's 404, it keeps waiting.
    """
    import http.client

    conn = http.client.HTTPConnection(host, port, timeout=1.0)
    try:
        conn.request(
            "GET", "/", headers={"Host": f"{host}:{port}" if ":" not in host else f"[{host}]:{port}"}
        )
        server = (conn.getresponse().getheader("Server") or "").split()
        return bool(server) and server[0].split("/")[0] == "pdauth"
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


class CallbackListener:
    """Binds at construction (so a busy port fails before any browser opens); serves in a thread.

    A `localhost` redirect URI binds 127.0.0.1 and ::1 on the port, and fails if either is taken.
    Leaving the `with` block lingers up to `linger` seconds for a page the browser is still owed: the
    serving threads are daemons, and a process that exits first cuts that page off mid-response."""

    def __init__(self, redirect_uri: str, inbox: CallbackInbox, linger: float = 5.0):
        target = RedirectTarget.parse(redirect_uri)
        self.inbox = inbox
        self.linger = linger
        self._servers: list[_Server] = []
        port = target.port
        try:
            for host in target.bind_hosts:
                server = _bind(host, port, target.path, inbox, optional=host != target.bind_host)
                if server is not None:
                    self._servers.append(server)
                    port = server.server_address[1]  # port 0: the others take the one the first got
        except BaseException:
            for server in self._servers:
                server.server_close()
            raise
        self.port = port
        self.host = target.bind_host
        # A short poll interval: shutdown() waits for it, and login should end as soon as it is done.
        self._threads = [
            threading.Thread(target=s.serve_forever, args=(0.05,), name="pdauth-loopback", daemon=True)
            for s in self._servers
        ]

    @property
    def start_url(self) -> str:
        """The one-time address to give the browser instead of the authorize URL."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.inbox.start_path}"

    def start(self) -> CallbackListener:
        for thread in self._threads:
            thread.start()
        return self

    def close(self, linger: float = 0.0) -> None:
        """Stop serving, after up to `linger` seconds for a page the browser is owed."""
        if linger and self.inbox.page_owed.is_set():
            self.inbox.page_sent.wait(linger)
        for server, thread in zip(self._servers, self._threads, strict=True):
            if thread.is_alive():
                server.shutdown()
            server.server_close()

    def __enter__(self) -> CallbackListener:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        # Ctrl-C means stop now; every other exit (success or a failed exchange) finishes the page.
        interrupted = exc_type is not None and not issubclass(exc_type, Exception)
        self.close(linger=0.0 if interrupted else self.linger)


def _bind(host: str, port: int, path: str, inbox: CallbackInbox, *, optional: bool) -> _Server | None:
    """A server on host:port, or PortInUse. An `optional` address this machine does not have (::1 with
    IPv6 disabled) is skipped: no one else can listen there either."""
    try:
        return _Server(host, port, path, inbox)
    except OSError as exc:
        shown = f"[{host}]" if ":" in host else host
        if optional and exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
            return None
        if exc.errno == errno.EADDRINUSE and held_by_pdauth(host, port):
            raise PortInUse(
                f"Another `pdauth login` is waiting on port {port} for its browser",
                hint="Finish that login in its browser tab, or cancel it with Ctrl-C in its terminal, "
                "then try again",
            ) from None
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            also = " (a localhost callback may arrive at either loopback address)" if optional else ""
            raise PortInUse(
                f"Port {port} on {shown} is in use, so the login callback cannot be received{also}",
                hint=f"Stop what listens there (`lsof -i :{port}`; it may be another user's) or register "
                "another redirect URI in Developer Hub and pass it with --redirect-uri",
            ) from None
        raise
