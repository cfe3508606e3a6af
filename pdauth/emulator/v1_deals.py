"""The v1 deal endpoints, kept for old scripts (deprecated: SDK 32 dropped them, Pipedrive retires
them in 2026): offset pages, v1's lenient bodies, v1 shapes. The same deals as /api/v2/deals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import pdauth.emulator.query as query
import pdauth.emulator.rules as rules
from pdauth.emulator.engine import json_object
from pdauth.emulator.errors import ApiError, invalid, not_found
from pdauth.emulator.render import dumps, v2_object
from pdauth.emulator.reply import Event, Reply
from pdauth.emulator.resources import DEAL
from pdauth.emulator.schema import is_int, is_number
from pdauth.emulator.store import Row
from pdauth.emulator.timefmt import parse_date
from pdauth.emulator.v1_shapes import deal_bytes, deal_counts, deal_object, related_objects

if TYPE_CHECKING:
    from pdauth.emulator.hub import Company
    from pdauth.emulator.web import Request

STATUSES: Final = ("open", "won", "lost")
_REFS: Final = {
    "person_id": "person",
    "org_id": "organization",
    "stage_id": "stage",
    "pipeline_id": "pipeline",
}


def gone_check(app: Company) -> None:
    if app.config.v1_deals == "gone":
        raise ApiError(410, "Gone: the v1 deal endpoints are retired, use /api/v2/deals")


def list_deals(app: Company, request: Request) -> Reply:
    q = query.params(request)
    start = query.integer(q, "start") or 0
    limit = query.limit(q)
    user_id, stage_id = query.integer(q, "user_id"), query.integer(q, "stage_id")
    status = q.get("status") or "all_not_deleted"
    if status not in (*STATUSES, "deleted", "all_not_deleted"):
        raise invalid("status must be open, won, lost, deleted or all_not_deleted")
    with app.lock:
        world = app.world
        table = world.tables["deal"]
        plain = user_id is None and stage_id is None and status == "all_not_deleted"
        if plain and table.live == len(table):
            # No filter and nothing deleted: slice the id list instead of walking it.
            page = [table.rows[i] for i in table.ids[start : start + limit + 1]]
        else:
            matching = (r for r in table if _keep(r, user_id, stage_id, status))
            page = [r for n, r in enumerate(matching) if n >= start and n < start + limit + 1]
        more = len(page) > limit
        page = page[:limit]
        counts = deal_counts(world)
        items = [deal_bytes(world, row, counts) for row in page]
        related = dumps(related_objects(world, page))
    pagination: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    # Pipedrive's v1 lists answer `data: null`, not [], when nothing is left.
    data = b"[" + b",".join(items) + b"]" if items else b"null"
    body = (
        b'{"success":true,"data":' + data + b',"additional_data":{"pagination":' + dumps(pagination)
        + b'},"related_objects":' + related + b"}"
    )  # fmt: skip
    return Reply(200, body)


def get_deal(app: Company, raw_id: str) -> Reply:
    with app.lock:
        row = _find(app, raw_id)
        return Reply(200, _one(app, row))


def add_deal(app: Company, request: Request, user_id: int) -> Reply:
    body = json_object(request)
    with app.lock:
        world = app.world
        now = app.clock.now()
        changes = _validate(app, body, creating=True)
        custom = changes.pop("custom_fields", {})
        row: Row = {**rules.DEFAULTS["deal"], "label_ids": [], "owner_id": user_id, "add_time": now,
                    "update_time": now, "custom_fields": custom, **changes}  # fmt: skip
        rules.apply(world, "deal", row, changes, True, now)
        world.tables["deal"].insert(row)
        event = Event("create", "deal", row["id"], v2_object(world, DEAL, row), None, user_id)
        return Reply(201, _one(app, row), [event])


def update_deal(app: Company, request: Request, raw_id: str, user_id: int) -> Reply:
    body = json_object(request)
    with app.lock:
        world = app.world
        row = _find(app, raw_id)
        changes = _validate(app, body, creating=False)
        custom = changes.pop("custom_fields", {})
        before = v2_object(world, DEAL, row)
        now = app.clock.now()
        candidate = {**row, **changes, "update_time": now}
        candidate["custom_fields"] = {**(row.get("custom_fields") or {}), **custom}
        rules.apply(world, "deal", candidate, changes, False, now)
        row.update(candidate)
        world.tables["deal"].touch(row)
        data = v2_object(world, DEAL, row)
        event = Event(
            "change", "deal", row["id"], data, {k: v for k, v in before.items() if data.get(k) != v}, user_id
        )
        return Reply(200, _one(app, row), [event])


def delete_deal(app: Company, raw_id: str, user_id: int) -> Reply:
    with app.lock:
        row = _find(app, raw_id)
        previous = v2_object(app.world, DEAL, row)
        row["update_time"] = app.clock.now()
        app.world.tables["deal"].mark_deleted(row)
    event = Event("delete", "deal", row["id"], None, previous, user_id)
    return Reply(200, dumps({"success": True, "data": {"id": row["id"]}}), [event])


def _one(app: Company, row: Row) -> bytes:
    world = app.world
    data = deal_object(world, row, deal_counts(world))
    payload = {"success": True, "data": data, "related_objects": related_objects(world, [row])}
    return dumps(payload)


def _find(app: Company, raw_id: str) -> Row:
    row = app.world.live("deal", int(raw_id)) if raw_id.isascii() and raw_id.isdigit() else None
    if row is None:
        raise not_found("Deal")
    return row


def _keep(row: Row, user_id: int | None, stage_id: int | None, status: str) -> bool:
    if status == "deleted":
        if not row["is_deleted"]:
            return False
    elif row["is_deleted"] or (status != "all_not_deleted" and row["status"] != status):
        return False
    return (user_id is None or row["owner_id"] == user_id) and (
        stage_id is None or row["stage_id"] == stage_id
    )


def _validate(app: Company, payload: dict[str, Any], *, creating: bool) -> Row:
    """v1's rules: looser than v2 (a numeric string is a value, visible_to may be "3"), unknown keys ignored."""
    fields: Row = {}
    if "title" in payload or creating:
        title = payload.get("title")
        if not isinstance(title, str) or not title.strip():
            raise invalid("Title is required" if creating else "Title must be a non-empty string")
        fields["title"] = title
    if "value" in payload:
        value = payload["value"]
        if isinstance(value, str) and value.replace(".", "", 1).isdigit():
            value = float(value) if "." in value else int(value)
        if not is_number(value) or value < 0:
            raise invalid("Value must be a non-negative number")
        fields["value"] = value
    if "currency" in payload:
        currency = payload["currency"]
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
            raise invalid("Currency must be a 3-letter code")
        fields["currency"] = currency.upper()
    if "status" in payload:
        if payload["status"] not in STATUSES:
            raise invalid(f"Status must be one of {', '.join(STATUSES)}")
        fields["status"] = payload["status"]
    for key in ("user_id", *_REFS):
        if key in payload:
            ref = payload[key]
            if ref is not None and not is_int(ref):
                raise invalid(f"{key} must be an integer or null")
            target = "user" if key == "user_id" else _REFS[key]
            if ref is not None and (app.world.live(target, ref) is None):
                raise invalid(f"{key}: {target} {ref} does not exist")
            fields["owner_id" if key == "user_id" else key] = ref
    if "owner_id" in fields and fields["owner_id"] is None:
        del fields["owner_id"]
    if "expected_close_date" in payload:
        day = payload["expected_close_date"]
        if day is not None and (not isinstance(day, str) or parse_date(day) is None):
            raise invalid("expected_close_date must be a date YYYY-MM-DD")
        fields["expected_close_date"] = day
    custom = {}
    for key, value in payload.items():
        definition = app.world.custom.by_key("deal", key)
        if definition is not None:
            custom[key] = definition.check(value)
    fields["custom_fields"] = custom
    return fields
