"""{api_domain}/api/...: bearer auth, burst and search limits, scopes, the daily budget, then the route.

Checks run in Pipedrive's order as far as it shows: token (400/401), burst limit (429), path
(404/405), scope (403), search burst and daily budget (429), then the endpoint (400/404/410...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pdauth.emulator.routes as routes
import pdauth.emulator.v1_deals as v1_deals
from pdauth.emulator.budget import COSTS
from pdauth.emulator.errors import ApiError, auth_body, envelope
from pdauth.emulator.ratelimit import RateInfo
from pdauth.emulator.reply import Reply
from pdauth.emulator.state import Caller
from pdauth.emulator.web import Request, Response, json_response

if TYPE_CHECKING:
    from pdauth.emulator.hub import Hub

Payload = dict[str, Any]
JSON = "application/json; charset=utf-8"


def handle(app: Hub, request: Request) -> Response:
    caller_or_error = _authenticate(app, request)
    if isinstance(caller_or_error, Response):
        return caller_or_error
    caller = caller_or_error
    rate = app.limiter.hit(caller.access_token)
    if not rate.allowed:
        return _over_limit(app, rate)
    found = routes.find(request.path)
    if found is None:
        return _reply(app, 404, envelope("Unknown method ."), rate)
    methods, params = found
    endpoint = methods.get(request.method)
    if endpoint is None:
        return _reply(app, 405, envelope("Method not allowed"), rate, [("Allow", ", ".join(methods))])
    if not set(endpoint.scopes) & set(caller.scopes):
        return _reply(app, 403, auth_body(403, "Scope and URL mismatch"), rate)
    if endpoint.search:
        # Search has a burst limit of its own (10 per 2 s on every plan), on top of the general one.
        rate = app.search_limiter.hit(caller.access_token)
        if not rate.allowed:
            return _over_limit(app, rate)
    if not app.budget.charge(caller.identity.company_id, endpoint.cost):
        app.stats.incr("budget_exhausted")
        reset = str(app.budget.seconds_to_reset())
        return _reply(app, 429, envelope("Daily API token budget exhausted"), rate, [("Retry-After", reset)])
    app.stats.incr("tokens_spent", COSTS[endpoint.cost])
    try:
        if routes.V1_DEALS.fullmatch(request.path):
            v1_deals.gone_check(app)
        with app.lock:
            app.world.ensure_user(caller.identity)
        reply = endpoint.action(app, request, caller, params)
    except ApiError as exc:
        return _reply(app, exc.status, exc.body(), rate, exc.headers)
    for event in reply.events:
        app.webhooks.emit(event)
    return _raw(app, reply, rate)


def _over_limit(app: Hub, rate: RateInfo) -> Response:
    app.stats.incr("rate_limited")
    extra = [("Retry-After", str(max(1, rate.reset)))] if app.config.retry_after_header else []
    return _reply(app, 429, envelope("Request over limit"), rate, extra)


def _authenticate(app: Hub, request: Request) -> Caller | Response:
    header = request.header("Authorization")
    if header is None:
        return _reply(app, 401, auth_body(401, "unauthorized access"), app.limiter.peek())
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        return _reply(app, 400, envelope("malformed authorization header"), app.limiter.peek())
    caller = app.auth.authenticate(parts[1])
    if caller is None:  # unknown, expired or revoked: Pipedrive does not say which
        return _reply(app, 401, auth_body(401, "unauthorized access"), app.limiter.peek())
    return caller


def _reply(
    app: Hub, status: int, payload: Payload, rate: RateInfo, extra: list[tuple[str, str]] | None = None
) -> Response:
    app.stats.incr_key("api_responses", str(status))
    return json_response(status, payload, [*rate.headers(), *(extra or [])])


def _raw(app: Hub, reply: Reply, rate: RateInfo) -> Response:
    app.stats.incr_key("api_responses", str(reply.status))
    return Response(reply.status, reply.body, JSON, rate.headers())
