"""`python -m pdauth.emulator`: the same command as `pdauth emulator`."""

import typer

from pdauth.emulator.command import emulator

typer.run(emulator)
