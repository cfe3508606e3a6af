"""TokenSet: what one successful token response gives us, with an absolute expiry.

Pure data: no I/O, no clock of its own (callers pass `now`), so it is cheap to import on the hot path.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Final

from pdauth.hotpath.limits import REFRESH_MARGIN_SECONDS

# Pipedrive's refresh tokens die after 60 days without use; each use restarts the clock.
REFRESH_TOKEN_IDLE_SECONDS: Final = 60 * 86400
# Refresh when less than REFRESH_MARGIN_SECONDS remains, so a token handed to curl does not expire
# mid-request (defined in pdauth.hotpath.paths, which the token fast path reads before the core).


class MalformedTokenResponse(ValueError):
    """A 200 response that lacks what every Pipedrive token response carries."""


def _scopes(raw: object) -> tuple[str, ...]:
    # Every documented example separates scopes with commas; accept spaces too (the separator is unconfirmed).
    if isinstance(raw, list | tuple):
        return tuple(str(s) for s in raw if str(s))
    if isinstance(raw, str):
        return tuple(s for s in re.split(r"[,\s]+", raw) if s)
    return ()


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None
    api_domain: str
    expires_at: float  # epoch seconds
    token_type: str = "Bearer"
    scopes: tuple[str, ...] = field(default_factory=tuple)
    refresh_used_at: float | None = None  # when the refresh token was last issued or used
    # Where the set came from: the OAuth server (`oauth_url`) that issued it and the app (client id) it was
    # issued to. A stored set is used, refreshed and revoked only for a profile that still names both, and
    # its refresh token goes only to this issuer (pdauth.core.binding).
    issuer: str | None = None
    client_id: str | None = None

    @classmethod
    def from_response(cls, payload: Any, now: float, previous_refresh_token: str | None = None) -> TokenSet:
        if not isinstance(payload, dict):
            raise MalformedTokenResponse("the token response is not a JSON object")
        access = payload.get("access_token")
        api_domain = payload.get("api_domain")
        if not isinstance(access, str) or not access:
            raise MalformedTokenResponse("the token response has no access_token")
        if not isinstance(api_domain, str) or not api_domain.startswith(("https://", "http://")):
            raise MalformedTokenResponse("the token response has no usable api_domain")
        token_type = str(payload.get("token_type") or "Bearer")
        if token_type.lower() != "bearer":  # Pipedrive sends both "Bearer" and "bearer"
            raise MalformedTokenResponse(f"unexpected token_type {token_type!r}")
        try:
            expires_in = float(payload.get("expires_in", 3599))
        except (TypeError, ValueError):
            raise MalformedTokenResponse("the token response has a non-numeric expires_in") from None
        refresh = payload.get("refresh_token")
        # Keep the refresh token we had when a response omits it; store whatever a response carries.
        refresh_token = refresh if isinstance(refresh, str) and refresh else previous_refresh_token
        return cls(
            access_token=access,
            refresh_token=refresh_token,
            api_domain=api_domain.rstrip("/"),
            expires_at=now + expires_in,
            token_type="Bearer",  # noqa: S106 - a token type, not a secret
            scopes=_scopes(payload.get("scope")),
            refresh_used_at=now if refresh_token else None,
        )

    def expires_within(self, now: float, margin: float = REFRESH_MARGIN_SECONDS) -> bool:
        return self.expires_at - now < margin

    @property
    def refresh_deadline(self) -> float | None:
        if self.refresh_token is None or self.refresh_used_at is None:
            return None
        return self.refresh_used_at + REFRESH_TOKEN_IDLE_SECONDS

    # -- serialisation: one JSON document, so an update is one store write ------------------------

    def to_json(self) -> str:
        data = asdict(self)
        data["scopes"] = list(self.scopes)
        data["v"] = 1
        return json.dumps(data, separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
            raise ValueError("not a pdauth token set")
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            api_domain=data["api_domain"],
            expires_at=float(data["expires_at"]),
            token_type=data.get("token_type", "Bearer"),
            scopes=tuple(data.get("scopes") or ()),
            refresh_used_at=data.get("refresh_used_at"),
            issuer=_text_or_none(data.get("issuer")),
            client_id=_text_or_none(data.get("client_id")),
        )

    def bound_to(self, issuer: str, client_id: str) -> TokenSet:
        """This set, recording the issuer and client it came from."""
        return replace(self, issuer=issuer.rstrip("/"), client_id=client_id)

    def with_changes(self, **changes: Any) -> TokenSet:
        return replace(self, **changes)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
