"""/__emulator/...: stats, reset, clock, faults and identity for tests and scripts (no auth: local only)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from pdauth.emulator.config import Identity
from pdauth.emulator.faults import Fault
from pdauth.emulator.web import BadInput, Request, Response, json_response

if TYPE_CHECKING:
    from pdauth.emulator.hub import Hub


def handle(app: Hub, request: Request) -> Response:
    name = request.path.removeprefix("/__emulator/")
    routes = {
        "stats": {"GET": _stats},
        "reset": {"POST": _reset},
        "clock": {"GET": _clock, "POST": _advance},
        "faults": {"GET": _faults, "POST": _add_fault, "DELETE": _clear_faults},
        "identity": {"GET": _identity, "POST": _set_identity},
        "webhooks": {"GET": _webhooks},
    }
    methods = routes.get(name)
    if methods is None:
        return json_response(404, {"error": f"unknown control endpoint /__emulator/{name}"})
    action = methods.get(request.method)
    if action is None:
        allow = ", ".join(methods)
        return json_response(405, {"error": f"use {allow}"}, [("Allow", allow)])
    try:
        return action(app, request)
    except (BadInput, ValueError, TypeError) as exc:
        return json_response(400, {"error": str(exc)})


def _stats(app: Hub, request: Request) -> Response:
    return json_response(200, app.stats_snapshot())


def _reset(app: Hub, request: Request) -> Response:
    app.stats.reset()
    return json_response(200, app.stats_snapshot())


def _clock(app: Hub, request: Request) -> Response:
    return json_response(200, {"offset": app.clock.offset, "now": app.clock.now()})


def _advance(app: Hub, request: Request) -> Response:
    payload = _object(request)
    seconds = payload.get("advance")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ValueError('send {"advance": <seconds>}')
    app.clock.advance(float(seconds))
    return _clock(app, request)


def _faults(app: Hub, request: Request) -> Response:
    return json_response(200, {"faults": app.faults.active()})


def _add_fault(app: Hub, request: Request) -> Response:
    fault = Fault.from_json(_object(request))
    app.faults.add(fault)
    return json_response(201, {"fault": fault.as_dict(), "faults": app.faults.active()})


def _clear_faults(app: Hub, request: Request) -> Response:
    return json_response(200, {"cleared": app.faults.clear()})


def _webhooks(app: Hub, request: Request) -> Response:
    return json_response(200, {"pending": app.webhooks.pending(), "attempts": list(app.webhooks.log)})


def _identity(app: Hub, request: Request) -> Response:
    return json_response(200, dataclasses.asdict(app.auth.identity))


def _set_identity(app: Hub, request: Request) -> Response:
    payload = _object(request)
    fields = {f.name: f.type for f in dataclasses.fields(Identity)}
    for key, value in payload.items():
        if key not in fields:
            raise ValueError(f"unknown identity field {key!r}; known: {', '.join(fields)}")
        wanted = int if key in ("user_id", "company_id") else str
        if isinstance(value, bool) or not isinstance(value, wanted):
            raise ValueError(f"identity field {key!r} must be {wanted.__name__}")
    return json_response(200, dataclasses.asdict(app.auth.set_identity(**payload)))


def _object(request: Request) -> dict[str, Any]:
    payload = request.json() if request.body else {}
    if not isinstance(payload, dict):
        raise ValueError("send a JSON object")
    return payload
