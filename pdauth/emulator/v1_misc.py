"""The v1 endpoints Pipedrive keeps for users, currencies and activity types (SDK 33 `dist/versions/v1`:
UsersApi, CurrenciesApi, ActivityTypesApi and their `Get…Response` models)."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any, Final

import pdauth.emulator.query as query
from pdauth.emulator.endpoint import Endpoint, Table
from pdauth.emulator.engine import json_object
from pdauth.emulator.errors import invalid, not_found
from pdauth.emulator.render import dumps
from pdauth.emulator.reply import Reply
from pdauth.emulator.store import Row
from pdauth.emulator.timefmt import v1_time

if TYPE_CHECKING:
    from pdauth.emulator.hub import Company
    from pdauth.emulator.state import Caller
    from pdauth.emulator.web import Request

CURRENCIES: Final = (
    (1, "EUR", "Euro", 2, "€"), (2, "USD", "US Dollar", 2, "$"), (3, "GBP", "British Pound", 2, "£"),
    (4, "SEK", "Swedish Krona", 2, "kr"), (5, "JPY", "Japanese Yen", 0, "¥"), (6, "CHF", "Swiss Franc", 2, "CHF"),
)  # fmt: skip
ICON_KEYS: Final = (
    "task", "email", "meeting", "deadline", "call", "lunch", "calendar", "downarrow", "document", "smartphone",
    "camera", "scissors", "cogs", "bubble", "uparrow", "checkbox", "signpost", "shuffle", "addressbook",
    "linegraph", "picture", "car", "world", "search", "clip", "sound", "brush", "key", "padlock", "pricetag",
    "suitcase", "finish", "plane", "loop", "wifi", "truck", "cart", "bulb", "bell", "presentation",
)  # fmt: skip
_COLOR: Final = re.compile(r"[0-9A-Fa-f]{6}")


def routes() -> Table:
    types_read, types_write = ("activities:read", "activities:full", "admin"), ("admin",)
    return [
        (re.compile("/api/v1/users/me"), {"GET": Endpoint(users_me, ("base",), "get")}),
        (re.compile("/api/v1/users"), {"GET": Endpoint(users, ("users:read",), "list")}),
        (re.compile(r"/api/v1/users/(?P<id>[^/]+)"), {"GET": Endpoint(user, ("users:read",), "get")}),
        (re.compile("/api/v1/currencies"), {"GET": Endpoint(currencies, ("base",), "list")}),
        (
            re.compile("/api/v1/activityTypes"),
            {
                "GET": Endpoint(activity_types, types_read, "list"),
                "POST": Endpoint(add_type, types_write, "update"),
            },
        ),
        (
            re.compile(r"/api/v1/activityTypes/(?P<id>[^/]+)"),
            {
                "PUT": Endpoint(update_type, types_write, "update"),
                "DELETE": Endpoint(delete_type, types_write, "update"),
            },
        ),
    ]


def users_me(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    who = caller.identity
    with app.lock:
        data = _user(app, app.world.ensure_user(who), caller)
    # Only users/me has the company and language; the users list's model (BaseUser) does not.
    data.update(language={"language_code": "en", "country_code": "US"}, company_id=who.company_id, company_name=who.company_name, company_domain=who.company_domain,
                company_country="EE", company_industry="Software")  # fmt: skip
    return Reply(200, dumps({"success": True, "data": data}))


def users(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    with app.lock:
        data = [_user(app, row, caller) for row in app.world.tables["user"]]
    return Reply(200, dumps({"success": True, "data": data}))


def user(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    raw = params["id"]
    with app.lock:
        row = app.world.tables["user"].get(int(raw)) if raw.isdigit() else None
        if row is None:
            raise not_found("User")
        return Reply(200, dumps({"success": True, "data": _user(app, row, caller)}))


def _user(app: Company, row: Row, caller: Caller) -> dict[str, Any]:
    """A user as users/me and users list them: `access` replaced `is_admin` (changelog 2023-08)."""
    created = v1_time(row["created"])
    # A permission set id is a UUID in Pipedrive; derive a stable one per user and app.
    access = [
        {"app": app_name, "admin": bool(row["is_admin"]),
         "permission_set_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"pdemu:{row['id']}:{app_name}"))}
        for app_name in ("sales", "global")
    ]  # fmt: skip
    return {
        "id": row["id"], "name": row["name"], "default_currency": "EUR", "locale": "en_US", "lang": 1,
        "email": row["email"], "phone": None, "activated": True, "last_login": created,  # stable: the same call twice answers the same
        "created": created, "modified": created, "has_created_company": row["id"] == caller.user_id,
        "access": access, "active_flag": row["active_flag"], "timezone_name": app.config.timezone_name,
        "timezone_offset": "+02:00", "role_id": 1, "icon_url": row["icon_url"], "is_you": row["id"] == caller.user_id,
        "is_deleted": False,
    }  # fmt: skip


def currencies(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    term = (query.params(request).get("term") or "").casefold()
    data = [
        {"id": i, "code": code, "name": name, "decimal_points": points, "symbol": symbol,
         "active_flag": True, "is_custom_flag": False}
        for i, code, name, points, symbol in CURRENCIES
        if term in code.casefold() or term in name.casefold()
    ]  # fmt: skip
    return Reply(200, dumps({"success": True, "data": data}))


def activity_types(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    with app.lock:
        data = [_type(row) for row in app.world.tables["activity_type"]]
    return Reply(200, dumps({"success": True, "data": data}))


def add_type(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    body = _type_body(json_object(request), creating=True)
    with app.lock:
        table = app.world.tables["activity_type"]
        key = re.sub(r"\W+", "_", body["name"].strip().casefold()).strip("_") or "custom"
        while any(t["key_string"] == key for t in table):
            key += "_"
        now = app.clock.now()
        row = {"name": body["name"], "icon_key": body["icon_key"], "color": body.get("color", ""), "key_string": key,
               "order_nr": max((t["order_nr"] for t in table), default=0) + 1, "active_flag": True,
               "is_custom_flag": True, "add_time": now, "update_time": now}  # fmt: skip
        table.insert(row)
        return Reply(200, dumps({"success": True, "data": _type(row)}))


def update_type(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    body = _type_body(json_object(request), creating=False)
    with app.lock:
        row = _find_type(app, params["id"])
        row.update(body, update_time=app.clock.now())
        app.world.tables["activity_type"].touch(row)
        return Reply(200, dumps({"success": True, "data": _type(row)}))


def delete_type(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    with app.lock:
        row = _find_type(app, params["id"])
        row.update(active_flag=False, update_time=app.clock.now())
        app.world.tables["activity_type"].touch(row)
        return Reply(200, dumps({"success": True, "data": _type(row)}))


def _find_type(app: Company, raw: str) -> Row:
    row = app.world.tables["activity_type"].get(int(raw)) if raw.isdigit() else None
    if row is None or not row["active_flag"]:
        raise not_found("Activity type")
    return row


def _type_body(body: dict[str, Any], creating: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    name, icon, color = body.get("name"), body.get("icon_key"), body.get("color")
    if creating or name is not None:
        if not isinstance(name, str) or not name.strip():
            raise invalid("name is required")
        out["name"] = name
    if creating or icon is not None:
        if icon not in ICON_KEYS:
            raise invalid(f"icon_key must be one of {', '.join(ICON_KEYS)}")
        out["icon_key"] = icon
    if color is not None:
        if not isinstance(color, str) or not _COLOR.fullmatch(color):
            raise invalid("color must be 6 hex digits, e.g. FFFFFF")
        out["color"] = color
    if "order_nr" in body and not creating:
        if not isinstance(body["order_nr"], int) or isinstance(body["order_nr"], bool):
            raise invalid("order_nr must be an integer")
        out["order_nr"] = body["order_nr"]
    return out


def _type(row: Row) -> dict[str, Any]:
    return {**{k: row[k] for k in ("id", "name", "icon_key", "color", "order_nr", "key_string", "active_flag",
                                    "is_custom_flag")},
            "add_time": v1_time(row["add_time"]), "update_time": v1_time(row["update_time"])}  # fmt: skip
