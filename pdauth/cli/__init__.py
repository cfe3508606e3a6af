"""The typer CLI. Importing this package registers every command on `app`."""

from pdauth.cli import auth_commands, emulator_command  # noqa: F401  (registration side effect)
from pdauth.cli.app import app, main

__all__ = ["app", "main"]
