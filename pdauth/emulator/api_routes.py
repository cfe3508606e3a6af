"""{api_domain}/api/...: bearer auth, burst limit, scope check, users/me and deals (v1 offset, v2 cursor)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from pdauth.emulator.deals import DEFAULT_LIMIT, MAX_LIMIT, DealError, decode_cursor, encode_cursor
from pdauth.emulator.deals import validate_fields as deal_fields
from pdauth.emulator.ratelimit import RateInfo
from pdauth.emulator.state import Caller
from pdauth.emulator.web import JSON_TYPE, BadInput, Request, Response, json_response

if TYPE_CHECKING:
    from pdauth.emulator.app import App

Payload = dict[str, Any]
Handler = Callable[["App", Request, Caller, "re.Match[str]"], tuple[int, Payload]]

_BASE: Final = ("base",)
_DEALS_READ: Final = ("deals:read", "deals:full")
_DEALS_WRITE: Final = ("deals:full",)


def envelope(error: str) -> Payload:
    """Pipedrive's error body for API failures."""
    return {
        "success": False,
        "error": error,
        "error_info": "Please check developers.pipedrive.com",
        "data": None,
        "additional_data": None,
    }


def handle(app: App, request: Request) -> Response:
    caller_or_error = _authenticate(app, request)
    if isinstance(caller_or_error, Response):
        return caller_or_error
    caller = caller_or_error
    rate = app.limiter.hit(caller.access_token)
    if not rate.allowed:
        app.stats.incr("rate_limited")
        extra = [("Retry-After", str(max(1, rate.reset)))] if app.config.retry_after_header else []
        return _reply(app, 429, envelope("Request over limit"), rate, extra)
    for pattern, methods in _ROUTES:
        match = pattern.fullmatch(request.path)
        if match is None:
            continue
        if request.method not in methods:
            allow = ", ".join(methods)
            return _reply(app, 405, envelope("Method not allowed"), rate, [("Allow", allow)])
        handler, scopes = methods[request.method]
        if not set(scopes) & set(caller.scopes):
            return _reply(app, 403, envelope("Scope and URL mismatch"), rate)
        try:
            status, payload = handler(app, request, caller, match)
        except DealError as exc:
            status, payload = exc.status, envelope(exc.message)
        return _reply(app, status, payload, rate)
    return _reply(app, 404, envelope("Unknown method ."), rate)


def _authenticate(app: App, request: Request) -> Caller | Response:
    header = request.header("Authorization")
    if header is None:
        return _reply(app, 401, envelope("unauthorized access"), app.limiter.peek())
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return _reply(app, 400, envelope("malformed authorization header"), app.limiter.peek())
    caller = app.auth.authenticate(parts[1])
    if caller is None:  # unknown, expired or revoked: Pipedrive does not say which
        return _reply(app, 401, envelope("unauthorized access"), app.limiter.peek())
    return caller


def _reply(
    app: App, status: int, payload: Payload, rate: RateInfo, extra: list[tuple[str, str]] | None = None
) -> Response:
    app.stats.incr_key("api_responses", str(status))
    return json_response(status, payload, [*rate.headers(), *(extra or [])])


# --- handlers -------------------------------------------------------------------------------------


def _users_me(app: App, request: Request, caller: Caller, match: re.Match[str]) -> tuple[int, Payload]:
    who = caller.identity
    data = {
        "id": who.user_id,
        "name": who.user_name,
        "email": who.user_email,
        "company_id": who.company_id,
        "company_name": who.company_name,
        "company_domain": who.company_domain,
        "company_country": "EE",
        "default_currency": "EUR",
        "locale": "en_US",
        "lang": 1,
        "timezone_name": app.config.timezone_name,
        "timezone_offset": "+02:00",
        "is_admin": 1,
        "role_id": 1,
        "active_flag": True,
        "is_you": True,
        "icon_url": None,
        "language": {"language_code": "en", "country_code": "US"},
    }
    return 200, {"success": True, "data": data}


