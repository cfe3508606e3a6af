"""Time as the API writes and reads it: RFC 3339 in v2, "YYYY-MM-DD HH:MM:SS" (UTC) in v1."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime
from typing import Final

_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
)
_DATE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")


def rfc3339(epoch: float) -> str:
    """API v2's timestamps: UTC, whole seconds, `Z` (as in Pipedrive's examples, 2024-01-01T00:00:00Z)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def v1_time(epoch: float) -> str:
    """API v1's timestamps: "2024-01-01 00:00:00", UTC."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


def day(epoch: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(epoch))


def parse_rfc3339(text: str) -> float | None:
    """Epoch seconds of an RFC 3339 date-time, or None if `text` is not one."""
    if not _RFC3339.fullmatch(text):
        return None
    try:
        return datetime.fromisoformat(text.replace("z", "Z").replace("t", "T")).timestamp()
    except ValueError:  # shaped right but impossible, e.g. month 13
        return None


def parse_date(text: str) -> str | None:
    """`text` if it is a real calendar date YYYY-MM-DD, else None."""
    if not _DATE.fullmatch(text):
        return None
    try:
        date.fromisoformat(text)
    except ValueError:
        return None
    return text


def epoch_of_date(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()
