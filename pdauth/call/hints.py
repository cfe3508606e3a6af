"""What a failed API call tells the user: Pipedrive's error text and the next step.

For a 403 "Scope and URL mismatch" that includes the scope the endpoint needs, mapped from the path and
method to Pipedrive's scope names (a `:full` scope always covers its `:read`).
"""

from __future__ import annotations

import re
from typing import Any, Final

from pdauth.core.http import error_text
from pdauth.errors import ApiHttpError

DOCS: Final = "https://developers.pipedrive.com/docs/api/v1"
DOCS_V2: Final = "https://developers.pipedrive.com/docs/api/v2"

# A v2 validation error about a value's JSON type (not its range or choice): `-f` may be the cause.
_TYPE_ERROR: Final = re.compile(r"(?i)must be an? (number|integer|boolean|array|object)")

_DEALS: Final = ("deals:read", "deals:full")
_CONTACTS: Final = ("contacts:read", "contacts:full")

# First path segment after /api/vN/ -> (scopes that allow reading, scopes that allow writing), narrowest
# first, as Pipedrive's API reference (and the official SDK's API classes) list them for each endpoint.
_SCOPES: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "deals": (_DEALS, ("deals:full",)),
    "dealFields": ((*_DEALS, "deal-fields:full", "admin"), ("deal-fields:full", "admin")),
    "pipelines": ((*_DEALS, "admin"), ("admin",)),
    "stages": ((*_DEALS, "admin"), ("admin",)),
    "persons": (_CONTACTS, ("contacts:full",)),
    "organizations": (_CONTACTS, ("contacts:full",)),
    "personFields": ((*_CONTACTS, "contact-fields:full", "admin"), ("contact-fields:full", "admin")),
    "organizationFields": ((*_CONTACTS, "contact-fields:full", "admin"), ("contact-fields:full", "admin")),
    "notes": ((*_DEALS, *_CONTACTS), ("deals:full", "contacts:full")),
    "activities": (("activities:read", "activities:full"), ("activities:full",)),
    "activityTypes": (("activities:read", "activities:full", "admin"), ("admin",)),
    "products": (("products:read", "products:full"), ("products:full",)),
    "productFields": (
        ("products:read", "products:full", "product-fields:full"),
        ("product-fields:full", "products:full"),
    ),
    "leads": (("leads:read", "leads:full"), ("leads:full",)),
    "leadLabels": (("leads:read", "leads:full"), ("leads:full",)),
    "mailbox": (("mail:read", "mail:full"), ("mail:full",)),
    "goals": (("goals:read", "goals:full"), ("goals:full",)),
    "projects": (("projects:read", "projects:full"), ("projects:full",)),
    "tasks": (("projects:read", "projects:full"), ("projects:full",)),
    "webhooks": (("webhooks:read", "webhooks:full", "admin"), ("webhooks:full", "admin")),
    "users": (("users:read",), ("admin",)),
    "roles": (("users:read",), ("admin",)),
    "recents": (("recents:read",), ()),
    "itemSearch": (("search:read",), ()),
    "currencies": (("base",), ()),
    "callLogs": (("phone-integration",), ("phone-integration",)),
    "meetings": (("video-calls",), ("video-calls",)),
    "channels": (("messengers-integration",), ("messengers-integration",)),
}


def required_scopes(method: str, path: str) -> tuple[str, ...]:
    """The scopes that allow `method path` (any one is enough), narrowest first; () when not mapped."""
    segments = [s for s in path.split("/") if s][2:]  # drop "api", "vN"
    if not segments:
        return ()
    if segments[:2] == ["users", "me"]:
        return ("base",)
    read, write = _SCOPES.get(segments[0], ((), ()))
    if segments[1:2] == ["search"]:  # /api/v2/deals/search: the resource's read scopes, or search:read
        return (*read, "search:read")
    return read if method == "GET" else write


def http_error(
    method: str,
    path: str,
    status: int,
    reason: str,
    body: Any,
    *,
    granted: tuple[str, ...] = (),
    idempotent: bool = True,
    waited: float = 0.0,
    response: object = None,
) -> ApiHttpError:
    message, hint = http_error_text(
        method, path, status, reason, body, granted=granted, idempotent=idempotent, waited=waited
    )
    return ApiHttpError(message, hint, status=status, response=response)


def http_error_text(
    method: str,
    path: str,
    status: int,
    reason: str,
    body: Any,
    *,
    granted: tuple[str, ...] = (),
    idempotent: bool = True,
    waited: float = 0.0,
    wait_option: str = "--max-wait",
) -> tuple[str, str]:
    """(message, hint) of an HTTP error: `METHOD /path: HTTP status text`, and the next step. The library
    builds its own exception from them and names its own `wait_option`."""
    text = error_text(body) or reason or "error"
    message = f"{method} {path}: HTTP {status} {text}"
    return message, _hint(method, path, status, text, granted, idempotent, waited, wait_option)


def _hint(
    method: str,
    path: str,
    status: int,
    text: str,
    granted: tuple[str, ...],
    idempotent: bool,
    waited: float,
    wait_option: str,
) -> str:
    if status == 403:
        return (
            _scope_hint(method, path, granted)
            if "scope" in text.lower()
            else ("The Pipedrive user may lack the permission for this; ask an admin of the account")
        )
    if status == 402:
        return (
            "The company's Pipedrive account is not open (subscription ended or suspended): an admin can "
            "reactivate it under Billing, or use a profile of another company (-p NAME)"
        )
    docs = DOCS_V2 if path.startswith("/api/v2/") else DOCS
    if status == 404:
        return f"Check the path and the id; v1 and v2 do not offer the same endpoints ({docs})"
    if status == 405:
        update = " (v2 updates with PATCH, not PUT)" if method == "PUT" and docs == DOCS_V2 else ""
        return f"This endpoint does not accept {method}{update}; see {docs}"
    if status == 400:
        if "/api/v2/" in path and _TYPE_ERROR.search(text):
            # v2 takes JSON types as they are: "5000" is not a number there, as it was in v1.
            return (
                "API v2 does not convert strings: send numbers and booleans with -F "
                f"(`-F value=5000`), strings with -f, and check the field names against {DOCS_V2}"
            )
        return f"Check the fields and query parameters against {DOCS}"
    if status == 429:
        return (
            f"Pipedrive's rate limit did not clear within {wait_option} (waited {waited:.0f} s in total); "
            f"try again later or raise {wait_option}"
        )
    if status >= 500:
        if not idempotent:
            return f"The {method} was not repeated, as it may have taken effect: check before resending"
        return "Pipedrive kept failing after several attempts; try again in a moment"
    return ""


def _scope_hint(method: str, path: str, granted: tuple[str, ...]) -> str:
    needed = required_scopes(method, path)
    have = f"; this login has {', '.join(granted)}" if granted else ""
    change = (
        "Add it to the app's scopes in Pipedrive's Developer Hub, then run `pdauth login` again so the "
        "new scope is granted"
    )
    if not needed:
        return f"The app's scopes do not cover {method} {path}{have}. {change.replace('Add it', 'Add one')}"
    return f"{method} {path} needs the {' or '.join(needed)} scope{have}. {change}"
