"""Leads, which Pipedrive serves from v1 (SDK 33 `dist/versions/v1` LeadsApi, `GetLeadsResponse`):
UUID ids, PATCH to update, RFC 3339 times, and `additional_data` {start, limit, more_items_in_collection}
as that model declares it (not v1's usual `pagination` object)."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

import pdauth.emulator.query as query
from pdauth.emulator.endpoint import Endpoint, Table
from pdauth.emulator.engine import json_object
from pdauth.emulator.errors import invalid, not_found
from pdauth.emulator.render import dumps
from pdauth.emulator.reply import Event, Reply
from pdauth.emulator.schema import is_int, is_number
from pdauth.emulator.store import Row
from pdauth.emulator.timefmt import parse_date, rfc3339

if TYPE_CHECKING:
    from pdauth.emulator.hub import Company
    from pdauth.emulator.state import Caller
    from pdauth.emulator.web import Request
    from pdauth.emulator.world import World


def routes() -> Table:
    read, write = ("leads:read", "leads:full"), ("leads:full",)
    return [
        (
            re.compile("/api/v1/leads"),
            {"GET": Endpoint(list_leads, read, "list"), "POST": Endpoint(add_lead, write, "update")},
        ),
        (
            re.compile(r"/api/v1/leads/(?P<id>[^/]+)"),
            {
                "GET": Endpoint(get_lead, read, "get"),
                "PATCH": Endpoint(update_lead, write, "update"),
                "DELETE": Endpoint(delete_lead, write, "update"),
            },
        ),
    ]


def list_leads(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    q = query.params(request)
    start, limit = query.integer(q, "start") or 0, query.limit(q)
    wanted = {"owner_id": query.integer(q, "owner_id"), "person_id": query.integer(q, "person_id"),
              "organization_id": query.integer(q, "organization_id")}  # fmt: skip
    with app.lock:
        rows = [
            r for r in app.world.tables["lead"] if all(v is None or r.get(k) == v for k, v in wanted.items())
        ]
        data = [_lead(app.world, r) for r in rows[start : start + limit]]
    more = start + limit < len(rows)
    extra = {"start": start, "limit": limit, "more_items_in_collection": more}
    return Reply(200, dumps({"success": True, "data": data, "additional_data": extra}))


def get_lead(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    with app.lock:
        return Reply(200, dumps({"success": True, "data": _lead(app.world, _find_lead(app, params["id"]))}))


def add_lead(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    body = _lead_body(app, json_object(request), creating=True)
    with app.lock:
        now = app.clock.now()
        lead_uuid = str(uuid.uuid4())
        row = {"uuid": lead_uuid, "owner_id": caller.user_id, "creator_id": caller.user_id, "person_id": None,
               "organization_id": None, "value": None, "is_archived": False, "was_seen": False, "add_time": now,
               "update_time": now, **body}  # fmt: skip
        app.world.lead_ids[lead_uuid] = app.world.tables["lead"].insert(row)["id"]
        data = _lead(app.world, row)
    return Reply(
        201,
        dumps({"success": True, "data": data}),
        [Event("create", "lead", row["id"], data, None, caller.user_id)],
    )


def update_lead(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    body = _lead_body(app, json_object(request), creating=False)
    with app.lock:
        row = _find_lead(app, params["id"])
        before = _lead(app.world, row)
        row.update(body, update_time=app.clock.now())
        app.world.tables["lead"].touch(row)
        data = _lead(app.world, row)
    previous = {k: v for k, v in before.items() if data.get(k) != v}
    return Reply(
        200,
        dumps({"success": True, "data": data}),
        [Event("change", "lead", row["id"], data, previous, caller.user_id)],
    )


def delete_lead(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    with app.lock:
        row = _find_lead(app, params["id"])
        previous = _lead(app.world, row)
        app.world.tables["lead"].remove(row["id"])
        del app.world.lead_ids[row["uuid"]]
    event = Event("delete", "lead", row["id"], None, previous, caller.user_id)
    return Reply(200, dumps({"success": True, "data": {"id": row["uuid"]}}), [event])


def _find_lead(app: Company, raw: str) -> Row:
    row_id = app.world.lead_ids.get(raw)
    if row_id is None:
        raise not_found("Lead")
    return app.world.tables["lead"].rows[row_id]


def _lead_body(app: Company, body: dict[str, Any], creating: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if creating or "title" in body:
        if not isinstance(body.get("title"), str) or not body["title"].strip():
            raise invalid("title is required")
        out["title"] = body["title"]
    for key, table in (("person_id", "person"), ("organization_id", "organization"), ("owner_id", "user")):
        if key in body:
            value = body[key]
            if value is not None and (not is_int(value) or app.world.live(table, value) is None):
                raise invalid(f"{key}: no {table} {value!r}")
            out[key] = value
    if "value" in body:
        v = body["value"]
        if v is not None and not (
            isinstance(v, dict) and is_number(v.get("amount")) and isinstance(v.get("currency"), str)
        ):
            raise invalid('value must be {"amount": number, "currency": "EUR"} or null')
        out["value"] = v
    if "expected_close_date" in body:
        d = body["expected_close_date"]
        if d is not None and (not isinstance(d, str) or parse_date(d) is None):
            raise invalid("expected_close_date must be a date YYYY-MM-DD")
        out["expected_close_date"] = d
    for flag in ("is_archived", "was_seen"):
        if flag in body:
            if not isinstance(body[flag], bool):
                raise invalid(f"{flag} must be true or false")
            out[flag] = body[flag]
    if creating and not (out.get("person_id") or out.get("organization_id")):
        raise invalid("A lead must be linked to a person or an organization")
    return out


def _lead(world: World, row: Row) -> dict[str, Any]:
    return {
        "id": row["uuid"], "title": row["title"], "owner_id": row["owner_id"], "creator_id": row["creator_id"],
        "label_ids": [], "person_id": row.get("person_id"), "organization_id": row.get("organization_id"),
        "source_name": "API", "origin": "API", "origin_id": None, "channel": None, "channel_id": None,
        "source_deal_id": None, "is_archived": row["is_archived"], "was_seen": row["was_seen"], "value": row.get("value"),
        "expected_close_date": row.get("expected_close_date"), "next_activity_id": None,
        "add_time": rfc3339(row["add_time"]), "update_time": rfc3339(row["update_time"]), "visible_to": "3",
        "cc_email": f"{world.config.company_domain}+lead@pipedrivemail.com",
    }  # fmt: skip
