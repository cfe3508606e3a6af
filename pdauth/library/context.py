"""The Context a library call runs with, made by the one factory every front door uses.

A copy of the environment (the caller's mapping, or os.environ as it is now), so that what the Session
does to its own copy (a rotated refresh token, see credentials.py) never leaks into the process; an
injectable clock and sleep; log records instead of lines on stderr; and no prompts: library code never
asks at a terminal (the file store's passphrase comes from PDAUTH_PASSPHRASE).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping

from pdauth.core.context import Context, make_context
from pdauth.library.report import LoggingReporter


def library_context(
    profile: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Context:
    return make_context(
        profile,
        env=dict(os.environ if env is None else env),
        now=clock or time.time,
        reporter=LoggingReporter(sleep or time.sleep),
    )
