"""Stats counters and the /__emulator/ control endpoints (reset, clock, identity)."""

from __future__ import annotations

import pytest
import requests

from .helpers import T

pytestmark = pytest.mark.timeout(20)


def test_stats_shape_and_counters(drv, emu):
    tokens = drv.login()
    drv.refresh(tokens["refresh_token"])
    drv.refresh("1:2:nope")
    drv.token({"grant_type": "password"})
    drv.exchange("x", auth=("demo-client-id", "bad"))
    drv.me(tokens["access_token"])
    drv.me("v1u:unknown")
    drv.revoke(tokens["access_token"])
    stats = requests.get(f"{drv.url}/__emulator/stats", timeout=T).json()
    assert stats == emu.stats() | {"requests": stats["requests"], "connections": stats["connections"]}
    assert stats["grants"] == {"authorization_code": 1, "refresh_token": 1}
    assert stats["grant_errors"] == {"invalid_grant": 1, "unsupported_grant_type": 1, "invalid_client": 1}
    assert stats["token_requests"] == 5
    assert stats["api_requests"] == 2
    assert stats["api_responses"] == {"200": 1, "401": 1}
    assert stats["revocations"] == 1 and stats["revoke_requests"] == 1
    assert stats["authorize_requests"] == 1
    assert stats["consents"] == {"allow": 1}
    assert stats["rate_limited"] == 0 and stats["faults_triggered"] == 0
    assert stats["live"] == {
        "installs": 1, "access_tokens": 1, "deals": 0, "persons": 0, "organizations": 0, "activities": 0,
        "products": 0, "notes": 0, "leads": 0, "faults": 0, "webhooks": 0, "webhook_deliveries_pending": 0,
    }  # fmt: skip
    assert stats["tokens_spent"] == 2  # one users/me (a single-object GET); the 401 costs nothing
    assert stats["budget"] == {"limit": None, "used": {"123": 2}}
    assert stats["clock_offset"] == 0
    for name in ("connections", "requests"):
        assert stats[name] >= 10


def test_reset_zeroes_the_counters_but_not_the_state(drv, emu):
    tokens = drv.login()
    reset = requests.post(f"{drv.url}/__emulator/reset", timeout=T)
    assert reset.status_code == 200
    stats = emu.stats()
    assert stats["grants"] == {"authorization_code": 0, "refresh_token": 0}
    assert stats["token_requests"] == 0 and stats["grant_errors"] == {}
    assert drv.me(tokens["access_token"]).status_code == 200
    emu.reset_stats()
    assert emu.stats()["api_requests"] == 0


def test_one_session_is_one_connection(drv, emu):
    token = drv.login()["access_token"]
    emu.reset_stats()
    with requests.Session() as session:
        for _ in range(5):
            assert drv.api("GET", "/api/v1/users/me", token, session=session).status_code == 200
    assert emu.stats()["connections"] == 1
    for _ in range(3):
        requests.get(f"{drv.url}/favicon.ico", timeout=T)
    assert emu.stats()["connections"] == 4


def test_clock_endpoint_expires_tokens(drv):
    tokens = drv.login()
    answer = requests.post(f"{drv.url}/__emulator/clock", json={"advance": 3600}, timeout=T)
    assert answer.status_code == 200 and answer.json()["offset"] == 3600
    assert drv.me(tokens["access_token"]).status_code == 401
    assert requests.get(f"{drv.url}/__emulator/clock", timeout=T).json()["offset"] == 3600


@pytest.mark.parametrize("payload", [{"advance": -1}, {"advance": "10"}, {"advance": True}, {}, [5]])
def test_bad_clock_requests_are_400(drv, payload):
    answer = requests.post(f"{drv.url}/__emulator/clock", json=payload, timeout=T)
    assert answer.status_code == 400


def test_clock_wants_json(drv):
    answer = requests.post(f"{drv.url}/__emulator/clock", data="advance=5", timeout=T)
    assert answer.status_code == 400


def test_python_clock_refuses_to_go_back(emu):
    with pytest.raises(ValueError):
        emu.advance_clock(-1)


def test_identity_endpoint(drv):
    changed = requests.post(
        f"{drv.url}/__emulator/identity", json={"user_id": 5, "user_name": "Five"}, timeout=T
    )
    assert changed.status_code == 200 and changed.json()["user_id"] == 5
    assert requests.get(f"{drv.url}/__emulator/identity", timeout=T).json()["user_name"] == "Five"
    assert drv.me(drv.login()["access_token"]).json()["data"]["id"] == 5
    for bad in ({"user_id": "5"}, {"nope": 1}, {"user_name": 3}):
        assert requests.post(f"{drv.url}/__emulator/identity", json=bad, timeout=T).status_code == 400


def test_unknown_control_path_and_wrong_method(drv):
    assert requests.get(f"{drv.url}/__emulator/nothing", timeout=T).status_code == 404
    wrong = requests.post(f"{drv.url}/__emulator/stats", timeout=T)
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "GET"
