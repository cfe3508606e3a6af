"""POST/GET/DELETE /api/v1/webhooks (SDK 33 WebhooksApi, `AddWebhookRequest`, `GetWebhooksResponse`).

Deliveries go only to this machine: a subscription URL must name a loopback host, so an emulator in
someone's CI can never be made to send data elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

from pdauth.emulator.endpoint import Endpoint, Table
from pdauth.emulator.engine import json_object
from pdauth.emulator.errors import ApiError, invalid, not_found
from pdauth.emulator.render import dumps
from pdauth.emulator.reply import Reply
from pdauth.emulator.store import Row
from pdauth.emulator.timefmt import rfc3339

if TYPE_CHECKING:
    from pdauth.emulator.hub import Hub
    from pdauth.emulator.state import Caller
    from pdauth.emulator.web import Request

ACTIONS: Final = ("create", "change", "delete", "*")
OBJECTS: Final = (
    "*",
    "activity",
    "deal",
    "lead",
    "note",
    "organization",
    "person",
    "pipeline",
    "product",
    "stage",
    "user",
)
MAX_PER_USER: Final = 40  # "The maximum limit of webhooks is 40 different webhooks per user"
READ: Final = ("admin", "webhooks:read", "webhooks:full")  # the SDK names admin; the scope list webhooks:*
WRITE: Final = ("admin", "webhooks:full")


def routes() -> Table:
    return [
        (
            re.compile("/api/v1/webhooks"),
            {"GET": Endpoint(list_hooks, READ, "list"), "POST": Endpoint(add_hook, WRITE, "update")},
        ),
        (re.compile(r"/api/v1/webhooks/(?P<id>[^/]+)"), {"DELETE": Endpoint(delete_hook, WRITE, "update")}),
    ]


def is_loopback_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def list_hooks(app: Hub, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    with app.lock:
        data = [_hook(r) for r in app.world.tables["webhook"]]
    return Reply(200, dumps({"success": True, "data": data}))


def add_hook(app: Hub, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    body = json_object(request)
    url, action, obj = body.get("subscription_url"), body.get("event_action"), body.get("event_object")
    if not isinstance(url, str) or not url:
        raise invalid("subscription_url is required")
    if not is_loopback_url(url):
        raise invalid(
            "subscription_url must be an http(s) URL on a loopback address: the emulator delivers only to this machine"
        )
    if action not in ACTIONS:
        raise invalid(f"event_action must be one of {', '.join(ACTIONS)}")
    if obj not in OBJECTS:
        raise invalid(f"event_object must be one of {', '.join(OBJECTS)}")
    version = body.get("version", "1.0")
    if version not in ("1.0", "2.0"):
        raise invalid('version must be "1.0" or "2.0"')
    user, password = body.get("http_auth_user"), body.get("http_auth_password")
    for key, value in (
        ("http_auth_user", user),
        ("http_auth_password", password),
        ("name", body.get("name")),
    ):
        if value is not None and not isinstance(value, str):
            raise invalid(f"{key} must be a string")
    user_id = body.get("user_id", caller.user_id)
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise invalid("user_id must be an integer")
    with app.lock:
        table = app.world.tables["webhook"]
        if sum(1 for h in table if h["user_id"] == user_id) >= MAX_PER_USER:
            raise ApiError(422, "Webhooks limit reached")
        row = {
            "company_id": caller.identity.company_id, "owner_id": caller.user_id, "user_id": user_id,
            "event_action": action, "event_object": obj, "subscription_url": url, "version": version,
            "is_active": 1, "add_time": app.clock.now(), "type": "general", "http_auth_user": user or None,
            "http_auth_password": password or None, "last_delivery_time": None, "last_http_status": None,
            "admin_id": caller.user_id, "name": body.get("name") or f"{action}.{obj}",
        }  # fmt: skip
        table.insert(row)
        return Reply(201, dumps({"success": True, "data": _hook(row)}))


def delete_hook(app: Hub, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    raw = params["id"]
    with app.lock:
        row = app.world.tables["webhook"].remove(int(raw)) if raw.isdigit() else None
    if row is None:
        raise not_found("Webhook")
    app.webhooks.cancel(row["id"])
    return Reply(200, dumps({"success": True}))


def _hook(row: Row) -> dict[str, Any]:
    out = {k: row[k] for k in ("id", "company_id", "owner_id", "user_id", "event_action", "event_object",
                               "subscription_url", "version", "is_active", "type", "http_auth_user",
                               "last_http_status", "admin_id", "name")}  # fmt: skip
    # The password is write-only here: the model allows null, and echoing a secret helps no one.
    out.update(add_time=rfc3339(row["add_time"]), remove_time=None, remove_reason=None, http_auth_password=None,
               last_delivery_time=rfc3339(row["last_delivery_time"]) if row["last_delivery_time"] else None)  # fmt: skip
    return out
