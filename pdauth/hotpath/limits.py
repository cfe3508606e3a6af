"""pdauth's time limits, in one place (standard library only: the token fast path reads them)."""

from __future__ import annotations

import math

from pdauth.envvars import ENV_KEYRING_TIMEOUT

TYPE_CHECKING = False  # not `from typing import ...`: see docs/performance.md
if TYPE_CHECKING:
    from collections.abc import Mapping

# A stored access token is refreshed when less than this is left of it, so a token handed to curl does
# not expire mid-request.
REFRESH_MARGIN_SECONDS = 300

# How long a process waits for another one's refresh of the same profile.
DEFAULT_LOCK_TIMEOUT = 30.0

# How long one keyring call may take before it counts as hung (PDAUTH_KEYRING_TIMEOUT).
DEFAULT_KEYRING_TIMEOUT = 5.0


def keyring_timeout_setting(env: Mapping[str, str]) -> float | None:
    """PDAUTH_KEYRING_TIMEOUT in seconds (the default when unset); None when it is not a positive number."""
    raw = env.get(ENV_KEYRING_TIMEOUT)
    if not raw:
        return DEFAULT_KEYRING_TIMEOUT
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None
