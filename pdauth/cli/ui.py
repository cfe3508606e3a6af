"""Terminal output with rich: stdout is data, stderr is conversation (spinners, URLs, prompts, messages).

`TerminalReporter` is what the CLI hands the layers below it (pdauth.core.report.Reporter); the commands
themselves print through the same object, so --quiet is one flag on one object, not a module global.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from rich.console import Console
from rich.markup import escape

from pdauth.errors import Interrupted, terminal_safe


@cache
def err() -> Console:
    return Console(stderr=True, highlight=False)


@cache
def out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def markup_safe(text: str) -> str:
    """Plain (possibly server-supplied) text for a rich markup string: no markup, no control characters."""
    return escape(terminal_safe(text))


def terminal_json(data: Any) -> str:
    """Indented JSON with UTF-8 kept readable, but every character a terminal could act on (DEL, C1,
    bidi overrides: json.dumps escapes only C0) written as a \\u escape: the same JSON value, inert."""
    import json

    text = json.dumps(data, indent=2, ensure_ascii=False)
    # Outside strings json.dumps writes only printable characters and the indent's "\n".
    return "".join(c if c.isprintable() or c in " \n" else _json_escape(c) for c in text)


def _json_escape(c: str) -> str:
    code = ord(c)
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


class TerminalReporter:
    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    # -- pdauth.core.report.Reporter -----------------------------------------------------------------

    def say(self, message: str) -> None:
        self.rich(markup_safe(message))

    def warn(self, message: str) -> None:
        err().print(f"[yellow]warning:[/] {markup_safe(message)}", soft_wrap=True)

    def wait(self, seconds: float, reason: str) -> None:
        message = f"{reason} {seconds:.1f} s…"
        if err().is_terminal:
            with self.spinner(message + " (Ctrl-C to stop)"):
                time.sleep(seconds)
        else:
            self.say(message)
            time.sleep(seconds)

    def echo(self, text: str) -> None:
        if not self.quiet:
            err().print(text, end="", markup=False, highlight=False, soft_wrap=True)

    # Terminal output only (piped output stays the server's bytes): a response body is server text.
    def show_text(self, text: str, style: str | None = None) -> None:
        out().print(terminal_safe(text, keep="\n\t"), end="", style=style, markup=False, highlight=False)

    def show_json(self, data: Any, indent: str = "", end: str = "\n") -> None:
        import textwrap

        from rich.highlighter import JSONHighlighter
        from rich.text import Text

        text = textwrap.indent(terminal_json(data), indent)
        out().print(JSONHighlighter()(Text(text)), end=end)

    # -- the CLI's own lines ---------------------------------------------------------------------------

    def rich(self, markup: str) -> None:
        """A line of rich markup on stderr (the caller escapes what it interpolates); not with --quiet."""
        if not self.quiet:
            err().print(markup, soft_wrap=True)

    @contextlib.contextmanager
    def spinner(self, message: str) -> Iterator[None]:
        if self.quiet or not err().is_terminal:
            yield
            return
        with err().status(message):
            yield


def _prompting(ask: Callable[[], object]) -> object:
    """Ctrl-C at a prompt ends the command as Ctrl-C anywhere does: one line, exit 130 (click would print
    "Aborted!" and exit 1)."""
    import typer

    try:
        return ask()
    except (KeyboardInterrupt, typer.Abort, EOFError):
        err().print()  # off the prompt's line
        raise Interrupted("Cancelled at the prompt") from None


def ask(prompt: str) -> str:
    import typer

    return str(_prompting(lambda: typer.prompt(prompt, err=True)))


def ask_secret(prompt: str) -> str:
    import typer

    return str(_prompting(lambda: typer.prompt(prompt, hide_input=True, err=True)))


def ask_yes_no(prompt: str) -> bool:
    """A yes/no question whose answer defaults to no (for what cannot be undone)."""
    import typer

    return bool(_prompting(lambda: typer.confirm(prompt, default=False, err=True)))


def confirm(prompt: str) -> bool:
    import typer

    return bool(_prompting(lambda: typer.confirm(prompt, default=True, err=True)))


class TerminalLoginUI:
    def __init__(self, reporter: TerminalReporter) -> None:
        self.reporter = reporter

    def show_url(self, url: str, browser_opened: bool) -> None:
        # Always printed: the browser may not open (no display, SSH), or open on another screen.
        lead = "Opened your browser at:" if browser_opened else "Open this URL in a browser to log in:"
        if self.reporter.quiet and browser_opened:
            return
        err().print(lead, soft_wrap=True)
        err().print(url, soft_wrap=True, markup=False, highlight=False)

    def waiting(self) -> contextlib.AbstractContextManager[None]:
        return self.reporter.spinner("Waiting for you to approve in the browser (Ctrl-C to cancel)…")

    # Shown even with --quiet: without them a remote login cannot complete.
    def show_ssh_tunnel(self, command: str) -> None:
        err().print(
            "You are connected over SSH. For the browser on your own computer to reach this one, "
            "first run there:",
            soft_wrap=True,
        )
        err().print(f"  {command}", soft_wrap=True, markup=False, highlight=False)

    def prompt_paste(self) -> None:
        # A line of its own: if the listener wins instead, nothing is left dangling after the prompt.
        err().print(
            "Paste the address your browser shows after approving (or wait for the browser):", soft_wrap=True
        )

    def paste_rejected(self, message: str) -> None:
        err().print(f"[yellow]Not accepted:[/] {markup_safe(message)}", soft_wrap=True)
