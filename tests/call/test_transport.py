"""`pdauth.call.transport`: what goes on the wire, and what comes back, against a scripted local server.

The requests a session of `pdauth.core.http.new_session` would prepare are the reference for `prepare`: the
header set and order, Content-Length and URL quoting must not change with the HTTP client underneath.
"""

from __future__ import annotations

import gzip
import socket
import socketserver
import ssl
import threading
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from pdauth.call.transport import HttpRequest, Transport, TransportError, _tls_context, prepare
from pdauth.core.http import new_session

TIMEOUT = (2.0, 2.0)

# -- prepare(): the same request a requests.Session would send --------------------------------------

PREPARE_CASES = [
    ("GET", "https://acme.pipedrive.com/api/v1/deals", [], [], None),
    ("GET", "https://acme.pipedrive.com/api/v1/deals", [("start", "0"), ("limit", "500")], [], None),
    ("GET", "http://127.0.0.1:8123/api/v2/persons/search", [("term", "Jürgen & Co / 100%")], [], None),
    ("GET", "https://acme.pipedrive.com/api/v1/files/a b/ü%41%2F", [("q", "~x y+z")], [], None),
    ("GET", "https://acme.pipedrive.com/api/v1/deals#top", [("limit", "1")], [], None),
    ("DELETE", "https://acme.pipedrive.com/api/v1/deals/4", [], [], None),
    (
        "POST",
        "https://acme.pipedrive.com/api/v1/deals",
        [],
        [("Content-Type", "application/json"), ("X-Trace", "42")],
        b'{"title":"\xc3\xa9"}',
    ),
    ("PUT", "https://acme.pipedrive.com/api/v1/deals/4", [], [("accept", "text/csv")], b"{}"),
    ("PATCH", "https://Acme.Pipedrive.com/api/v2/deals/4", [], [("Connection", "close")], b"{}"),
]


@pytest.mark.parametrize(("method", "url", "query", "headers", "body"), PREPARE_CASES)
def test_prepare_matches_what_a_requests_session_sends(
    method: str, url: str, query: list[tuple[str, str]], headers: list[tuple[str, str]], body: bytes | None
) -> None:
    all_headers = [("Accept", "application/json"), *headers, ("Authorization", "Bearer t")]
    ours = prepare(method, url, query, tuple(all_headers), body)
    reference = new_session().prepare_request(
        requests.Request(method, url, params=query, headers=dict(all_headers), data=body)
    )
    assert ours.url == reference.url
    assert list(ours.headers) == list(reference.headers.items())
    assert ours.body == reference.body


# -- a scripted server ------------------------------------------------------------------------------


@dataclass
class Seen:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    connection: int


Reply = Callable[[Seen], bytes | None]  # the raw response; None closes the connection instead


@dataclass
class Server:
    reply: Reply
    seen: list[Seen] = field(default_factory=list)
    connections: int = 0
    url: str = ""
    hang_up: bool = False  # close each connection after its first response
    hung_up: threading.Event = field(default_factory=threading.Event)


