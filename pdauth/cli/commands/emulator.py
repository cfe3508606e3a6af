"""`pdauth emulator`: the command lives with the emulator, which shares no code with the client."""

from pdauth.cli.app import app
from pdauth.emulator.command import emulator

app.command("emulator")(emulator)
