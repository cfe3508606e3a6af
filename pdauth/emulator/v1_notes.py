"""Notes, which Pipedrive still serves from v1 (SDK 33 NotesApi, `GetNotesResponse`): offset pages
with `additional_data.pagination`, PUT to update, v1 times, the linked objects' names inline."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

import pdauth.emulator.query as query
from pdauth.emulator.endpoint import Endpoint, Table
from pdauth.emulator.engine import json_object
from pdauth.emulator.errors import invalid, not_found
from pdauth.emulator.render import dumps
from pdauth.emulator.reply import Event, Reply
from pdauth.emulator.schema import is_int
from pdauth.emulator.store import Row
from pdauth.emulator.timefmt import v1_time

if TYPE_CHECKING:
    from pdauth.emulator.hub import Company
    from pdauth.emulator.state import Caller
    from pdauth.emulator.web import Request
    from pdauth.emulator.world import World

NOTE_LINKS: Final = {"deal_id": "deal", "person_id": "person", "org_id": "organization"}
PINS: Final = ("lead", "deal", "organization", "person", "project", "task")


def routes() -> Table:
    read = ("deals:read", "deals:full", "contacts:read", "contacts:full")
    write = ("deals:full", "contacts:full")
    return [
        (
            re.compile("/api/v1/notes"),
            {"GET": Endpoint(list_notes, read, "list"), "POST": Endpoint(add_note, write, "update")},
        ),
        (
            re.compile(r"/api/v1/notes/(?P<id>[^/]+)"),
            {
                "GET": Endpoint(get_note, read, "get"),
                "PUT": Endpoint(update_note, write, "update"),
                "DELETE": Endpoint(delete_note, write, "update"),
            },
        ),
    ]


def list_notes(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    q = query.params(request)
    start, limit = query.integer(q, "start") or 0, query.limit(q)
    wanted = {k: query.integer(q, k) for k in ("user_id", "deal_id", "person_id", "org_id")}
    since = query.timestamp(q, "updated_since")
    with app.lock:
        rows = [
            r for r in app.world.tables["note"]
            if all(v is None or r.get(k) == v for k, v in wanted.items())
            and (not q.get("lead_id") or r.get("lead_id") == q["lead_id"]) and (since is None or r["update_time"] >= since)
        ]  # fmt: skip
        page = rows[start : start + limit]
        data = [_note(app.world, r, caller) for r in page]
    more = start + limit < len(rows)
    pagination: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return Reply(
        200, dumps({"success": True, "data": data or None, "additional_data": {"pagination": pagination}})
    )


def get_note(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    with app.lock:
        return Reply(
            200, dumps({"success": True, "data": _note(app.world, _find_note(app, params["id"]), caller)})
        )


def add_note(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    body = _note_body(app, json_object(request), creating=True)
    with app.lock:
        now = app.clock.now()
        row = {"content": "", "deal_id": None, "person_id": None, "org_id": None, "lead_id": None,
               "user_id": caller.user_id, "active_flag": True, "add_time": now, "update_time": now, **body}  # fmt: skip
        app.world.tables["note"].insert(row)
        data = _note(app.world, row, caller)
    return Reply(
        201,
        dumps({"success": True, "data": data}),
        [Event("create", "note", row["id"], data, None, caller.user_id)],
    )


def update_note(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    body = _note_body(app, json_object(request), creating=False)
    with app.lock:
        row = _find_note(app, params["id"])
        before = _note(app.world, row, caller)
        row.update(body, update_time=app.clock.now(), last_update_user_id=caller.user_id)
        app.world.tables["note"].touch(row)
        data = _note(app.world, row, caller)
    previous = {k: v for k, v in before.items() if data.get(k) != v}
    return Reply(
        200,
        dumps({"success": True, "data": data}),
        [Event("change", "note", row["id"], data, previous, caller.user_id)],
    )


def delete_note(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    with app.lock:
        row = _find_note(app, params["id"])
        previous = _note(app.world, row, caller)
        app.world.tables["note"].remove(row["id"])
    event = Event("delete", "note", row["id"], None, previous, caller.user_id)
    return Reply(200, dumps({"success": True, "data": True}), [event])


def _find_note(app: Company, raw: str) -> Row:
    row = app.world.tables["note"].get(int(raw)) if raw.isdigit() else None
    if row is None:
        raise not_found("Note")
    return row


def _note_body(app: Company, body: dict[str, Any], creating: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if creating or "content" in body:
        if not isinstance(body.get("content"), str) or not body["content"].strip():
            raise invalid("content is required")
        out["content"] = body["content"]
    for key, table in NOTE_LINKS.items():
        if key in body:
            if not is_int(body[key]) or app.world.live(table, body[key]) is None:
                raise invalid(f"{key}: no {table} {body[key]!r}")
            out[key] = body[key]
    if "lead_id" in body:
        if body["lead_id"] not in app.world.lead_ids:
            raise invalid(f"lead_id: no lead {body['lead_id']!r}")
        out["lead_id"] = body["lead_id"]
    for pin in PINS:
        flag = f"pinned_to_{pin}_flag"
        if flag in body:
            if body[flag] not in (0, 1) or isinstance(body[flag], bool):
                raise invalid(f"{flag} must be 0 or 1")
            out[flag] = bool(body[flag])
    if creating and not any(out.get(k) for k in (*NOTE_LINKS, "lead_id")):
        raise invalid("A note must be attached to a deal, person, organization or lead")
    return out


def _note(world: World, row: Row, caller: Caller) -> dict[str, Any]:
    deal, person, org = (world.tables[t].get(row.get(k) or 0) for k, t in NOTE_LINKS.items())
    user = world.tables["user"].get(row["user_id"])
    return {
        "id": row["id"], "active_flag": row["active_flag"], "add_time": v1_time(row["add_time"]),
        "content": row["content"], "deal": {"title": deal["title"]} if deal else None, "lead_id": row.get("lead_id"),
        "deal_id": row.get("deal_id"), "last_update_user_id": row.get("last_update_user_id"), "org_id": row.get("org_id"),
        "organization": {"name": org["name"]} if org else None, "person": {"name": person["name"]} if person else None,
        "person_id": row.get("person_id"), "project_id": None, "project": None, "task_id": None, "task": None,
        **{f"pinned_to_{p}_flag": bool(row.get(f"pinned_to_{p}_flag")) for p in ("deal", "organization", "person", "project", "task")},
        "update_time": v1_time(row["update_time"]),
        "user": {"email": user["email"], "icon_url": user["icon_url"], "is_you": user["id"] == caller.user_id,
                 "name": user["name"]} if user else None,
        "user_id": row["user_id"],
    }  # fmt: skip
