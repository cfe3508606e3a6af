"""HTTP basics every part shares: pdauth's requests session, its timeouts and User-Agent, the bearer
header, and the text of Pipedrive's error envelope.

Every API call goes to the account's `api_domain` from the token response, never a hard-coded host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from pdauth.version import __version__

if TYPE_CHECKING:
    import requests

TIMEOUT: Final = (5.0, 60.0)  # (connect, read) seconds
USER_AGENT: Final = f"pdauth/{__version__}"


def new_session(env: Mapping[str, str] | None = None) -> requests.Session:
    """pdauth's requests session: proxies and the CA bundle from `env` (pdauth.core.network decides, as
    for `pdauth call`'s transport), nothing from ~/.netrc. None: direct connections, certifi."""
    from pdauth.core.session import NetworkSession

    session = NetworkSession(env or {})
    session.headers["User-Agent"] = USER_AGENT
    return session


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def response_json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def error_text(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("error") or body.get("message") or "")
    return ""
