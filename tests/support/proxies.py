"""Real proxies for the network tests: tinyproxy (a plain and CONNECT proxy, optionally with Basic auth),
mitmproxy's mitmdump (a TLS-inspecting gateway with its own CA), and a TLS front for the emulator.

tinyproxy comes from Debian (apt: tinyproxy), mitmdump from PyPI in a venv of its own (.venv-mitm, which
.ci/run makes: mitmproxy's pins would fight pdauth's). Missing locally: skip with a reason; in CI: fail.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import os
import select
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.realtools import REPO, STARTING_ENV, unavailable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}): {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}: {log.read_text()[-2000:]}")


@dataclass
class RunningProxy:
    port: int
    log: Path
    user: str = ""
    password: str = ""

    @property
    def where(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        auth = f"{self.user}:{self.password}@" if self.user else ""
        return f"http://{auth}{self.where}"

    def seen(self) -> str:
        return self.log.read_text(errors="replace")


def require_tinyproxy() -> str:
    path = shutil.which("tinyproxy") or (
        "/usr/bin/tinyproxy" if os.access("/usr/bin/tinyproxy", os.X_OK) else None
    )
    if path is None:
        unavailable("tinyproxy is not installed (apt: tinyproxy)")
    return path


@contextlib.contextmanager
def tinyproxy(tmp: Path, *, user: str = "", password: str = "") -> Iterator[RunningProxy]:
    """tinyproxy on a free loopback port, logging every request line (LogLevel Connect) to a file."""
    binary = require_tinyproxy()
    port = free_port()
    tmp.mkdir(parents=True, exist_ok=True)
    conf, log = tmp / "tinyproxy.conf", tmp / "tinyproxy.log"
    lines = [
        f"Port {port}",
        "Listen 127.0.0.1",
        "Timeout 30",
        "LogLevel Connect",
        f'LogFile "{log}"',
        f'PidFile "{tmp / "tinyproxy.pid"}"',
        "MaxClients 50",
        "Allow 127.0.0.1",
        # No ConnectPort line: CONNECT to any port (the emulator's and the TLS front's are random).
    ]
    if user:
        lines.append(f"BasicAuth {user} {password}")
    conf.write_text("\n".join(lines) + "\n")
    log.touch()
    proc = subprocess.Popen(
        [binary, "-d", "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_port(port, proc, "tinyproxy", log)
        yield RunningProxy(port, log, user, password)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def mitmdump_binary() -> str:
    explicit = STARTING_ENV.get("PDAUTH_MITMDUMP")
    candidates = [explicit] if explicit else [str(REPO / ".venv-mitm" / "bin" / "mitmdump"), "mitmdump"]
    for candidate in candidates:
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    unavailable("mitmdump is not installed (.ci/run puts mitmproxy in .venv-mitm; or set PDAUTH_MITMDUMP)")


@dataclass
class Gateway(RunningProxy):
    ca_cert: Path = Path()  # the gateway's own CA: what a company hands out for its TLS inspection


@contextlib.contextmanager
def mitm_gateway(tmp: Path, upstream_ca: Path) -> Iterator[Gateway]:
    """mitmdump as a TLS-inspecting forward proxy: it answers CONNECT, presents certificates signed by its
    own CA, and verifies the real server against `upstream_ca` (the emulator's TLS front)."""
    binary = mitmdump_binary()
    port = free_port()
    confdir = tmp / "mitm"
    confdir.mkdir(parents=True, exist_ok=True)
    log = tmp / "mitm.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                binary,
                "--listen-host", "127.0.0.1",
                "--listen-port", str(port),
                "--set", f"confdir={confdir}",
                "--set", f"ssl_verify_upstream_trusted_ca={upstream_ca}",
                "--set", "connection_strategy=lazy",
                "--flow-detail", "1",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
        )  # fmt: skip
    try:
        _wait_for_port(port, proc, "mitmdump", log)
        ca = confdir / "mitmproxy-ca-cert.pem"
        deadline = time.monotonic() + 10
        while not ca.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield Gateway(port, log, ca_cert=ca)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# -- TLS in front of the emulator ----------------------------------------------------------------------


def make_ca_and_cert(tmp: Path) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate, server key) as PEM files; the server certificate is for
    127.0.0.1 and is signed by the CA, as a real one is."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pdauth test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    tmp.mkdir(parents=True, exist_ok=True)
    ca_file, cert_file, key_file = tmp / "ca.pem", tmp / "server.pem", tmp / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return ca_file, cert_file, key_file


class TlsFront:
    """https://127.0.0.1:PORT in front of a plain-http server: TLS ends here, bytes go on unchanged."""

    def __init__(self, upstream_port: int, cert: Path, key: Path) -> None:
        self.upstream_port = upstream_port
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(str(cert), str(key))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def __enter__(self) -> TlsFront:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop:
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            raw.settimeout(10)
            client = self._tls.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            raw.close()
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=10)
        except OSError:
            client.close()
            return
        with client, upstream:
            client.settimeout(None)
            upstream.settimeout(None)
            pair = {client: upstream, upstream: client}
            while True:
                pending = [s for s in pair if isinstance(s, ssl.SSLSocket) and s.pending()]
                ready = pending or select.select(list(pair), [], [], 30)[0]
                if not ready:
                    return
                for sock in ready:
                    try:
                        data = sock.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    try:
                        pair[sock].sendall(data)
                    except OSError:
                        return
