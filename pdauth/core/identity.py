"""Who a profile acts as: Pipedrive's `/api/v1/users/me`, read into an Identity.

An account is (company_id, user_id), never the email: emails change and can be reused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pdauth.core.http import TIMEOUT, bearer, error_text, response_json
from pdauth.errors import AccessTokenRejected, ApiRequestFailed

if TYPE_CHECKING:
    import requests


@dataclass
class Identity:
    """Who a profile is logged in as. An account is (company_id, user_id), never the email."""

    user_id: int
    name: str
    email: str
    company_id: int
    company_name: str
    company_domain: str = ""
    # Which Pipedrive apps the user may use, and as admin or not: users/me's `access`, which replaced
    # `is_admin` in 2023. Pairs of (app, admin), e.g. ("sales", True).
    access: list[tuple[str, bool]] = field(default_factory=list)

    def __post_init__(self) -> None:  # read back from the config file, the pairs are JSON arrays
        self.access = [(str(app), bool(admin)) for app, admin in self.access]

    def same_account(self, other: Identity) -> bool:
        return (self.company_id, self.user_id) == (other.company_id, other.user_id)

    def describe(self) -> str:
        return f"{self.company_name} as {self.name} <{self.email}>"

    def describe_access(self) -> str:
        """`sales (admin), global`: each app the user has, marked where they are its admin."""
        return ", ".join(f"{app} (admin)" if admin else app for app, admin in self.access) or "-"


def _access(raw: object) -> list[tuple[str, bool]]:
    """users/me's `access` list, keeping what pdauth shows; anything malformed is left out."""
    if not isinstance(raw, list):
        return []
    return [
        (entry["app"], entry.get("admin") is True)
        for entry in raw
        if isinstance(entry, dict) and isinstance(entry.get("app"), str)
    ]


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
    body = response_json(response)
    if response.status_code == 401:
        raise AccessTokenRejected(f"{api_domain} rejected the access token (401)", where=api_domain)
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
            access=_access(data.get("access")),
        )
    except (KeyError, TypeError, ValueError):
        raise ApiRequestFailed("GET /api/v1/users/me returned an unexpected body") from None
