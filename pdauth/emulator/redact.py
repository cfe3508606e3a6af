"""Scrub secrets from log lines: codes, tokens, client secret, Authorization values."""

from __future__ import annotations

import re
import threading
from typing import Final, TextIO

REDACTED: Final = "[REDACTED]"

_PATTERNS: Final = (
    # query/form values of parameters that carry secrets
    re.compile(
        r"(?i)\b(code|token|access_token|refresh_token|client_secret|csrf_token|request_id|password)"
        r"(=|%3D)[^&\s\"'<>]*"
    ),
    # JSON-ish "name": "value" pairs of the same names
    re.compile(r"(?i)(\"(?:code|token|access_token|refresh_token|client_secret)\"\s*:\s*\")[^\"]*"),
    # Authorization header values
    re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s\"',]+"),
    # the token shapes themselves, wherever they turn up
    re.compile(r"(v1u:)[A-Za-z0-9_\-.~+/=%]+"),
    re.compile(r"()\b\d+:\d+:[0-9a-f]{16,}\b"),  # refresh token
    re.compile(r"()\b\d+\.\d+\.[0-9a-f]{16,}\b"),  # authorization code
)


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with every secret replaced by [REDACTED]; `secrets` adds literal values (the client secret)."""
    for literal in secrets:
        if literal:
            text = text.replace(literal, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: "".join(g for g in m.groups() if g is not None) + REDACTED, text)
    return text


class RequestLog:
    """One redacted line per request on a text stream (None: silent); safe to call from many threads."""

    def __init__(self, stream: TextIO | None, secrets: tuple[str, ...] = ()) -> None:
        self._stream = stream
        self._secrets = secrets
        self._lock = threading.Lock()

    def write(self, line: str) -> None:
        if self._stream is None:
            return
        text = redact(line.rstrip("\n"), self._secrets)
        with self._lock:
            try:
                self._stream.write(text + "\n")
                self._stream.flush()
            except (OSError, ValueError):  # a closed or broken stream must not break a request
                pass
