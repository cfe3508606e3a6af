"""Where a Session's request goes: a path goes to the token's api_domain, a full URL only if it is there.

The same rules as `pdauth call` (pdauth.call.spec): `/v1/...`, `/v2/...`, `/api/v1/...`, `/api/v2/...`,
no `.`/`..` segments, and a full URL for any other origin refused before the token is looked at twice.
Query values are spelled as Pipedrive reads them: booleans `true`/`false` (requests would send `True`,
which API v2 rejects), None left out, a list repeated as the key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from pdauth.call.spec import check_origin, parse_path

Pairs = list[tuple[str, str]]


def resolve(url: str, api_domain: str) -> tuple[str, str, Pairs]:
    """(the URL without its query, its /api/vN/... path, the query's pairs) for `url` on `api_domain`.

    RequestSpecError for something that is not an API path; ForeignHostRefused for another origin."""
    origin, path, query = parse_path(url)
    check_origin(origin, api_domain)
    return api_domain.rstrip("/") + path, path, query


def query_pairs(params: Any) -> Pairs:
    """requests' `params` (a mapping, (key, value) pairs or a query string; values may be lists) as pairs."""
    if params is None:
        return []
    if isinstance(params, bytes):
        params = params.decode("utf-8")
    if isinstance(params, str):
        return parse_qsl(params.lstrip("?"), keep_blank_values=True)
    items: Iterable[tuple[Any, Any]] = params.items() if isinstance(params, Mapping) else params
    pairs: Pairs = []
    for key, value in items:
        values = value if isinstance(value, list | tuple) else [value]
        pairs.extend((str(key), _text(v)) for v in values if v is not None)
    return pairs


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
