"""The HTML the emulated OAuth server shows a browser: the consent page and the error page."""

from __future__ import annotations

from html import escape
from typing import Final

from pdauth.emulator.config import Identity
from pdauth.emulator.web import Response

# The consent page must never render inside another site's frame (clickjacking) nor leak the query
# (client_id, state) through Referer; nothing on it needs scripts.
SECURITY_HEADERS: Final = [
    ("X-Frame-Options", "DENY"),
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
]

SCOPE_TEXT: Final = {
    "base": "Read your user and company settings",
    "deals:read": "Read your deals",
    "deals:full": "Create, read, update and delete your deals",
    "contacts:read": "Read your persons and organizations",
    "contacts:full": "Create, read, update and delete your persons and organizations",
    "activities:read": "Read your activities",
    "activities:full": "Create, read, update and delete your activities",
    "products:read": "Read your products",
    "products:full": "Create, read, update and delete your products",
    "leads:read": "Read your leads",
    "leads:full": "Create, read, update and delete your leads",
    "users:read": "Read the users of your company",
    "search:read": "Search across your data",
    "webhooks:read": "Read your webhooks",
    "webhooks:full": "Create, read and delete your webhooks",
    "admin": "Act as an admin: pipelines, stages, fields, webhooks",
}

_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#222}"
    "h1{font-size:1.4rem}li{margin:.3rem 0}button{font-size:1rem;padding:.5rem 1rem;margin-right:.5rem}"
    ".allow{background:#017737;color:#fff;border:0;border-radius:4px}.note{color:#666;font-size:.85rem}"
)


def _page(title: str, body: str) -> bytes:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    ).encode()


def consent_page(
    *, app_name: str, scopes: tuple[str, ...], identity: Identity, request_id: str, csrf_token: str
) -> bytes:
    items = "".join(f"<li><code>{escape(s)}</code> {escape(SCOPE_TEXT.get(s, ''))}</li>" for s in scopes)
    body = (
        f"<h1>{escape(app_name)} wants to access your Pipedrive account</h1>"
        f"<p>Logged in as <strong>{escape(identity.user_name)}</strong> "
        f"({escape(identity.user_email)}) in <strong>{escape(identity.company_name)}</strong>.</p>"
        f"<p>The app asks for these permissions:</p><ul>{items}</ul>"
        '<form method="post" action="/oauth/authorize/decision">'
        f'<input type="hidden" name="request_id" value="{escape(request_id)}">'
        f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">'
        '<button class="allow" type="submit" name="decision" value="allow">Allow and install</button>'
        '<button type="submit" name="decision" value="cancel">Cancel</button>'
        "</form>"
        '<p class="note">pdauth emulator: a local stand-in for oauth.pipedrive.com.</p>'
    )
    return _page(f"Install {app_name}", body)


def error_response(status: int, title: str, detail: str) -> Response:
    """An HTML error page; used where redirecting would send the user to an unverified address."""
    body = f"<h1>{escape(title)}</h1><p>{escape(detail)}</p>"
    return Response(status, _page(title, body), "text/html; charset=utf-8", list(SECURITY_HEADERS))
