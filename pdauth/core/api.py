"""Pipedrive REST API basics shared by the commands: the HTTP session and `/api/v1/users/me`.

Every call goes to the account's `api_domain` from the token response, never a hard-coded host.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from pdauth import __version__
from pdauth.core.settings import Identity
from pdauth.errors import AccessTokenRejected, ApiRequestFailed

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

TIMEOUT: Final = (5.0, 60.0)
USER_AGENT: Final = f"pdauth/{__version__}"


def new_session() -> requests.Session:
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    # Never pick up credentials for Pipedrive hosts from ~/.netrc: pdauth sends exactly one Authorization.
    session.trust_env = False
    return session


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def fetch_identity(session: requests.Session, api_domain: str, access_token: str) -> Identity:
    import requests

    url = f"{api_domain}/api/v1/users/me"
    try:
        response = session.get(url, headers=bearer(access_token), timeout=TIMEOUT)
    except requests.RequestException as exc:
        raise ApiRequestFailed(
            f"Could not reach {api_domain} ({type(exc).__name__})",
            hint="Check the network (and PIPEDRIVE_API_DOMAIN, if set), then try again",
        ) from None
    body = _json(response)
    if response.status_code == 401:
        raise AccessTokenRejected(f"{api_domain} rejected the access token (401)")
    if response.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise ApiRequestFailed(
            f"GET /api/v1/users/me failed: HTTP {response.status_code} {error_text(body)}".rstrip(),
            hint="Try again in a moment",
        )
    data = body["data"]
    try:
        return Identity(
            user_id=int(data["id"]),
            name=str(data.get("name") or ""),
            email=str(data.get("email") or ""),
            company_id=int(data["company_id"]),
            company_name=str(data.get("company_name") or ""),
            company_domain=str(data.get("company_domain") or ""),
        )
    except (KeyError, TypeError, ValueError):
        raise ApiRequestFailed("GET /api/v1/users/me returned an unexpected body") from None


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def error_text(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("error") or body.get("message") or "")
    return ""
