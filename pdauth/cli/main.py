"""The full CLI: every command registered on the typer app, and the one place where errors become output."""

from __future__ import annotations

import sys

# Imported for their side effect: each module registers its commands on `app`.
from pdauth.cli.app import app
from pdauth.cli.commands import auth, call, doctor, emulator  # noqa: F401
from pdauth.errors import PdauthError, report

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
    args = hoist_global_flags(sys.argv[1:] if argv is None else argv)
    try:
        app(args=args, prog_name="pdauth")
    except PdauthError as exc:
        sys.exit(report(exc))
