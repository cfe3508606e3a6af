"""Fault injection through the Python API and through POST/GET/DELETE /__emulator/faults."""

from __future__ import annotations

import time

import pytest
import requests

from .helpers import T

pytestmark = pytest.mark.timeout(20)


def test_a_status_fault_hits_the_next_request_only(drv, emu):
    code = drv.code()
    emu.inject_fault(endpoint="token", status=503)
    failed = drv.exchange(code)
    assert failed.status_code == 503
    assert failed.json()["success"] is False  # default body: the endpoint's own error shape
    assert drv.exchange(code).status_code == 200  # the fault did not consume the code
    stats = emu.stats()
    assert stats["faults_triggered"] == 1 and stats["token_requests"] == 2


def test_status_defaults_to_500(drv, emu):
    emu.inject_fault(endpoint="api")
    token = drv.login()["access_token"]
    assert drv.me(token).status_code == 500


def test_count_applies_to_that_many_requests(drv, emu):
    token = drv.login()["access_token"]
    emu.inject_fault(endpoint="api", status=502, count=2)
    assert [drv.me(token).status_code for _ in range(3)] == [502, 502, 200]


def test_html_body_defaults_to_text_html(drv, emu):
    emu.inject_fault(endpoint="token", status=502, body="<html><body>Bad gateway</body></html>")
    answer = drv.exchange(drv.code())
    assert answer.status_code == 502
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.text == "<html><body>Bad gateway</body></html>"


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        '{"token_type": "Bearer", "refresh_token": "1:2:ab", "expires_in": 3599}',
        '{"access_token": "v1u:x"}',
    ],
    ids=["invalid-json", "no-access-token", "no-api-domain"],
)
def test_a_200_with_a_broken_body_can_be_served(drv, emu, body):
    emu.inject_fault(endpoint="token", status=200, body=body, content_type="application/json")
    answer = drv.exchange(drv.code())
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.text == body


def test_delay_provokes_a_client_read_timeout(drv, emu):
    emu.inject_fault(endpoint="token", status=503, delay=2.0)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        drv.exchange("1.2.abc", timeout=0.3)
    assert time.monotonic() - started < 1.5
    # the emulator is not blocked by the sleeping request
    assert drv.exchange(drv.code()).status_code == 200


def test_delay_without_status_answers_normally_but_late(drv, emu):
    token = drv.login()["access_token"]
    emu.inject_fault(endpoint="/api/v1/users/me", status=None, delay=0.3)
    started = time.monotonic()
    answer = drv.me(token)
    assert answer.status_code == 200 and answer.json()["data"]["id"] == 777
    assert time.monotonic() - started >= 0.3


def test_drop_closes_the_connection_without_an_answer(drv, emu):
    emu.inject_fault(endpoint="revoke", drop=True)
    with pytest.raises(requests.ConnectionError):
        drv.revoke("whatever")
    assert drv.revoke("whatever").status_code == 200


def test_path_prefix_faults_only_that_path(make_emulator, driver_for):
    emu = make_emulator(deals=1)
    drv = driver_for(emu)
    token = drv.login()["access_token"]
    emu.inject_fault(endpoint="/api/v1/users/me", status=500, count=5)
    assert drv.api("GET", "/api/v1/deals", token).status_code == 200
    assert drv.me(token).status_code == 500


def test_authorize_fault_serves_an_error_page(drv, emu):
    emu.inject_fault(endpoint="authorize", status=503)
    answer = requests.get(f"{drv.url}/oauth/authorize", params=drv.authorize_params(), timeout=T)
    assert answer.status_code == 503 and answer.headers["Content-Type"].startswith("text/html")
    drv.code()  # next one works


def test_faults_over_http(drv, emu):
    token = drv.login()["access_token"]
    added = requests.post(
        f"{drv.url}/__emulator/faults", json={"endpoint": "api", "status": 429, "count": 3}, timeout=T
    )
    assert added.status_code == 201
    assert added.json()["fault"]["status"] == 429
    listed = requests.get(f"{drv.url}/__emulator/faults", timeout=T).json()["faults"]
    assert listed == [
        {
            "endpoint": "api",
            "status": 429,
            "count": 3,
            "delay": 0.0,
            "body": None,
            "content_type": None,
            "drop": False,
        }
    ]
    assert drv.me(token).status_code == 429
    cleared = requests.delete(f"{drv.url}/__emulator/faults", timeout=T)
    assert cleared.json() == {"cleared": 1}
    assert drv.me(token).status_code == 200


def test_http_fault_with_body_and_drop(drv, emu):
    requests.post(
        f"{drv.url}/__emulator/faults",
        json={"endpoint": "token", "status": 200, "body": "<h1>hi</h1>"},
        timeout=T,
    )
    assert drv.exchange("x").text == "<h1>hi</h1>"
    requests.post(f"{drv.url}/__emulator/faults", json={"endpoint": "token", "drop": True}, timeout=T)
    with pytest.raises(requests.ConnectionError):
        drv.exchange("x")


@pytest.mark.parametrize(
    "payload",
    [
        {"endpoint": "nowhere"},
        {"endpoint": "/__emulator/stats"},
        {"status": 99},
        {"status": "500"},
        {"count": 0},
        {"delay": -1},
        {"drop": "yes"},
        {"whatever": 1},
        ["api"],
    ],
)
def test_invalid_faults_are_400(drv, payload):
    answer = requests.post(f"{drv.url}/__emulator/faults", json=payload, timeout=T)
    assert answer.status_code == 400 and answer.json()["error"]
    assert requests.get(f"{drv.url}/__emulator/faults", timeout=T).json() == {"faults": []}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"endpoint": "nowhere"},
        {"status": 700},
        {"count": 0},
        {"delay": -0.1},
        {"status": None, "body": "x"},
        {"content_type": "text/html"},
    ],
)
def test_invalid_faults_raise_in_python(emu, kwargs):
    with pytest.raises(ValueError):
        emu.inject_fault(**kwargs)


def test_control_endpoints_are_never_faulted(drv, emu):
    emu.inject_fault(endpoint="/", status=500, count=10)
    assert requests.get(f"{drv.url}/__emulator/stats", timeout=T).status_code == 200
    assert requests.get(f"{drv.url}/favicon.ico", timeout=T).status_code == 500
    assert emu.clear_faults() == 1
