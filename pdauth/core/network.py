"""Which proxy a URL goes through and which CA bundle TLS trusts: the one place both HTTP clients ask.

The rules are curl's and requests': `<scheme>_proxy` (lower case first, then upper case), then
`all_proxy`; `no_proxy` lists hosts or domains (`.example.com` and `example.com` both match subdomains),
IP addresses or CIDR ranges, optionally with `:port`, or `*` for every host. Loopback hosts are not
exempt on their own: a company's proxy may well be the only way out, and NO_PROXY=127.0.0.1 says so
when it is not. The CA bundle is REQUESTS_CA_BUNDLE, else CURL_CA_BUNDLE, else SSL_CERT_FILE, else
certifi's.

Everything is read from the invocation's env mapping, never from os.environ, and nothing reads
~/.netrc: requests' own env handling (trust_env) would, and a .netrc entry would replace the
Authorization header pdauth sets.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Mapping
from typing import Final
from urllib.parse import unquote, urlsplit

from pdauth import envvars
from pdauth.errors import ApiRequestFailed, ConfigError

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
CA_BUNDLE_VARS: Final = (
    envvars.ENV_REQUESTS_CA_BUNDLE,
    envvars.ENV_CURL_CA_BUNDLE,
    envvars.ENV_SSL_CERT_FILE,
)


class Proxy:
    """One proxy from the environment. `where` (host:port) is what messages show: never the password."""

    __slots__ = ("host", "password", "port", "source", "username")

    def __init__(self, host: str, port: int, username: str, password: str, source: str) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.source = source  # the variable it came from, e.g. HTTPS_PROXY

    @property
    def where(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def url(self) -> str:
        """The proxy as requests wants it (with credentials, percent-encoded: only ever handed to urllib3)."""
        from urllib.parse import quote

        auth = f"{quote(self.username, safe='')}:{quote(self.password, safe='')}@" if self.username else ""
        return f"http://{auth}{self.where}"

    def authorization(self) -> str | None:
        """The Proxy-Authorization header value (Basic), or None without credentials."""
        if not self.username:
            return None
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")

    def describe(self) -> str:
        user = f" as {self.username}" if self.username else ""
        return f"{self.where}{user} (from {self.source})"

    def __repr__(self) -> str:  # never the password
        return f"Proxy({self.describe()})"


def _get(env: Mapping[str, str], name: str) -> tuple[str, str] | None:
    """(variable, value) of `name`, lower case first as curl and requests read it; None when unset or empty."""
    for variable in (name.lower(), name.upper()):
        value = (env.get(variable) or "").strip()
        if value:
            return variable, value
    return None


def parse_proxy(value: str, source: str) -> Proxy:
    """A proxy URL as curl takes it (`host:port` alone means http://); only http:// proxies are supported."""
    text = value if "://" in value else f"http://{value}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ConfigError(f"{source} is not a proxy URL", hint=_PROXY_HINT.format(source)) from None
    if parts.scheme.lower() != "http" or not parts.hostname:
        raise ConfigError(
            f"{source} names a {parts.scheme or 'schemeless'} proxy; pdauth supports http:// proxies "
            "(which carry HTTPS through CONNECT)",
            hint=_PROXY_HINT.format(source),
        )
    return Proxy(
        parts.hostname,
        port or 80,
        unquote(parts.username or ""),
        unquote(parts.password or ""),
        source,
    )


_PROXY_HINT: Final = "Set {0} to http://HOST:PORT (or http://USER:PASSWORD@HOST:PORT), or unset it"


PROXY_VARS: Final = ("https_proxy", "http_proxy", "all_proxy")


def proxy_passwords(env: Mapping[str, str]) -> list[str]:
    """Every proxy password the environment holds (for the redactor), whichever URL it would serve."""
    passwords = []
    for name in PROXY_VARS:
        for variable in (name, name.upper()):
            value = (env.get(variable) or "").strip()
            if value:
                try:
                    proxy = parse_proxy(value, variable)
                except ConfigError:
                    continue
                if proxy.password:
                    passwords.append(proxy.password)
    return passwords


def proxy_for(url: str, env: Mapping[str, str]) -> Proxy | None:
    """The proxy a request to `url` goes through, or None for a direct connection."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not host:
        return None
    found = _get(env, f"{scheme}_proxy") or _get(env, "all_proxy")
    if found is None:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme, 443)
    except ValueError:
        port = _DEFAULT_PORTS.get(scheme, 443)
    if bypassed(host, port, env):
        return None
    return parse_proxy(found[1], found[0])


def bypassed(host: str, port: int, env: Mapping[str, str]) -> bool:
    """Whether NO_PROXY names this host (or its domain, address range, or host:port)."""
    found = _get(env, "no_proxy")
    if found is None:
        return False
    host = host.strip("[]").rstrip(".").lower()
    address = _address(host)
    for raw in found[1].replace(" ", ",").split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry, entry_port = _split_port(entry)
        if entry_port is not None and entry_port != port:
            continue
        entry = entry.strip("[]").rstrip(".")
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        domain = entry.lstrip("*").lstrip(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


def _split_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):  # [::1]:8080
        inner, _, rest = entry[1:].partition("]")
        return inner, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    if entry.count(":") == 1:
        name, _, port = entry.partition(":")
        if port.isdigit():
            return name, int(port)
    return entry, None


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def ca_bundle(env: Mapping[str, str]) -> tuple[str, str]:
    """(path, where it came from) of the CA bundle TLS verifies against; a named file must exist."""
    import os

    for name in CA_BUNDLE_VARS:
        path = (env.get(name) or "").strip()
        if path:
            if not os.path.exists(path):
                raise ConfigError(
                    f"{name} names {path}, which does not exist",
                    hint=f"Point {name} at your CA bundle (a PEM file), or unset it",
                )
            return path, name
    try:
        import certifi  # requests' own bundle (a dependency of requests)

        return certifi.where(), "certifi"
    except ImportError:  # pragma: no cover - certifi is a dependency
        return "", "the system's default"


def describe(env: Mapping[str, str], url: str) -> str:
    """For doctor: the proxy in effect for `url` (or why none) in words, without any password."""
    proxy = proxy_for(url, env)
    if proxy is not None:
        return f"through {proxy.describe()}"
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if _get(env, f"{scheme}_proxy") or _get(env, "all_proxy"):
        return "direct (NO_PROXY names this host)"
    return "direct (no proxy set)"


# -- what a failed connection means ------------------------------------------------------------------


def connection_failure(
    kind: str,
    host: str,
    proxy: Proxy | None,
    cause: BaseException,
    *,
    env: Mapping[str, str] | None = None,
    what: str = "",
) -> ApiRequestFailed | None:
    """The one-line error for a refused proxy or a certificate that did not verify; None for others.

    `kind` is requests' name for the failure (ProxyError, SSLError, ConnectTimeout, ...); `host` is
    host:port of the server pdauth wanted; the proxy is named by host:port only, never with its password.
    """
    from pdauth.errors import ProxyFailed, TlsVerifyFailed

    text = str(cause)
    purpose = f" for {what}" if what else ""
    if kind == "SSLError":
        reason = _tls_reason(text)
        bundle = ""
        if env is not None:
            path, source = ca_bundle_or_none(env)
            bundle = f" (CA bundle: {path}, from {source})" if path else ""
        return TlsVerifyFailed(
            f"The TLS certificate of {host} could not be verified: {reason}{bundle}",
            hint="If a company proxy or gateway inspects TLS, point SSL_CERT_FILE (or REQUESTS_CA_BUNDLE) "
            "at its CA certificate (a PEM file) and try again",
        )
    if proxy is None:
        return None
    status = _tunnel_status(text)
    if kind == "ProxyError" or status is not None:
        if status in (401, 407):  # 407 is the standard; tinyproxy answers a wrong password with 401
            return ProxyFailed(
                f"The proxy {proxy.where} (from {proxy.source}) wants a user name and password{purpose} "
                f"(HTTP {status})"
                if not proxy.username
                else f"The proxy {proxy.where} (from {proxy.source}) rejected the user name and password "
                f"in {proxy.source}{purpose} (HTTP {status})",
                hint=f"Set {proxy.source} to http://USER:PASSWORD@{proxy.where}",
            )
        if status is not None:
            return ProxyFailed(
                f"The proxy {proxy.where} (from {proxy.source}) refused to connect to {host}{purpose} "
                f"(HTTP {status})",
                hint=f"Ask whoever runs the proxy to allow {host}, or add it to NO_PROXY if it is reachable "
                "directly",
            )
        return ProxyFailed(
            f"Could not connect to the proxy {proxy.where} (from {proxy.source}){purpose}: {_os_reason(text)}",
            hint=f"Check that the proxy is running and {proxy.source} is right, or unset it (or add "
            f"{host.rsplit(':', 1)[0]} to NO_PROXY) to connect directly",
        )
    if kind in ("ConnectTimeout", "ReadTimeout", "Timeout"):
        return ProxyFailed(
            f"The proxy {proxy.where} (from {proxy.source}) did not answer in time{purpose}",
            hint=f"Check that the proxy is running and {proxy.source} is right, then try again",
        )
    return None


def ca_bundle_or_none(env: Mapping[str, str]) -> tuple[str, str]:
    try:
        return ca_bundle(env)
    except ConfigError:
        return "", ""


def _tls_reason(text: str) -> str:
    import re

    match = re.search(r"certificate verify failed: ([^(')\]]+)", text)
    if match:
        return "certificate verify failed: " + match.group(1).strip().rstrip(".")
    if "WRONG_VERSION_NUMBER" in text or "wrong version number" in text:
        return "the server does not speak TLS there"
    return "the TLS handshake failed"


def _tunnel_status(text: str) -> int | None:
    import re

    match = re.search(r"Tunnel connection failed: (\d{3})", text)
    return int(match.group(1)) if match else None


def _os_reason(text: str) -> str:
    for known in (
        "Connection refused",
        "Name or service not known",
        "No route to host",
        "Network is unreachable",
        "Temporary failure in name resolution",
        "Connection reset by peer",
    ):
        if known.lower() in text.lower():
            return known.lower()
    return "the connection failed"


def requests_failure(exc: BaseException, url: str, env: Mapping[str, str]) -> ApiRequestFailed | None:
    """`connection_failure` for an exception of a requests session sending to `url`."""
    import requests

    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    try:
        proxy = proxy_for(url, env)
    except ConfigError:
        proxy = None
    if isinstance(exc, requests.exceptions.SSLError):
        kind = "SSLError"
    elif isinstance(exc, requests.exceptions.ProxyError):
        kind = "ProxyError"
    elif isinstance(exc, requests.Timeout):
        kind = "ConnectTimeout"
    else:
        kind = type(exc).__name__
    return connection_failure(kind, host, proxy, exc, env=env)
