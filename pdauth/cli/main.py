"""The full CLI: every command registered on the typer app, and the one place where errors become output."""

from __future__ import annotations

import sys

# Imported for their side effect: each module registers its commands on `app`.
from pdauth.cli.app import app
from pdauth.cli.commands import auth, call, doctor, emulator  # noqa: F401
from pdauth.errors import PdauthError, report


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; every PdauthError becomes one line on stderr and its exit code, exactly here.

    typer itself maps usage errors to 2 and Ctrl-C to 130.
    """
    try:
        app(args=argv, prog_name="pdauth")
    except PdauthError as exc:
        sys.exit(report(exc))
