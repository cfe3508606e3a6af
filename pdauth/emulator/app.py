"""The emulator's application: its parts wired together, faults applied, requests routed (no sockets here)."""

from __future__ import annotations

import threading
from typing import Any

import pdauth.emulator.api_routes as api_routes
import pdauth.emulator.control_routes as control_routes
import pdauth.emulator.oauth_routes as oauth_routes
import pdauth.emulator.seed as seed
from pdauth.emulator.budget import DailyBudget
from pdauth.emulator.clock import Clock
from pdauth.emulator.config import EmulatorConfig
from pdauth.emulator.errors import envelope
from pdauth.emulator.faults import Fault, FaultTable
from pdauth.emulator.pages import error_response
from pdauth.emulator.ratelimit import BurstLimiter
from pdauth.emulator.state import AuthState
from pdauth.emulator.stats import Stats
from pdauth.emulator.web import Request, Response, json_response, text_response
from pdauth.emulator.webhooks import WebhookHub
from pdauth.emulator.world import World

_INDEX = """pdauth emulator: a local stand-in for Pipedrive's OAuth server and REST API.

GET  /oauth/authorize?client_id=...&redirect_uri=...&state=...
POST /oauth/token      POST /oauth/revoke
API v2: /api/v2/{deals,persons,organizations,activities,products,pipelines,stages}[/{id}],
        /api/v2/itemSearch, /api/v2/{deals,persons,organizations,products}/search,
        /api/v2/{deal,person,organization,product}Fields
API v1: /api/v1/users/me, users, notes, leads, currencies, activityTypes, webhooks, deals (deprecated)
GET  /__emulator/stats POST /__emulator/reset  POST /__emulator/clock  POST|GET|DELETE /__emulator/faults
Everything is listed in docs/emulator.md.
"""


class App:
    """Holds the state and answers one Request at a time (called from many threads at once)."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        self.clock = Clock()
        # One lock guards all OAuth state and company data, so every request sees a consistent world.
        self.lock = threading.Lock()
        self.auth = AuthState(config, self.clock, self.lock)
        self.world = World(config, self.clock)
        seed.populate(self.world, config)
        self.stats = Stats()
        self.faults = FaultTable()
        self.limiter = BurstLimiter(config.burst)
        self.search_limiter = BurstLimiter(config.search_burst_limit)
        self.budget = DailyBudget(config.daily_budget, self.clock)
        self.stopping = threading.Event()  # cuts injected delays and webhook deliveries short on stop
        self.webhooks = WebhookHub(
            config=config,
            clock=self.clock,
            lock=self.lock,
            world=self.world,
            stats=self.stats,
            stopping=self.stopping,
        )
        self.base_url = ""  # set by the server once the port is bound; it is also the api_domain

    def handle(self, request: Request) -> Response | None:
        """The response to send, or None to drop the connection without answering."""
        self._count(request.path)
        fault = self.faults.take(request.path)
        if fault is not None:
            self.stats.incr("faults_triggered")
            if fault.delay:
                self.stopping.wait(fault.delay)
            if fault.drop:
                return None
            if fault.status is not None:
                return _fault_response(fault, request.path)
        return self.route(request)

    def route(self, request: Request) -> Response:
        path = request.path
        if path in ("/oauth/authorize", "/oauth/authorize/"):
            return oauth_routes.authorize(self, request)
        if path == "/oauth/authorize/decision":
            return oauth_routes.decision(self, request)
        if path == "/oauth/token":
            return oauth_routes.token(self, request)
        if path == "/oauth/revoke":
            return oauth_routes.revoke(self, request)
        if path.startswith("/api/"):
            return api_routes.handle(self, request)
        if path.startswith("/__emulator/"):
            return control_routes.handle(self, request)
        if path == "/" and request.method == "GET":
            return text_response(200, _INDEX)
        return text_response(404, "Not found\n")

    def stats_snapshot(self) -> dict[str, Any]:
        snapshot = self.stats.snapshot()
        with self.lock:
            data = self.world.counts()
            hooks = len(self.world.tables["webhook"])
        snapshot["live"] = {
            **self.auth.counts(),
            **data,
            "faults": len(self.faults.active()),
            "webhooks": hooks,
            "webhook_deliveries_pending": self.webhooks.pending(),
        }
        snapshot["budget"] = self.budget.snapshot()
        snapshot["clock_offset"] = self.clock.offset
        return snapshot

    def _count(self, path: str) -> None:
        self.stats.incr("requests")
        if path.startswith("/api/"):
            self.stats.incr("api_requests")
        elif path in ("/oauth/authorize", "/oauth/authorize/"):
            self.stats.incr("authorize_requests")
        elif path == "/oauth/token":
            self.stats.incr("token_requests")
        elif path == "/oauth/revoke":
            self.stats.incr("revoke_requests")


def _fault_response(fault: Fault, path: str) -> Response:
    status = fault.status if fault.status is not None else 500
    if fault.body is not None:
        body = fault.body.encode("utf-8")
        return Response(status, body, fault.content_type or "text/html; charset=utf-8")
    # No body given: answer in the shape that endpoint's real errors have.
    message = f"Injected fault (HTTP {status})"
    if path.startswith("/api/"):
        return json_response(status, envelope(message))
    if path.startswith("/oauth/authorize"):
        return error_response(status, "Pipedrive is unavailable", message)
    if path.startswith("/oauth/"):
        return json_response(status, {"success": False, "message": message, "error": "server_error"})
    return text_response(status, message + "\n")
