"""The typer app, its global options, and the one place where errors become output and exit codes."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Annotated

import typer

from pdauth import __version__
from pdauth.core.context import Context, Deps

app = typer.Typer(
    name="pdauth",
    help="Connect a Pipedrive account over OAuth 2.0, then get out of the way.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile", "-p", help="Profile to use (env PDAUTH_PROFILE; default: `default`).", show_default=False
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


@dataclass
class GlobalOptions:
    profile: str | None = None
    verbose: bool = False
    quiet: bool = False


def _version(value: bool) -> None:
    if value:
        print(f"pdauth {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    profile: ProfileOpt = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Debug logging on stderr (secrets redacted).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    global _options
    _options = GlobalOptions(profile=profile, verbose=verbose, quiet=quiet)
    if verbose:
        from pdauth.core.redact import enable_debug_logging

        enable_debug_logging()


_options = GlobalOptions()


def global_options() -> GlobalOptions:
    return _options


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def make_context(profile: str | None = None, **deps: object) -> Context:
    """A Context from the command's options, the global ones, the real environment and real prompts."""
    from pdauth.cli import ui

    options = global_options()
    prompts: dict[str, object] = {}
    if interactive():  # prompts, the keyring fallback offer, and pasting the callback address
        prompts = {"ask": ui.ask, "ask_secret": ui.ask_secret, "confirm": ui.confirm}
        prompts["paste_input"] = sys.stdin
    return Context(Deps(env=dict(os.environ), profile=profile or options.profile, **prompts, **deps))  # type: ignore[arg-type]
