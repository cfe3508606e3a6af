"""The loopback listener under hostile input, while a real `flows.login` waits on it.

The "browser" first fires a battery of hostile requests over raw sockets at the listener, checking each
answer, then follows the genuine authorize URL. The login must still complete with the genuine code:
nothing in the battery may crash the listener, stall it, or get a code (or an error) accepted.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from pdauth.core.context import Context, Deps
from pdauth.errors import AuthorizationDenied
from pdauth.login import flow as flows
from tests.support.fakes import QuietLoginUI
from tests.support.keyrings import MemoryKeyring

XSS = "<script>alert('pwned')</script><img src=x onerror=alert(1)>"
ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31mred"


def exchange(port: int, data: bytes, timeout: float = 5.0) -> tuple[int | None, bytes]:
    """Send raw bytes, read until the server closes; (status or None when no status line came, raw reply)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)  # a client that has said everything it will say
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    status = None
    if reply.startswith(b"HTTP/1.") and len(reply) >= 12:
        status = int(reply[9:12])
    return status, reply


def get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()


def battery(state: str) -> list[tuple[str, bytes, set[int | None]]]:
    """(name, raw request, acceptable statuses). None = connection closed without a status line."""
    code = "123.777.0123456789abcdef0123456789abcdef01234567"  # shaped like a real one, never issued
    good = f"code={code}&state={state}"
    cases: list[tuple[str, bytes, set[int | None]]] = []
    for path in (
        "/",
        "/favicon.ico",
        "/callback/",
        "/callbackx",
        "/CALLBACK",
        "/callback/../callback",
        "/pdauth/complete",
        "/pdauth/complete/" + "A" * 43,
        "/pdauth/start",
        "/pdauth/start/" + "A" * 43,
        "/%2Fcallback",
    ):
        cases.append((f"wrong path {path}", get(f"{path}?{good}"), {404}))
    for name, query in [
        ("missing state", f"code={code}"),
        ("duplicate state", f"{good}&state={state}"),
        ("duplicate state, one wrong", f"{good}&state=wrong"),
        ("duplicate code", f"{good}&code={code}"),
        ("wrong state", f"code={code}&state=wrong"),
        ("state prefix", f"code={code}&state={state[:-1]}"),
        ("state plus one", f"code={code}&state={state}x"),
        ("empty state", f"code={code}&state="),
        ("state with NUL", f"code={code}&state={state}%00"),
        ("non-ASCII state", f"code={code}&state={quote('é' * 43)}"),
        ("invalid UTF-8 state", f"code={code}&state=%ff%fe%fd"),
        ("empty code", f"code=&state={state}"),
        ("no code", f"state={state}"),
        ("too many fields", "&".join(f"f{i}=1" for i in range(500)) + f"&{good}"),
        ("huge state", f"code={code}&state={'A' * 60000}"),
        ("HTML/JS in state", f"code={code}&state={quote(XSS)}"),
        ("HTML/JS in error, wrong state", f"error={quote(XSS)}&error_description={quote(XSS)}&state=x"),
        ("HTML/JS in error_description, wrong state", f"{good}x&error_description={quote(XSS)}"),
    ]:
        cases.append((name, get(f"/callback?{query}"), {400}))
    cases += [
        # DNS rebinding: a page under its own name, with a state it cannot know (here: it does)
        (
            "rebound Host, right state",
            f"GET /callback?{good} HTTP/1.1\r\nHost: evil.example\r\n\r\n".encode(),
            {400},
        ),
        ("no Host, right state", f"GET /callback?{good} HTTP/1.1\r\n\r\n".encode(), {400}),
        ("query over 64 KiB", get("/callback?" + "a" * 70000), {414}),
        ("101 headers", f"GET /callback?{good} HTTP/1.1\r\n".encode() + b"X-A: b\r\n" * 101 + b"\r\n", {431}),
        (
            "70 KiB header",
            f"GET /callback?{good} HTTP/1.1\r\nX-A: ".encode() + b"b" * 70000 + b"\r\n\r\n",
            {431},
        ),
        (
            "90 headers of 8 KiB",
            get(f"/callback?code={code}&state=x")[:-2]
            + b"X-B: "
            + b"c" * 8000
            + b"\r\n"
            + b"".join(f"X-{i}: ".encode() + b"d" * 8000 + b"\r\n" for i in range(89))
            + b"\r\n",
            {400},
        ),
        ("garbage request line", b"GARBAGE\r\n\r\n", {400}),
        ("binary junk", bytes(range(1, 256)) + b"\r\n\r\n", {400}),
        ("TLS ClientHello", b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(200), {400, None}),
        ("HTTP/2.0", f"GET /callback?{good} HTTP/2.0\r\n\r\n".encode(), {505}),
        ("HTTP/9.9", f"GET /callback?{good} HTTP/9.9\r\n\r\n".encode(), {505}),
        ("bad version", f"GET /callback?{good} HTTX/1.1\r\n\r\n".encode(), {400}),
        ("blank request", b"\r\n\r\n", {None}),
        ("absolute-form URL, wrong state", get(f"http://evil.example/callback?code={code}&state=x"), {400}),
        (
            "header without colon",
            f"GET /callback?code={code}&state=x HTTP/1.1\r\nnonsense\r\n\r\n".encode(),
            {400},
        ),
        (
            "GET with a body",
            f"GET /callback?code={code}&state=x HTTP/1.1\r\nContent-Length: 5\r\n\r\nabcde".encode(),
            {400},
        ),
    ]
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"):
        body = f"{method} /callback?{good} HTTP/1.1\r\nContent-Length: 1000000\r\n\r\n{good}".encode()
        cases.append((f"{method} with the right state", body, {405}))
    for method in ("TRACE", "CONNECT", "BREW"):
        cases.append((f"{method}", f"{method} /callback?{good} HTTP/1.1\r\n\r\n".encode(), {501}))
    return cases


