"""What a failed API call tells the user: Pipedrive's error text and the next step.

For a 403 "Scope and URL mismatch" that includes the scope the endpoint needs, mapped from the path and
method to Pipedrive's scope names (a `:full` scope always covers its `:read`).
"""

from __future__ import annotations

from typing import Any, Final

from pdauth.core.http import error_text
from pdauth.errors import ApiHttpError

DOCS: Final = "https://developers.pipedrive.com/docs/api/v1"

# The `:full` scopes Pipedrive has; each also allows what its `:read` allows.
_FULL_SCOPES: Final = frozenset(
    {
        "deals:full",
        "mail:full",
        "activities:full",
        "contacts:full",
        "products:full",
        "leads:full",
        "goals:full",
        "projects:full",
        "webhooks:full",
    }
)

# First path segment after /api/vN/ -> (scope for reading, scope for writing). None: no such scope.
_SCOPES: Final[dict[str, tuple[str | None, str | None]]] = {
    "deals": ("deals:read", "deals:full"),
    "dealFields": ("deals:read", "deal-fields:full"),
    "pipelines": ("deals:read", "admin"),
    "stages": ("deals:read", "admin"),
    "persons": ("contacts:read", "contacts:full"),
    "organizations": ("contacts:read", "contacts:full"),
    "personFields": ("contacts:read", "contact-fields:full"),
    "organizationFields": ("contacts:read", "contact-fields:full"),
    "activities": ("activities:read", "activities:full"),
    "activityTypes": ("activities:read", "admin"),
    "products": ("products:read", "products:full"),
    "productFields": ("products:read", "product-fields:full"),
    "leads": ("leads:read", "leads:full"),
    "leadLabels": ("leads:read", "leads:full"),
    "mailbox": ("mail:read", "mail:full"),
    "goals": ("goals:read", "goals:full"),
    "projects": ("projects:read", "projects:full"),
    "tasks": ("projects:read", "projects:full"),
    "webhooks": ("webhooks:read", "webhooks:full"),
    "users": ("users:read", "admin"),
    "roles": ("users:read", "admin"),
    "recents": ("recents:read", None),
    "itemSearch": ("search:read", None),
    "callLogs": ("phone-integration", "phone-integration"),
    "meetings": ("video-calls", "video-calls"),
    "channels": ("messengers-integration", "messengers-integration"),
}


def required_scopes(method: str, path: str) -> tuple[str, ...]:
    """The scopes that allow `method path`, narrowest first; () when the endpoint is not mapped."""
    segments = [s for s in path.split("/") if s][2:]  # drop "api", "vN"
    if not segments:
        return ()
    if segments[:2] == ["users", "me"]:
        return ("base",)
    if "search" in segments[1:2] or segments[0] == "itemSearch":
        return ("search:read",)
    read, write = _SCOPES.get(segments[0], (None, None))
    if method == "GET":
        if read is None:
            return ()
        full = read.removesuffix(":read") + ":full"
        return (read, full) if read.endswith(":read") and full in _FULL_SCOPES else (read,)
    return (write,) if write else ()


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
    text = error_text(body) or reason or "error"
    message = f"{method} {path}: HTTP {status} {text}"
    return ApiHttpError(
        message,
        _hint(method, path, status, text, granted, idempotent, waited),
        status=status,
        response=response,
    )


def _hint(
    method: str, path: str, status: int, text: str, granted: tuple[str, ...], idempotent: bool, waited: float
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
    if status == 404:
        return f"Check the path and the id; v1 and v2 do not offer the same endpoints ({DOCS})"
    if status == 405:
        return f"This endpoint does not accept {method}; see {DOCS}"
    if status == 400:
        return f"Check the fields and query parameters against {DOCS}"
    if status == 429:
        return (
            f"Pipedrive's rate limit did not clear within --max-wait (waited {waited:.0f} s in total); "
            "try again later or raise --max-wait"
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
