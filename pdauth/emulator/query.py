"""Query parameters under v2's rules (an integer is digits, a boolean is true/false) and cursors."""

from __future__ import annotations

import base64
import binascii
from typing import Final

from pdauth.emulator.errors import ApiError, invalid
from pdauth.emulator.schema import fail
from pdauth.emulator.timefmt import parse_rfc3339
from pdauth.emulator.web import BadInput, Request

DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 500


def params(request: Request) -> dict[str, str]:
    try:
        return request.query_params()
    except BadInput as exc:
        raise invalid(f"Invalid query: {exc}") from None


def integer(q: dict[str, str], name: str, minimum: int = 0) -> int | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < minimum:
        raise fail(name, f"must be an integer >= {minimum}")
    return int(raw)


def limit(q: dict[str, str]) -> int:
    # Pipedrive documents a maximum of 500; larger values are served as 500 rather than refused.
    return min(integer(q, "limit", minimum=1) or DEFAULT_LIMIT, MAX_LIMIT)


def boolean(q: dict[str, str], name: str) -> bool | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return None
    if raw not in ("true", "false"):
        raise fail(name, "must be true or false")
    return raw == "true"


def timestamp(q: dict[str, str], name: str) -> float | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return None
    parsed = parse_rfc3339(raw)
    if parsed is None:
        raise fail(name, "must be an RFC 3339 date-time such as 2025-01-01T10:20:00Z")
    return parsed


def id_list(q: dict[str, str], name: str = "ids") -> set[int] | None:
    raw = q.get(name)
    if raw is None or raw == "":
        return None
    parts = [p.strip() for p in raw.split(",")]
    if not all(p.isascii() and p.isdigit() for p in parts):
        raise fail(name, "must be a comma-separated list of integers")
    return {int(p) for p in parts}


def choice(q: dict[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = q.get(name) or default
    if value not in allowed:
        raise fail(name, f"must be one of {', '.join(allowed)}")
    return value


def encode_cursor(resource: str, sort: str, direction: str, key: object, row_id: int) -> str:
    """An opaque cursor: where the next page starts, as (sort key, id) of the last row sent."""
    raw = (
        f"{resource}:{row_id}"
        if sort == "id" and direction == "asc"
        else f"{resource}:{sort}:{direction}:{key!r}:{row_id}"
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, resource: str, sort: str, direction: str) -> tuple[str, int]:
    """(sort key as text, id) of a cursor we handed out for this very listing, else 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise _bad_cursor() from None
    parts = raw.split(":")
    if len(parts) == 2 and sort == "id" and direction == "asc":
        kind, number, key = parts[0], parts[1], parts[1]
    elif len(parts) >= 5:
        kind, number, key = parts[0], parts[-1], ":".join(parts[3:-1])
        if (parts[1], parts[2]) != (sort, direction):
            raise _bad_cursor()
    else:
        raise _bad_cursor()
    if kind != resource or not (number.isascii() and number.isdigit()):
        raise _bad_cursor()
    return key, int(number)


def _bad_cursor() -> ApiError:
    return invalid("Invalid cursor")
