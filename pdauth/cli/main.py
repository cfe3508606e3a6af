"""The full CLI: every command registered on the typer app, and the one place where errors become output."""

from __future__ import annotations

import sys
from typing import Any

# Imported for their side effect: each module registers its commands on `app`.
from pdauth.cli.app import app
from pdauth.cli.commands import auth, call, doctor, emulator  # noqa: F401
from pdauth.errors import Interrupted, PdauthError, UsageError, report

# Global flags a user may also type after the command (`pdauth whoami -v`, `pdauth token -q`), except
# where the command has an option of that name itself (`call -q` is its --query).
GLOBAL_FLAGS = ("-v", "--verbose", "-q", "--quiet")
OWN_FLAGS = {"call": ("-q",)}
# Global options that take a value, so that value is not mistaken for the command.
VALUED = ("-p", "--profile")


def hoist_global_flags(argv: list[str]) -> list[str]:
    """`argv` with the global flags that follow the command moved before it, where click expects them."""
    command_at = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            return argv
        if arg in VALUED:
            i += 2
            continue
        if not arg.startswith("-"):
            command_at = i
            break
        i += 1
    if command_at is None:
        return argv
    command = argv[command_at]
    own = OWN_FLAGS.get(command, ())
    head, moved, rest = argv[:command_at], [], [command]
    tail = argv[command_at + 1 :]
    for j, arg in enumerate(tail):
        if arg == "--":
            rest.extend(tail[j:])
            break
        if arg in GLOBAL_FLAGS and arg not in own:
            moved.append(arg)
        else:
            rest.append(arg)
    return [*head, *moved, *rest]


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every PdauthError becomes one line on stderr and its exit code, exactly here.

    typer itself maps usage errors to 2 and Ctrl-C to 130.
    """
    import typer
    from typer._click.exceptions import ClickException  # typer's own click: its usage errors

    args = hoist_global_flags(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(app)
    _plain_flags(command)
    try:
        result = command.main(args=args, prog_name="pdauth", standalone_mode=False)
    except PdauthError as exc:
        sys.exit(report(exc))
    except ClickException as exc:
        sys.exit(_usage_error(exc))
    except typer.Abort:
        sys.exit(report(Interrupted("Interrupted", hint="")))
    sys.exit(result if isinstance(result, int) else 0)


def _usage_error(exc: Any) -> int:
    """On a terminal, typer's boxed error; elsewhere (CI logs, scripts) one plain line."""
    code = int(getattr(exc, "exit_code", 2))
    if sys.stderr.isatty():
        from typer import rich_utils

        rich_utils.rich_format_error(exc)
        return code
    ctx = getattr(exc, "ctx", None)
    hint = f"Run `{ctx.command_path} --help` for the options" if ctx is not None else ""
    report(UsageError(exc.format_message(), hint=hint))
    return code


def _plain_flags(command: Any) -> None:
    """No `<bool>` after a flag in --help: a flag takes no value (typer shows its Python type otherwise)."""
    from typer._click.core import Context as ClickContext

    helper = command.get_help_option(ClickContext(command))  # made once and cached by the command
    for param in [*getattr(command, "params", ()), *([helper] if helper is not None else [])]:
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _plain_flags(sub)
