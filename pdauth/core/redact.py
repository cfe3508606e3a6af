"""Removing secrets from every log record before any handler formats it.

Two layers: the secret values this invocation has seen (a `Redactor`, which the Context carries and the
core tells of each secret as it appears), and patterns that catch secrets it has not seen (bearer
headers, token-like query/form fields, Pipedrive's token shapes), so a debug line from requests/urllib3
cannot leak what pdauth never registered.
"""

from __future__ import annotations

import logging
import re
from typing import Final, TextIO

from pdauth.errors import terminal_safe

REDACTED: Final = "[REDACTED]"

_PATTERNS: Final = (
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(bearer|basic)\s+[^\s'\",}]+"),
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/:=-]{8,}"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|code|token|state|password|passphrase)"
        r"['\"]?\s*[=:]\s*['\"]?)[^&\s'\",}]+"
    ),
    re.compile(r"v1u:[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/@\s:]*:)[^/@\s]+(?=@)"),  # a password in a URL (a proxy's)
)


class Redactor:
    """The secrets one invocation has seen; `clean` takes them, and anything shaped like one, out of text."""

    def __init__(self) -> None:
        self._known: set[str] = set()

    def register(self, value: str | None) -> None:
        if value and len(value) >= 6:
            self._known.add(value)

    def clean(self, text: str) -> str:
        return redact(text, self._known)


def redact(text: str, known: set[str] | frozenset[str] = frozenset()) -> str:
    """`text` without the `known` secrets and without anything shaped like a secret."""
    for value in sorted(known, key=len, reverse=True):
        text = text.replace(value, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.re.groups else "") + REDACTED, text)
    return text


class RedactingFilter(logging.Filter):
    def __init__(self, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.redactor = redactor or Redactor()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        # Records go to a terminal (-v) and may quote server data: no escapes, one line each.
        clean = terminal_safe(self.redactor.clean(message))
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_text is None:
            trace = self.redactor.clean(logging.Formatter().formatException(record.exc_info))
            record.exc_text = terminal_safe(trace, keep="\n")
            record.exc_info = None
        return True


def enable_debug_logging(redactor: Redactor, stream: TextIO | None = None) -> None:
    """`-v`: debug logs of pdauth, requests and urllib3 on stderr, every record cleaned by `redactor`."""
    import http.client

    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(redactor))
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    # http.client prints headers with print(), bypassing logging: keep it off, whatever the level.
    http.client.HTTPConnection.debuglevel = 0
