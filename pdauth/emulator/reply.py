"""What an API handler answers: a Reply (status, encoded body) and the Events webhooks report.

A leaf on purpose: handlers, the route table and the webhook hub all use these, and it imports nothing
of them, so none of them has to import another for its types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Event:
    """A change webhooks report: `create.deal`, `change.person`, `delete.organization`."""

    action: str
    entity: str
    entity_id: int
    data: dict[str, Any] | None
    previous: dict[str, Any] | None
    user_id: int


@dataclass
class Reply:
    status: int
    body: bytes
    events: list[Event] = field(default_factory=list)
