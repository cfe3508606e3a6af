"""`pdauth.token()` and `pdauth.token_info()`: the token `pdauth token` prints, for code.

The same core call as the command (pdauth.core.sources.current_token: env access token, env refresh
token, then the profile's store, refreshed under the cross-process protocol when less than five minutes
remain), so a script and the CLI never disagree about which token is current.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pdauth.core.sources import AccessToken, current_token
from pdauth.library.context import library_context


@dataclass(frozen=True)
class TokenInfo:
    """What `pdauth token --json` tells, and where the token came from. The token is left out of repr()."""

    access_token: str = field(repr=False)
    api_domain: str | None  # None only for PIPEDRIVE_ACCESS_TOKEN without PIPEDRIVE_API_DOMAIN
    expires_at: datetime | None  # timezone-aware (UTC); None when the source does not say
    profile: str
    source: str  # "env PIPEDRIVE_ACCESS_TOKEN", "env PIPEDRIVE_REFRESH_TOKEN", or the store, e.g. "keyring"
    scopes: tuple[str, ...] = ()  # as granted at login; () for an env access token


def token(profile: str | None = None, *, env: Mapping[str, str] | None = None) -> str:
    """A valid access token: the same string `pdauth token` prints (without the newline)."""
    return current_token(library_context(profile, env=env)).token


def token_info(profile: str | None = None, *, env: Mapping[str, str] | None = None) -> TokenInfo:
    """The valid access token with its expiry, api_domain, profile and source."""
    return info_of(current_token(library_context(profile, env=env)))


def info_of(access: AccessToken) -> TokenInfo:
    expires = None
    if access.expires_at is not None:
        expires = datetime.fromtimestamp(access.expires_at, tz=UTC)
    return TokenInfo(
        access_token=access.token,
        api_domain=access.api_domain,
        expires_at=expires,
        profile=access.profile,
        source=access.source,
        scopes=access.tokens.scopes if access.tokens else (),
    )
