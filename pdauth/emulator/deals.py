"""The deals the emulated API serves: an id-ordered store with offset and cursor paging."""

from __future__ import annotations

import base64
import binascii
import threading
import time
from typing import Any, Final

from pdauth.emulator.clock import Clock

DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 500
STATUSES: Final = ("open", "won", "lost")
Deal = dict[str, Any]


class DealError(Exception):
    """A request the deals API refuses; `status` is the HTTP status for the error envelope."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def encode_cursor(after_id: int) -> str:
    return base64.urlsafe_b64encode(f"deal:{after_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The id a cursor continues after; DealError for anything we did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = raw.partition(":")
        if kind != "deal" or not (number.isascii() and number.isdigit()):
            raise ValueError(raw)
        return int(number)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise DealError("Invalid cursor") from None


def validate_fields(payload: object, *, creating: bool) -> Deal:
    """The writable fields of a create/update body, checked; DealError names the first bad one."""
    if not isinstance(payload, dict):
        raise DealError("Request body must be a JSON object")
    fields: Deal = {}
    if "title" in payload or creating:
        title = payload.get("title")
        if not isinstance(title, str) or not title.strip():
            raise DealError("Title is required" if creating else "Title must be a non-empty string")
        fields["title"] = title
    if "value" in payload:
        value = payload["value"]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise DealError("Value must be a non-negative number")
        fields["value"] = value
    if "currency" in payload:
        currency = payload["currency"]
        if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
            raise DealError("Currency must be a 3-letter code")
        fields["currency"] = currency.upper()
    if "status" in payload:
        if payload["status"] not in STATUSES:
            raise DealError(f"Status must be one of {', '.join(STATUSES)}")
        fields["status"] = payload["status"]
    for key in ("person_id", "org_id", "stage_id", "pipeline_id"):
        if key in payload:
            ref = payload[key]
            if ref is not None and (isinstance(ref, bool) or not isinstance(ref, int)):
                raise DealError(f"{key} must be an integer or null")
            fields[key] = ref
    return fields


class DealStore:
    """Deals by id (ascending = insertion order); all access under the emulator's state lock."""

    def __init__(self, count: int, owner_id: int, clock: Clock, lock: threading.Lock) -> None:
        self._clock = clock
        self._lock = lock
        self._deals: dict[int, Deal] = {}
        self._next_id = 1
        for n in range(1, count + 1):
            self._insert({"title": f"Deal {n}", "value": 1000 * n}, owner_id)

    def list_offset(self, start: int, limit: int) -> tuple[list[Deal], bool]:
        """Deals [start, start+limit) and whether more follow."""
        with self._lock:
            ordered = list(self._deals.values())
            page = ordered[start : start + limit]
            return [dict(d) for d in page], start + limit < len(ordered)

    def list_after(self, after_id: int, limit: int) -> tuple[list[Deal], int | None]:
        """Up to `limit` deals with id > after_id, and the id to continue after (None at the end).

        Keyed on the id rather than a position so a deal added or deleted between two pages never
        makes another one appear twice or go missing.
        """
        with self._lock:
            rest = [d for d in self._deals.values() if d["id"] > after_id]
            page = rest[:limit]
            more = len(rest) > limit
            return [dict(d) for d in page], (page[-1]["id"] if more else None)

    def get(self, deal_id: int) -> Deal | None:
        with self._lock:
            deal = self._deals.get(deal_id)
            return dict(deal) if deal is not None else None

    def create(self, fields: Deal, owner_id: int) -> Deal:
        with self._lock:
            return dict(self._insert(fields, owner_id))

    def update(self, deal_id: int, fields: Deal) -> Deal | None:
        with self._lock:
            deal = self._deals.get(deal_id)
            if deal is None:
                return None
            deal.update(fields)
            deal["update_time"] = self._timestamp()
            return dict(deal)

    def delete(self, deal_id: int) -> bool:
        with self._lock:
            return self._deals.pop(deal_id, None) is not None

    def count(self) -> int:
        with self._lock:
            return len(self._deals)

    def _insert(self, fields: Deal, owner_id: int) -> Deal:
        now = self._timestamp()
        deal: Deal = {
            "id": self._next_id,
            "title": "",
            "value": 0,
            "currency": "EUR",
            "status": "open",
            "user_id": owner_id,
            "person_id": None,
            "org_id": None,
            "pipeline_id": 1,
            "stage_id": 1,
            "add_time": now,
            "update_time": now,
        }
        deal.update(fields)
        self._deals[self._next_id] = deal
        self._next_id += 1
        return deal

    def _timestamp(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(self._clock.now()))
