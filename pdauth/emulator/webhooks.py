"""Webhooks v2 delivery: every create, change and delete made through the API becomes a POST of
`{"meta", "data", "previous"}` to each matching subscription, retried with back-off when it fails.

Deliveries run on one background thread, in order. A retry falls due on the emulator's clock, so a
test advances the clock instead of waiting; the schedule (`webhook_retry_delays`) is the emulator's
own, since Pipedrive documents retries but not their timing.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pdauth.emulator.timefmt import rfc3339

if TYPE_CHECKING:
    from pdauth.emulator.clock import Clock
    from pdauth.emulator.config import EmulatorConfig
    from pdauth.emulator.reply import Event
    from pdauth.emulator.stats import Stats
    from pdauth.emulator.store import Row
    from pdauth.emulator.world import World

POLL = 0.05  # seconds between looks at the queue while retries wait for their time


@dataclass
class Delivery:
    webhook_id: int
    url: str
    auth: tuple[str, str] | None
    meta: dict[str, Any]
    data: dict[str, Any] | None
    previous: dict[str, Any] | None
    due: float  # on the emulator's clock
    attempt: int = 1
    history: list[int | str] = field(default_factory=list)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # Pipedrive requires that a subscription URL does not redirect: a 3xx is a failed delivery.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class WebhookHub:
    # The app's parts come in one by one rather than as the app: the app owns this hub, and the hub
    # needs only these (the subscriptions in `world`, guarded by `lock`).
    def __init__(
        self,
        *,
        config: EmulatorConfig,
        clock: Clock,
        lock: threading.Lock,
        world: World,
        stats: Stats,
        stopping: threading.Event,
    ) -> None:
        self._config = config
        self._clock = clock
        self._lock = lock
        self._world = world
        self._stats = stats
        self._stopping = stopping
        self._queue: deque[Delivery] = deque()
        self._cond = threading.Condition()
        self._busy = 0
        self._opener = urllib.request.build_opener(_NoRedirect, urllib.request.ProxyHandler({}))
        self._thread: threading.Thread | None = None
        self.log: deque[dict[str, Any]] = deque(maxlen=200)  # recent attempts, for /__emulator/webhooks

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pdauth-emulator-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self._config.webhook_timeout + 1)

    def emit(self, event: Event) -> None:
        """Queue one delivery per matching v2 subscription (v1-format webhooks are not delivered)."""
        with self._lock:
            hooks = [h for h in self._world.tables["webhook"] if _matches(h, event.action, event.entity)]
            now = self._clock.now()
        for hook in hooks:
            meta = self._meta(hook, event, now)
            auth = (
                (hook["http_auth_user"], hook["http_auth_password"] or "") if hook["http_auth_user"] else None
            )
            delivery = Delivery(
                hook["id"], hook["subscription_url"], auth, meta, event.data, event.previous, now
            )
            with self._cond:
                self._queue.append(delivery)
                self._cond.notify_all()

    def cancel(self, webhook_id: int) -> None:
        with self._cond:
            self._queue = deque(d for d in self._queue if d.webhook_id != webhook_id)

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + self._busy

    def wait_idle(self, timeout: float) -> bool:
        """True once nothing is being sent and nothing is due now (later retries do not count)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._busy == 0 and not self._due(), timeout)

    def _meta(self, hook: Row, event: Event, now: float) -> dict[str, Any]:
        who = self._config
        return {
            "action": event.action, "entity": event.entity, "entity_id": str(event.entity_id),
            "company_id": str(who.company_id), "user_id": str(event.user_id), "webhook_id": str(hook["id"]),
            "webhook_owner_id": str(hook["owner_id"]), "id": str(uuid.uuid4()), "correlation_id": str(uuid.uuid4()),
            "is_bulk_edit": False, "timestamp": rfc3339(now), "type": "general", "version": "2.0",
            "change_source": "api", "permitted_user_ids": [str(event.user_id)], "host": f"{who.company_domain}.pipedrive.com",
        }  # fmt: skip

    def _due(self) -> list[Delivery]:
        now = self._clock.now()
        return [d for d in self._queue if d.due <= now]

    def _run(self) -> None:
        stopping = self._stopping
        while not stopping.is_set():
            with self._cond:
                due = self._due()
                if not due:
                    self._cond.wait(POLL if self._queue else None)
                    continue
                delivery = due[0]
                self._queue.remove(delivery)
                self._busy += 1
            try:
                self._attempt(delivery)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _attempt(self, d: Delivery) -> None:
        body = json.dumps(
            {"meta": {**d.meta, "attempt": d.attempt}, "data": d.data, "previous": d.previous}
        ).encode()
        # The URL was checked to be http(s) on loopback when the webhook was created.
        request = urllib.request.Request(d.url, body, method="POST")  # noqa: S310
        request.add_header("Content-Type", "application/json")
        request.add_header("User-Agent", "pdauth-emulator webhooks")
        if d.auth is not None:
            token = base64.b64encode(f"{d.auth[0]}:{d.auth[1]}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        status: int | str
        try:
            with self._opener.open(request, timeout=self._config.webhook_timeout) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError as exc:
            status = type(exc).__name__
        ok = isinstance(status, int) and 200 <= status < 300
        self._stats.incr("webhook_attempts")
        self.log.append({"webhook_id": d.webhook_id, "event": f"{d.meta['action']}.{d.meta['entity']}",
                         "entity_id": d.meta["entity_id"], "attempt": d.attempt, "result": status})  # fmt: skip
        with self._lock:
            hook = self._world.tables["webhook"].get(d.webhook_id)
            if hook is not None:
                hook["last_delivery_time"] = self._clock.now()
                hook["last_http_status"] = status if isinstance(status, int) else None
        if ok:
            self._stats.incr("webhooks_delivered")
            return
        self._stats.incr("webhook_failures")
        delays = self._config.webhook_retry_delays
        if d.attempt > len(delays) or hook is None:
            self._stats.incr("webhooks_given_up")
            return
        d.due = self._clock.now() + delays[d.attempt - 1]
        d.attempt += 1
        with self._cond:
            self._queue.append(d)


def _matches(hook: Row, action: str, entity: str) -> bool:
    return (
        hook["version"] == "2.0"
        and hook["is_active"] == 1
        and hook["event_action"] in ("*", action)
        and hook["event_object"] in ("*", entity)
    )
