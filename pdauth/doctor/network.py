"""Doctor's network checks: can we reach the OAuth host and the API, and is our clock right?

Any HTTP answer proves reachability (the OAuth host's root may well be a 404; the API without a token is a
401). Short timeouts: doctor must answer in seconds even when a host silently drops packets. The clock is
compared with the OAuth server's `Date` header.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Final

from pdauth import envvars
from pdauth.core.context import Context
from pdauth.doctor.check import Check
from pdauth.errors import PdauthError

# Beyond this, expiry times shown by `status` are off and TLS certificate checks may start to fail.
MAX_CLOCK_SKEW: Final = 120.0


def _get(ctx: Context, url: str, timeout: float) -> tuple[int | None, str | None, str, str | None]:
    """(status, Date header, description, fix) for a GET of `url`; status None when it could not be
    reached, and then `fix` is the error's own next step when it has a specific one (a proxy, a CA)."""
    import requests

    started = time.monotonic()
    try:
        response = ctx.session.get(url, timeout=(timeout, timeout), allow_redirects=False)
    except requests.RequestException as exc:
        return None, None, f"cannot reach {url} ({type(exc).__name__})", None
    except PdauthError as exc:  # a refused proxy, a certificate that does not verify: said in its words
        return None, None, exc.message, exc.hint or None
    millis = (time.monotonic() - started) * 1000
    response.close()
    detail = f"{url} answered HTTP {response.status_code} in {millis:.0f} ms"
    return response.status_code, response.headers.get("Date"), detail, None


def check_network_settings(ctx: Context) -> list[Check]:
    """Which proxy each host goes through and which CA bundle TLS trusts (never a proxy password)."""
    from pdauth.core import network

    oauth_url = ctx.settings.oauth_url
    routes = [f"OAuth host {network.describe(ctx.env, oauth_url)}"]
    domain = _api_domain(ctx)
    if domain:
        routes.append(f"api_domain {network.describe(ctx.env, domain)}")
    path, source = network.ca_bundle(ctx.env)
    return [
        Check("proxy", True, "; ".join(routes)),
        Check("CA bundle", True, f"{path} (from {source})" if path else source),
    ]


def _api_domain(ctx: Context) -> str:
    return (ctx.env.get(envvars.ENV_API_DOMAIN) or ctx.saved_profile.api_domain or "").rstrip("/")


def check_oauth_host(ctx: Context, timeout: float) -> list[Check]:
    oauth_url = ctx.settings.oauth_url
    status, date, detail, fix = _get(ctx, f"{oauth_url}/", timeout)
    if status is None:
        return [
            Check(
                "OAuth host",
                False,
                detail,
                fix or f"Check the network connection and firewall, and {envvars.ENV_OAUTH_URL} if it is set",
                True,
            ),
            Check("clock", False, "not checked: the OAuth host could not be reached"),
        ]
    return [Check("OAuth host", True, detail, None, True), check_clock(ctx, date, oauth_url)]


def check_clock(ctx: Context, date_header: str | None, server: str) -> Check:
    if not date_header:
        return Check("clock", True, f"not checked: {server} sent no Date header")
    try:
        server_time = parsedate_to_datetime(date_header).timestamp()
    except (TypeError, ValueError):
        return Check("clock", True, f"not checked: {server} sent an unreadable Date header")
    skew = ctx.now() - server_time
    detail = f"this machine's clock is {skew:+.0f} s from {server}'s"
    if abs(skew) <= MAX_CLOCK_SKEW:
        return Check("clock", True, detail)
    return Check(
        "clock",
        False,
        detail,
        "Synchronise the clock (e.g. `timedatectl set-ntp true`; under WSL, `wsl --shutdown`)",
    )


def check_api_domain(ctx: Context, timeout: float) -> Check:
    domain = _api_domain(ctx)
    if not domain:
        return Check("api_domain", True, "none known yet: the token response names it at login")
    # Without a token the API answers 401: that answer is all reachability needs.
    status, _, detail, fix = _get(ctx, f"{domain}/api/v1/users/me", timeout)
    if status is None:
        return Check(
            "api_domain",
            False,
            detail,
            fix or f"Check the network connection and firewall (and {envvars.ENV_API_DOMAIN} if it is set)",
        )
    return Check("api_domain", True, detail)