def _list_v1(app: App, request: Request, caller: Caller, match: re.Match[str]) -> tuple[int, Payload]:
    params = _query(request)
    start = _int_param(params, "start", 0, minimum=0)
    limit = min(_int_param(params, "limit", DEFAULT_LIMIT, minimum=1), MAX_LIMIT)
    items, more = app.deals.list_offset(start, limit)
    pagination: Payload = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    # Pipedrive's v1 lists answer `data: null`, not [], when nothing is left.
    return 200, {"success": True, "data": items or None, "additional_data": {"pagination": pagination}}


def _list_v2(app: App, request: Request, caller: Caller, match: re.Match[str]) -> tuple[int, Payload]:
    params = _query(request)
    limit = min(_int_param(params, "limit", DEFAULT_LIMIT, minimum=1), MAX_LIMIT)
    cursor = params.get("cursor")
    after = decode_cursor(cursor) if cursor else 0
    items, next_after = app.deals.list_after(after, limit)
    next_cursor = encode_cursor(next_after) if next_after is not None else None
    return 200, {"success": True, "data": items, "additional_data": {"next_cursor": next_cursor}}


def _create(app: App, request: Request, caller: Caller, match: re.Match[str]) -> tuple[int, Payload]:
    fields = deal_fields(_json_body(request), creating=True)
    return 201, {"success": True, "data": app.deals.create(fields, caller.identity.user_id)}


def _get(app: App, request: Request, caller: Caller, match: re.Match[str]) -> tuple[int, Payload]:
    deal = app.deals.get(_deal_id(match))
    if deal is None:
        raise DealError("Deal not found", 404)
    return 200, {"success": True, "data": deal}


def _update(app: App, request: Request, caller: Caller, match: re.Match[str]) -> tuple[int, Payload]:
    deal_id = _deal_id(match)
    fields = deal_fields(_json_body(request), creating=False)
    deal = app.deals.update(deal_id, fields)
    if deal is None:
        raise DealError("Deal not found", 404)
    return 200, {"success": True, "data": deal}


def _delete(app: App, request: Request, caller: Caller, match: re.Match[str]) -> tuple[int, Payload]:
    deal_id = _deal_id(match)
    if not app.deals.delete(deal_id):
        raise DealError("Deal not found", 404)
    return 200, {"success": True, "data": {"id": deal_id}}


# --- helpers --------------------------------------------------------------------------------------


def _query(request: Request) -> dict[str, str]:
    try:
        return request.query_params()
    except BadInput as exc:
        raise DealError(f"Invalid query: {exc}") from None


def _int_param(params: dict[str, str], name: str, default: int, *, minimum: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < minimum:
        raise DealError(f"Parameter {name} must be an integer >= {minimum}")
    return int(raw)


def _json_body(request: Request) -> object:
    if request.media_type != JSON_TYPE:
        raise DealError("Request body must be application/json")
    try:
        return request.json()
    except BadInput as exc:
        raise DealError(f"Invalid request body: {exc}") from None


def _deal_id(match: re.Match[str]) -> int:
    raw = match.group("id")
    if not (raw.isascii() and raw.isdigit()):
        raise DealError("Deal not found", 404)
    return int(raw)


_ROUTES: Final[list[tuple[re.Pattern[str], dict[str, tuple[Handler, tuple[str, ...]]]]]] = [
    (re.compile(r"/api/v1/users/me"), {"GET": (_users_me, _BASE)}),
    (re.compile(r"/api/v1/deals"), {"GET": (_list_v1, _DEALS_READ), "POST": (_create, _DEALS_WRITE)}),
    (re.compile(r"/api/v2/deals"), {"GET": (_list_v2, _DEALS_READ)}),
    (
        re.compile(r"/api/v1/deals/(?P<id>[^/]+)"),
        {"GET": (_get, _DEALS_READ), "PUT": (_update, _DEALS_WRITE), "DELETE": (_delete, _DEALS_WRITE)},
    ),
]
