"""API v1's deal as Pipedrive sends it (SDK 31's `GetDealResponse` and friends): the user, person and
organization as objects, "YYYY-MM-DD HH:MM:SS" times, display strings, and `related_objects`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pdauth.emulator.render import dumps
from pdauth.emulator.store import Row
from pdauth.emulator.timefmt import v1_time

if TYPE_CHECKING:
    from pdauth.emulator.world import World

_SYMBOLS: Final = {"EUR": "€", "USD": "$", "GBP": "£"}
# v1 time fields that the model declares non-null: left out when empty (see render.v2_object).
_TIMES: Final = ("add_time", "update_time", "stage_change_time", "won_time", "lost_time")


def money(amount: float, currency: str) -> str:
    text = f"{amount:,.0f}" if float(amount).is_integer() else f"{amount:,.2f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def user_object(world: World, user_id: int | None) -> dict[str, Any] | None:
    user = world.tables["user"].get(user_id) if user_id is not None else None
    if user is None:
        return None
    return {"id": user["id"], "name": user["name"], "email": user["email"], "has_pic": False,
            "pic_hash": None, "active_flag": user["active_flag"], "value": user["id"]}  # fmt: skip


def person_object(world: World, person_id: int | None) -> dict[str, Any] | None:
    person = world.tables["person"].get(person_id) if person_id is not None else None
    if person is None:
        return None
    return {"active_flag": not person["is_deleted"], "name": person["name"], "email": _contacts(person["emails"]),
            "phone": _contacts(person["phones"]), "owner_id": person["owner_id"], "value": person["id"]}  # fmt: skip


def org_object(world: World, org_id: int | None) -> dict[str, Any] | None:
    org = world.tables["organization"].get(org_id) if org_id is not None else None
    if org is None:
        return None
    people = people_counts(world).get(org["id"], 0)
    address = (org.get("address") or {}).get("value", "")
    return {"name": org["name"], "people_count": people, "owner_id": org["owner_id"], "address": address,
            "active_flag": not org["is_deleted"], "cc_email": _cc_email(world), "value": org["id"]}  # fmt: skip


def deal_object(world: World, row: Row, counts: dict[int, tuple[int, int, int]]) -> dict[str, Any]:
    stage = world.tables["stage"].get(row["stage_id"])
    person = person_object(world, row.get("person_id"))
    org = org_object(world, row.get("org_id"))
    owner = user_object(world, row["owner_id"])
    notes, done, undone = counts.get(row["id"], (0, 0, 0))
    weighted = row["value"] * (row["probability"] if row.get("probability") is not None else 100) / 100
    out: dict[str, Any] = {
        "id": row["id"],
        "creator_user_id": owner,
        "user_id": owner,
        # Not linked: null. The model declares objects only; Pipedrive's v1 sends null (see docs).
        "person_id": person,
        "org_id": org,
        "stage_id": row["stage_id"],
        "title": row["title"],
        "value": row["value"],
        "currency": row["currency"],
        "active": row["status"] == "open" and not row["is_deleted"],
        "deleted": bool(row["is_deleted"]),
        "is_archived": row["is_archived"],
        "status": "deleted" if row["is_deleted"] else row["status"],
        "probability": row.get("probability"),
        "next_activity_id": None,
        "last_activity_id": None,
        "last_activity_date": None,
        "lost_reason": row.get("lost_reason"),
        "visible_to": str(row["visible_to"]),
        "close_time": v1_time(row["close_time"]) if row.get("close_time") else None,
        "pipeline_id": row["pipeline_id"],
        "products_count": 0,
        "files_count": 0,
        "notes_count": notes,
        "followers_count": 1,
        "email_messages_count": 0,
        "activities_count": done + undone,
        "done_activities_count": done,
        "undone_activities_count": undone,
        "participants_count": 1 if person else 0,
        "stage_order_nr": stage["order_nr"] if stage else 0,
        "formatted_value": money(row["value"], row["currency"]),
        "weighted_value": weighted,
        "formatted_weighted_value": money(weighted, row["currency"]),
        "weighted_value_currency": row["currency"],
        "rotten_time": None,
        "owner_name": owner["name"] if owner else "",
        "cc_email": _cc_email(world),
        "org_hidden": False,
        "person_hidden": False,
        "origin": row["origin"],
        "origin_id": row.get("origin_id"),
        "channel": row.get("channel"),
        "channel_id": row.get("channel_id"),
        **{k: row.get(k) for k in ("arr", "mrr", "acv")},
        **{f"{k}_currency": None for k in ("arr", "mrr", "acv")},
    }
    for key in _TIMES:
        if row.get(key) is not None:
            out[key] = v1_time(row[key])
    if row.get("expected_close_date"):
        out["expected_close_date"] = row["expected_close_date"]
    if person:
        out["person_name"] = person["name"]
    if org:
        out["org_name"] = org["name"]
    # Custom fields sit at the top level in v1, keyed by their 40-hex key; money as value + _currency.
    stored = row.get("custom_fields") or {}
    for field in world.custom.of("deal"):
        value = stored.get(field.key)
        if field.type == "monetary":
            out[field.key] = value["value"] if value else None
            out[f"{field.key}_currency"] = value["currency"] if value else None
        else:
            out[field.key] = value
    return out


def related_objects(world: World, rows: list[Row]) -> dict[str, Any]:
    users: dict[str, Any] = {}
    persons: dict[str, Any] = {}
    orgs: dict[str, Any] = {}
    for row in rows:
        owner = user_object(world, row["owner_id"])
        if owner:
            users[str(owner["id"])] = {**{k: owner[k] for k in ("id", "name", "email", "pic_hash", "active_flag")},
                                       "has_pic": 0}  # fmt: skip
        person = person_object(world, row.get("person_id"))
        if person:
            persons[str(row["person_id"])] = {
                "active_flag": person["active_flag"], "id": row["person_id"], "name": person["name"],
                "email": person["email"], "phone": person["phone"], "owner_id": person["owner_id"],
            }  # fmt: skip
        org = org_object(world, row.get("org_id"))
        if org:
            orgs[str(row["org_id"])] = {"id": row["org_id"], **{k: v for k, v in org.items() if k != "value"}}
    return {"user": users, "person": persons, "organization": orgs}


def deal_bytes(world: World, row: Row, counts: dict[int, tuple[int, int, int]]) -> bytes:
    table = world.tables["deal"]
    # A v1 deal shows names of other objects: its cache entry is valid for one state of those tables.
    deps = tuple(
        world.tables[n].version for n in ("user", "person", "organization", "stage", "activity", "note")
    )
    style = f"v1:{deps}"
    cached = world.cache.get(table, style, row)
    if cached is None:
        cached = dumps(deal_object(world, row, counts))
        world.cache.put(table, style, row, cached)
    return cached


def deal_counts(world: World) -> dict[int, tuple[int, int, int]]:
    """(notes, done activities, undone activities) per deal, recomputed only when those tables change."""

    def compute() -> dict[int, tuple[int, int, int]]:
        counts: dict[int, list[int]] = {}
        for note in world.tables["note"]:
            if note.get("deal_id"):
                counts.setdefault(note["deal_id"], [0, 0, 0])[0] += 1
        for activity in world.tables["activity"]:
            if activity.get("deal_id") and not activity["is_deleted"]:
                counts.setdefault(activity["deal_id"], [0, 0, 0])[1 if activity["done"] else 2] += 1
        return {k: (v[0], v[1], v[2]) for k, v in counts.items()}

    return world.memo("deal_counts", ("note", "activity"), compute)


def people_counts(world: World) -> dict[int, int]:
    def compute() -> dict[int, int]:
        counts: dict[int, int] = {}
        for person in world.tables["person"]:
            if person.get("org_id") and not person["is_deleted"]:
                counts[person["org_id"]] = counts.get(person["org_id"], 0) + 1
        return counts

    return world.memo("people_counts", ("person",), compute)


def _contacts(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"label": i.get("label", "work"), "value": i["value"], "primary": bool(i.get("primary"))}
        for i in items
    ]


def _cc_email(world: World) -> str:
    return f"{world.config.company_domain}@pipedrivemail.com"
