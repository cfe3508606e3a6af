"""An access token found without the core — read from a valid stored set, or handed over by the process
that refreshed it — with what `pdauth token --json` prints about it (pdauth.cli.token_output)."""

from __future__ import annotations

import math

from pdauth.hotpath.json_read import loads
from pdauth.hotpath.limits import REFRESH_MARGIN_SECONDS

TYPE_CHECKING = False  # not `from typing import ...`: see docs/performance.md
if TYPE_CHECKING:
    from typing import TypeGuard


class PlainToken:
    __slots__ = ("api_domain", "expires_at", "profile", "token")

    def __init__(self, token: str, expires_at: float, api_domain: str | None, profile: str):
        self.token = token
        self.expires_at = expires_at
        self.api_domain = api_domain
        self.profile = profile


def valid_from_json(
    text: str, profile: str, now: float, *, bound_to: tuple[str, str] | None = None
) -> PlainToken | None:
    """The token of a token set's JSON when it has more than the refresh margin left (and, with
    `bound_to`, records exactly that issuer and client id); None for anything else (the core then
    decides, and says what is wrong)."""
    try:
        data = loads(text)
        token, expires_at, api_domain = data["access_token"], data["expires_at"], data.get("api_domain")  # type: ignore[index,attr-defined]
        source = (data.get("issuer"), data.get("client_id"))  # type: ignore[attr-defined]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if bound_to is not None and source != bound_to:
        return None
    if not isinstance(token, str) or not token or not is_epoch(expires_at):
        return None
    if expires_at - now < REFRESH_MARGIN_SECONDS:
        return None
    return PlainToken(token, float(expires_at), api_domain if isinstance(api_domain, str) else None, profile)


def is_epoch(value: object) -> TypeGuard[int | float]:
    """A finite number of seconds (a JSON boolean is no time, nor is an infinity)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
