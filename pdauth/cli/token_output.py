"""What `pdauth token` writes on stdout. Shared by the fast path and the full CLI so they cannot differ."""

from __future__ import annotations

from pdauth.hotpath.times import iso_utc

TYPE_CHECKING = False  # not `from typing import ...`: the token fast path imports this module
if TYPE_CHECKING:
    from pdauth.core.sources import AccessToken
    from pdauth.hotpath.plain_token import PlainToken


def token_output(access: AccessToken | PlainToken, as_json: bool) -> str:
    if not as_json:
        return access.token + "\n"
    import json  # only here: `import json` costs the plain `pdauth token` more than the rest of its run

    return (
        json.dumps(
            {
                "access_token": access.token,
                "expires_at": iso_utc(access.expires_at) if access.expires_at is not None else None,
                "api_domain": access.api_domain,
                "profile": access.profile,
            }
        )
        + "\n"
    )
