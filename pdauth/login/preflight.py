"""Before the browser opens: does the OAuth server accept this redirect URI for this app at all?

A redirect URI that is not the app's registered Callback URL makes Pipedrive show "Callback URL
mismatch" in the browser and never redirect: the login would just wait out its timeout. RFC 6749
§4.1.2.1 says the server checks the client and the redirect URI *before* it redirects any error back,
so a GET of the authorize URL with a response_type nobody supports either redirects back to us (the URI
is fine; no code is issued, no consent is asked) or answers with an error page (it is not). No cookies
are sent: nobody's Pipedrive session is involved, and redirects are not followed.
"""

from __future__ import annotations

import logging
from typing import Final
from urllib.parse import urlencode

from pdauth.core.context import Context
from pdauth.errors import ConfigError

log = logging.getLogger(__name__)

PROBE_TIMEOUT: Final = (3.0, 5.0)
MISMATCH_WORDS: Final = ("callback url mismatch", "redirect_uri", "redirect uri", "callback url")


class RedirectNotRegistered(ConfigError):
    """The app's registered Callback URL is not the redirect URI this login uses."""


def check_redirect_registered(ctx: Context, client_id: str) -> None:
    """RedirectNotRegistered when the server says so; anything else (no answer, a login page) passes."""
    import requests

    settings = ctx.settings
    query = urlencode(
        {"response_type": "pdauth_probe", "client_id": client_id, "redirect_uri": settings.redirect_uri}
    )
    try:
        response = ctx.session.get(
            f"{settings.oauth_url}/oauth/authorize?{query}", timeout=PROBE_TIMEOUT, allow_redirects=False
        )
    except (requests.RequestException, OSError) as exc:
        log.debug("redirect URI probe: no answer (%s); the browser will tell", type(exc).__name__)
        return
    except Exception as exc:  # a proxy or TLS problem: the browser (and the code exchange) will say more
        log.debug("redirect URI probe failed: %s", exc)
        return
    body = response.text[:4000].lower() if 400 <= response.status_code < 500 else ""
    response.close()
    if body and any(words in body for words in MISMATCH_WORDS):
        raise RedirectNotRegistered(
            f"{settings.oauth_url} does not accept {settings.redirect_uri} as the Callback URL of client id "
            f'{client_id} (the browser would show "Callback URL mismatch")',
            hint=f"In Developer Hub, set the app's Callback URL to exactly {settings.redirect_uri}, or pass "
            "the registered one with --redirect-uri (or PDAUTH_REDIRECT_URI)",
        )
