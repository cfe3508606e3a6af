"""Pipedrive's two pagination styles, recognised from each response body.

v1 lists: `?start=&limit=` and `additional_data.pagination.{more_items_in_collection, next_start}`.
v2 lists (and v1 `/collection`): `?cursor=&limit=` and `additional_data.next_cursor` (null at the end).
v2 searches (`/api/v2/itemSearch`, `/api/v2/deals/search`...) page by cursor too, but their items sit in
`data.items` (each `{"result_score": …, "item": {…}}`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

from pdauth.errors import ApiRequestFailed

MAX_LIMIT: Final = 500  # Pipedrive's ceiling for `limit`, v1 and v2

Pairs = tuple[tuple[str, str], ...]


def walk(query: Iterable[tuple[str, str]], limit: int, fetch: Callable[[Pairs], Any]) -> Iterator[list[Any]]:
    """The items of every page, a page at a time: `fetch(query)` gets one page's body, and the next
    query comes from that body. Lazy: the next page is asked for only once this one has been taken."""
    pairs: Pairs | None = first_query(query, limit)
    while pairs is not None:
        body = fetch(pairs)
        yield page_items(body)
        pairs = next_query(body, pairs)


def first_query(query: Iterable[tuple[str, str]], limit: int) -> Pairs:
    """The query of the first page: the caller's own `limit=` (from -q) wins over --limit-per-page."""
    pairs = tuple(query)
    if any(key == "limit" for key, _ in pairs):
        return pairs
    return (*pairs, ("limit", str(limit)))


def page_items(body: Any) -> list[Any]:
    """A page's items: `data` as a list; a search's `data.items`; `data: null` (v1's empty page) is none;
    a lone object is one."""
    data = body.get("data") if isinstance(body, dict) else None
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if _is_search_page(body, data):
        return list(data["items"])
    return [data]


def _is_search_page(body: dict[str, Any], data: Any) -> bool:
    extra = body.get("additional_data")
    return (
        isinstance(data, dict)
        and isinstance(data.get("items"), list)
        and isinstance(extra, dict)
        and "next_cursor" in extra
    )


def next_query(body: Any, query: Pairs) -> Pairs | None:
    """The query of the page after `body`, or None when it was the last (or the response is no list)."""
    extra = body.get("additional_data") if isinstance(body, dict) else None
    if not isinstance(extra, dict):
        return None
    pagination = extra.get("pagination")
    if isinstance(pagination, dict):
        next_start = pagination.get("next_start")
        if not pagination.get("more_items_in_collection") or next_start is None:
            return None
        current = _value(query, "start")
        start = int(current) if current and current.isdigit() else 0
        if isinstance(next_start, bool) or not isinstance(next_start, int) or next_start <= start:
            raise ApiRequestFailed(f"Pagination did not advance (next_start {next_start!r} after {start})")
        return _replace(query, "start", str(next_start))
    cursor = extra.get("next_cursor")
    if not cursor:
        return None
    if str(cursor) == _value(query, "cursor"):
        raise ApiRequestFailed("Pagination did not advance (the same next_cursor twice)")
    return _replace(query, "cursor", str(cursor))


def _value(query: Pairs, key: str) -> str | None:
    return next((v for k, v in query if k == key), None)


def _replace(query: Pairs, key: str, value: str) -> Pairs:
    return (*((k, v) for k, v in query if k != key), (key, value))
