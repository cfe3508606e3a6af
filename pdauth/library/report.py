"""How the core talks when a library drives it: log records, never lines on a terminal.

The CLI's reporters write to stderr; a program that imports pdauth owns its stderr, so here every
warning and wait is a record of the `pdauth` logger that the program's logging setup routes as it likes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("pdauth")


class LoggingReporter:
    """A pdauth.core.report.Reporter on the standard logging module; waits sleep with `sleep`."""

    quiet = True  # nothing is conversation: there is nobody at a terminal to talk to

    def __init__(self, sleep: Callable[[float], None] = time.sleep) -> None:
        self._sleep = sleep

    def say(self, message: str) -> None:
        log.info("%s", message)

    def warn(self, message: str) -> None:
        log.warning("%s", message)

    def wait(self, seconds: float, reason: str) -> None:
        log.info("%s %.1f s", reason, seconds)
        self._sleep(seconds)

    def echo(self, text: str) -> None:
        log.debug("%s", text.rstrip("\n"))

    def show_text(self, text: str, style: str | None = None) -> None:
        log.info("%s", text.rstrip("\n"))

    def show_json(self, data: Any, indent: str = "", end: str = "\n") -> None:
        log.info("%r", data)
