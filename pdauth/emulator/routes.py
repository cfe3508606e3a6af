"""Every REST endpoint the emulator serves: path, method, handler, scopes (from the SDK's API classes)
and what a call costs in Pipedrive's daily token budget. The v2 part is generated from resources.py;
the fields, v1 and webhook modules declare theirs (endpoint.Endpoint) and this table gathers them:
it imports the handler modules, none of them imports it."""

from __future__ import annotations

import re
from typing import Final

import pdauth.emulator.engine as engine
import pdauth.emulator.fields_api as fields_api
import pdauth.emulator.search as search
import pdauth.emulator.v1_deals as v1_deals
import pdauth.emulator.v1_leads as v1_leads
import pdauth.emulator.v1_misc as v1_misc
import pdauth.emulator.v1_notes as v1_notes
import pdauth.emulator.webhooks_api as webhooks_api
from pdauth.emulator.endpoint import Action, Endpoint, Table
from pdauth.emulator.resources import RESOURCES, Resource

_ID: Final = r"(?P<id>[^/]+)"


def _v2(resource: Resource) -> Table:
    r = resource
    read, write = r.read_scopes, r.write_scopes
    base = f"/api/v2/{r.plural}"
    table: Table = []
    if r.search_fields:
        act: Action = lambda app, req, who, p: search.entity_search(app, r, req)  # noqa: E731
        table.append(
            (re.compile(base + "/search"), {"GET": Endpoint(act, (*read, "search:read"), "search", True)})
        )
    table.append(
        (
            re.compile(base),
            {
                "GET": Endpoint(lambda app, req, who, p: engine.list_rows(app, r, req), read, "list"),
                "POST": Endpoint(
                    lambda app, req, who, p: engine.add_row(app, r, req, who.user_id), write, "update"
                ),
            },
        )
    )
    table.append(
        (
            re.compile(f"{base}/{_ID}"),
            {
                "GET": Endpoint(lambda app, req, who, p: engine.get_row(app, r, p["id"]), read, "get"),
                "PATCH": Endpoint(
                    lambda app, req, who, p: engine.update_row(app, r, req, p["id"], who.user_id),
                    write,
                    "update",
                ),
                "DELETE": Endpoint(
                    lambda app, req, who, p: engine.delete_row(app, r, p["id"], who.user_id), write, "update"
                ),
            },
        )
    )
    if r.fields_path:
        table += fields_api.routes(r)
    return table


def _table() -> Table:
    table: Table = [
        (
            re.compile("/api/v2/itemSearch"),
            {"GET": Endpoint(search.item_search, ("search:read",), "search", True)},
        )
    ]
    for resource in RESOURCES:
        table += _v2(resource)
    deals_read, deals_full = ("deals:read", "deals:full"), ("deals:full",)
    table += [
        (
            re.compile("/api/v1/deals"),
            {
                "GET": Endpoint(lambda app, req, who, p: v1_deals.list_deals(app, req), deals_read, "list"),
                "POST": Endpoint(
                    lambda app, req, who, p: v1_deals.add_deal(app, req, who.user_id), deals_full, "update"
                ),
            },
        ),
        (
            re.compile(f"/api/v1/deals/{_ID}"),
            {
                "GET": Endpoint(lambda app, req, who, p: v1_deals.get_deal(app, p["id"]), deals_read, "get"),
                "PUT": Endpoint(
                    lambda app, req, who, p: v1_deals.update_deal(app, req, p["id"], who.user_id),
                    deals_full,
                    "update",
                ),
                "DELETE": Endpoint(
                    lambda app, req, who, p: v1_deals.delete_deal(app, p["id"], who.user_id),
                    deals_full,
                    "update",
                ),
            },
        ),
    ]
    table += v1_misc.routes() + v1_notes.routes() + v1_leads.routes() + webhooks_api.routes()
    return table


ROUTES: Final = _table()
V1_DEALS: Final = re.compile(r"/api/v1/deals(/[^/]+)?")


def find(path: str) -> tuple[dict[str, Endpoint], dict[str, str]] | None:
    for pattern, methods in ROUTES:
        match = pattern.fullmatch(path)
        if match is not None:
            return methods, match.groupdict()
    return None
