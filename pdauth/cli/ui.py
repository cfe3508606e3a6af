"""Terminal output: stdout is data, stderr is conversation (spinners, URLs, prompts, messages)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import cache

from rich.console import Console


@cache
def err() -> Console:
    return Console(stderr=True, highlight=False)


@cache
def out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def quiet() -> bool:
    from pdauth.cli.app import global_options

    return global_options().quiet


def error(message: str) -> None:
    err().print(f"[bold red]error:[/] {_escape(message)}", soft_wrap=True)


def warn(message: str) -> None:
    err().print(f"[yellow]warning:[/] {_escape(message)}", soft_wrap=True)


def say(message: str) -> None:
    if not quiet():
        err().print(message, soft_wrap=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def ask(prompt: str) -> str:
    import typer

    return str(typer.prompt(prompt, err=True))


def ask_secret(prompt: str) -> str:
    import typer

    return str(typer.prompt(prompt, hide_input=True, err=True))


def confirm(prompt: str) -> bool:
    import typer

    return bool(typer.confirm(prompt, default=True, err=True))


@contextlib.contextmanager
def spinner(message: str) -> Iterator[None]:
    if quiet() or not err().is_terminal:
        yield
        return
    with err().status(message):
        yield


class TerminalLoginUI:
    def show_url(self, url: str, browser_opened: bool) -> None:
        # Always printed: the browser may not open (no display, SSH), or open on another screen.
        lead = "Opened your browser at:" if browser_opened else "Open this URL in a browser to log in:"
        if quiet() and browser_opened:
            return
        err().print(lead, soft_wrap=True)
        err().print(url, soft_wrap=True, markup=False, highlight=False)

    def waiting(self) -> contextlib.AbstractContextManager[None]:
        return spinner("Waiting for you to approve in the browser (Ctrl-C to cancel)…")

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
        err().print(f"[yellow]Not accepted:[/] {_escape(message)}", soft_wrap=True)
