"""Times as pdauth prints them (standard library `time` only: `pdauth token --json` prints one)."""

from __future__ import annotations

import time


def iso_utc(epoch: float) -> str:
    """`2026-12-01T23:59:59Z`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
