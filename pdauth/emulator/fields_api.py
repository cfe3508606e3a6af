"""/api/v2/{deal,person,organization,product}Fields: the entity's fields, custom ones included, and
adding or deleting a custom field at run time (SDK: DealFieldsApi and friends, `Get…Fields200Response`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

import pdauth.emulator.query as query
from pdauth.emulator.custom_fields import TYPES, CustomField
from pdauth.emulator.endpoint import Endpoint, Table
from pdauth.emulator.engine import json_object
from pdauth.emulator.errors import not_found
from pdauth.emulator.render import dumps
from pdauth.emulator.reply import Reply
from pdauth.emulator.resources import Resource
from pdauth.emulator.schema import fail

if TYPE_CHECKING:
    from pdauth.emulator.hub import Company

# The system fields each entity lists, as (field_code, field_name, field_type); a short list of the
# ones most scripts read, not every field Pipedrive has.
SYSTEM: Final[dict[str, tuple[tuple[str, str, str], ...]]] = {
    "deal": (("title", "Title", "varchar"), ("value", "Value", "monetary"), ("owner_id", "Owner", "user"),
             ("person_id", "Contact person", "people"), ("org_id", "Organization", "org"),
             ("stage_id", "Stage", "stage"), ("status", "Status", "status"), ("visible_to", "Visible to", "visible_to"),
             ("expected_close_date", "Expected close date", "date"), ("label_ids", "Label", "set")),
    "person": (("name", "Name", "varchar"), ("owner_id", "Owner", "user"), ("org_id", "Organization", "org"),
               ("emails", "Email", "varchar"), ("phones", "Phone", "phone"), ("visible_to", "Visible to", "visible_to")),
    "organization": (("name", "Name", "varchar"), ("owner_id", "Owner", "user"), ("address", "Address", "address"),
                     ("visible_to", "Visible to", "visible_to")),
    "product": (("name", "Name", "varchar"), ("code", "Product code", "varchar"), ("unit", "Unit", "varchar"),
                ("tax", "Tax", "double"), ("prices", "Price", "price_list"), ("owner_id", "Owner", "user"),
                ("visible_to", "Visible to", "visible_to"), ("billing_frequency", "Billing frequency", "billing_frequency")),
}  # fmt: skip
_EXTRAS: Final = ("ui_visibility", "important_fields", "required_fields")


def routes(resource: Resource) -> Table:
    """The fields endpoints of one resource, with the SDK's scopes."""
    r = resource
    # As the SDK lists them: admin may read deal, person and organization fields, not product fields.
    extra_read = ("admin",) if r.name != "product" else ()
    read = (*r.read_scopes, *extra_read, f"{_scope_family(r)}-fields:full")
    write = (
        ("admin", f"{_scope_family(r)}-fields:full")
        if r.name != "product"
        else ("products:full", "product-fields:full")
    )
    base = f"/api/v2/{r.fields_path}"
    return [
        (
            re.compile(base),
            {
                "GET": Endpoint(lambda app, req, who, p: list_fields(app, r, req), read, "list"),
                "POST": Endpoint(lambda app, req, who, p: add_field(app, r, req), write, "update"),
            },
        ),
        (
            re.compile(base + r"/(?P<code>[^/]+)"),
            {
                "GET": Endpoint(lambda app, req, who, p: get_field(app, r, req, p["code"]), read, "get"),
                "DELETE": Endpoint(lambda app, req, who, p: delete_field(app, r, p["code"]), write, "update"),
            },
        ),
    ]


def list_fields(app: Company, resource: Resource, request: Any) -> Reply:
    q = query.params(request)
    limit = query.limit(q)
    extras = _extras(q)
    with app.lock:
        fields = _all(app, resource, extras)
    start = (
        query.decode_cursor(q["cursor"], f"fields-{resource.name}", "id", "asc")[1] if q.get("cursor") else 0
    )
    page = fields[start : start + limit]
    more = start + limit < len(fields)
    cursor = (
        query.encode_cursor(f"fields-{resource.name}", "id", "asc", None, start + limit) if more else None
    )
    return Reply(200, dumps({"success": True, "data": page, "additional_data": {"next_cursor": cursor}}))


