"""The transport: keep-alive, bodies, silent clients, odd methods, stopping, log redaction, concurrency."""

from __future__ import annotations

import http.client
import io
import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from pdauth.emulator import Emulator, EmulatorConfig
from pdauth.emulator.app import App

from .helpers import BASIC, CLIENT_SECRET, REDIRECT_URI, T

pytestmark = pytest.mark.timeout(20)


def connect(emu: Emulator) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", emu.port, timeout=T)


def raw_exchange(emu: Emulator, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", emu.port), timeout=T) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_keep_alive_across_errors_bodies_and_endpoints(drv, emu):
    token = drv.login()["access_token"]
    emu.reset_stats()
    conn = connect(emu)
    # a refused JSON body, an unknown path with a body, then normal calls: all on one socket
    conn.request(
        "POST", "/oauth/token", body=b'{"grant_type": "x"}', headers={"Content-Type": "application/json"}
    )
    first = conn.getresponse()
    assert first.status == 400 and first.getheader("Content-Length")
    first.read()
    conn.request("POST", "/nowhere", body=b"x" * 5000)
    second = conn.getresponse()
    assert second.status == 404
    second.read()
    conn.request("GET", "/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    third = conn.getresponse()
    assert third.status == 200 and json.loads(third.read())["data"]["id"] == 777
    conn.request("GET", "/oauth/authorize/decision")  # 405 with an HTML body
    fourth = conn.getresponse()
    assert fourth.status == 405
    fourth.read()
    conn.close()
    assert emu.stats()["connections"] == 1
    assert emu.stats()["requests"] == 4


def test_chunked_request_body_is_read(drv, emu):
    code = drv.code()
    body = f"grant_type=authorization_code&code={code}&redirect_uri={REDIRECT_URI}".encode()
    answer = requests.post(
        f"{drv.url}/oauth/token",
        data=iter([body[:10], body[10:]]),  # a generator body goes out chunked
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=BASIC,
        timeout=T,
    )
    assert answer.request.headers.get("Transfer-Encoding") == "chunked"
    assert answer.status_code == 200


def test_a_silent_client_does_not_block_others_and_is_timed_out(make_emulator):
    emu = make_emulator(connection_timeout=0.5)
    with socket.create_connection(("127.0.0.1", emu.port), timeout=T) as silent:
        half = socket.create_connection(("127.0.0.1", emu.port), timeout=T)
        half.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # headers never finished
        assert requests.get(f"{emu.base_url}/", timeout=T).status_code == 200
        assert silent.recv(1) == b""  # closed by the server after connection_timeout
        assert half.recv(1) == b""
        half.close()


def test_head_sends_headers_and_no_body(drv, emu):
    conn = connect(emu)
    conn.request("HEAD", "/oauth/authorize?" + requests.compat.urlencode(drv.authorize_params()))
    page = conn.getresponse()
    assert page.status == 200 and int(page.getheader("Content-Length")) > 100
    assert page.read() == b""
    conn.request("HEAD", "/api/v1/users/me")  # same socket: no body was sent to confuse it
    api = conn.getresponse()
    assert api.status == 401 and api.read() == b""
    conn.close()


def test_favicon_and_strays(drv):
    assert requests.get(f"{drv.url}/favicon.ico", timeout=T).status_code == 404
    assert requests.get(f"{drv.url}/", timeout=T).status_code == 200
    assert requests.delete(f"{drv.url}/oauth/token", timeout=T).status_code == 405
    assert requests.request("OPTIONS", f"{drv.url}/oauth/revoke", timeout=T).status_code == 405
    assert requests.request("TRACE", f"{drv.url}/", timeout=T).status_code == 501
    assert requests.request("BREW", f"{drv.url}/", timeout=T).status_code == 501
    assert requests.get(f"{drv.url}/", timeout=T).status_code == 200  # still serving


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"garbage\r\n\r\n", b"400"),
        (b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", b"400"),
        (b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n", b"413"),
        (b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nshort", b"400"),
        (b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", b"501"),
        (b"POST /oauth/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", b"400"),
    ],
    ids=["bad-request-line", "bad-length", "too-large", "short-body", "gzip-encoding", "bad-chunk"],
)
def test_broken_requests_get_an_answer_and_the_server_lives(emu, raw, status):
    answer = raw_exchange(emu, raw)
    assert answer.split(b" ")[1] == status
    assert requests.get(f"{emu.base_url}/", timeout=T).status_code == 200


def test_an_internal_error_is_a_500_not_a_hang(drv, monkeypatch):
    def explode(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr(App, "route", explode)
    answer = requests.get(f"{drv.url}/", timeout=T)
    assert answer.status_code == 500 and answer.json()["success"] is False


def test_stop_closes_the_port_and_open_connections():
    emu = Emulator(EmulatorConfig(log_stream=None)).start()
    url, port = emu.base_url, emu.port
    session = requests.Session()
    assert session.get(f"{url}/", timeout=T).status_code == 200  # leaves a kept-alive socket
    emu.stop()
    emu.stop()  # idempotent
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=T).close()
    with pytest.raises(requests.ConnectionError):
        session.get(f"{url}/", timeout=T)
    session.close()


def test_context_manager_and_lifecycle_errors():
    emu = Emulator(EmulatorConfig(log_stream=None))
    with pytest.raises(RuntimeError):
        _ = emu.base_url
    with emu as running:
        assert running is emu and running.running
        assert requests.get(f"{emu.base_url}/", timeout=T).status_code == 200
    assert not emu.running
    with pytest.raises(RuntimeError):
        emu.start()


def test_a_taken_port_raises_oserror(emu):
    with pytest.raises(OSError):
        Emulator(EmulatorConfig(port=emu.port, log_stream=None)).start()


def test_api_domain_is_the_emulators_own_origin(emu, drv):
    assert emu.base_url == f"http://127.0.0.1:{emu.port}"
    assert drv.login()["api_domain"] == emu.base_url


def test_log_has_one_line_per_request_and_no_secrets(make_emulator, driver_for):
    log = io.StringIO()
    emu = make_emulator(log_stream=log, auto_approve=True)
    drv = driver_for(emu)
    code = drv.code()
    tokens = drv.exchange(code).json()
    refreshed = drv.refresh(tokens["refresh_token"]).json()
    drv.me(refreshed["access_token"])
    # secrets in places a log could pick them up: query strings and a broken request line
    requests.get(
        f"{drv.url}/oauth/token",
        params={"code": code, "client_secret": CLIENT_SECRET, "refresh_token": tokens["refresh_token"]},
        timeout=T,
    )
    requests.get(f"{drv.url}/api/v1/users/me?access_token={tokens['access_token']}", timeout=T)
    raw_exchange(emu, f"BROKEN Bearer {tokens['access_token']} {tokens['refresh_token']}\r\n\r\n".encode())
    text = log.getvalue()
    lines = text.strip().splitlines()
    assert len(lines) == 7  # one per request: authorize, exchange, refresh, me, two GETs, the broken one
    assert any('"POST /oauth/token HTTP/1.1" 200' in line for line in lines)
    secrets = [
        code,
        CLIENT_SECRET,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["access_token"],
    ]
    for secret in secrets:
        assert secret not in text
        assert secret[:24] not in text  # not even a recognisable prefix
    assert "[REDACTED]" in text


def test_no_log_at_all_with_log_stream_none(make_emulator, driver_for, capsys):
    drv = driver_for(make_emulator(log_stream=None))
    drv.login()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_concurrent_refreshes_and_calls(make_emulator, driver_for):
    emu = make_emulator(burst_limit=1000)
    drv = driver_for(emu)
    refresh_token = drv.login()["refresh_token"]
    emu.reset_stats()
    barrier = threading.Barrier(20)

    def worker(_: int) -> list[int]:
        statuses = []
        with requests.Session() as session:
            barrier.wait()
            for _ in range(5):
                answer = session.post(
                    f"{drv.url}/oauth/token",
                    data={"grant_type": "refresh_token", "refresh_token": refresh_token},
                    auth=BASIC,
                    timeout=T,
                )
                statuses.append(answer.status_code)
                me = drv.api("GET", "/api/v1/users/me", answer.json()["access_token"], session=session)
                statuses.append(me.status_code)
        return statuses

    with ThreadPoolExecutor(20) as pool:
        results = [s for statuses in pool.map(worker, range(20)) for s in statuses]
    assert results == [200] * 200
    stats = emu.stats()
    assert stats["grants"]["refresh_token"] == 100
    assert stats["api_requests"] == 100 and stats["api_responses"] == {"200": 100}
    assert stats["connections"] == 20
    assert stats["live"]["access_tokens"] == 101


def test_concurrent_rotation_lets_exactly_one_refresh_win(make_emulator, driver_for):
    emu = make_emulator(rotate_refresh_tokens=True)
    drv = driver_for(emu)
    refresh_token = drv.login()["refresh_token"]
    barrier = threading.Barrier(20)

    def worker(_: int) -> int:
        barrier.wait()
        return drv.refresh(refresh_token).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = sorted(pool.map(worker, range(20)))
    assert statuses == [200] + [400] * 19
    assert emu.stats()["grants"]["refresh_token"] == 1
    assert emu.stats()["grant_errors"] == {"invalid_grant": 19}


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this machine")
def test_ipv6_loopback_host(make_emulator, driver_for):
    emu = make_emulator(host="::1", auto_approve=True)
    assert emu.base_url == f"http://[::1]:{emu.port}"
    drv = driver_for(emu)
    tokens = drv.login()
    assert tokens["api_domain"] == emu.base_url
    assert drv.me(tokens["access_token"]).status_code == 200


def test_a_public_url_is_handed_out_as_the_api_domain() -> None:
    import io

    import requests

    from pdauth.emulator import Emulator, EmulatorConfig

    config = EmulatorConfig(
        port=0, auto_approve=True, public_url="https://front.example:8443", log_stream=io.StringIO()
    )
    with Emulator(config) as emu:
        assert emu.base_url == "https://front.example:8443" and emu.port > 0
        local = f"http://127.0.0.1:{emu.port}"
        assert requests.get(f"{local}/__emulator/stats", timeout=5).status_code == 200
        emu.advertise("https://other.example/")
        assert emu.base_url == "https://other.example"
