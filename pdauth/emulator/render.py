"""Rows as API v2 sends them, encoded once per revision, and pages built from the cached pieces."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pdauth.emulator.resources import Resource
from pdauth.emulator.store import Row
from pdauth.emulator.timefmt import rfc3339

if TYPE_CHECKING:
    from pdauth.emulator.world import World


def v2_object(
    world: World, resource: Resource, row: Row, only_custom: set[str] | None = None
) -> dict[str, Any]:
    """The v2 model of a row: RFC 3339 times, real booleans, ids not objects, custom fields apart.

    An empty value goes out as null only where the SDK model allows null; elsewhere it is left out
    (every model field is optional, none is `null`-able unless declared so).
    """
    out: dict[str, Any] = {}
    for field in resource.output_fields:
        value = row.get(field.name)
        if value is None:
            if field.nullable:
                out[field.name] = None
            continue
        if field.kind == "time":
            value = rfc3339(value)
        elif field.name == "category":  # a number in requests, a string in the response model
            value = str(value)
        out[field.name] = value
    if resource.custom_fields:
        stored = row.get("custom_fields") or {}
        out["custom_fields"] = {
            f.key: stored.get(f.key)
            for f in world.custom.of(resource.name)
            if only_custom is None or f.key in only_custom
        }
    return out


def v2_bytes(world: World, resource: Resource, row: Row) -> bytes:
    table = world.tables[resource.name]
    cached = world.cache.get(table, "v2", row)
    if cached is None:
        cached = dumps(v2_object(world, resource, row))
        world.cache.put(table, "v2", row, cached)
    return cached


def dumps(payload: object) -> bytes:
    # Compact, as Pipedrive sends it: a page of 500 deals is a tenth smaller than with spaces.
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def page_body(items: list[bytes], additional: dict[str, Any] | None) -> bytes:
    """`{"success": true, "data": [...], "additional_data": {...}}` from pre-encoded items."""
    parts = [b'{"success":true,"data":[', b",".join(items), b"]"]
    if additional is not None:
        parts += [b',"additional_data":', dumps(additional)]
    parts.append(b"}")
    return b"".join(parts)


def item_body(item: bytes) -> bytes:
    return b'{"success":true,"data":' + item + b"}"