def get_field(app: Company, resource: Resource, request: Any, code: str) -> Reply:
    extras = _extras(query.params(request))
    with app.lock:
        field = next((f for f in _all(app, resource, extras) if f["field_code"] == code), None)
    if field is None:
        raise not_found("Field")
    return Reply(200, dumps({"success": True, "data": field}))


def add_field(app: Company, resource: Resource, request: Any) -> Reply:
    body = json_object(request)
    name, kind = body.get("field_name"), body.get("field_type")
    if not isinstance(name, str) or not name.strip():
        raise fail("field_name", "is required")
    if kind not in TYPES:
        raise fail("field_type", f"the emulator stores {', '.join(TYPES)}")
    options = body.get("options") or []
    labels = [o.get("label") for o in options if isinstance(o, dict) and isinstance(o.get("label"), str)]
    if not isinstance(options, list) or len(labels) != len(options) or not all(labels):
        raise fail("options", 'must be an array of {"label": "..."}')
    if (kind in ("enum", "set")) != bool(labels):
        raise fail("options", "enum and set fields need options, other types take none")
    with app.lock:
        first = app.world.custom.next_option_id()
        choices = tuple((first + i, str(x)) for i, x in enumerate(labels))
        field = CustomField(resource.name, name.strip(), kind, choices)
        try:
            app.world.custom.add(field)
        except ValueError as exc:
            raise fail("field_name", str(exc)) from None
        app.world.cache.invalidate()  # every rendering of this entity now carries the new key
        data = _describe(field, ())
    return Reply(200, dumps({"success": True, "data": data}))


def delete_field(app: Company, resource: Resource, code: str) -> Reply:
    with app.lock:
        field = app.world.custom.remove(resource.name, code)
        if field is None:
            raise not_found("Field")
        app.world.cache.invalidate()
        data = _describe(field, ())
    return Reply(200, dumps({"success": True, "data": data}))


def _all(app: Company, resource: Resource, extras: tuple[str, ...]) -> list[dict[str, Any]]:
    fields = [_system(code, name, kind, extras) for code, name, kind in SYSTEM[resource.name]]
    return fields + [_describe(f, extras) for f in app.world.custom.of(resource.name)]


def _system(code: str, name: str, kind: str, extras: tuple[str, ...]) -> dict[str, Any]:
    out = {"field_name": name, "field_code": code, "field_type": kind, "is_custom_field": False,
           "is_optional_response_field": False, "options": None, "subfields": None}  # fmt: skip
    return out | _extra_values(extras)


def _describe(field: CustomField, extras: tuple[str, ...]) -> dict[str, Any]:
    options = [{"id": i, "label": label} for i, label in field.options] or None
    subfields = (
        [{"field_code": "currency", "field_name": f"Currency of {field.name}", "field_type": "varchar"}]
        if field.type == "monetary"
        else None
    )
    out = {"field_name": field.name, "field_code": field.key, "field_type": field.type, "is_custom_field": True,
           "is_optional_response_field": False, "options": options, "subfields": subfields}  # fmt: skip
    return out | _extra_values(extras)


def _extra_values(extras: tuple[str, ...]) -> dict[str, Any]:
    values = {
        "ui_visibility": {"add_visible_flag": True, "details_visible_flag": True},
        "important_fields": {"enabled": False},
        "required_fields": {"enabled": False},
    }
    return {k: values[k] for k in extras}


def _extras(q: dict[str, str]) -> tuple[str, ...]:
    raw = q.get("include_fields") or ""
    wanted = tuple(x for x in raw.split(",") if x)
    if any(x not in _EXTRAS for x in wanted):
        raise fail("include_fields", f"must be among {', '.join(_EXTRAS)}")
    return wanted


def _scope_family(resource: Resource) -> str:
    return {"deal": "deal", "person": "contact", "organization": "contact", "product": "product"}[
        resource.name
    ]
