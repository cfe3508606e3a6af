"""The HTTP client of `pdauth call`: one keep-alive HTTP/1.1 connection to the api_domain, on http.client.

requests (with urllib3) costs a short call more to import than the call takes, and a long `--paginate` a
measurable share per request (docs/performance.md, P2). `call` needs little of
requests, and this does that little the way `pdauth.core.http.new_session`'s session did: the same request
headers (so --dry-run shows what goes out), requests' URL quoting, (connect, read) timeouts, gzip and
deflate bodies; no cookies, no redirects followed. The proxy and the CA bundle come from
`pdauth.core.network`, as for the requests sessions: plain http through a proxy sends the absolute URL
to it, https opens a CONNECT tunnel. A connection the server closed while idle is noticed before it is
reused. OAuth (a refresh after a 401) still goes through requests, in `pdauth.core.oauth`.
"""

from __future__ import annotations

import http.client
import logging
import select
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from pdauth.core.http import USER_AGENT
from pdauth.core.network import Proxy, ca_bundle, proxy_for

if TYPE_CHECKING:
    import ssl

log = logging.getLogger(__name__)

Headers = tuple[tuple[str, str], ...]

# What a requests.Session sends by default (with pdauth's User-Agent), in its order.
DEFAULT_HEADERS: Final[Headers] = (
    ("User-Agent", USER_AGENT),
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept", "*/*"),
    ("Connection", "keep-alive"),
)
_VERSIONS: Final = {10: "HTTP/1.0", 11: "HTTP/1.1"}
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


@dataclass(frozen=True)
class HttpRequest:
    method: str
    url: str
    headers: Headers
    body: bytes | None = None


@dataclass(frozen=True)
class HttpResponse:
    status: int
    reason: str
    http_version: str
    headers: Headers
    content: bytes  # decoded from gzip/deflate when the server compressed it

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


class TransportError(Exception):
    """No HTTP response: the connection failed, timed out, or broke. `kind` names it as requests would
    (ProxyError: the proxy could not be reached or refused the tunnel; SSLError: TLS verification).
    `sent` is False when the failure came before any byte of the request left this machine."""

    def __init__(
        self, kind: str, cause: BaseException, *, proxy: Proxy | None = None, sent: bool = True
    ) -> None:
        super().__init__(f"{kind}: {cause}")
        self.kind = kind
        self.cause = cause
        self.proxy = proxy
        self.sent = sent

    @property
    def permanent(self) -> bool:
        """A refused proxy or a certificate that does not verify will not fix itself: never retried."""
        return self.kind in ("ProxyError", "SSLError")


def prepare(
    method: str, url: str, query: Iterable[tuple[str, str]], headers: Headers, body: bytes | None
) -> HttpRequest:
    """The request exactly as it will be sent: the default headers merged with `headers`, as requests does
    (a name given again, in any case, replaces the value in place), and the URL quoted as requests does."""
    merged: dict[str, tuple[str, str]] = {}
    for name, value in (*DEFAULT_HEADERS, *headers):
        merged[name.lower()] = (name, value)
    if body is not None:
        merged["content-length"] = ("Content-Length", str(len(body)))
    elif method not in ("GET", "HEAD") and "content-length" not in merged:
        merged["content-length"] = ("Content-Length", "0")
    return HttpRequest(method, build_url(url, query), tuple(merged.values()), body)


def build_url(url: str, query: Iterable[tuple[str, str]]) -> str:
    """`url` with `query` appended, form-encoded and re-quoted like requests' PreparedRequest.url."""
    parts = urlsplit(url)
    encoded = urlencode(list(query))
    joined = f"{parts.query}&{encoded}" if parts.query and encoded else parts.query or encoded
    return requote(
        urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", joined, parts.fragment))
    )


def requote(uri: str) -> str:
    """Quote what must be quoted, leave reserved characters and valid %-escapes alone (requests' rules)."""
    pieces = uri.split("%")
    for i in range(1, len(pieces)):
        code = pieces[i][:2]
        if len(code) == 2 and code.isalnum():
            try:
                char = chr(int(code, 16))
            except ValueError:
                return quote(uri, safe="!#$&'()*+,/:;=?@[]~")  # a stray %: quote it too
            pieces[i] = char + pieces[i][2:] if char in _UNRESERVED else "%" + pieces[i]
        else:
            pieces[i] = "%" + pieces[i]
    return quote("".join(pieces), safe="!#$%&'()*+,/:;=?@[]~")


class Transport:
    """Sends requests over one reusable connection (reopened when the server closes it)."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        """`env`: where the proxy and CA bundle settings are read (None: a direct connection, certifi)."""
        self._env: Mapping[str, str] = env or {}
        self._conn: http.client.HTTPConnection | None = None
        self._origin: tuple[str, str, int] | None = None
        self._tls: ssl.SSLContext | None = None

    def send(self, request: HttpRequest, timeout: tuple[float, float]) -> HttpResponse:
        """The response (any status); TransportError when there is none."""
        parts = urlsplit(request.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 443)  # explicit, or http.client misreads "::1"
        proxy = proxy_for(request.url, self._env)
        conn = self._connection(parts.scheme, parts.hostname or "", port, timeout, proxy)
        forward = proxy is not None and parts.scheme == "http"
        try:
            # Plain http through a proxy: the request line carries the absolute URL (RFC 9112 §3.2.2).
            conn.putrequest(request.method, request.url if forward else target, skip_accept_encoding=True)
            for name, value in request.headers:
                conn.putheader(name, value)
            if forward and proxy is not None and (authorization := proxy.authorization()):
                conn.putheader("Proxy-Authorization", authorization)
            conn.endheaders(request.body)
            response = conn.getresponse()
            content = response.read()
            headers = tuple(response.getheaders())
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise TransportError(
                "ReadTimeout" if isinstance(exc, TimeoutError) else "ConnectionError", exc
            ) from exc
        log.debug(
            '%s://%s "%s %s" %s %d',
            parts.scheme,
            parts.netloc,
            request.method,
            target,
            response.status,
            len(content),
        )
        if response.will_close:
            self.close()
        encoding = next((v for k, v in headers if k.lower() == "content-encoding"), "")
        return HttpResponse(
            response.status,
            response.reason or "",
            _VERSIONS.get(response.version, "HTTP/1.1"),
            headers,
            _decoded(content, encoding),
        )

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(
        self, scheme: str, host: str, port: int, timeout: tuple[float, float], proxy: Proxy | None
    ) -> http.client.HTTPConnection:
        origin = (scheme, host, port)
        if self._conn is not None and origin != self._origin:
            self.close()
        elif self._conn is not None and _dropped(self._conn):
            log.debug("the server closed the connection: reconnecting")
            self.close()
        if self._conn is None:
            via = f" through the proxy {proxy.where}" if proxy else ""
            log.debug("connecting to %s://%s:%s%s", scheme, host, port, via)
            conn = self._new_connection(scheme, host, port, timeout[0], proxy)
            try:
                conn.connect()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                raise _connect_error(exc, proxy) from exc
            assert conn.sock is not None
            conn.sock.settimeout(timeout[1])  # connected: from now on, the read timeout
            self._conn, self._origin = conn, origin
        return self._conn

    def _new_connection(
        self, scheme: str, host: str, port: int, connect_timeout: float, proxy: Proxy | None
    ) -> http.client.HTTPConnection:
        if scheme == "http":
            if proxy is not None:
                return http.client.HTTPConnection(proxy.host, proxy.port, timeout=connect_timeout)
            return http.client.HTTPConnection(host, port, timeout=connect_timeout)
        if self._tls is None:
            self._tls = _tls_context(self._env)
        if proxy is None:
            return http.client.HTTPSConnection(host, port, timeout=connect_timeout, context=self._tls)
        # https through a proxy: CONNECT host:port, then TLS with the real host inside the tunnel.
        conn = http.client.HTTPSConnection(proxy.host, proxy.port, timeout=connect_timeout, context=self._tls)
        authorization = proxy.authorization()
        conn.set_tunnel(host, port, headers={"Proxy-Authorization": authorization} if authorization else None)
        return conn


def _connect_error(exc: BaseException, proxy: Proxy | None) -> TransportError:
    """What a failed connect means; nothing of the request was sent."""
    if _is_tls_error(exc):
        return TransportError("SSLError", exc, proxy=proxy, sent=False)
    if isinstance(exc, TimeoutError):
        return TransportError("ConnectTimeout", exc, proxy=proxy, sent=False)
    status = tunnel_status(exc)
    if proxy is not None and (status is None or status < 500):
        # Refused or unreachable proxy, or one that answered CONNECT with 403/407: about the proxy, and
        # not something a retry fixes. (A 5xx answer is the proxy failing to reach the host: retryable.)
        return TransportError("ProxyError", exc, proxy=proxy, sent=False)
    return TransportError("ConnectionError", exc, proxy=proxy, sent=False)


def tunnel_status(exc: BaseException) -> int | None:
    """The proxy's status code from http.client's "Tunnel connection failed: 407 ..." error, if that."""
    text = str(exc)
    prefix = "Tunnel connection failed: "
    if isinstance(exc, OSError) and text.startswith(prefix):
        code = text[len(prefix) :].split(" ", 1)[0]
        return int(code) if code.isdigit() else None
    return None


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """An idle keep-alive connection with something to read has been closed by the server (EOF)."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _tls_context(env: Mapping[str, str] | None = None) -> ssl.SSLContext:
    import ssl

    cafile, _ = ca_bundle(env or {})
    return ssl.create_default_context(cafile=cafile or None)


def _is_tls_error(exc: BaseException) -> bool:
    import ssl

    return isinstance(exc, ssl.SSLError)


def _decoded(content: bytes, encoding: str) -> bytes:
    """The body without its Content-Encoding (only what DEFAULT_HEADERS offers; anything else as it came)."""
    encoding = encoding.strip().lower()
    if not content or encoding not in ("gzip", "x-gzip", "deflate"):
        return content
    import zlib

    try:
        if encoding == "deflate":
            try:
                return zlib.decompress(content)
            except zlib.error:  # some servers send raw deflate, without the zlib header
                return zlib.decompress(content, -zlib.MAX_WBITS)
        import gzip

        return gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as exc:
        raise TransportError("ContentDecodingError", exc) from exc
