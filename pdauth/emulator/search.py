"""Search: /api/v2/itemSearch and /api/v2/{deals,persons,organizations,products}/search.

Results in the shapes of the SDK's `Get…SearchResponse` models, best match first: an exact match
scores 1, a prefix 0.75, a substring 0.5 (Pipedrive's scoring is its own; only the order matters).
A term needs 2 characters, or 1 with exact_match (Pipedrive's documented minimum).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

import pdauth.emulator.query as query
from pdauth.emulator.errors import invalid
from pdauth.emulator.render import dumps
from pdauth.emulator.reply import Reply
from pdauth.emulator.resources import BY_NAME, Resource
from pdauth.emulator.schema import fail
from pdauth.emulator.store import Row

if TYPE_CHECKING:
    from pdauth.emulator.hub import Company
    from pdauth.emulator.state import Caller
    from pdauth.emulator.web import Request
    from pdauth.emulator.world import World

ITEM_TYPES: Final = ("deal", "person", "organization", "product")


def entity_search(app: Company, resource: Resource, request: Request) -> Reply:
    q = query.params(request)
    term, exact = _term(q)
    fields = _fields(q, resource.search_fields)
    with app.lock:
        hits = list(_hits(app.world, resource, term, exact, fields, q))
    return _page(q, hits, resource.name, related=False)


def item_search(app: Company, request: Request, caller: Caller, params: dict[str, str]) -> Reply:
    q = query.params(request)
    term, exact = _term(q)
    types = [t.strip() for t in (q.get("item_types") or ",".join(ITEM_TYPES)).split(",")]
    unknown = [t for t in types if t not in ITEM_TYPES]
    if unknown:
        raise fail("item_types", f"the emulator searches {', '.join(ITEM_TYPES)}, not {', '.join(unknown)}")
    all_fields = tuple(dict.fromkeys(f for t in types for f in BY_NAME[t].search_fields))
    fields = _fields(q, all_fields)
    hits: list[tuple[float, str, int, dict[str, Any]]] = []
    with app.lock:
        for t in types:
            resource = BY_NAME[t]
            usable = tuple(f for f in fields if f in resource.search_fields)
            hits += _hits(app.world, resource, term, exact, usable, {})
    return _page(q, hits, "item", related=True)


def _term(q: dict[str, str]) -> tuple[str, bool]:
    term = (q.get("term") or "").strip()
    exact = query.boolean(q, "exact_match") or False
    if len(term) < (1 if exact else 2):
        raise fail("term", "must be at least 2 characters long (1 with exact_match)")
    return term, exact


def _fields(q: dict[str, str], allowed: tuple[str, ...]) -> tuple[str, ...]:
    raw = q.get("fields")
    if not raw:
        return allowed
    wanted = tuple(f.strip() for f in raw.split(","))
    bad = [f for f in wanted if f not in allowed]
    if bad:
        raise fail("fields", f"must be among {', '.join(allowed)}")
    return wanted


def _score(term: str, text: str, exact: bool) -> float:
    t, x = term.casefold(), text.casefold()
    if t == x:
        return 1.0
    if exact:
        return 0.0
    return 0.75 if x.startswith(t) else 0.5 if t in x else 0.0


def _hits(
    world: World, resource: Resource, term: str, exact: bool, fields: tuple[str, ...], q: dict[str, str]
) -> Iterator[tuple[float, str, int, dict[str, Any]]]:
    person_id = query.integer(q, "person_id")
    org_id = query.integer(q, "organization_id")
    status = q.get("status")
    if status and status not in ("open", "won", "lost"):
        raise fail("status", "must be open, won or lost")
    notes = _notes_by(world, resource.name) if "notes" in fields else {}
    for row in world.tables[resource.name]:
        if row.get("is_deleted"):
            continue
        if person_id is not None and row.get("person_id") != person_id:
            continue
        if org_id is not None and row.get("org_id") != org_id:
            continue
        if status and row.get("status") != status:
            continue
        texts = _texts(row, fields, notes.get(row["id"], []))
        best = max((_score(term, text, exact) for _, text in texts), default=0.0)
        if best > 0:
            matched = [text for kind, text in texts if kind == "custom" and _score(term, text, exact) > 0]
            hit_notes = [text for kind, text in texts if kind == "notes" and _score(term, text, exact) > 0]
            yield best, resource.name, row["id"], _item(world, resource, row, matched, hit_notes)


def _texts(row: Row, fields: tuple[str, ...], notes: list[str]) -> list[tuple[str, str]]:
    texts: list[tuple[str, str]] = []
    for f in fields:
        if f in ("title", "name", "code") and row.get(f):
            texts.append((f, str(row[f])))
        elif f in ("email", "phone"):
            texts += [(f, c["value"]) for c in row.get(f + "s") or []]
        elif f == "address" and row.get("address"):
            texts.append((f, row["address"].get("value", "")))
        elif f == "notes":
            texts += [("notes", n) for n in notes]
        elif f == "custom_fields":
            texts += [("custom", v) for v in (row.get("custom_fields") or {}).values() if isinstance(v, str)]
    return texts


def _notes_by(world: World, entity: str) -> dict[int, list[str]]:
    key = {"deal": "deal_id", "person": "person_id", "organization": "org_id"}.get(entity)
    out: dict[int, list[str]] = {}
    if key:
        for note in world.tables["note"]:
            if note.get(key):
                out.setdefault(note[key], []).append(note["content"])
    return out


def _item(world: World, resource: Resource, row: Row, custom: list[str], notes: list[str]) -> dict[str, Any]:
    item: dict[str, Any] = {"id": row["id"], "type": resource.name}
    name = resource.name
    if name == "deal":
        stage = world.tables["stage"].get(row["stage_id"])
        item.update(title=row["title"], value=row["value"], currency=row["currency"], status=row["status"],
                    visible_to=row["visible_to"], owner={"id": row["owner_id"]},
                    stage={"id": row["stage_id"], "name": stage["name"] if stage else ""},
                    person=_ref(world, "person", row.get("person_id")),
                    organization=_ref(world, "organization", row.get("org_id")),
                    custom_fields=custom, notes=notes, is_archived=row["is_archived"])  # fmt: skip
        return item
    item.update(
        name=row["name"], visible_to=row["visible_to"], owner={"id": row["owner_id"]}, custom_fields=custom
    )
    if name == "person":
        item.update(
            phones=[c["value"] for c in row["phones"]],
            emails=[c["value"] for c in row["emails"]],
            notes=notes,
        )
        org = _ref(world, "organization", row.get("org_id"))
        if org is not None:  # the model's organization is not nullable: absent when there is none
            item["organization"] = org
    elif name == "organization":
        item.update(address=(row.get("address") or {}).get("value", ""), notes=notes)
    elif name == "product" and str(row.get("code", "")).isdigit():
        item["code"] = int(row["code"])  # the search model types a product code as a number
    return item


def _ref(world: World, table: str, row_id: int | None) -> dict[str, Any] | None:
    row = world.live(table, row_id)
    return {"id": row["id"], "name": row["name"]} if row else None


def _page(
    q: dict[str, str], hits: list[tuple[float, str, int, dict[str, Any]]], kind: str, related: bool
) -> Reply:
    limit = query.limit(q)
    start = 0
    if q.get("cursor"):
        try:
            start = query.decode_cursor(q["cursor"], f"search-{kind}", "id", "asc")[1]
        except Exception:
            raise invalid("Invalid cursor") from None
    hits.sort(key=lambda h: (-h[0], h[1], h[2]))
    page = hits[start : start + limit]
    more = start + limit < len(hits)
    next_cursor = query.encode_cursor(f"search-{kind}", "id", "asc", None, start + limit) if more else None
    data: dict[str, Any] = {"items": [{"result_score": s, "item": item} for s, _, _, item in page]}
    if related:
        data["related_items"] = []
    return Reply(200, dumps({"success": True, "data": data, "additional_data": {"next_cursor": next_cursor}}))
