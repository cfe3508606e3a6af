"""The generic API v2 engine: list (cursor, filters, sort), get, add, update, delete for any resource
of the table in resources.py. Nothing here knows a particular entity; rules.py holds what differs."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pdauth.emulator.filters as filters
import pdauth.emulator.query as query
import pdauth.emulator.rules as rules
from pdauth.emulator.errors import invalid, not_found
from pdauth.emulator.render import dumps, item_body, page_body, v2_bytes, v2_object
from pdauth.emulator.reply import Event, Reply
from pdauth.emulator.resources import Resource
from pdauth.emulator.schema import check, fail
from pdauth.emulator.store import Row
from pdauth.emulator.web import JSON_TYPE, BadInput, Request

if TYPE_CHECKING:
    from pdauth.emulator.hub import Company
    from pdauth.emulator.world import World


def list_rows(app: Company, resource: Resource, request: Request) -> Reply:
    q = query.params(request)
    limit = query.limit(q)
    sort = query.choice(q, "sort_by", resource.sorts, "id")
    direction = query.choice(q, "sort_direction", ("asc", "desc"), "asc")
    only_custom = _custom_subset(q) if resource.custom_fields else None
    with app.lock:
        world = app.world
        keep = filters.predicate(world, resource, q)
        cursor = q.get("cursor")
        position = query.decode_cursor(cursor, resource.name, sort, direction) if cursor else None
        rows = _ordered(world, resource, sort, direction, position, keep)
        page = [row for _, row in zip(range(limit + 1), rows, strict=False)]
        more = len(page) > limit
        page = page[:limit]
        if only_custom is None:
            items = [v2_bytes(world, resource, row) for row in page]
        else:
            items = [dumps(v2_object(world, resource, row, only_custom)) for row in page]
        last = page[-1] if page else None
        next_cursor = (
            query.encode_cursor(
                resource.name, sort, direction, last[sort] if sort != "id" else last["id"], last["id"]
            )
            if more and last is not None
            else None
        )
    return Reply(200, page_body(items, {"next_cursor": next_cursor}))


def get_row(app: Company, resource: Resource, raw_id: str) -> Reply:
    row_id = _path_id(raw_id)
    with app.lock:
        row = app.world.live(resource.name, row_id)
        if row is None:
            raise not_found(resource.label)
        return Reply(200, item_body(v2_bytes(app.world, resource, row)))


def add_row(app: Company, resource: Resource, request: Request, user_id: int) -> Reply:
    body = json_object(request)
    with app.lock:
        world = app.world
        now = app.clock.now()
        changes, custom = _validate(world, resource, body, creating=True)
        missing = [f.name for f in resource.fields if f.required and changes.get(f.name) is None]
        if missing:
            raise fail(missing[0], "is required")
        row: Row = {**rules.DEFAULTS.get(resource.name, {}), "add_time": now, "update_time": now}
        row = {k: (list(v) if isinstance(v, list) else v) for k, v in row.items()}
        if resource.name in rules.OWNED:
            row["owner_id"] = user_id
        if resource.name == "activity":
            row["creator_user_id"] = user_id
        if resource.custom_fields:
            row["custom_fields"] = {}
        row.update(changes)
        if custom:
            row["custom_fields"].update(custom)
        rules.apply(world, resource.name, row, changes, True, now)
        world.tables[resource.name].insert(row)
        data = v2_object(world, resource, row)
        event = Event("create", resource.name, row["id"], data, None, user_id)
    return Reply(201, item_body(dumps(data)), [event] if resource.webhooks else [])


def update_row(app: Company, resource: Resource, request: Request, raw_id: str, user_id: int) -> Reply:
    row_id = _path_id(raw_id)
    body = json_object(request)
    with app.lock:
        world = app.world
        row = world.live(resource.name, row_id)
        if row is None:
            raise not_found(resource.label)
        changes, custom = _validate(world, resource, body, creating=False)
        before = v2_object(world, resource, row)
        now = app.clock.now()
        candidate = {**row, **changes, "update_time": now}
        if custom:
            candidate["custom_fields"] = {**(row.get("custom_fields") or {}), **custom}
        rules.apply(world, resource.name, candidate, changes, False, now)
        row.update(candidate)
        table = world.tables[resource.name]
        if changes.get("is_deleted") is True:
            table.mark_deleted(row)
        table.touch(row)
        data = v2_object(world, resource, row)
        previous = {k: v for k, v in before.items() if data.get(k) != v}
        event = Event("change", resource.name, row_id, data, previous, user_id)
    return Reply(200, item_body(dumps(data)), [event] if resource.webhooks else [])


def delete_row(app: Company, resource: Resource, raw_id: str, user_id: int) -> Reply:
    row_id = _path_id(raw_id)
    with app.lock:
        world = app.world
        row = world.live(resource.name, row_id)
        if row is None:
            raise not_found(resource.label)
        previous = v2_object(world, resource, row)
        row["update_time"] = app.clock.now()
        world.tables[resource.name].mark_deleted(row)
    # Pipedrive keeps a deleted deal 30 days (status=deleted lists it); GET by id answers 404.
    event = Event("delete", resource.name, row_id, None, previous, user_id)
    return Reply(200, dumps({"success": True, "data": {"id": row_id}}), [event] if resource.webhooks else [])


# --- helpers ------------------------------------------------------------------------------------


def json_object(request: Request) -> dict[str, Any]:
    if request.media_type != JSON_TYPE:
        raise invalid("Request body must be application/json")
    try:
        body = request.json() if request.body else {}
    except BadInput as exc:
        raise invalid(f"Invalid request body: {exc}") from None
    if not isinstance(body, dict):
        raise invalid("Request body must be a JSON object")
    return body


def _validate(world: World, resource: Resource, body: dict[str, Any], creating: bool) -> tuple[Row, Row]:
    """(field changes, custom field changes) of a body, every value checked, or a 400."""
    changes: Row = {}
    custom: Row = {}
    for key, value in body.items():
        if key == "custom_fields" and resource.custom_fields:
            custom = _custom_values(world, resource, value)
            continue
        f = resource.field(key)
        if f is None or not f.write or (f.write == "add" and not creating):
            raise fail(key, f"is not a field a request may set on a {resource.name}")
        stored = check(f, value)
        if f.ref is not None and stored is not None and world.live(f.ref, stored) is None:
            raise fail(key, f"{f.ref} {stored} does not exist")
        changes[key] = stored
    return changes, custom


def _custom_values(world: World, resource: Resource, value: object) -> Row:
    if not isinstance(value, dict):
        raise fail("custom_fields", "must be an object keyed by custom field key")
    out: Row = {}
    for key, item in value.items():
        definition = world.custom.by_key(resource.name, key)
        if definition is None:
            raise fail(f"custom_fields.{key}", f"no such {resource.name} custom field")
        out[key] = definition.check(item)
    return out


def _custom_subset(q: dict[str, str]) -> set[str] | None:
    raw = q.get("custom_fields")
    return {k.strip() for k in raw.split(",") if k.strip()} if raw else None


def _path_id(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()):
        raise fail("id", "must be an integer")
    return int(raw)


def _ordered(
    world: World,
    resource: Resource,
    sort: str,
    direction: str,
    position: tuple[str, int] | None,
    keep: filters.Predicate,
) -> Iterator[Row]:
    table = world.tables[resource.name]
    descending = direction == "desc"
    if sort == "id":
        # The fast path every paginate takes: continue after an id, no sorting at all.
        after = position[1] if position else 0
        return (row for row in table.after(after, descending) if keep(row))
    rows = sorted((r for r in table if keep(r)), key=lambda r: _sort_key(r, sort), reverse=descending)
    if position is None:
        return iter(rows)
    try:
        mark = (_key_of(ast.literal_eval(position[0])), position[1])
    except (ValueError, SyntaxError):
        raise invalid("Invalid cursor") from None
    if descending:
        return (r for r in rows if _sort_key(r, sort) < mark)
    return (r for r in rows if _sort_key(r, sort) > mark)


def _key_of(value: object) -> tuple[int, Any]:
    return (1, 0) if value is None else (0, value)


def _sort_key(row: Row, sort: str) -> tuple[tuple[int, Any], int]:
    return _key_of(row.get(sort)), row["id"]
