"""Webhooks end to end: subscriptions through /api/v1/webhooks, Pipedrive-shaped v2 deliveries to a real
HTTP receiver on 127.0.0.1, retries with back-off on the emulator's clock, and what is refused."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(30)


class Receiver:
    """A webhook subscriber: records every POST; answers `plan` statuses in turn, then 200."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.plan: list[int] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = receiver.plan.pop(0) if receiver.plan else 200
                self.send_response(status)
                if status in (301, 302, 307):
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "0")
                self.end_headers()
                with receiver.arrived:
                    receiver.calls.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body, "status": status}
                    )
                    receiver.arrived.notify_all()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 5) -> list[dict[str, Any]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.calls) >= count, timeout), (
                f"got {len(self.calls)} of {count}"
            )
            return list(self.calls)

    def events(self) -> list[str]:
        return [f"{c['body']['meta']['action']}.{c['body']['meta']['entity']}" for c in self.calls]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def setup(make_emulator, driver_for):
    emu = make_emulator(deals=5, webhook_retry_delays=(30.0, 60.0), webhook_timeout=2.0)
    drv = driver_for(emu)
    return emu, drv, drv.login()["access_token"]


def subscribe(drv, token, url, action="*", obj="*", **extra):
    body = {"subscription_url": url, "event_action": action, "event_object": obj, "version": "2.0", **extra}
    answer = drv.api("POST", "/api/v1/webhooks", token, json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["data"]


def test_a_new_deal_reaches_the_subscriber_as_create_deal(setup, receiver):
    emu, drv, token = setup
    hook = subscribe(
        drv, token, receiver.url + "/pd", "create", "deal", http_auth_user="hook", http_auth_password="s3cret"
    )
    assert hook["version"] == "2.0" and hook["is_active"] == 1 and hook["http_auth_password"] is None
    assert [h["id"] for h in drv.api("GET", "/api/v1/webhooks", token).json()["data"]] == [hook["id"]]
    deal = drv.api("POST", "/api/v2/deals", token, json={"title": "Hooked"}).json()["data"]
    (call,) = receiver.wait_for(1)
    assert call["path"] == "/pd" and call["headers"]["Content-Type"] == "application/json"
    assert call["headers"]["Authorization"] == "Basic " + base64.b64encode(b"hook:s3cret").decode()
    body = call["body"]
    assert set(body) == {"meta", "data", "previous"}
    meta = body["meta"]
    assert (meta["action"], meta["entity"], meta["entity_id"], meta["version"]) == (
        "create",
        "deal",
        str(deal["id"]),
        "2.0",
    )
    assert meta["attempt"] == 1 and meta["webhook_id"] == str(hook["id"]) and meta["change_source"] == "api"
    assert (meta["company_id"], meta["user_id"]) == ("123", "777")
    assert body["data"] == deal and body["previous"] is None  # the v2 object, custom_fields included
    assert emu.wait_webhooks() and emu.stats()["webhooks_delivered"] == 1


def test_change_and_delete_carry_previous_values(setup, receiver):
    _, drv, token = setup
    subscribe(drv, token, receiver.url, "*", "deal")
    drv.api("PATCH", "/api/v2/deals/2", token, json={"title": "Renamed", "value": 1})
    drv.api("DELETE", "/api/v2/deals/2", token)
    change, delete = receiver.wait_for(2)
    assert receiver.events() == ["change.deal", "delete.deal"]
    previous = change["body"]["previous"]
    assert previous["title"] == "Deal 2" and previous["value"] == 2000 and "owner_id" not in previous
    assert change["body"]["data"]["title"] == "Renamed"
    assert delete["body"]["data"] is None and delete["body"]["previous"]["title"] == "Renamed"


def test_subscriptions_filter_by_action_and_object(setup, receiver):
    emu, drv, token = setup
    subscribe(drv, token, receiver.url + "/persons", "create", "person")
    subscribe(drv, token, receiver.url + "/all", "*", "*")
    drv.api("POST", "/api/v2/deals", token, json={"title": "d"})
    drv.api("POST", "/api/v2/persons", token, json={"name": "p"})
    drv.api("PUT", "/api/v1/deals/1", token, json={"title": "via v1"})  # v1 writes fire webhooks too
    drv.api("POST", "/api/v1/notes", token, json={"content": "n", "deal_id": 1})
    drv.api("POST", "/api/v2/pipelines", token, json={"name": "no v2 events for pipelines"})
    receiver.wait_for(5)
    assert emu.wait_webhooks()
    by_path = sorted(
        (c["path"], f"{c['body']['meta']['action']}.{c['body']['meta']['entity']}") for c in receiver.calls
    )
    assert by_path == [
        ("/all", "change.deal"), ("/all", "create.deal"), ("/all", "create.note"), ("/all", "create.person"),
        ("/persons", "create.person"),
    ]  # fmt: skip


def test_failed_deliveries_are_retried_on_the_emulators_clock(setup, receiver):
    emu, drv, token = setup
    receiver.plan = [500, 503]
    subscribe(drv, token, receiver.url)
    drv.api("POST", "/api/v2/persons", token, json={"name": "Retry"})
    receiver.wait_for(1)
    assert emu.wait_webhooks()  # the retry waits 30 emulated seconds: nothing more arrives on its own
    assert len(receiver.calls) == 1 and emu.stats()["live"]["webhook_deliveries_pending"] == 1
    emu.advance_clock(30)
    receiver.wait_for(2)
    assert emu.wait_webhooks()  # the second failure is handled (its retry scheduled) before time moves on
    emu.advance_clock(59)
    assert emu.wait_webhooks() and len(receiver.calls) == 2  # 60 s not yet gone
    emu.advance_clock(1)
    third = receiver.wait_for(3)[2]
    assert [c["body"]["meta"]["attempt"] for c in receiver.calls] == [1, 2, 3]
    assert len({c["body"]["meta"]["id"] for c in receiver.calls}) == 1  # one event, three attempts
    assert third["status"] == 200 and emu.wait_webhooks()
    stats = emu.stats()
    assert (stats["webhook_attempts"], stats["webhook_failures"], stats["webhooks_delivered"]) == (3, 2, 1)
    hook = drv.api("GET", "/api/v1/webhooks", token).json()["data"][0]
    assert hook["last_http_status"] == 200 and hook["last_delivery_time"].endswith("Z")


def test_a_delivery_is_given_up_after_the_last_retry_and_a_redirect_is_a_failure(setup, receiver):
    emu, drv, token = setup
    receiver.plan = [302, 500, 500]
    subscribe(drv, token, receiver.url)
    drv.api("POST", "/api/v2/organizations", token, json={"name": "Doomed"})
    receiver.wait_for(1)
    assert emu.wait_webhooks()  # the failure is handled (its retry scheduled) before time moves on
    emu.advance_clock(30)
    receiver.wait_for(2)
    assert emu.wait_webhooks()
    emu.advance_clock(60)
    receiver.wait_for(3)
    assert emu.wait_webhooks()
    emu.advance_clock(3600)
    assert (
        emu.wait_webhooks() and len(receiver.calls) == 3 and [c["path"] for c in receiver.calls] == ["/"] * 3
    )
    stats = emu.stats()
    assert stats["webhooks_given_up"] == 1 and stats["webhooks_delivered"] == 0
    assert stats["live"]["webhook_deliveries_pending"] == 0


def test_deleting_a_webhook_drops_its_pending_retries(setup, receiver):
    emu, drv, token = setup
    receiver.plan = [500]
    hook = subscribe(drv, token, receiver.url)
    drv.api("POST", "/api/v2/deals", token, json={"title": "x"})
    receiver.wait_for(1)
    assert emu.wait_webhooks() and emu.stats()["live"]["webhook_deliveries_pending"] == 1  # the retry waits
    assert drv.api("DELETE", f"/api/v1/webhooks/{hook['id']}", token).json() == {"success": True}
    assert emu.stats()["live"]["webhook_deliveries_pending"] == 0
    emu.advance_clock(30)
    assert emu.wait_webhooks() and len(receiver.calls) == 1
    drv.api("POST", "/api/v2/deals", token, json={"title": "after"})
    assert emu.wait_webhooks() and len(receiver.calls) == 1
    assert drv.api("DELETE", f"/api/v1/webhooks/{hook['id']}", token).status_code == 404


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"subscription_url": "https://example.com/hook"}, 400),  # only loopback: nothing leaves the machine
        ({"subscription_url": "http://10.0.0.1/hook"}, 400),
        ({"subscription_url": "ftp://127.0.0.1/hook"}, 400),
        ({"event_action": "added"}, 400),  # webhooks v1's action names
        ({"event_object": "call"}, 400),
        ({"version": "3.0"}, 400),
        ({"http_auth_user": 5}, 400),
        ({"subscription_url": "http://localhost:9/hook"}, 201),
        ({"subscription_url": "http://[::1]:9/hook"}, 201),
    ],
)
def test_what_a_subscription_may_be(setup, change, status):
    _, drv, token = setup
    body = {"subscription_url": "http://127.0.0.1:9/hook", "event_action": "*", "event_object": "*", **change}
    assert drv.api("POST", "/api/v1/webhooks", token, json=body).status_code == status


def test_forty_webhooks_per_user_and_v1_format_hooks_get_no_v2_deliveries(setup, receiver):
    emu, drv, token = setup
    for n in range(39):
        subscribe(drv, token, f"{receiver.url}/{n}", version="1.0")
    subscribe(drv, token, receiver.url + "/v2")
    over = drv.api(
        "POST",
        "/api/v1/webhooks",
        token,
        json={"subscription_url": receiver.url, "event_action": "*", "event_object": "*"},
    )
    assert over.status_code == 422 and over.json()["error"] == "Webhooks limit reached"
    drv.api("POST", "/api/v2/deals", token, json={"title": "x"})
    receiver.wait_for(1)
    assert emu.wait_webhooks() and [c["path"] for c in receiver.calls] == ["/v2"]
