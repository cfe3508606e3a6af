"""Pure parts of the emulator, without sockets: config validation, redaction, faults, tables, cursors."""

from __future__ import annotations

import pytest

from pdauth.emulator import EmulatorConfig
from pdauth.emulator.clock import Clock
from pdauth.emulator.config import DEFAULT_SCOPES, parse_scopes
from pdauth.emulator.errors import ApiError
from pdauth.emulator.faults import Fault, FaultTable
from pdauth.emulator.query import decode_cursor, encode_cursor
from pdauth.emulator.redact import REDACTED, RequestLog, redact
from pdauth.emulator.store import Table


@pytest.mark.parametrize(
    "kwargs",
    [
        {"auto_approve": True, "auto_deny": True},
        {"scopes": ("base", "deals:everything")},
        {"access_token_ttl": 0},
        {"refresh_token_idle_ttl": -1},
        {"burst_limit": 0},
        {"daily_budget": 0},
        {"plan": "gold"},
        {"deals": -1},
        {"persons": -3},
        {"v1_deals": "maybe"},
        {"custom_fields": ("deal:Budget:money",)},
        {"custom_fields": ("lead:Budget:double",)},
        {"custom_fields": ("deal:Source:enum",)},
        {"custom_fields": ("deal:Budget:double", "deal:Budget:double")},
        {"webhook_retry_delays": (-1.0,)},
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
    assert config.scopes == DEFAULT_SCOPES and config.granted_scopes == DEFAULT_SCOPES
    assert {"base", "deals:full", "contacts:full", "activities:full", "products:full"} <= set(DEFAULT_SCOPES)
    assert (config.access_token_ttl, config.refresh_token_idle_ttl) == (3599, 60 * 86400)
    assert (config.plan, config.burst, config.search_burst_limit, config.deals) == ("essential", 80, 10, 0)
    assert config.daily_budget is None and config.v1_deals == "deprecated"
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
    assert decode_cursor(encode_cursor("deal", "id", "asc", 41, 41), "deal", "id", "asc")[1] == 41
    sorted_cursor = encode_cursor("deal", "update_time", "desc", 1700000000.5, 7)
    assert decode_cursor(sorted_cursor, "deal", "update_time", "desc") == ("1700000000.5", 7)
    garbage = (
        "",
        "!!!",
        "ZGVhbDo=",
        encode_cursor("deal", "id", "asc", 1, 1)[:-1] + "@",
        "bm9wZTo1",
    )  # "nope:5"
    for bad in garbage:
        with pytest.raises(ApiError):
            decode_cursor(bad, "deal", "id", "asc")
    # a cursor is only good for the listing it came from: another resource or another sort is refused
    for resource, sort, direction in (
        ("person", "id", "asc"),
        ("deal", "add_time", "desc"),
        ("deal", "update_time", "asc"),
    ):
        with pytest.raises(ApiError):
            decode_cursor(sorted_cursor, resource, sort, direction)


def test_table_pages_by_id_in_both_directions():
    table = Table("deal")
    for n in range(1, 8):
        table.insert({"title": f"Deal {n}"})
    assert [r["id"] for r in table.after(5)] == [6, 7]
    assert [r["id"] for r in table.after(0, descending=True)] == [7, 6, 5, 4, 3, 2, 1]
    assert [r["id"] for r in table.after(3, descending=True)] == [2, 1]
    table.remove(6)
    assert [r["id"] for r in table.after(4)] == [5, 7] and len(table) == 6
    assert table.insert({"title": "next"})["id"] == 8  # ids are never reused
    table.insert({"title": "a user"}, row_id=3_000)
    table.insert({"title": "earlier"}, row_id=2_500)
    assert [r["id"] for r in table.after(7)] == [8, 2_500, 3_000]


def test_clock_moves_forward_only():
    now = [1000.0]
    clock = Clock(lambda: now[0])
    clock.advance(5)
    assert clock.now() == 1005.0 and clock.offset == 5
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_the_commands_default_scopes_are_the_configs():
    # command.py spells the default out so the CLI need not import the config module; keep them one list.
    from pdauth.emulator.command import _DEFAULT_SCOPES

    assert parse_scopes(_DEFAULT_SCOPES) == DEFAULT_SCOPES
