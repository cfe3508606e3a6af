"""The typer app, its global options, and the Context every command runs with."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

import typer

from pdauth.cli import ui
from pdauth.core.context import Context, Prompts
from pdauth.core.context import make_context as core_context
from pdauth.core.redact import Redactor
from pdauth.version import __version__

app = typer.Typer(
    name="pdauth",
    help="Connect a Pipedrive account over OAuth 2.0, then get out of the way.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def complete_profile(incomplete: str) -> list[str]:
    """Shell completion for -p and `switch`: the profiles the config file knows."""
    import os

    from pdauth.core.settings import ConfigFile, config_dir

    try:
        names = ConfigFile.load(config_dir(os.environ)).profiles
    except Exception:  # completion must never print a traceback into the user's shell
        return []
    return sorted(name for name in names if name.startswith(incomplete))


ProfileOpt = Annotated[
    str | None,
    typer.Option(
        "--profile",
        "-p",
        help="Profile to use (env PDAUTH_PROFILE; default: `default`).",
        show_default=False,
        autocompletion=complete_profile,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]


@dataclass
class Invocation:
    """What the global options chose for this run. It travels in click's context (`ctx.obj`), not in a
    module global, so every command of a process (and every test) starts from its own."""

    profile: str | None = None
    verbose: bool = False
    quiet: bool = False
    reporter: ui.TerminalReporter = field(default_factory=ui.TerminalReporter)
    redactor: Redactor = field(default_factory=Redactor)  # one per run: -v's log filter and the core share it


def invocation(cli: typer.Context) -> Invocation:
    found = cli.find_object(Invocation)
    return found if found is not None else Invocation()


def reporter(cli: typer.Context) -> ui.TerminalReporter:
    return invocation(cli).reporter


def _version(value: bool) -> None:
    if value:
        print(f"pdauth {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    context: typer.Context,
    profile: ProfileOpt = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Debug logging on stderr (secrets redacted).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only errors on stderr.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    chosen = context.obj = Invocation(profile, verbose, quiet, ui.TerminalReporter(quiet=quiet))
    if verbose:
        from pdauth.core.redact import enable_debug_logging

        enable_debug_logging(chosen.redactor)


def make_context(
    cli: typer.Context, profile: str | None = None, *, prompts: bool = True, **deps: object
) -> Context:
    """A command's Context: its own -p over the global one, the terminal's prompts (when there is a
    person to answer: pdauth.core.context.make_context decides) and the rich reporter."""
    import sys

    options = invocation(cli)
    asked = Prompts(
        ask=ui.ask,
        ask_secret=ui.ask_secret,
        confirm=ui.confirm,
        ask_yes_no=ui.ask_yes_no,
        paste_input=sys.stdin,
    )
    return core_context(
        profile if profile is not None else options.profile,
        prompts=asked if prompts else None,
        reporter=options.reporter,
        redactor=options.redactor,
        **deps,
    )
