"""The typer CLI. Importing this package registers every command on `app`."""

# Imported for their side effect: each module registers its commands on `app`.
from pdauth.cli import auth_commands, call_command, doctor_command, emulator_command  # noqa: F401
from pdauth.cli.app import app, main

__all__ = ["app", "main"]
