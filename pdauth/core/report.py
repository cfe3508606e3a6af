"""How the layers below the CLI talk to the person at the terminal, without knowing how it is drawn.

The core, `login` and `call` never print and never import the CLI: they are handed a `Reporter`. The
typer CLI hands them its rich one (`pdauth.cli.ui.TerminalReporter`: colours, a spinner while waiting);
the fast front doors and library code use `PlainReporter`, plain lines on stderr and the standard
library only. stdout stays data: only `show_text`/`show_json` (a terminal's pretty output) write there.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Protocol

from pdauth.errors import terminal_safe


class Reporter(Protocol):
    quiet: bool

    def say(self, message: str) -> None:
        """A sentence of conversation on stderr; nothing with --quiet."""

    def warn(self, message: str) -> None:
        """`warning: …` on stderr, even with --quiet."""

    def wait(self, seconds: float, reason: str) -> None:
        """Sleep `seconds`, saying why: `f"{reason} {seconds:.1f} s"` reads as a sentence."""

    def echo(self, text: str) -> None:
        """Raw lines on stderr, as they are (`call -i`'s request); nothing with --quiet."""

    def show_text(self, text: str, style: str | None = None) -> None:
        """Text on stdout, styled where the terminal can show it."""

    def show_json(self, data: Any, indent: str = "", end: str = "\n") -> None:
        """JSON on stdout, indented (and coloured where the terminal can show it)."""


class PlainReporter:
    """Plain lines on stderr, no terminal tricks: for scripts, pipes and library code."""

    def __init__(self, quiet: bool = False, sleep: Any = time.sleep) -> None:
        self.quiet = quiet
        self._sleep = sleep

    def say(self, message: str) -> None:
        if not self.quiet:
            _write(sys.stderr, terminal_safe(message) + "\n")

    def warn(self, message: str) -> None:
        _write(sys.stderr, f"warning: {terminal_safe(message)}\n")

    def wait(self, seconds: float, reason: str) -> None:
        self.say(f"{reason} {seconds:.1f} s…")
        self._sleep(seconds)

    def echo(self, text: str) -> None:
        if not self.quiet:
            _write(sys.stderr, text)

    def show_text(self, text: str, style: str | None = None) -> None:
        _write(sys.stdout, text)

    def show_json(self, data: Any, indent: str = "", end: str = "\n") -> None:
        text = json.dumps(data, indent=2, ensure_ascii=False)
        _write(sys.stdout, "\n".join(indent + line for line in text.splitlines()) + end)


def _write(stream: Any, text: str) -> None:
    stream.write(text)
    stream.flush()
