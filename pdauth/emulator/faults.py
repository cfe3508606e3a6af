"""Injected faults: answer the next N matching requests with an error, a bad body, a delay or nothing."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any, Final

# Named endpoints and the path prefixes they stand for. Control endpoints are never faulted, so a
# test can always clear what it injected.
ENDPOINTS: Final = {
    "authorize": "/oauth/authorize",
    "token": "/oauth/token",
    "revoke": "/oauth/revoke",
    "api": "/api/",
}
CONTROL_PREFIX: Final = "/__emulator/"


@dataclass
class Fault:
    """One rule. `status=None` means: wait `delay`, then answer normally (a slow but working server)."""

    endpoint: str = "api"
    status: int | None = 500
    count: int = 1
    delay: float = 0.0
    body: str | None = None
    content_type: str | None = None
    drop: bool = False

    def __post_init__(self) -> None:
        if not (self.endpoint in ENDPOINTS or self.endpoint.startswith("/")):
            raise ValueError(
                f"endpoint must be one of {', '.join(ENDPOINTS)} or a path starting with '/', "
                f"got {self.endpoint!r}"
            )
        if self.endpoint.startswith(CONTROL_PREFIX):
            raise ValueError("control endpoints under /__emulator/ cannot be faulted")
        if self.status is not None and not 200 <= self.status <= 599:
            raise ValueError(f"status must be an HTTP status 200..599, got {self.status}")
        if self.count < 1:
            raise ValueError("count must be at least 1")
        if self.delay < 0:
            raise ValueError("delay must not be negative")
        if self.status is None and self.body is not None:
            raise ValueError("a body needs a status")
        if self.content_type is not None and self.body is None:
            raise ValueError("content_type applies to a body; give one")

    @property
    def prefix(self) -> str:
        return ENDPOINTS.get(self.endpoint, self.endpoint)

    def matches(self, path: str) -> bool:
        return path.startswith(self.prefix)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, payload: object) -> Fault:
        """Build from a control-endpoint JSON object; ValueError on unknown fields or wrong types."""
        if not isinstance(payload, dict):
            raise ValueError("fault must be a JSON object")
        types: dict[str, tuple[type, ...]] = {
            "endpoint": (str,),
            "status": (int, type(None)),
            "count": (int,),
            "delay": (int, float),
            "body": (str, type(None)),
            "content_type": (str, type(None)),
            "drop": (bool,),
        }
        unknown = set(payload) - set(types)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(sorted(unknown))}")
        for name, value in payload.items():
            bool_as_number = isinstance(value, bool) and name != "drop"
            if bool_as_number or not isinstance(value, types[name]):
                raise ValueError(f"fault field {name!r} has the wrong type")
        return cls(**payload)


class FaultTable:
    """Active faults in injection order; the first one matching a path is used and counted down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> int:
        with self._lock:
            cleared = len(self._faults)
            self._faults.clear()
            return cleared

    def take(self, path: str) -> Fault | None:
        if path.startswith(CONTROL_PREFIX):
            return None
        with self._lock:
            for fault in self._faults:
                if fault.matches(path):
                    fault.count -= 1
                    if fault.count == 0:
                        self._faults.remove(fault)
                    return fault
            return None

    def active(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_dict() for f in self._faults]
