"""Pure parts of the emulator, without sockets: config validation, redaction, faults, deals, cursor."""

from __future__ import annotations

import threading

import pytest

from pdauth.emulator import EmulatorConfig
from pdauth.emulator.clock import Clock
from pdauth.emulator.config import parse_scopes
from pdauth.emulator.deals import DealError, DealStore, decode_cursor, encode_cursor
from pdauth.emulator.faults import Fault, FaultTable
from pdauth.emulator.redact import REDACTED, RequestLog, redact


@pytest.mark.parametrize(
    "kwargs",
    [
        {"auto_approve": True, "auto_deny": True},
        {"scopes": ("base", "deals:everything")},
        {"access_token_ttl": 0},
        {"refresh_token_idle_ttl": -1},
        {"burst_limit": 0},
        {"deals": -1},
        {"port": 70000},
        {"client_secret": ""},
        {"redirect_uri": "myapp://callback"},
        {"connection_timeout": 0},
    ],
)
def test_config_rejects_nonsense(kwargs):
    with pytest.raises(ValueError):
        EmulatorConfig(**kwargs)


def test_config_defaults_match_the_documented_api():
    config = EmulatorConfig()
    assert (config.client_id, config.client_secret) == ("demo-client-id", "demo-client-secret")
    assert config.redirect_uri == "http://127.0.0.1:8976/callback"
    assert (config.host, config.port) == ("127.0.0.1", 0)
    assert config.scopes == ("base", "deals:full") and config.granted_scopes == ("base", "deals:full")
    assert (config.access_token_ttl, config.refresh_token_idle_ttl) == (3599, 60 * 86400)
    assert (config.burst_limit, config.deals) == (80, 0)
    assert not (
        config.auto_approve or config.auto_deny or config.rotate_refresh_tokens or config.retry_after_header
    )


def test_granted_scopes_always_start_with_base():
    assert EmulatorConfig(scopes=()).granted_scopes == ("base",)
    assert EmulatorConfig(scopes=("deals:read", "base", "deals:read")).granted_scopes == (
        "base",
        "deals:read",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [("base,deals:full", ("base", "deals:full")), ("base deals:read", ("base", "deals:read")), (" , ", ())],
)
def test_parse_scopes(text, expected):
    assert parse_scopes(text) == expected


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("GET /cb?code=123.777.0a1b2c3d4e5f60718293a4b5c6d7e8f9 HTTP/1.1", "0a1b2c3d4e5f60718293"),
        ("POST /oauth/token?refresh_token=secret-rt&x=1", "secret-rt"),
        ("GET /x?client_secret=s3cr3t HTTP/1.1", "s3cr3t"),
        ("GET /x?token=zzvalue%3Dabc HTTP/1.1", "zzvalue"),
        ("GET /x?access_token=abc HTTP/1.1", "abc"),
        ("Authorization: Bearer v1u:AAAABBBBCCCC", "AAAABBBB"),
        ("Authorization: Basic ZGVtbzpzZWNyZXQ=", "ZGVtbzpzZWNyZXQ"),
        ("saw v1u:xyzxyzxyz-_ in a message", "xyzxyzxyz"),
        ("saw 123:777:abcdef0123456789abcd alone", "abcdef0123456789"),
        ("saw 123.777.abcdef0123456789abcd alone", "abcdef0123456789"),
        ('{"refresh_token": "rt-value"}', "rt-value"),
    ],
)
def test_redact_removes_secrets(line, secret):
    cleaned = redact(line)
    assert secret not in cleaned and REDACTED in cleaned


def test_redact_keeps_what_is_not_secret():
    line = '127.0.0.1 "GET /api/v1/deals?start=0&limit=100&state=abc HTTP/1.1" 200 12 0.1ms'
    assert redact(line) == line


def test_redact_literal_secrets():
    assert redact("my secret is hunter2!", ("hunter2",)) == f"my secret is {REDACTED}!"


def test_request_log_tolerates_a_closed_stream():
    import io

    stream = io.StringIO()
    log = RequestLog(stream)
    log.write("one")
    stream.close()
    log.write("two")  # must not raise
    RequestLog(None).write("silent")


def test_fault_table_counts_down_and_matches_in_order():
    table = FaultTable()
    table.add(Fault(endpoint="/api/v1/users", status=500, count=2))
    table.add(Fault(endpoint="api", status=503))
    assert table.take("/oauth/token") is None
    assert table.take("/api/v1/users/me").status == 500
    assert table.take("/api/v1/deals").status == 503
    assert table.take("/api/v1/users/me").status == 500
    assert table.take("/api/v1/users/me") is None
    assert table.active() == []


def test_fault_from_json_checks_types():
    assert Fault.from_json({"endpoint": "token", "status": 502, "delay": 1}).delay == 1
    for bad in ({"status": True}, {"count": 1.5}, {"body": 3}, {"extra": 1}):
        with pytest.raises(ValueError):
            Fault.from_json(bad)


def test_cursor_round_trip_and_rejects_garbage():
    assert decode_cursor(encode_cursor(41)) == 41
    for bad in ("", "!!!", "ZGVhbDo=", encode_cursor(1)[:-1] + "@", "bm9wZTo1"):  # "nope:5"
        with pytest.raises(DealError):
            decode_cursor(bad)


def test_deal_store_pages():
    store = DealStore(7, owner_id=1, clock=Clock(), lock=threading.Lock())
    page, more = store.list_offset(5, 5)
    assert [d["id"] for d in page] == [6, 7] and more is False
    page, after = store.list_after(0, 7)
    assert len(page) == 7 and after is None
    page, after = store.list_after(3, 2)
    assert [d["id"] for d in page] == [4, 5] and after == 5
    # callers get copies: changing one does not change the store
    page[0]["title"] = "changed"
    assert store.get(4)["title"] == "Deal 4"


def test_clock_moves_forward_only():
    now = [1000.0]
    clock = Clock(lambda: now[0])
    clock.advance(5)
    assert clock.now() == 1005.0 and clock.offset == 5
    with pytest.raises(ValueError):
        clock.advance(-1)