def respond(status: str = "200 OK", body: bytes = b"{}", *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(reply=lambda seen: respond())

    class Handler(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            state.connections += 1
            number = state.connections
            while True:
                line = self.rfile.readline()
                if not line:
                    return
                method, target, _ = line.decode().split(" ", 2)
                headers = []
                while (raw := self.rfile.readline()) not in (b"\r\n", b""):
                    name, _, value = raw.decode().partition(":")
                    headers.append((name, value.strip()))
                length = int(dict((k.lower(), v) for k, v in headers).get("content-length", "0"))
                seen = Seen(method, target, headers, self.rfile.read(length), number)
                state.seen.append(seen)
                answer = state.reply(seen)
                if answer is None:
                    return
                self.wfile.write(answer)
                if state.hang_up:
                    # shutdown(), not close(): the makefile()s keep the socket open until they go
                    self.connection.shutdown(socket.SHUT_RDWR)
                    state.hung_up.set()
                    return

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler) as tcp:
        tcp.daemon_threads = True
        threading.Thread(target=tcp.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        state.url = f"http://127.0.0.1:{tcp.server_address[1]}"
        yield state
        tcp.shutdown()


def get(server: Server, path: str = "/api/v1/deals", **kwargs: Any) -> HttpRequest:
    return prepare("GET", server.url + path, kwargs.get("query", ()), kwargs.get("headers", ()), None)


# -- the wire ---------------------------------------------------------------------------------------


def test_requests_share_one_keep_alive_connection_and_send_exact_headers(server: Server) -> None:
    transport = Transport()
    for start in (0, 500, 1000):
        response = transport.send(get(server, query=[("start", str(start)), ("limit", "500")]), TIMEOUT)
        assert (response.status, response.content) == (200, b"{}")
    assert server.connections == 1 and [s.connection for s in server.seen] == [1, 1, 1]
    first = server.seen[0]
    assert (first.method, first.target) == ("GET", "/api/v1/deals?start=0&limit=500")
    names = [name for name, _ in first.headers]
    assert names == ["Host", "User-Agent", "Accept-Encoding", "Accept", "Connection"]
    assert dict(first.headers)["Accept-Encoding"] == "gzip, deflate"  # offered once, and decoded below


def test_a_body_goes_with_its_length(server: Server) -> None:
    request = prepare(
        "POST", server.url + "/api/v1/deals", (), (("Content-Type", "application/json"),), b'{"a":1}'
    )
    Transport().send(request, TIMEOUT)
    (seen,) = server.seen
    assert seen.body == b'{"a":1}' and dict(seen.headers)["Content-Length"] == "7"


def test_a_connection_the_server_closed_is_reopened(server: Server) -> None:
    server.reply = lambda seen: respond("200 OK", b"{}", "Connection: close")
    transport = Transport()
    assert transport.send(get(server), TIMEOUT).status == 200
    assert transport.send(get(server), TIMEOUT).status == 200
    assert server.connections == 2


def test_an_idle_connection_dropped_by_the_server_is_noticed_before_reuse(server: Server) -> None:
    server.hang_up = True  # as a keep-alive timeout does: no `Connection: close`, just gone afterwards
    transport = Transport()
    assert transport.send(get(server), TIMEOUT).status == 200
    assert server.hung_up.wait(5)
    assert transport.send(get(server), TIMEOUT).status == 200  # not a RemoteDisconnected
    assert server.connections == 2


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, no zlib header
    ],
)
def test_compressed_bodies_are_decoded(
    server: Server, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    body = b'{"data":[' + b'{"id":1},' * 100 + b'{"id":2}]}'
    server.reply = lambda seen: respond("200 OK", encode(body), f"Content-Encoding: {encoding}")
    assert Transport().send(get(server), TIMEOUT).content == body


def test_a_corrupt_compressed_body_is_a_transport_error(server: Server) -> None:
    server.reply = lambda seen: respond("200 OK", b"not gzip", "Content-Encoding: gzip")
    with pytest.raises(TransportError) as err:
        Transport().send(get(server), TIMEOUT)
    assert err.value.kind == "ContentDecodingError"


def test_status_reason_version_and_headers_come_back_as_sent(server: Server) -> None:
    server.reply = lambda seen: respond("404 Not Found", b"x", "X-Ratelimit-Remaining: 79", "Set-Cookie: a=1")
    response = Transport().send(get(server), TIMEOUT)
    assert (response.status, response.reason, response.http_version) == (404, "Not Found", "HTTP/1.1")
    assert ("X-Ratelimit-Remaining", "79") in response.headers
    assert response.header("x-ratelimit-remaining") == "79" and response.header("Retry-After") is None


def test_redirects_are_not_followed(server: Server) -> None:
    server.reply = lambda seen: respond("302 Found", b"", "Location: https://evil.example/")
    assert Transport().send(get(server), TIMEOUT).status == 302
    assert len(server.seen) == 1


def test_no_answer_is_a_read_timeout(server: Server) -> None:
    release = threading.Event()

    def slow(seen: Seen) -> bytes:
        release.wait(5)
        return respond()

    server.reply = slow
    with pytest.raises(TransportError) as err:
        Transport().send(get(server), (2.0, 0.2))
    release.set()
    assert err.value.kind == "ReadTimeout"


def test_a_dropped_connection_and_a_refused_one_are_connection_errors(server: Server) -> None:
    server.reply = lambda seen: None
    with pytest.raises(TransportError) as err:
        Transport().send(get(server), TIMEOUT)
    assert err.value.kind == "ConnectionError"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: refused
        with pytest.raises(TransportError) as err:
            Transport().send(prepare("GET", f"http://127.0.0.1:{port}/api/v1/x", (), (), None), TIMEOUT)
    assert err.value.kind == "ConnectionError"


def test_tls_verifies_certificates_and_host_names() -> None:
    context = _tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_an_ipv6_literal_host_is_reached() -> None:
    try:
        listener = socket.create_server(("::1", 0), family=socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    received: list[bytes] = []

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            received.append(conn.recv(65536))
            conn.sendall(respond())

    threading.Thread(target=serve, daemon=True).start()
    with listener:
        port = listener.getsockname()[1]
        request = prepare("GET", f"http://[::1]:{port}/api/v1/deals", (), (), None)
        assert Transport().send(request, TIMEOUT).status == 200
    assert f"Host: [::1]:{port}\r\n".encode() in received[0]


def _self_signed(tmp: Any) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key, as PEM files."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pdauth test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return str(cert_file), str(key_file)


def test_https_is_verified_and_kept_alive(tmp_path: Any) -> None:
    cert, key = _self_signed(tmp_path)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert, key)
    listener = server_tls.wrap_socket(socket.create_server(("127.0.0.1", 0)), server_side=True)
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:  # the handshake of the untrusting client failed, or the test is over
                if listener.fileno() == -1:
                    return
                continue
            accepted.append(1)
            with conn, conn.makefile("rb") as reader:
                for line in reader:  # GETs: each request ends with its blank line
                    if line == b"\r\n":
                        conn.sendall(respond("200 OK", b'{"tls":true}'))

    threading.Thread(target=serve, daemon=True).start()
    url = f"https://127.0.0.1:{listener.getsockname()[1]}/api/v1/users/me"
    with pytest.raises(TransportError) as err:  # not signed by a CA that certifi knows
        Transport().send(prepare("GET", url, (), (), None), TIMEOUT)
    assert err.value.kind == "SSLError"
    transport = Transport()
    transport._tls = ssl.create_default_context(cafile=cert)  # as if a known CA had signed it
    for _ in range(3):
        assert transport.send(prepare("GET", url, (), (), None), TIMEOUT).content == b'{"tls":true}'
    assert len(accepted) == 1
    listener.close()