def listening_addresses(port: int) -> list[str]:
    """Local addresses of every LISTEN socket on `port`, from the kernel's own tables."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError), open(table) as fh:
            for line in fh.readlines()[1:]:
                fields = line.split()
                address, hex_port = fields[1].split(":")
                if fields[3] == "0A" and int(hex_port, 16) == port:  # 0A = TCP_LISTEN
                    raw = bytes.fromhex(address)
                    if len(raw) == 4:
                        found.append(socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(address, 16))))
                    else:
                        words = struct.unpack("<4I", raw)
                        found.append(socket.inet_ntop(socket.AF_INET6, struct.pack(">4I", *words)))
    return found


def outward_address() -> str | None:
    """This machine's address on its default route, if it has one (UDP connect sends no packet)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("10.255.255.255", 9))
            address = str(s.getsockname()[0])
    except OSError:
        return None
    return None if address.startswith("127.") else address


def authorize_url(start: str) -> str:
    """What the browser's one-time start address redirects to (fetching it spends it)."""
    response = requests.get(start, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return str(response.headers["Location"])


@pytest.fixture
def make_ctx(client_env: dict[str, str]) -> Callable[..., Context]:
    keyring = MemoryKeyring()

    def make(open_browser: Callable[[str], bool]) -> Context:
        return Context(Deps(env=client_env, open_browser=open_browser, keyring_backend=keyring))

    return make


class HostileBrowser:
    """An `open_browser` that attacks the listener before behaving. Failures are kept (pdauth swallows
    whatever a browser opener raises) and the genuine URL is followed anyway, so the login ends fast."""

    def __init__(self, emulator: Any, redirect_uri: str) -> None:
        self.emulator = emulator
        self.port = urlsplit(redirect_uri).port or 0
        self.failures: list[str] = []
        self.answered: dict[str, int | None] = {}
        self.battery_seconds = 0.0
        self.addresses: list[str] = []
        self.outward_refused: bool | None = None
        self.connect_seconds = 0.0

    def __call__(self, url: str) -> bool:
        authorize = authorize_url(url)
        state = parse_qs(urlsplit(authorize).query)["state"][0]
        with self.silent_clients(20):  # open throughout, the genuine callback included
            try:
                self.attack(state)
            except Exception as exc:  # reported by the test, not swallowed by pdauth
                self.failures.append(f"battery crashed: {type(exc).__name__}: {exc}")
            requests.get(authorize, timeout=30)  # the genuine consent (auto-approved) and callback
        return True

    def attack(self, state: str) -> None:
        self.addresses = listening_addresses(self.port)
        outward = outward_address()
        if outward is not None:
            try:
                socket.create_connection((outward, self.port), timeout=1).close()
                self.outward_refused = False
            except OSError:
                self.outward_refused = True
        start = time.monotonic()
        for name, data, expected in battery(state):
            try:
                status, reply = exchange(self.port, data)
            except OSError as exc:
                self.failures.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            self.answered[name] = status
            if status not in expected:
                self.failures.append(f"{name}: got {status}, expected one of {expected}: {reply[:120]!r}")
            for payload in (b"<script", b"onerror=", b"\x1b"):
                if payload in reply:
                    self.failures.append(f"{name}: the reply echoes {payload!r} unescaped")
            if state.encode() in reply:
                self.failures.append(f"{name}: the reply echoes the state")
            if self.emulator.stats()["token_requests"]:
                self.failures.append(f"{name}: a code was sent to the token endpoint")
        self.battery_seconds = time.monotonic() - start

    @contextlib.contextmanager
    def silent_clients(self, count: int) -> Iterator[None]:
        """Connections that send nothing (or half a request line) and stay open."""
        start = time.monotonic()
        socks = [socket.create_connection(("127.0.0.1", self.port), timeout=5) for _ in range(count)]
        self.connect_seconds = time.monotonic() - start
        socks[0].sendall(b"GET /callback?code=1.2.3&sta")  # a slowloris request line, never finished
        try:
            yield
        finally:
            for s in socks:
                s.close()


@pytest.mark.timeout(60)
def test_hostile_battery_then_the_genuine_callback_completes_the_login(
    make_ctx: Callable[..., Context], emulator: Any, redirect_uri: str
) -> None:
    emulator.reset_stats()
    browser = HostileBrowser(emulator, redirect_uri)

    result = flows.login(make_ctx(browser), QuietLoginUI(), timeout=45)

    assert browser.failures == [], "\n".join(browser.failures)
    assert len(browser.answered) == len(battery("x")), "every hostile request got an answer or a clean close"
    assert browser.battery_seconds < 15, f"the listener stalled: {browser.battery_seconds:.1f} s"
    # A dropped SYN is retried after 1 s: a burst of connections must fit the listen backlog.
    assert browser.connect_seconds < 0.9, f"{browser.connect_seconds:.1f} s to open 20 connections"
    assert browser.addresses and set(browser.addresses) == {"127.0.0.1"}, browser.addresses
    assert browser.outward_refused in (True, None)
    # Only the genuine code was ever exchanged, and it logged in.
    stats = emulator.stats()
    assert stats["grants"]["authorization_code"] == 1 and stats["grant_errors"] == {}, stats
    assert result.identity.company_id == emulator.config.company_id


@pytest.mark.timeout(30)
@pytest.mark.parametrize("with_state", [True, False], ids=["with-state", "without-state"])
def test_an_error_callback_can_only_end_the_attempt_and_is_escaped_everywhere(
    make_ctx: Callable[..., Context], emulator: Any, redirect_uri: str, with_state: bool
) -> None:
    """Anyone can send an error (Pipedrive may omit `state` on one): it ends the login as denied — it
    cannot inject a code — and its text is escaped on the page and cleaned for the terminal."""
    port = urlsplit(redirect_uri).port or 0
    replies: list[bytes] = []

    def browser(url: str) -> bool:
        state = parse_qs(urlsplit(authorize_url(url)).query)["state"][0]
        query = f"error={quote(XSS + ESCAPES)}&error_description={quote(XSS + ESCAPES)}"
        if with_state:
            query += f"&state={state}"
        replies.append(exchange(port, get(f"/callback?{query}"))[1])
        return True

    with pytest.raises(AuthorizationDenied) as err:
        flows.login(make_ctx(browser), QuietLoginUI(), timeout=20)

    assert err.value.exit_code == 4
    assert "\x1b" not in err.value.message and "\x07" not in err.value.message
    (reply,) = replies
    assert reply.startswith(b"HTTP/1.0 200") and b"Login cancelled" in reply
    assert b"&lt;script&gt;" in reply
    assert b"<script" not in reply and b"<img" not in reply and b"\x1b" not in reply
    assert emulator.stats()["token_requests"] == 0
